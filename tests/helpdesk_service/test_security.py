"""The helpdesk service's doors: every API route outside an explicit public list refuses a request
without the token; bodies, rates, origins and headers are limited; web chat sessions are signed."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from core.chat_session import issue, verify
from helpdesk_service.app import create_app

# the routes anyone may call, and why
PUBLIC = {
    ("get", "/health"),                       # liveness, no data
    ("get", "/chat"),                         # the web chat page
    ("post", "/api/chat/session"),            # issues an anonymous signed chat session
    ("get", "/kb/{article_id}"),              # KB article pages, linked from the chat
    ("get", "/api/kb/articles/{article_id}"), # the same article as JSON
    ("get", "/api/kb/search"), ("post", "/api/kb/search"),  # KB search (public knowledge)
    ("post", "/console/api/login"),           # staff sign-in (username and password); /console/api/* else need
                                              # the staff session (helpdesk_service/auth.py), also 401 without
}
DRAFT = {"idempotency_key": "k-1", "requester": {"id": "u1"}, "language": "en", "subject": "Printer",
         "transcript": [{"sender": "user", "text": "printer broken"}]}


@pytest.fixture
def app(settings):
    settings.limits.tickets_per_hour = 3
    return create_app(settings)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_outside_the_public_list_refuses_a_request_without_a_token(app, client, settings):
    routes = [(method, path) for path, item in app.openapi()["paths"].items() for method in item]
    assert len(routes) > 15
    refused = []
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer wrong-token-0123456789"},
                        {"Authorization": settings.api_token()}):     # without the scheme
            response = client.request(method.upper(), _concrete(path), headers=headers, json={})
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["detail"]
        refused.append(path)
    assert "/api/tickets" in refused and "/api/complaints" in refused and "/api/gdpr/users/{user_id}" in refused
    assert PUBLIC <= set(routes)                                     # the list names real routes
    for method, path in PUBLIC:                                      # and they are public indeed
        response = client.request(method.upper(), _concrete(path), params={"q": "printer"}, json={"query": "printer"})
        assert response.status_code != 401, (method, path)


def test_bodies_over_the_limit_get_413_before_parsing(client, settings):
    big = b'{"x": "' + b"a" * (settings.limits.max_body_bytes + 10) + b'"}'
    auth = {"Authorization": f"Bearer {settings.api_token()}", "Content-Type": "application/json"}
    response = client.post("/api/tickets", content=big, headers=auth)
    assert response.status_code == 413 and "larger than" in response.json()["detail"]

    def chunks():                                       # streamed, without Content-Length
        for _ in range(settings.limits.max_body_bytes // 1000 + 2):
            yield b"a" * 1000

    response = client.post("/api/tickets", content=chunks(), headers=auth)
    assert response.status_code == 413


def test_security_headers_on_every_answer(client):
    for path in ["/health", "/api/tickets", "/chat", "/nope"]:
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors" in headers["content-security-policy"]


def test_cors_only_for_the_public_url(client, settings):
    public = settings.service.public_url.rstrip("/")
    ok = client.options("/api/kb/search", headers={"Origin": public, "Access-Control-Request-Method": "GET"})
    assert ok.headers.get("access-control-allow-origin") == public
    evil = client.options("/api/kb/search", headers={"Origin": "http://evil.example",
                                                     "Access-Control-Request-Method": "GET"})
    assert evil.headers.get("access-control-allow-origin") is None


def test_ticket_creation_is_rate_limited_per_requester_with_429_and_retries_pass(client, settings):
    auth = {"Authorization": f"Bearer {settings.api_token()}"}
    for i in range(3):
        assert client.post("/api/tickets", json={**DRAFT, "idempotency_key": f"k-{i}"}, headers=auth).status_code == 201
    refused = client.post("/api/tickets", json={**DRAFT, "idempotency_key": "k-new"}, headers=auth)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "too many tickets" in refused.json()["detail"]
    # a retry of an accepted escalation is never refused: nothing accepted is lost
    assert client.post("/api/tickets", json={**DRAFT, "idempotency_key": "k-0"}, headers=auth).status_code == 201
    other = {**DRAFT, "idempotency_key": "k-other", "requester": {"id": "u2"}}
    assert client.post("/api/tickets", json=other, headers=auth).status_code == 201


def test_chat_sessions_are_signed_renewed_and_refused_to_other_origins(client, settings):
    first = client.post("/api/chat/session").json()
    secret = settings.chat_session_secret()
    assert verify(secret, first["token"]).user_id == first["user_id"]
    renewed = client.post("/api/chat/session", json={"token": first["token"]}).json()
    assert renewed["user_id"] == first["user_id"]
    forged = issue("x" * 32, first["user_id"]).token                  # not signed by the service
    assert client.post("/api/chat/session", json={"token": forged}).json()["user_id"] != first["user_id"]
    other = client.post("/api/chat/session", headers={"Origin": "http://evil.example"})
    assert other.status_code == 403 and other.json()["detail"]
    same = client.post("/api/chat/session", headers={"Origin": settings.service.public_url})
    assert same.status_code == 200


def test_identified_sessions_are_issued_to_the_api_token_only_and_renewed_with_their_identity(client, settings):
    body = {"email": "an.peeters@example.org", "name": "An <b>Peeters</b>"}
    assert client.post("/api/chat/session/identified", json=body).status_code == 401
    client.headers["Authorization"] = f"Bearer {settings.api_token()}"         # the site's server
    issued = client.post("/api/chat/session/identified", json=body)
    assert issued.status_code == 200, issued.text
    session = issued.json()
    assert session["chat_url"] == f"{settings.service.public_url}/chat#session={session['token']}"
    renewed = client.post("/api/chat/session", json={"token": session["token"]}).json()
    assert renewed["user_id"] == session["user_id"]
    assert verify(settings.chat_session_secret(), renewed["token"]).identity() == body
    assert client.post("/api/chat/session/identified", json={"email": "not an address"}).status_code == 422


def test_api_token_file_that_is_empty_is_refused(settings):
    settings.data_path.mkdir(parents=True, exist_ok=True)
    (settings.data_path / "api_token").write_text("")
    with pytest.raises(ValueError, match="empty or shorter"):
        create_app(settings)
