"""The live handoff in the service: queue, take (once), messages both ways, notes, transfer, hand back,
resolve, the satisfaction survey, timeouts, with Rasa played by a recorder (the agent's messages) and
its tracker store by an SQLite file in Rasa's format (the user's messages)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from core.clock import utcnow
from core.storage import connect
from helpdesk_service.app import create_app
from helpdesk_service.handoff.rasa import RasaClient

PASSWORD = "correct horse battery"
DRAFT = {
    "idempotency_key": "conv-1", "requester": {"id": "sess-1", "channel": "socketio"}, "language": "en",
    "subject": "Outlook does not sync", "description": "Outlook stopped syncing", "category": "email",
    "paraphrase": "Outlook on your laptop stopped syncing since this morning", "facts": {"device": "laptop"},
    "skill_level": "novice", "remote_control_consent": True, "remote_control_consent_at": "2026-03-02T09:12:00Z",
    "transcript": [{"sender": "user", "text": "Outlook stopped syncing, password is [hidden]"},
                   {"sender": "bot", "text": "Try this article"}],
    "suggested_articles": [{"article_id": "outlook-sync", "outcome": "not_solved"}],
    "urgency": "high", "impact": "low", "reason": "requested_human",
}
TRACKER_SCHEMA = ("CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, sender_id VARCHAR(255), "
                  "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
                  "data TEXT)")


class FakeRasa:
    """Records the events posted to Rasa's tracker API; can be down."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("refused")
        assert request.url.params["token"] == "rasa-token-of-the-console-tests" and request.url.params["output_channel"] == "latest"
        conversation = request.url.raw_path.decode().split("?")[0].split("/")[2]   # as Rasa sees it (not unquoted)
        body = json.loads(request.content)
        for event in body if isinstance(body, list) else [body]:
            self.events.append((conversation, event))
        return httpx.Response(200, json={})

    def texts(self) -> list[str]:
        return [e["text"] for _, e in self.events if e["event"] == "bot"]

    def kinds(self) -> list[str]:
        return [e["event"] for _, e in self.events]


