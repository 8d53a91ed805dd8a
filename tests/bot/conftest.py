"""Fixtures of the action tests: the domain as Rasa sends it to the action server (read from
bot/domain), and a fake helpdesk service behind the real HTTP client (httpx.MockTransport)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from bot.actions import runtime
from bot.actions.helpdesk_client import HelpdeskClient

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "bot" / "domain"


def load_domain() -> dict:
    domain: dict = {"responses": {}, "slots": {}, "forms": {}}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in ("responses", "slots", "forms"):
            domain[key].update(data.get(key) or {})
    return domain


@pytest.fixture(scope="session")
def domain() -> dict:
    return load_domain()


HIT = {"article_id": "vpn-cannot-connect", "lang": "nl", "score": 0.8, "title": "VPN maakt geen verbinding",
       "summary": "Wat je zelf kunt doen.", "category": "vpn", "steps": ["Herstart", "Controleer"],
       "fallback_language": False, "available_languages": ["en", "fr", "nl"], "url": "http://x/kb/vpn?lang=nl"}


class FakeHelpdesk:
    def __init__(self, hits=None, down=False):
        self.hits = [HIT] if hits is None else hits
        self.down = down
        self.requests: list[httpx.Request] = []
        self.tickets: dict[str, dict] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("down")
        if request.url.path == "/api/kb/search":
            return httpx.Response(200, json={"hits": self.hits})
        if request.url.path == "/api/tickets" and request.method == "POST":
            draft = json.loads(request.content)
            ticket = {**draft, "id": str(len(self.tickets) + 1), "status": "new"}
            self.tickets.setdefault(draft["idempotency_key"], ticket)
            return httpx.Response(201, json=self.tickets[draft["idempotency_key"]])
        if request.url.path == "/api/tickets/recent":
            mine = [t for t in self.tickets.values() if t["requester"]["id"] == request.url.params["requester_id"]]
            return httpx.Response(200, json=list(reversed(mine)))
        if request.url.path.startswith("/api/tickets/"):
            parts = request.url.path.split("/")
            for t in self.tickets.values():
                if t["id"] == parts[3] and t["requester"]["id"] == request.url.params.get("requester_id"):
                    if request.method == "PATCH":
                        t["status"] = json.loads(request.content)["status"]
                    if parts[-1] == "comments":
                        t.setdefault("comments", []).append(json.loads(request.content)["text"])
                    return httpx.Response(200, json=t)
            return httpx.Response(404, json={"detail": "not found"})
        if request.url.path in ("/api/outcomes", "/api/complaints", "/api/review/unclear"):
            return httpx.Response(204)
        return httpx.Response(404, json={"detail": "no route"})


@pytest.fixture
def helpdesk(monkeypatch, tmp_path):
    fake = FakeHelpdesk()
    client = HelpdeskClient("http://helpdesk", "t" * 20, tmp_path / "outbox", transport=httpx.MockTransport(fake.handler))
    monkeypatch.setattr(runtime, "helpdesk", lambda: client)
    fake.client = client
    return fake
