"""Fixtures of the action tests: the domain as Rasa sends it to the action server (read from
bot/domain), and the real helpdesk service app, in-process (httpx's ASGI transport), behind the
real HTTP client, on a small real KB index built for the test."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from bot.actions import runtime
from bot.actions.helpdesk_client import HelpdeskClient
from core.settings import load_settings
from helpdesk_service.app import create_app
from kb_index.importer import load_articles
from kb_index.index import build_index
from tests.conftest import write_article

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


# the article the test KB holds unless a test sets ``helpdesk.hits`` to other articles
HIT = {"article_id": "vpn-cannot-connect", "lang": "nl", "title": "VPN werkt niet",
       "summary": "Wat je zelf kunt doen.", "category": "vpn", "steps": ["Herstart", "Controleer"]}


class Recorder(httpx.AsyncBaseTransport):
    """Records every request to the service and can play an unreachable service (``down``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused")
        return await self.inner.handle_async_request(request)


class ServiceHarness:
    """The helpdesk service for one test: its requests, its tickets, and its KB."""

    def __init__(self, tmp_path: Path, embedder) -> None:
        self.kb_dir = tmp_path / "kb"
        self.settings = load_settings(
            data_dir=tmp_path / "data",
            kb={"articles_dir": self.kb_dir, "index_dir": tmp_path / "kb_index", "encoder": "fake-bow",
                "min_score": 0.05},
            tickets={"backend": "sqlite", "sqlite_path": tmp_path / "data" / "tickets.db"},
            problems={"min_similar": 100000})
        self.embedder = embedder
        self.hits = [HIT]
        self.app = create_app(self.settings)
        self.transport = Recorder(httpx.ASGITransport(app=self.app))
        self.client = HelpdeskClient("http://helpdesk", self.settings.api_token(), transport=self.transport)

    @property
    def hits(self) -> list[dict]:
        return self._hits

    @hits.setter
    def hits(self, articles: list[dict]) -> None:
        """Rebuild the KB with these articles (each written in its ``lang``)."""
        self._hits = articles
        self.kb_dir.mkdir(parents=True, exist_ok=True)
        for old in self.kb_dir.glob("*.md"):
            old.unlink()
        for a in articles:
            write_article(self.kb_dir, a["article_id"], a["lang"], a["title"], steps=a["steps"],
                          category=a["category"])
        build_index(load_articles(self.kb_dir), self.embedder, self.settings.path(self.settings.kb.index_dir))

    @property
    def requests(self) -> list[httpx.Request]:
        return self.transport.requests

    @property
    def down(self) -> bool:
        return self.transport.down

    @down.setter
    def down(self, value: bool) -> None:
        self.transport.down = value

    @property
    def container(self):
        return self.app.state.container

    @property
    def tickets(self) -> dict[str, dict]:
        """The tickets in the service's ticket store, by idempotency key, oldest first."""
        stored = sorted(self.container.tickets.list(limit=500), key=lambda t: int(t.id))
        return {t.idempotency_key: t.model_dump(mode="json") for t in stored}


@pytest.fixture
def helpdesk(monkeypatch, tmp_path, fake_embedder):
    for where in ("kb_index.live.get_embedder", "helpdesk_service.container.get_embedder"):
        monkeypatch.setattr(where, lambda name: fake_embedder)
    harness = ServiceHarness(tmp_path, fake_embedder)
    monkeypatch.setattr(runtime, "helpdesk", lambda: harness.client)
    monkeypatch.setattr(runtime, "settings", lambda: harness.settings)
    runtime.outbox.cache_clear()
    yield harness
    runtime.outbox.cache_clear()
