"""An RT outage during escalation loses nothing: 202 + reference, then exactly one ticket in RT."""

import time
import uuid

import pytest
from fastapi.testclient import TestClient

from helpdesk_service.app import create_app
from escalation.tickets.rt import RtTicketBackend


@pytest.fixture
def rt_app(settings, rt_server, fake_embedder, monkeypatch):
    settings.tickets.backend = "rt"
    settings.rt.url = rt_server.url
    settings.rt.password = rt_server.password
    settings.rt_agent.bot_password_file = rt_server.helpdesk_settings.path(
        rt_server.helpdesk_settings.data_path / "rt_bot_password")
    settings.tickets.retry_initial_seconds = 0.5
    settings.tickets.retry_max_seconds = 2
    settings.tickets.worker_poll_seconds = 0.2
    monkeypatch.setattr("helpdesk_service.container.get_embedder", lambda name: fake_embedder)
    monkeypatch.setattr("kb_index.live.get_embedder", lambda name: fake_embedder)
    app = create_app(settings)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {settings.api_token()}"
        yield client


def test_rt_down_during_escalation_then_delivered_exactly_once(rt_app, rt_server, settings):
    requester = f"outage-{uuid.uuid4().hex[:8]}"
    draft = {"idempotency_key": uuid.uuid4().hex, "requester": {"id": requester, "channel": "rest"},
             "language": "fr", "subject": "Imprimante bloquée", "category": "printer",
             "transcript": [{"sender": "user", "text": "mon mot de passe est azerty"}]}
    up = rt_app.post("/api/tickets", json={**draft, "idempotency_key": uuid.uuid4().hex})
    assert up.status_code == 201 and up.json()["delivery"] == "delivered"

    rt_server.stop()  # the outage
    try:
        down = rt_app.post("/api/tickets", json=draft)
        assert down.status_code == 202, down.text
        body = down.json()
        assert body["delivery"] == "outbox" and body["id"] is None and body["reference"].startswith("R-")
        assert rt_app.post("/api/tickets", json=draft).status_code == 202  # the bot retries meanwhile
        time.sleep(1.5)  # the worker retries (and fails) a few times
        status = rt_app.get("/api/outbox").json()
        assert status["pending"] == 1 and status["max_attempts"] >= 2 and status["last_error"]
        assert rt_app.get(f"/api/tickets/{body['reference']}").json()["delivery"] == "outbox"
    finally:
        rt_server.start()

    deadline = time.monotonic() + 60
    while rt_app.get("/api/outbox").json()["pending"] and time.monotonic() < deadline:
        time.sleep(0.5)
    delivered = rt_app.get(f"/api/tickets/{body['reference']}").json()
    assert delivered["delivery"] == "delivered" and delivered["id"].isdigit()
    assert delivered["transcript"][0]["text"] == "mon mot de passe est [hidden]"
    assert rt_app.post("/api/tickets", json=draft).json()["id"] == delivered["id"]

    rt = RtTicketBackend(rt_server.settings(), settings.default_language)
    try:
        found = rt.request("GET", "/tickets", params={
            "query": f"'CF.{{Idempotency key}}' = '{draft['idempotency_key']}'"})
        assert found["total"] == 1  # exactly once
        assert [t.id for t in rt.list(requester_id=requester)] == [delivered["id"], up.json()["id"]]
    finally:
        rt.close()
