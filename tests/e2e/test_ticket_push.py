"""After an outage, the web chat is told the ticket number as soon as it exists, without the user
writing again: the outbox worker delivers, the service asks Rasa (trigger_intent), and Rasa's socket.io
channel pushes ``bot_uttered`` to the open chat. The chat is a plain socket.io client speaking the
protocol the page's socket.io client speaks (Engine.IO 4 over a websocket), so the test needs no browser.
"""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
import websockets

from escalation.intake import prepare
from escalation.outbox import Outbox
from escalation.tickets.model import TicketRequest

pytestmark = pytest.mark.e2e


class SocketIoChat:
    """The minimum of socket.io the web chat uses: connect, session_request, user_uttered, bot_uttered."""

    def __init__(self, settings, session: str, token: str) -> None:
        self.url = f"ws://{settings.rasa.host}:{settings.rasa.port}/socket.io/?EIO=4&transport=websocket"
        self.session = session      # the user id of the signed session: the conversation's sender
        self.token = token          # the signed session the helpdesk service issued (POST /api/chat/session)
        self.ws = None

    async def __aenter__(self):
        self.ws = await websockets.connect(self.url)
        assert (await self.ws.recv()).startswith("0")           # Engine.IO open
        await self.ws.send("40")                                 # Socket.IO connect
        assert (await self.event())[0] == "connected"
        await self.ws.send("42" + json.dumps(["session_request", {"session_id": self.session, "token": self.token}]))
        while (await self.event())[0] != "session_confirm":
            pass
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def event(self, timeout: float = 120) -> tuple[str, object]:
        while True:
            packet = await asyncio.wait_for(self.ws.recv(), timeout)
            if packet == "2":                                   # ping
                await self.ws.send("3")
            elif packet.startswith("40"):
                return "connected", None
            elif packet.startswith("42"):
                name, *args = json.loads(packet[2:])
                return name, (args[0] if args else None)

    async def say(self, text: str) -> None:
        await self.ws.send("42" + json.dumps(["user_uttered", {"message": text, "session_id": self.session}]))

    async def bot_text(self, pattern: str, timeout: float = 120) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            name, data = await self.event(max(1.0, deadline - loop.time()))
            if name == "bot_uttered" and re.search(pattern, (data or {}).get("text", "")):
                return data["text"]


def test_ticket_number_is_pushed_to_the_web_chat_once_the_outbox_delivers(stack):
    issued = httpx.post(f"{stack.helpdesk_url}/api/chat/session", timeout=30).json()   # as the chat page does
    session, token = issued["user_id"], issued["token"]
    api = {"token": stack.rasa_token()}

    async def conversation() -> str:
        async with SocketIoChat(stack, session, token) as chat:
            await chat.say("hello")
            await chat.bot_text(r".")
            draft = prepare(TicketRequest(idempotency_key=f"push-{session}",
                                          requester={"id": session, "channel": "socketio"}, language="en",
                                          subject="Printer jammed (escalated while the ticket system was down)"),
                            stack)
            # what the conversation holds after "... not reachable right now ... (reference R-...)"
            async with httpx.AsyncClient(timeout=30) as client:
                r = await client.post(f"{stack.rasa_url}/conversations/{session}/tracker/events", params=api,
                                      json={"event": "slot", "name": "ticket_id", "value": draft.reference})
                assert r.status_code == 200, r.text
            Outbox(stack.outbox_path, backend=None).put(draft, claim=False)   # the service's worker delivers it
            return await chat.bot_text(rf"your request {draft.reference} is now ticket #\d+")

    text = asyncio.run(conversation())
    assert re.search(r"will respond (today|tomorrow|on \S+) before \d\d:\d\d \(CES?T\)", text), text
    number = re.search(r"ticket #(\d+)", text).group(1)
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{session}/tracker", params=api, timeout=30).json()
    assert tracker["slots"]["ticket_id"] == number     # told once: the next message does not repeat it
