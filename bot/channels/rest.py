"""Rasa's REST channel behind a bearer token, for integrations and tests (off by default).

The REST channel lets the caller choose the sender id, so it is only for trusted callers: it is
left out of Rasa's channels unless ``chat.rest_channel`` is on (the launcher writes the channels
file), and every call needs ``Authorization: Bearer <data_dir/rest_token>``; others get 401.
Messages are cut and rate limited like on the other channels (``bot/channels/guard.py``).
credentials.yml: ``bot.channels.rest.TokenRestInput: {token_file: ...}``.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import MessageGuard, deliver



class TokenRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        channel = cls()
        token_file = credentials.get("token_file")
        if not token_file:
            raise ValueError("rest channel: token_file is not set")
        channel.token = Path(token_file).read_text(encoding="utf-8").strip()
        if len(channel.token) < 16:
            raise ValueError(f"{token_file} is empty or too short")
        channel.guard = MessageGuard()
        return channel

    def authorized(self, request: Request) -> bool:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("custom_webhook_TokenRestInput", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorized(request):
                return response.json({"error": "missing or wrong token"}, status=401,
                                     headers={"WWW-Authenticate": "Bearer"})
            try:
                body = request.json
            except Exception:            # sanic raises InvalidUsage on bad JSON
                return response.json({"error": "the body is not valid JSON"}, status=400)
            if not isinstance(body, dict) or not isinstance(body.get("sender"), str) or not body["sender"].strip():
                return response.json({"error": "JSON body with `sender` and `message` expected"}, status=400)
            sender = body["sender"][:200]
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = CollectingOutputChannel()
            checked = self.guard.check(body.get("message"), sender, request.remote_addr or request.ip, metadata)
            for text in checked.notices:
                await collector.send_text_message(sender, text)
            if checked.allowed:
                await deliver(on_new_message, UserMessage(checked.text, collector, sender, input_channel=self.name(),
                                                          metadata=metadata), (metadata or {}).get("locale"))
            return response.json(collector.messages)

        return webhook
