"""What Rasa's chat channels keep in the service's database: Teams conversation references (for
proactive messages: an agent's reply, the ticket number after an outage) and the messages waiting for
a REST user's next call. Both survive a restart (a new app on the same data folder)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from helpdesk_service.app import create_app

REFERENCE = {"conversation": {"id": "a:jan-conversation", "conversationType": "personal"}, "user": "29:jan",
             "recipient": {"id": "28:bot", "name": "Helpdesk"}, "serviceUrl": "https://smba.trafficmanager.net/emea/"}


def service(settings) -> TestClient:
    client = TestClient(create_app(settings))
    client.headers["Authorization"] = f"Bearer {settings.api_token()}"
    return client


@pytest.fixture
def client(settings):
    return service(settings)


def test_a_teams_reference_is_kept_and_survives_a_restart(client, settings):
    assert client.get("/api/channels/teams/references", params={"sender_id": "aad-jan"}).status_code == 404
    saved = client.put("/api/channels/teams/references", json={"sender_id": "aad-jan", "reference": REFERENCE})
    assert saved.status_code == 204
    moved = {**REFERENCE, "serviceUrl": "https://smba.trafficmanager.net/amer/"}     # the user's latest activity wins
    client.put("/api/channels/teams/references", json={"sender_id": "aad-jan", "reference": moved})
    restarted = service(settings)
    assert restarted.get("/api/channels/teams/references", params={"sender_id": "aad-jan"}).json() == moved
    assert restarted.get("/api/channels/teams/references", params={"sender_id": "aad-piet"}).status_code == 404


@pytest.mark.parametrize("reference", [
    {**REFERENCE, "serviceUrl": "javascript:alert(1)"},
    {**REFERENCE, "conversation": {"name": "no id"}},
    {key: value for key, value in REFERENCE.items() if key != "user"},
])
def test_a_bad_teams_reference_is_refused(client, reference):
    response = client.put("/api/channels/teams/references", json={"sender_id": "aad-jan", "reference": reference})
    assert response.status_code == 422


def test_queued_messages_are_handed_out_oldest_first_once_and_only_to_their_user(client, settings):
    for text in ("ana from the helpdesk has joined the chat.", "<b>Restart Outlook</b>"):
        queued = client.post("/api/channels/rest/queue", json={"sender_id": "jan", "message": {
            "recipient_id": "jan", "text": text}})
        assert queued.status_code == 204
    client.post("/api/channels/rest/queue", json={"sender_id": "piet", "message": {"text": "for piet"}})
    restarted = service(settings)
    taken = restarted.post("/api/channels/rest/queue/take", json={"sender_id": "jan"}).json()
    assert [m["text"] for m in taken] == ["ana from the helpdesk has joined the chat.", "<b>Restart Outlook</b>"]
    assert restarted.post("/api/channels/rest/queue/take", json={"sender_id": "jan"}).json() == []
    assert restarted.post("/api/channels/rest/queue/take", json={"sender_id": "piet"}).json() == [{"text": "for piet"}]


def test_a_message_with_buttons_keeps_them(client):
    buttons = [{"title": str(n), "payload": str(n)} for n in range(1, 6)]
    client.post("/api/channels/rest/queue", json={"sender_id": "jan", "message": {
        "recipient_id": "jan", "text": "How satisfied are you?", "buttons": buttons}})
    assert client.post("/api/channels/rest/queue/take", json={"sender_id": "jan"}).json()[0]["buttons"] == buttons


def test_too_large_or_anonymous_calls_are_refused(client, settings):
    huge = client.post("/api/channels/rest/queue", json={"sender_id": "jan", "message": {"text": "x" * 30000}})
    assert huge.status_code == 422
    assert client.post("/api/channels/rest/queue/take", json={"sender_id": ""}).status_code == 422
    anonymous = TestClient(create_app(settings))
    for response in (anonymous.post("/api/channels/rest/queue/take", json={"sender_id": "jan"}),
                     anonymous.get("/api/channels/teams/references", params={"sender_id": "aad-jan"}),
                     anonymous.put("/api/channels/teams/references", json={"sender_id": "x", "reference": REFERENCE})):
        assert response.status_code == 401
