"""The web chat's socket.io channel: the user is who the signed session says, not who the client claims.

Rasa's own channel takes the ``session_id`` the browser sends as the sender id, so anyone who knows
or guesses another user's id can read and close their tickets. Here:
- ``session_request`` must carry ``{"token": ...}``, a session signed by the helpdesk service
  (``core.chat_session``, ``POST /api/chat/session``); the conversation (Rasa's sender id and
  socket.io room) is the token's user id, confirmed to the client with ``session_confirm``;
- ``user_uttered`` is processed only on a socket with a verified session; any ``session_id`` the
  client puts in it is ignored;
- a browser ``Origin`` other than the configured public URL(s) is refused at connect;
- messages are cut and rate limited (``bot/channels/guard.py``); socket.io frames are capped.
credentials.yml: ``bot.channels.socketio.SignedSocketIOInput`` with ``session_secret_file`` and
``allowed_origins`` (comma-separated), both set by the launcher.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.guard import MessageGuard, deliver, notice
from core.chat_session import InvalidSession, verify

log = logging.getLogger(__name__)
MAX_FRAME_BYTES = 256 * 1024


def _origins(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [item.strip().rstrip("/").lower() for item in items if item and item.strip()]


IDENTITY_KEYS = ("email", "name")      # metadata the actions take as the requester's identity

class SignedSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        channel = cls(credentials.get("user_message_evt", "user_uttered"),
                      credentials.get("bot_message_evt", "bot_uttered"),
                      credentials.get("namespace"), True, credentials.get("socketio_path", "/socket.io"))
        secret_file = credentials.get("session_secret_file")
        if not secret_file:
            raise ValueError("socketio channel: session_secret_file is not set")
        channel.secret = Path(secret_file).read_text(encoding="utf-8").strip()
        if len(channel.secret) < 16:
            raise ValueError(f"{secret_file} is empty or too short")
        channel.allowed_origins = _origins(credentials.get("allowed_origins"))
        channel.guard = MessageGuard()
        return channel

    def origin_allowed(self, environ: Dict) -> bool:
        origin = (environ.get("HTTP_ORIGIN") or "").strip().rstrip("/").lower()
        return not origin or origin in self.allowed_origins   # no Origin: not a browser

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], max_http_buffer_size=MAX_FRAME_BYTES)
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not self.origin_allowed(environ):
                log.warning("socket.io connection refused: origin %r", environ.get("HTTP_ORIGIN"))
                return False
            await sio.save_session(sid, {"address": environ.get("REMOTE_ADDR")}, namespace=self.namespace)
            return True

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            token = data.get("token") if isinstance(data, dict) else None
            try:
                session = verify(self.secret, token)
            except InvalidSession as exc:
                locale = data.get("locale") if isinstance(data, dict) else None
                await sio.emit("session_refused", {"reason": str(exc), "text": notice("session_invalid", locale)},
                               room=sid, namespace=self.namespace)
                return
            state = await sio.get_session(sid, namespace=self.namespace)
            state["user_id"] = session.user_id
            state["identity"] = session.identity()    # e-mail and name of an identified session, else {}
            await sio.save_session(sid, state, namespace=self.namespace)
            sio.enter_room(sid, session.user_id, namespace=self.namespace)
            await sio.emit("session_confirm", session.user_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            state = await sio.get_session(sid, namespace=self.namespace)
            user_id = state.get("user_id")
            metadata = data.get(self.metadata_key) if isinstance(data, dict) else None
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = None
            metadata = metadata if isinstance(metadata, dict) else {}
            # who the user is comes from the signed session, never from what the browser sends
            metadata = {k: v for k, v in metadata.items() if k not in IDENTITY_KEYS}
            metadata.update(state.get("identity") or {})
            if not user_id:
                await sio.emit(self.bot_message_evt, {"text": notice("session_invalid", metadata.get("locale"))},
                               room=sid, namespace=self.namespace)
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            checked = self.guard.check(data.get("message") if isinstance(data, dict) else None, user_id,
                                       state.get("address"), metadata)
            for text in checked.notices:
                await output.send_text_message(user_id, text)
            if not checked.allowed:
                return
            await deliver(on_new_message, UserMessage(checked.text, output, user_id, input_channel=self.name(),
                                                      metadata=metadata), metadata.get("locale"))

        return socketio_webhook