class World:
    def __init__(self, settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.c = self.app.state.container
        self.rasa = FakeRasa()
        self.c.handoffs.rasa = RasaClient("http://rasa", "rasa-token-of-the-console-tests", transport=httpx.MockTransport(self.rasa.handler))
        self.bot = TestClient(self.app, headers={"Authorization": f"Bearer {settings.api_token()}"})
        with connect(self.c.handoffs.tracker_db) as db:
            db.execute(TRACKER_SCHEMA)
        for user in ("bob", "carol"):
            self.c.accounts.create(user, "agent", PASSWORD)

    def agent(self, user: str, available: bool = True) -> TestClient:
        client = TestClient(self.app)
        assert client.post("/console/api/login", json={"username": user, "password": PASSWORD}).status_code == 200
        csrf = client.get("/console").text.split('name="csrf-token" content="')[1].split('"')[0]
        client.headers["X-CSRF-Token"] = csrf
        if available:
            client.post("/console/api/presence", json={"status": "available", "capacity": 2})
        return client

    def ticket(self, key: str = "conv-1", sender: str = "sess-1") -> str:
        draft = {**DRAFT, "idempotency_key": key, "requester": {"id": sender, "channel": "socketio"}}
        response = self.bot.post("/api/tickets", json=draft)
        assert response.status_code in (200, 201), response.text
        return str(response.json()["id"])

    def request(self, ticket_id: str, sender: str = "sess-1", language: str = "en", channel: str = "socketio") -> dict:
        response = self.bot.post("/api/handoffs", json={"conversation_id": sender, "ticket_id": ticket_id,
                                                         "language": language, "channel": channel,
                                                         "reason": "requested_human"})
        assert response.status_code == 200, response.text
        return response.json()

    def user_says(self, text: str, sender: str = "sess-1", intent: str = "inform", kind: str = "user") -> None:
        with connect(self.c.handoffs.tracker_db) as db:
            db.execute("INSERT INTO events (sender_id, type_name, timestamp, intent_name, data) VALUES (?, ?, ?, ?, ?)",
                       (sender, kind, time.time() + 1, intent, json.dumps({"event": kind, "text": text})))
        self.c.handoffs.poll()

    def comments(self, ticket_id: str) -> list[str]:
        return [c.text for c in self.c.tickets.get(ticket_id).comments]


@pytest.fixture
def world(settings):
    settings.data_path.mkdir(parents=True, exist_ok=True)
    (settings.data_path / "rasa_token").write_text("rasa-token-of-the-console-tests")
    return World(settings)


def test_nobody_online_means_no_handoff_and_says_why(world):
    ticket = world.ticket()
    assert world.request(ticket) == {"status": "unavailable", "reason": "offline"}
    world.agent("bob", available=False)
    assert world.request(ticket)["reason"] == "offline"


def test_only_users_of_a_channel_that_can_receive_the_agents_replies_get_a_live_agent(world):
    world.agent("bob")
    assert world.request(world.ticket(), channel="cmdline") == {"status": "unavailable", "reason": "channel"}
    assert world.request(world.ticket("k-rest", "rest-user"), "rest-user", channel="rest")["status"] == "waiting"
    assert world.request(world.ticket(), channel="socketio")["status"] == "waiting"


def test_outside_opening_hours_and_at_capacity_nobody_can_join(world):
    world.agent("bob")
    world.c.handoffs.config.opening_hours.days = []
    assert world.request(world.ticket())["reason"] == "closed"
    world.c.handoffs.config.opening_hours.days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    for n in range(2):                                 # capacity 2: two waiting chats fill it
        assert world.request(world.ticket(f"k{n}", f"s{n}"), f"s{n}")["status"] == "waiting"
    assert world.request(world.ticket("k3", "s3"), "s3") == {"status": "unavailable", "reason": "busy"}


def test_a_whole_live_chat_is_recorded_on_the_ticket_and_ends_with_a_survey(world):
    bob, carol = world.agent("bob"), world.agent("carol")
    ticket = world.ticket()
    answer = world.request(ticket)
    assert answer["status"] == "waiting" and world.request(ticket) == answer       # asked twice: one chat
    chat = answer["handoff_id"]
    queue = bob.get("/console/api/queue?view=waiting").json()
    assert [i["id"] for i in queue["items"]] == [chat] and queue["items"][0]["priority"] == "P3"

    world.user_says("is anyone there?")                                             # while waiting
    assert bob.post(f"/console/api/chats/{chat}/take").status_code == 200
    refused = carol.post(f"/console/api/chats/{chat}/take")
    assert refused.status_code == 409 and refused.json()["detail"] == "this chat is already taken by bob"
    assert "bob from the helpdesk has joined the chat." in world.rasa.texts()
    assert [i["id"] for i in bob.get("/console/api/queue?view=mine").json()["items"]] == [chat]
    assert carol.post(f"/console/api/chats/{chat}/reply", json={"text": "hi"}).status_code == 403

    world.user_says("my Outlook still says disconnected")
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    assert bob.post(f"/console/api/chats/{chat}/reply", json={"text": evil}).status_code == 200
    assert world.rasa.events[-1] == ("sess-1", {"event": "bot", "text": evil})      # as typed: the chat shows text
    sent = len(world.rasa.events)
    assert bob.post(f"/console/api/chats/{chat}/note", json={"text": "looks like the OST file"}).status_code == 200
    assert len(world.rasa.events) == sent                                            # a note never reaches the user
    assert bob.post(f"/console/api/chats/{chat}/reply", json={"text": "   "}).status_code == 422

    messages = bob.get(f"/console/api/chats/{chat}?after=0").json()["messages"]
    said = [(m["sender"], m["text"]) for m in messages if m["sender"] in ("user", "agent", "note")]
    assert said == [("user", "is anyone there?"), ("user", "my Outlook still says disconnected"),
                    ("agent", evil), ("note", "looks like the OST file")]
    last = messages[-1]["id"]
    assert bob.get(f"/console/api/chats/{chat}?after={last}").json()["messages"] == []

    card = bob.get(f"/console/api/chats/{chat}/context").json()
    t = card["ticket"]
    assert t["paraphrase"] == DRAFT["paraphrase"] and t["facts"] == {"device": "laptop"}
    assert t["skill_level"] == "novice" and t["remote_control_consent"] is True and t["remote_control_consent_at"]
    assert t["suggested_articles"][0]["outcome"] == "not_solved" and t["priority"] == "P3" and t["response_due"]
    assert [line["sender"] for line in t["transcript"]] == ["user", "bot"] and card["handoff"]["reason"] == "requested_human"

    assert bob.post(f"/console/api/chats/{chat}/resolve").status_code == 200
    rating = world.rasa.events[-1][1]
    assert rating["text"].startswith("How satisfied are you") and \
        [b["payload"] for b in rating["data"]["buttons"]] == ["1", "2", "3", "4", "5"]
    assert world.c.tickets.get(ticket).status == "resolved"
    world.user_says("4")
    assert world.rasa.events[-1][1]["data"]["buttons"] == [{"title": "No comment", "payload": "/deny"}]
    world.user_says("Quick and friendly <b>thanks</b>")
    assert world.rasa.kinds()[-3:] == ["bot", "resume", "action"] and world.rasa.texts()[-1] == "Thank you for your feedback."

    done = bob.get(f"/console/api/chats/{chat}").json()["handoff"]
    assert (done["state"], done["csat_score"], done["csat_comment"]) == ("resolved", 4, "Quick and friendly <b>thanks</b>")
    assert [i["id"] for i in bob.get("/console/api/queue?view=resolved").json()["items"]] == [chat]
    comments = world.comments(ticket)
    for expected in ("is anyone there?", "bob took the chat.", "my Outlook still says disconnected", f"[bob] {evil}",
                     "[private note, bob] looks like the OST file", "Satisfaction: 4/5 - Quick and friendly <b>thanks</b>"):
        assert expected in comments, (expected, comments)
    survey = world.bot.get("/api/handoffs/satisfaction").json()
    assert survey[0]["csat_score"] == 4 and survey[0]["ticket_id"] == ticket


def test_hand_back_asks_the_survey_in_the_users_language_and_a_skipped_survey_resumes_the_bot(world):
    bob = world.agent("bob")
    chat = world.request(world.ticket(), language="fr")["handoff_id"]
    bob.post(f"/console/api/chats/{chat}/take")
    assert "bob, du helpdesk, a rejoint la conversation." in world.rasa.texts()
    assert bob.post(f"/console/api/chats/{chat}/handback").status_code == 200
    assert world.rasa.texts()[-1].startswith("Êtes-vous satisfait(e)")
    world.user_says("en fait j'ai encore une question")                 # not a rating: the survey is skipped
    handoff = world.c.handoffs.get(chat)
    assert handoff["state"] == "returned" and handoff["csat_score"] is None
    assert world.rasa.texts()[-1].startswith("Vous parlez à nouveau avec l'assistant")
    assert world.rasa.kinds()[-2:] == ["resume", "action"]
    assert world.c.tickets.get(handoff["ticket_id"]).status != "resolved"


def test_transfer_to_another_agent_or_back_to_a_queue(world):
    bob, carol = world.agent("bob"), world.agent("carol")
    chat = world.request(world.ticket())["handoff_id"]
    bob.post(f"/console/api/chats/{chat}/take")
    assert bob.get("/console/api/agents").json()["agents"] == ["carol"]
    assert bob.post(f"/console/api/chats/{chat}/transfer", json={"to_agent": "carol"}).json()["agent"] == "carol"
    assert carol.post(f"/console/api/chats/{chat}/reply", json={"text": "carol here"}).status_code == 200
    assert carol.post(f"/console/api/chats/{chat}/transfer", json={"queue": "nowhere"}).status_code == 422
    moved = carol.post(f"/console/api/chats/{chat}/transfer", json={"queue": "network"}).json()
    assert (moved["state"], moved["agent"], moved["queue"]) == ("waiting", None, "network")
    assert carol.post(f"/console/api/chats/{chat}/reply", json={"text": "still mine?"}).status_code == 403


def test_an_agent_who_goes_away_gives_the_chat_back_to_the_queue(world):
    bob = world.agent("bob")
    chat = world.request(world.ticket())["handoff_id"]
    bob.post(f"/console/api/chats/{chat}/take")
    with connect(world.c.handoffs.store.path) as db:            # bob closed his browser a while ago
        db.execute("UPDATE agents SET last_seen = ?", ((utcnow() - timedelta(minutes=5)).isoformat(),))
    world.c.handoffs.poll()
    handoff = world.c.handoffs.get(chat)
    assert (handoff["state"], handoff["agent"]) == ("waiting", None)
    assert world.rasa.texts()[-1].startswith("Your helpdesk colleague was disconnected")


def test_handoff_state_survives_a_restart_of_the_service(world, settings):
    bob = world.agent("bob")
    chat = world.request(world.ticket())["handoff_id"]
    bob.post(f"/console/api/chats/{chat}/take")
    restarted = create_app(settings).state.container.handoffs         # a new process on the same data folder
    handoff = restarted.get(chat)
    assert (handoff["state"], handoff["agent"], handoff["channel"]) == ("active", "bob", "socketio")
    assert restarted.store.live_for("sess-1")["id"] == chat
    assert [m["text"] for m in restarted.store.messages(chat) if m["sender"] == "event"] == ["bob took the chat."]


def test_a_user_who_leaves_times_out_to_the_ticket(world):
    world.agent("bob")
    ticket = world.ticket()
    chat = world.request(ticket)["handoff_id"]
    with connect(world.c.handoffs.store.path) as db:
        db.execute("UPDATE handoffs SET last_activity_at = ?", ((utcnow() - timedelta(hours=1)).isoformat(),))
    world.c.handoffs.poll()
    assert world.c.handoffs.get(chat)["state"] == "timed_out"
    assert world.rasa.texts()[-1] == f"Unfortunately nobody could join the chat. Your ticket #{ticket} stays open; the helpdesk will contact you."
    assert world.rasa.kinds()[-2:] == ["resume", "action"]
    assert world.c.tickets.get(ticket).status in ("new", "open")


def test_a_new_rasa_session_is_paused_again(world):
    world.agent("bob")
    world.request(world.ticket())
    world.user_says("", kind="session_started", intent=None)
    assert world.rasa.kinds()[-1] == "pause"


def test_an_unreachable_rasa_is_a_clear_error_for_the_agent(world):
    bob = world.agent("bob")
    chat = world.request(world.ticket())["handoff_id"]
    bob.post(f"/console/api/chats/{chat}/take")
    world.rasa.down = True
    response = bob.post(f"/console/api/chats/{chat}/reply", json={"text": "hello?"})
    assert response.status_code == 502 and "could not be delivered" in response.json()["detail"]
    assert all(m["text"] != "hello?" for m in bob.get(f"/console/api/chats/{chat}").json()["messages"])


def test_the_console_pages_escape_what_they_embed_and_forbid_inline_scripts(world):
    bob = world.agent("bob")
    page = bob.get("/console")
    assert "script-src 'self'" in page.headers["content-security-policy"] and "<script>" not in page.text
    assert bob.get("/console/static/console.js").status_code == 200
    assert bob.get("/console/static/../app.py").status_code == 404
    canned = bob.get("/console/api/canned?lang=nl").json()
    assert canned[0]["text"].startswith("Hallo") and all(c["text"] for c in canned)


def test_every_text_the_service_sends_and_every_canned_response_exists_in_every_language(settings):
    import yaml

    from helpdesk_service.handoff import texts
    for name in ("texts.yml", "canned.yml"):
        data = yaml.safe_load((texts.HERE / name).read_text(encoding="utf-8"))
        entries = data["responses"] if name == "canned.yml" else data.values()
        for entry in entries:
            assert all(entry.get(lang) for lang in settings.languages), entry


def test_a_teams_user_id_reaches_rasa_unencoded_so_the_reply_lands_on_their_conversation():
    rasa = FakeRasa()
    client = RasaClient("http://rasa", "rasa-token-of-the-console-tests", transport=httpx.MockTransport(rasa.handler))
    client.send("29:1a-B_c", "hello")
    assert rasa.events == [("29:1a-B_c", {"event": "bot", "text": "hello"})]
