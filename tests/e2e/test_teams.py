"""Microsoft Teams, offline: real Bot Framework activities (built with ``botbuilder-schema``) posted to
Rasa's ``botframework`` channel, signed with a token the channel really verifies.

Rasa 3.6's channel talks to three Microsoft endpoints, all on the internet: the OpenID metadata and
signing keys (fetched when Rasa starts, to verify the JWT of every incoming activity), the token
endpoint (login.microsoftonline.com, for the bot's own token) and the Bot Connector (the activity's
``serviceUrl``, where replies are posted). The URLs of the first two are module constants in
``rasa.core.channels.botframework`` that honour no setting, so the Rasa server started here gets a
test-only ``sitecustomize`` (on its PYTHONPATH) that points them at ``FakeMicrosoft``, a local HTTP
server that also stands in for the Bot Connector and records the replies. Nothing in .venv-rasa is
changed. This Rasa server is a second one, on its own port, sharing the action server and the
helpdesk service of the ``stack`` fixture.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest

from escalation.intake import prepare
from escalation.notifications import ChatNotifier
from escalation.outbox import Outbox
from escalation.tickets.model import TicketRequest
from escalation.tickets.sqlite_store import SqliteTicketStore
from helpdesk.launcher import Services, rasa_credentials
from core.settings import load_settings

pytestmark = pytest.mark.e2e
import jwt  # noqa: E402 - pinned in requirements/app.lock
from botbuilder import schema  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

APP_ID = "00000000-0000-4000-8000-00000000b07f"
APP_PASSWORD = "test-client-secret-not-real"
KEY_ID = "test-signing-key"
BOT = schema.ChannelAccount(id=f"28:{APP_ID}", name="Helpdesk")

SITECUSTOMIZE = '''
"""Test only: point Rasa's botframework channel at a local stand-in for Microsoft's endpoints."""
import importlib.abc
import importlib.util
import os
import sys

STUB = os.environ.get("HELPDESK_TEST_MICROSOFT_STUB")
MODULE = "rasa.core.channels.botframework"


class _PatchBotFramework(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != MODULE:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        exec_module = spec.loader.exec_module

        def patched(module):
            exec_module(module)
            module.MICROSOFT_OPEN_ID_URI = STUB + "/v1/.well-known/openidconfiguration"
            module.MICROSOFT_OAUTH2_URL = STUB

        spec.loader.exec_module = patched
        return spec


if STUB:
    sys.meta_path.insert(0, _PatchBotFramework())
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class FakeMicrosoft:
    """OpenID metadata + signing keys, the token endpoint and the Bot Connector, on 127.0.0.1."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        self.jwk = {"kty": "RSA", "use": "sig", "kid": KEY_ID, "alg": "RS256",
                    "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}
        self.activities: list[dict] = []      # what the bot posted: {"path", "authorization", "body"}
        self.token_requests: list[dict] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body: dict, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/v1/.well-known/openidconfiguration":
                    self._json({"issuer": "https://api.botframework.com", "jwks_uri": f"{fake.url}/v1/keys",
                                "id_token_signing_alg_values_supported": ["RS256"]})
                elif self.path == "/v1/keys":
                    self._json({"keys": [fake.jwk]})
                elif self.path.startswith("/v3/") and self.headers.get("Authorization") != "Bearer fake-bot-token":
                    self._json({"error": "the bot's token is missing"}, 401)
                elif match := re.fullmatch(r"/v3/conversations/([^/]+)/members/29:([\w-]+)", self.path):
                    user = match.group(2)           # a Teams member: its e-mail address is its identity
                    self._json({"id": f"29:{user}", "name": user.title(), "aadObjectId": aad_id(user),
                                "email": member_email(user), "userPrincipalName": member_email(user)})
                else:
                    self._json({"error": "not found"}, 404)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/botframework.com/oauth2/v2.0/token":
                    with fake.lock:
                        fake.token_requests.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
                    self._json({"token_type": "Bearer", "expires_in": 3599, "access_token": "fake-bot-token"})
                elif re.fullmatch(r"/v3/conversations/[^/]+/activities(/[^/]+)?", self.path):
                    with fake.lock:
                        fake.activities.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                                "body": json.loads(body)})
                    self._json({"id": uuid.uuid4().hex})
                else:
                    self._json({"error": "not found"}, 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, audience: str = APP_ID, key=None, kid: str = KEY_ID, expires_in: int = 600) -> str:
        """A Bot Connector -> bot token, as the Bot Framework signs it."""
        now = datetime.now(timezone.utc)
        claims = {"iss": "https://api.botframework.com", "aud": audience, "serviceurl": self.url,
                  "nbf": now - timedelta(minutes=1), "exp": now + timedelta(seconds=expires_in)}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid})

    def take(self) -> list[dict]:
        with self.lock:
            taken, self.activities = self.activities, []
        return taken

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def microsoft():
    fake = FakeMicrosoft()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def teams_services(stack, e2e_env, microsoft, tmp_path_factory):
    """A Rasa server with the botframework channel enabled (as `helpdesk run` does when the two
    variables are set), sharing the action server and helpdesk service of ``stack``; the launcher's
    handle on it (a test can restart it)."""
    tmp = tmp_path_factory.mktemp("teams")
    (tmp / "sitecustomize").mkdir()
    (tmp / "sitecustomize" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in e2e_env.items():
            mp.setenv(key, value)
        mp.setenv("HELPDESK_RASA__PORT", str(free_port()))
        mp.setenv("HELPDESK_DATA_DIR", str(tmp / "data"))   # own tracker, logs and credentials file
        mp.setenv("MICROSOFT_APP_ID", APP_ID)
        mp.setenv("MICROSOFT_APP_PASSWORD", APP_PASSWORD)
        mp.setenv("HELPDESK_TEST_MICROSOFT_STUB", microsoft.url)
        mp.setenv("PYTHONPATH", str(tmp / "sitecustomize"))
        settings = load_settings()
        # the action server of ``stack`` accepts only its own Rasa's secret: share it
        settings.data_path.mkdir(parents=True, exist_ok=True, mode=0o700)
        (settings.data_path / "actions_token").write_text(stack.actions_token())
        # ... and the helpdesk service of ``stack`` only its own API token (Teams references are kept there)
        (settings.data_path / "api_token").write_text(stack.api_token())
        services = Services(settings)
        services.services = [s for s in services.services if s.name == "rasa"]
    services.start()
    try:
        yield settings, services
    finally:
        services.stop()


@pytest.fixture(scope="module")
def teams_rasa(teams_services):
    return teams_services[0]


def webhook(settings) -> str:
    return f"http://{settings.rasa.host}:{settings.rasa.port}/webhooks/botframework/webhook"


def activity(microsoft, user: str, text: str | None, locale: str | None = None,
             kind: str = schema.ActivityTypes.message) -> dict:
    return schema.Activity(
        type=kind, id=uuid.uuid4().hex, timestamp=datetime.now(timezone.utc), channel_id="msteams",
        service_url=microsoft.url, text=text, text_format="plain", locale=locale,
        from_property=schema.ChannelAccount(id=f"29:{user}", name=user.title(), aad_object_id=aad_id(user)),
        recipient=BOT,
        conversation=schema.ConversationAccount(id=f"a:{user}-conversation", conversation_type="personal",
                                                tenant_id="00000000-0000-4000-8000-0000000000aa"),
        channel_data={"tenant": {"id": "00000000-0000-4000-8000-0000000000aa"}},
    ).serialize()


def member_email(user: str) -> str:
    """The e-mail address the Bot Connector gives for a Teams member."""
    return f"{user}@contoso.example"


def aad_id(user: str) -> str:
    """The user's Azure AD object id (stable per user, as in Teams)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aad:{user}"))


def post(settings, microsoft, body, token: str | None = "valid", **kwargs) -> httpx.Response:
    headers = {}
    if token == "valid":
        headers["Authorization"] = f"Bearer {microsoft.token()}"
    elif token is not None:
        headers["Authorization"] = token
    if isinstance(body, (bytes, str)):
        return httpx.post(webhook(settings), content=body, headers={**headers, "Content-Type": "application/json"},
                          timeout=90)
    return httpx.post(webhook(settings), json=body, headers=headers, timeout=90, **kwargs)


def say(settings, microsoft, user: str, text: str, locale: str | None = None) -> list[dict]:
    """One turn: the replies the bot posted to the Bot Connector (the webhook answers after them)."""
    response = post(settings, microsoft, activity(microsoft, user, text, locale))
    assert response.status_code == 200 and response.text == "success"
    replies = microsoft.take()
    for reply in replies:
        assert reply["path"] == f"/v3/conversations/a:{user}-conversation/activities"
        assert reply["authorization"] == "Bearer fake-bot-token"
        assert reply["body"]["type"] == "message"
        assert reply["body"]["recipient"]["id"] == f"29:{user}"
        assert reply["body"]["from"]["id"] == BOT.id
        schema.Activity.deserialize(reply["body"])          # a well-formed Bot Framework activity
    return [r["body"] for r in replies]


def texts(replies: list[dict]) -> str:
    return "\n".join([r.get("text") or "" for r in replies]
                     + [a["content"].get("subtitle", "") for r in replies for a in r.get("attachments", [])])


def hero_cards(replies: list[dict]) -> list[dict]:
    return [a["content"] for r in replies for a in r.get("attachments", [])
            if a["contentType"] == "application/vnd.microsoft.card.hero"]


PARAPHRASE_STARTS = ("Even samenvatten:", "Si j'ai bien compris :", "So, if I understood well:")
REMOTE_CONSENT_ASKED = re.compile("op afstand overnemen|prendre le contrôle de votre ordinateur|take over your computer")


def through_triage(settings, microsoft, user: str, problem: str, locale: str) -> list[dict]:
    """Report ``problem`` and answer each question with its first card action; return the replies
    to the confirmed paraphrase."""
    replies = say(settings, microsoft, user, problem, locale)
    for _ in range(12):
        last = replies[-1]
        actions = (last.get("suggestedActions") or {}).get("actions") or []
        assert all(a["type"] == "imBack" and a["title"] and a["value"] for a in actions), actions
        if (last.get("text") or "").startswith(PARAPHRASE_STARTS):
            return say(settings, microsoft, user, "/affirm", locale)
        replies = say(settings, microsoft, user, actions[0]["value"] if actions else "it does not work", locale)
    raise AssertionError(f"no paraphrase: {replies}")


CONVERSATIONS = {
    "nl": dict(locale="nl-BE", problem="mijn VPN werkt niet meer", article="Dit artikel kan je helpen",
               ask="Is je probleem hiermee opgelost?", buttons=["Ja", "Nee"], no="Nee",
               ticket=r"Ik heb ticket #(\d+) aangemaakt", article_id="vpn-"),
    "fr": dict(locale="fr-BE", problem="mon imprimante n'imprime plus", article="Cet article devrait vous aider",
               ask="Cela a-t-il résolu votre problème", buttons=["Oui", "Non"], no="Non",
               ticket=r"J'ai créé le ticket n° (\d+)", article_id="printer-"),
    "en": dict(locale="en-GB", problem="Outlook stopped syncing", article="This article should help",
               ask="Did this solve your problem?", buttons=["Yes", "No"], no="No",
               ticket=r"I've created ticket #(\d+)", article_id="outlook-"),
}


@pytest.mark.parametrize("lang", ["nl", "fr", "en"])
def test_teams_conversation_from_problem_to_article_to_ticket(teams_rasa, stack, microsoft, lang):
    c = CONVERSATIONS[lang]
    user = f"teams-{lang}"
    replies = through_triage(teams_rasa, microsoft, user, c["problem"], c["locale"])
    text = texts(replies)
    assert c["article"] in text and c["ask"].split("?")[0] in text
    # the article arrives as a hero card whose button opens the article in the user's language
    card = next(c_ for c_ in hero_cards(replies) if c_.get("title"))
    url = next(b["value"] for b in card["buttons"] if b["type"] == "openUrl")
    article_id = re.search(rf"/kb/([\w-]+)\?[^\s]*lang={lang}", url).group(1)
    assert card["text"].startswith("1. ")
    # the yes/no question arrives with suggested actions (quick replies)
    actions = replies[-1]["suggestedActions"]["actions"]
    titles = [a["title"] for a in actions]
    assert titles[0].startswith(c["buttons"][0]) and c["buttons"][1] in titles, titles
    assert {"/affirm", "/deny"} <= {a["value"] for a in actions}

    replies = say(teams_rasa, microsoft, user, c["no"], c["locale"])
    if REMOTE_CONSENT_ASKED.search(texts(replies)):
        replies = say(teams_rasa, microsoft, user, replies[-1]["suggestedActions"]["actions"][0]["value"], c["locale"])
    ticket_id = re.search(c["ticket"], texts(replies)).group(1)
    ticket = SqliteTicketStore(stack.path(stack.tickets.sqlite_path)).get(ticket_id)
    assert ticket.language == lang
    # the owner of the ticket is the Azure AD object id of the validated activity
    assert ticket.requester.channel == "botframework" and ticket.requester.id == aad_id(user)
    assert ticket.requester.name == user.title()                 # the display name Teams sends
    assert ticket.requester.email == member_email(user)          # the member's e-mail from the Bot Connector
    assert ticket.suggested_articles[0].article_id == article_id


def test_another_teams_users_ticket_cannot_be_read_or_closed(teams_rasa, stack, microsoft):
    owner, thief = f"owner-{uuid.uuid4().hex[:6]}", f"thief-{uuid.uuid4().hex[:6]}"
    text = texts(say(teams_rasa, microsoft, owner, "can I talk to a real person please", "en-GB"))
    ticket_id = re.search(r"I've created ticket #(\d+)", text).group(1)
    assert f"Ticket #{ticket_id}" in texts(say(teams_rasa, microsoft, owner, f"what is the status of ticket {ticket_id}?",
                                               "en-GB"))
    answer = texts(say(teams_rasa, microsoft, thief, f"what is the status of ticket {ticket_id}?", "en-GB"))
    assert "can't find ticket" in answer and f"Ticket #{ticket_id}" not in answer
    say(teams_rasa, microsoft, thief, f"it works again, you can close ticket {ticket_id}", "en-GB")
    assert SqliteTicketStore(stack.path(stack.tickets.sqlite_path)).get(ticket_id).status != "resolved"


def test_the_bot_fetches_its_token_with_the_app_credentials(teams_rasa, microsoft):
    say(teams_rasa, microsoft, "token-check", "hallo")
    assert microsoft.token_requests, "the channel never asked for a token"
    request = microsoft.token_requests[-1]
    assert request == {"client_id": APP_ID, "client_secret": APP_PASSWORD, "grant_type": "client_credentials",
                       "scope": "https://api.botframework.com/.default"}


def test_teams_rendering_suggested_actions_and_article_card(teams_rasa, microsoft):
    replies = through_triage(teams_rasa, microsoft, "teams-render", "mijn VPN werkt niet meer", "nl-BE")
    card = next(c for c in hero_cards(replies) if c.get("title"))
    assert re.search(r"/kb/vpn-", next(b["value"] for b in card["buttons"] if b["type"] == "openUrl"))
    actions = replies[-1]["suggestedActions"]["actions"]
    assert {a["type"] for a in actions} == {"imBack"} and all(a["value"] for a in actions)
    assert actions[0]["title"].startswith("Ja") and "Nee" in [a["title"] for a in actions]


@pytest.mark.parametrize("token", [None, "Basic abc", "Bearer not-a-jwt", "forged", "wrong-audience", "expired"])
def test_activities_without_a_valid_token_are_refused(teams_rasa, microsoft, token):
    if token == "forged":
        token = "Bearer " + microsoft.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif token == "wrong-audience":
        token = "Bearer " + microsoft.token(audience="someone-else")
    elif token == "expired":
        token = "Bearer " + microsoft.token(expires_in=-120)
    response = post(teams_rasa, microsoft, activity(microsoft, "intruder", "mijn VPN werkt niet meer"), token=token)
    assert response.status_code == 401
    assert microsoft.take() == []


@pytest.mark.parametrize("kind, text", [
    (schema.ActivityTypes.conversation_update, None),
    (schema.ActivityTypes.typing, None),
    ("somethingNew", "mijn VPN werkt niet meer"),
    (schema.ActivityTypes.message_reaction, None),
])
def test_activities_other_than_messages_are_ignored(teams_rasa, microsoft, kind, text):
    response = post(teams_rasa, microsoft, activity(microsoft, "other-kinds", text, kind=kind))
    assert response.status_code == 200
    assert microsoft.take() == []


@pytest.mark.parametrize("body", [
    "message without text",
    {"type": "message"},
    {"type": "message", "text": "hallo"},
    [],
    b"{not json",
])
def test_bad_activities_do_not_crash_rasa(teams_rasa, microsoft, body):
    if body == "message without text":
        body = activity(microsoft, "no-text", None)
    response = post(teams_rasa, microsoft, body)
    # ignored (200) or refused (400: not JSON, or a message without conversation/recipient/from)
    assert response.status_code in (200, 400)
    microsoft.take()
    assert httpx.get(f"http://127.0.0.1:{teams_rasa.rasa.port}/status", params={"token": teams_rasa.rasa_token()},
                     timeout=10).status_code == 200
    # and a real conversation still works afterwards
    assert "Ik ben" in texts(say(teams_rasa, microsoft, f"after-{uuid.uuid4().hex[:6]}", "hallo", "nl-BE"))


def test_rasa_starts_without_teams_credentials(tmp_path, monkeypatch):
    """Without both variables the generated channels file leaves botframework out (Rasa 3.6 would
    refuse an unset ${VAR}, and the channel downloads Microsoft's keys when it starts)."""
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(tmp_path))
    settings = load_settings()
    settings.data_path.mkdir(parents=True, exist_ok=True)
    import yaml

    for env in [{}, {"MICROSOFT_APP_ID": APP_ID}, {"MICROSOFT_APP_ID": "", "MICROSOFT_APP_PASSWORD": ""}]:
        channels = yaml.safe_load(rasa_credentials(settings, env).read_text())
        assert set(channels) == {"bot.channels.socketio.SignedSocketIOInput"}   # REST only with chat.rest_channel
    path = rasa_credentials(settings, {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": APP_PASSWORD})
    assert yaml.safe_load(path.read_text())["bot.channels.botframework.BotFrameworkWithLocale"] == {
        "app_id": "${MICROSOFT_APP_ID}", "app_password": "${MICROSOFT_APP_PASSWORD}"}
    assert APP_PASSWORD not in path.read_text()                 # Rasa expands the variables itself


@pytest.mark.parametrize("locale, expected", [("fr-BE", "Puis-je vous aider"), ("nl-BE", "Kan ik je nog"),
                                              ("en-GB", "anything else I can help")])
def test_the_activity_locale_sets_the_language_of_a_conversation_that_starts_with_ok(
        teams_rasa, microsoft, locale, expected):
    assert expected in texts(say(teams_rasa, microsoft, f"locale-{locale}", "ok", locale))


def test_the_ticket_number_reaches_a_teams_user_after_an_outage_even_after_a_rasa_restart(
        teams_services, stack, microsoft):
    """After an outage the escalation waits in the outbox; once delivered, the service pushes the number
    (Rasa's trigger_intent) and Teams gets it as a proactive message, addressed by the conversation
    reference kept in the service's database, which survives a restart of Rasa (nothing in its memory)."""
    teams_rasa, services = teams_services
    user, sender = "teams-push", aad_id("teams-push")
    say(teams_rasa, microsoft, user, "hello", "en-GB")
    service = httpx.Client(base_url=stack.helpdesk_url, headers={"Authorization": f"Bearer {stack.api_token()}"},
                           timeout=30)
    kept = service.get("/api/channels/teams/references", params={"sender_id": sender})
    assert kept.status_code == 200, kept.text
    assert kept.json()["user"] == f"29:{user}" and kept.json()["serviceUrl"] == microsoft.url

    # "... not reachable right now ... (reference R-...)": the escalation waits in the service's outbox
    draft = prepare(TicketRequest(idempotency_key=f"push-{sender}", requester={"id": sender, "channel": "botframework"},
                                  language="en", subject="Teams: printer jammed while the ticket system was down"),
                    stack)
    rasa_api = {"token": teams_rasa.rasa_token()}
    r = httpx.post(f"{teams_rasa.rasa_url}/conversations/{sender}/tracker/events", params=rasa_api,
                   json={"event": "slot", "name": "ticket_id", "value": draft.reference}, timeout=30)
    assert r.status_code == 200, r.text
    outbox = Outbox(stack.outbox_path, SqliteTicketStore(stack.path(stack.tickets.sqlite_path)))
    outbox.put(draft, claim=True)               # held by this test: the service's worker leaves it alone

    services.stop()                             # Rasa forgets everything it kept in memory
    services.start()
    entry = outbox.deliver(draft.reference, claimed=True)
    assert entry.state == "delivered"
    assert ChatNotifier(teams_rasa).ticket_created(entry)       # as the service's worker does after delivering
    pushed = microsoft.take()
    assert [a["path"] for a in pushed] == [f"/v3/conversations/a:{user}-conversation/activities"]
    text = pushed[0]["body"]["text"]
    assert re.search(rf"your request {draft.reference} is now ticket #{entry.ticket_id}\b", text), text
    assert pushed[0]["body"]["recipient"]["id"] == f"29:{user}"
    tracker = httpx.get(f"{teams_rasa.rasa_url}/conversations/{sender}/tracker", params=rasa_api, timeout=30).json()
    assert tracker["slots"]["ticket_id"] == str(entry.ticket_id)    # told once
