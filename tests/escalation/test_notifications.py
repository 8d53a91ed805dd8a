"""ChatNotifier: what the service sends Rasa once an outbox entry is delivered (Rasa faked here; the
push itself is covered by the bot's action tests and the e2e web chat)."""

import json

import httpx

from escalation.intake import prepare
from escalation.notifications import INTENT, ChatNotifier
from escalation.outbox import Outbox
from escalation.tickets.model import TicketRequest
from escalation.tickets.sqlite_store import SqliteTicketStore


def delivered_entry(settings, tmp_path, channel):
    draft = prepare(TicketRequest(idempotency_key=f"k-{channel}", requester={"id": "web 1/x", "channel": channel},
                                  language="fr", subject="Imprimante"), settings)
    outbox = Outbox(tmp_path / f"outbox-{channel}.db", SqliteTicketStore(tmp_path / f"t-{channel}.db"))
    return outbox.deliver(outbox.put(draft).reference, claimed=True)


def test_web_chat_conversations_are_told_through_trigger_intent(settings, tmp_path):
    seen = []
    notifier = ChatNotifier(settings, transport=httpx.MockTransport(
        lambda request: seen.append(request) or httpx.Response(200, json={})))
    entry = delivered_entry(settings, tmp_path, "socketio")
    assert notifier.ticket_created(entry) is True
    request = seen[0]
    assert request.url.raw_path.split(b"?")[0] == b"/conversations/web%201%2Fx/trigger_intent"
    assert request.url.params["output_channel"] == "latest" and request.url.params["token"] == settings.rasa_token()
    assert json.loads(request.content) == {"name": INTENT, "entities": {"reference": entry.reference}}


def test_teams_is_pushed_rest_is_not_and_failures_only_log(settings, tmp_path):
    seen = []
    notifier = ChatNotifier(settings, transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(500)))
    assert notifier.ticket_created(delivered_entry(settings, tmp_path, "rest")) is False
    assert seen == []                       # a REST user learns it with their next message
    assert notifier.ticket_created(delivered_entry(settings, tmp_path, "botframework")) is False  # Rasa said 500
    assert len(seen) == 1                   # Teams: a proactive message by the stored conversation reference
    assert notifier.ticket_created(delivered_entry(settings, tmp_path, "socketio")) is False  # Rasa said 500


def test_a_teams_id_reaches_rasa_unencoded(settings, tmp_path):
    """Rasa does not unquote the path: a Teams user id without an Azure AD object id ("29:...") must
    arrive as it is, or the push lands on another conversation."""
    seen = []
    notifier = ChatNotifier(settings, transport=httpx.MockTransport(
        lambda request: seen.append(request) or httpx.Response(200, json={})))
    draft = prepare(TicketRequest(idempotency_key="k-teams-id", requester={"id": "29:1a-B_c", "channel": "botframework"},
                                  language="nl", subject="VPN"), settings)
    outbox = Outbox(tmp_path / "outbox.db", SqliteTicketStore(tmp_path / "t.db"))
    assert notifier.ticket_created(outbox.deliver(outbox.put(draft).reference, claimed=True)) is True
    assert seen[0].url.raw_path.split(b"?")[0] == b"/conversations/29:1a-B_c/trigger_intent"
