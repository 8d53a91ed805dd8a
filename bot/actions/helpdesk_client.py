"""HTTP client of the helpdesk service; transport errors become :mod:`bot.actions.errors`.

An escalation the service cannot take (unreachable) is put in the service's outbox by the caller
(:func:`bot.actions.escalation.create_ticket`); this client keeps nothing itself.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote
from typing import Any

import httpx

from bot.actions.errors import HelpdeskRejected, HelpdeskUnavailable, NotFound

log = logging.getLogger(__name__)


class HelpdeskClient:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def _http(self) -> httpx.AsyncClient:
        """One client (and its kept-alive connections) per event loop: building a client per call
        cost the action server 44 % of its CPU (an SSL context each time, docs/performance.md)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop or self._client.is_closed:
            self._client = httpx.AsyncClient(base_url=self.base_url, headers=self._headers, timeout=self._timeout,
                                             transport=self._transport)
            self._client_loop = loop
        return self._client

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http().request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise HelpdeskUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc
        if response.status_code == 404:
            raise NotFound(response.json().get("detail", "not found"))
        if response.status_code >= 500:
            raise HelpdeskUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise HelpdeskRejected(f"{method} {path}: HTTP {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    async def search_kb(self, query: str, lang: str | None, exclude: list[str] | None = None,
                        top_k: int | None = None, category: str | None = None) -> list[dict]:
        body = {"query": query, "lang": lang, "exclude": exclude or [], "top_k": top_k, "category": category}
        return (await self._request("POST", "/api/kb/search", json=body))["hits"]

    async def get_article(self, article_id: str, lang: str | None) -> dict:
        path = f"/api/kb/articles/{quote(article_id, safe='')}"
        return await self._request("GET", path, params={"lang": lang} if lang else None)

    async def create_ticket(self, draft: dict) -> dict:
        """Create the ticket (idempotent on the draft's key); HelpdeskUnavailable when unreachable."""
        return await self._request("POST", "/api/tickets", json=draft)

    async def get_ticket(self, ticket_id: str, requester_id: str) -> dict:
        """One ticket of this requester (404 / NotFound for someone else's)."""
        return await self._request("GET", f"/api/tickets/{quote(ticket_id, safe='')}",
                                   params={"requester_id": requester_id})

    async def recent_tickets(self, requester_id: str, days: int = 30, limit: int = 5) -> list[dict]:
        return await self._request("GET", "/api/tickets/recent",
                                   params={"requester_id": requester_id, "days": days, "limit": limit})

    async def add_comment(self, ticket_id: str, requester_id: str, text: str) -> dict:
        return await self._request("POST", f"/api/tickets/{quote(ticket_id, safe='')}/comments",
                                   params={"requester_id": requester_id}, json={"text": text, "sender": "user"})

    async def set_status(self, ticket_id: str, requester_id: str, status: str, reason: str | None = None) -> dict:
        body = {"status": status, **({"reason": reason} if reason else {})}
        return await self._request("PATCH", f"/api/tickets/{quote(ticket_id, safe='')}",
                                   params={"requester_id": requester_id}, json=body)

    async def record_outcome(self, conversation_id: str, article_id: str, language: str, outcome: str) -> None:
        await self._request("POST", "/api/outcomes", json={
            "conversation_id": conversation_id, "article_id": article_id, "language": language, "outcome": outcome})

    async def record_complaint(self, complaint: dict) -> dict:
        """Keep a complaint for the service desk's follow-up (POST /api/complaints)."""
        return await self._request("POST", "/api/complaints", json=complaint)

    async def request_handoff(self, body: dict) -> dict:
        """Ask for a live agent after the ticket is made (POST /api/handoffs): ``{"status": "waiting"}``
        or ``{"status": "unavailable", "reason": ...}``."""
        return await self._request("POST", "/api/handoffs", json=body)

    async def record_unclear(self, message: dict) -> dict:
        """Keep a message the NLU did not understand for the KB editors (POST /api/review/unclear).

        ``message``: text (already masked), language, sender_id, top_intents [{intent, confidence}],
        issue, at (ISO time). The caller must not let a failure here break the conversation."""
        return await self._request("POST", "/api/review/unclear", json=message)
