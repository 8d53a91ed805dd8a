"""The helpdesk service as Rasa's chat channels reach it: what they keep in the service's database
(``helpdesk_service/routes/channels.py``): Teams conversation references and the messages waiting for
REST users. Loaded in Rasa's environment; the URL and the service's API token come from the
environment the launcher (or a deployment) sets: ``HELPDESK_SERVICE_URL``, ``HELPDESK_SERVICE_TOKEN``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Dict, List, Optional, Text

import aiohttp

TIMEOUT_SECONDS = 10


class ServiceUnavailable(Exception):
    """The service could not be reached or refused the call."""


class ServiceApi:
    def __init__(self, base_url: Optional[Text], token: Optional[Text]) -> None:
        self.base_url = (base_url or "").rstrip("/")
        self.token = token or ""
        self._session: Optional[aiohttp.ClientSession] = None
        self._session_loop: Optional[asyncio.AbstractEventLoop] = None

    def _http(self) -> aiohttp.ClientSession:
        """One session (and its kept-alive connections) per event loop, not one per call: the REST
        channel calls the service for every message."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
            self._session_loop = loop
        return self._session

    @classmethod
    def from_environment(cls) -> "ServiceApi":
        return cls(os.environ.get("HELPDESK_SERVICE_URL"), os.environ.get("HELPDESK_SERVICE_TOKEN"))

    async def _call(self, method: Text, path: Text, **kwargs: Any) -> Any:
        """The JSON answer; None for 404 (nothing kept) and 204."""
        if not self.base_url or not self.token:
            raise ServiceUnavailable("HELPDESK_SERVICE_URL or HELPDESK_SERVICE_TOKEN is not set")
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with self._http().request(method, self.base_url + path, headers=headers, **kwargs) as response:
                if response.status == 404 or response.status == 204:
                    return None
                if response.status >= 400:
                    raise ServiceUnavailable(f"{method} {path}: HTTP {response.status}: "
                                             f"{(await response.text())[:200]}")
                return await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise ServiceUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc

    async def save_reference(self, sender_id: Text, reference: Dict[Text, Any]) -> None:
        await self._call("PUT", "/api/channels/teams/references", json={"sender_id": sender_id, "reference": reference})

    async def reference(self, sender_id: Text) -> Optional[Dict[Text, Any]]:
        return await self._call("GET", "/api/channels/teams/references", params={"sender_id": sender_id})

    async def queue(self, sender_id: Text, message: Dict[Text, Any]) -> None:
        await self._call("POST", "/api/channels/rest/queue", json={"sender_id": sender_id, "message": message})

    async def take_queued(self, sender_id: Text) -> List[Dict[Text, Any]]:
        return await self._call("POST", "/api/channels/rest/queue/take", json={"sender_id": sender_id}) or []
