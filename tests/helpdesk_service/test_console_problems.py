"""Known problems in the agent console: an agent lists detected problems, confirms and words one (users
are told from then on), resolves it; other roles and requests without the CSRF header are refused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpdesk_service.app import create_app

PASSWORD = "a long enough password 1"
DRAFT = {"language": "nl", "category": "vpn", "subject": "VPN werkt niet", "description": "vpn verbindt niet",
         "transcript": [{"sender": "user", "text": "vpn verbindt niet"}]}


def staff(app, user: str) -> TestClient:
    client = TestClient(app)
    assert client.post("/console/api/login", json={"username": user, "password": PASSWORD}).status_code == 200
    page = client.get("/console" if user == "bob" else "/editor")           # the page of the account's role
    client.headers["X-CSRF-Token"] = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    return client


def test_an_agent_confirms_words_and_resolves_a_detected_problem(settings, fake_embedder, monkeypatch):
    monkeypatch.setattr("helpdesk_service.container.get_embedder", lambda name: fake_embedder)
    app = create_app(settings)
    c = app.state.container
    c.accounts.create("bob", "agent", PASSWORD)
    c.accounts.create("eve", "editor", PASSWORD)
    bot = TestClient(app, headers={"Authorization": f"Bearer {settings.api_token()}"})
    for i, who in enumerate(["an", "bert", "chris"]):
        assert bot.post("/api/tickets", json={**DRAFT, "idempotency_key": f"p{i}", "requester": {"id": who}}).status_code == 201
    agent = staff(app, "bob")
    [detected] = agent.get("/console/api/problems").json()
    assert detected["source"] == "detected" and not detected["confirmed"]

    assert staff(app, "eve").patch(f"/console/api/problems/{detected['id']}", json={"confirmed": True}).status_code == 403
    without_csrf = TestClient(app, cookies=agent.cookies)
    assert without_csrf.patch(f"/console/api/problems/{detected['id']}", json={"confirmed": True}).status_code == 403

    words = {"nl": "De VPN is gestoord; we werken eraan.", "fr": "Le VPN est en panne ; nous y travaillons.",
             "en": "The VPN is down; we are working on it."}
    confirmed = agent.patch(f"/console/api/problems/{detected['id']}", json={"confirmed": True, "messages": words})
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    told = bot.post("/api/tickets", json={**DRAFT, "idempotency_key": "p9", "requester": {"id": "dirk"}}).json()
    assert told["problem"]["message"] == words["nl"]                 # users are told from now on, in their language

    assert agent.patch(f"/console/api/problems/{detected['id']}", json={"status": "resolved"}).json()["status"] == "resolved"
    assert agent.get("/console/api/problems").json() == []
    assert agent.get("/console/api/problems?status=resolved").json()[0]["id"] == detected["id"]
    assert agent.patch("/console/api/problems/999", json={"confirmed": True}).status_code == 404
    assert TestClient(app).get("/console/api/problems").status_code == 401
