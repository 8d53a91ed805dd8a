"""After an outage, the web chat is told the ticket number as soon as it exists, without the user
writing again: the outbox worker delivers, the service asks Rasa (trigger_intent), Rasa's socket.io
channel pushes the message to the open page (a real browser, as in test_webchat.py)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from escalation.intake import prepare
from escalation.outbox import Outbox
from escalation.tickets.model import TicketRequest
from tests.e2e.test_webchat import TIMEOUT, bot_message, browser, expect, open_chat, page, say, settle  # noqa: F401

pytestmark = pytest.mark.e2e


def test_ticket_number_is_pushed_to_the_web_chat_once_the_outbox_delivers(page, stack):  # noqa: F811
    open_chat(page, stack)
    bots = page.locator("#chat-log li.msg-bot").count()
    say(page, "hello")
    settle(page, bots)
    session = json.loads(page.evaluate("localStorage.getItem('helpdesk-chat:session')"))
    draft = prepare(TicketRequest(idempotency_key=f"push-{session}", requester={"id": session, "channel": "socketio"},
                                  language="en", subject="Printer jammed (escalated while the ticket system was down)"),
                    stack)
    # what the conversation holds after "the ticket system is not reachable ... reference R-..."
    events = httpx.post(f"{stack.rasa_url}/conversations/{session}/tracker/events",
                        params={"token": stack.rasa_token()},
                        json={"event": "slot", "name": "ticket_id", "value": draft.reference}, timeout=30)
    assert events.status_code == 200, events.text
    Outbox(stack.outbox_path, backend=None).put(draft, claim=False)   # the service's worker delivers it
    news = bot_message(page, f"your request {draft.reference} is now ticket #")
    number = re.search(r"ticket #(\d+)", news.inner_text()).group(1)
    expect(news).to_contain_text(re.compile(r"will respond (today|tomorrow|on \S+) before \d\d:\d\d \(CES?T\)"),
                                 timeout=TIMEOUT)
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{session}/tracker", params={"token": stack.rasa_token()},
                        timeout=30).json()
    assert tracker["slots"]["ticket_id"] == number     # told once: the next message does not repeat it
