"""Rasa's HTTP API as the handoff needs it: a bot message to the user on their channel, pause, resume.

``POST /conversations/{id}/tracker/events?output_channel=latest&execute_side_effects=true`` appends
the event and, for a bot event, sends it through the channel the user last wrote on (socket.io: the
room of the session). The API is protected by Rasa's token (``Settings.rasa_token()``).
"""

from __future__ import annotations

import logging

import httpx

from core.rasa_paths import conversation_path
from helpdesk_service.handoff.errors import DeliveryFailed

log = logging.getLogger(__name__)


class RasaClient:
    def __init__(self, base_url: str, token: str | None, timeout: float = 15.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.transport = transport

    def _events(self, conversation_id: str, event: dict | list[dict]) -> None:
        params = {"output_channel": "latest", "execute_side_effects": "true"}
        if self.token:
            params["token"] = self.token
        url = f"{self.base_url}{conversation_path(conversation_id)}/tracker/events"
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(url, params=params, json=event)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"Rasa cannot be reached: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            raise DeliveryFailed(f"Rasa refused the event {event}: HTTP {response.status_code}")

    def send(self, conversation_id: str, text: str, buttons: list[dict] | None = None) -> None:
        event: dict = {"event": "bot", "text": text}
        if buttons:
            event["data"] = {"buttons": buttons}
        self._events(conversation_id, event)

    def pause(self, conversation_id: str) -> None:
        self._events(conversation_id, {"event": "pause"})

    def resume(self, conversation_id: str) -> None:
        """Resume, and listen: the user's next message is then predicted on as after any bot turn
        (without it the rules see the action that paused the chat as the previous one)."""
        self._events(conversation_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])
