"""POST / GET /api/complaints: complaints told to the bot, for the service desk's follow-up."""

import pytest
from fastapi.testclient import TestClient

from helpdesk_service.app import create_app

COMPLAINT = {"text": "three days waiting and nobody calls back", "language": "en", "sender_id": "u1",
             "category": "vpn", "ticket_id": None}


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {settings.api_token()}"
        yield c


def test_record_and_list_newest_first_with_secrets_masked(client):
    assert client.post("/api/complaints", json=COMPLAINT).status_code == 201
    client.post("/api/complaints", json={**COMPLAINT, "text": "my password is Hunter2 and still nothing"})
    listed = client.get("/api/complaints").json()
    assert "Hunter2" not in listed[0]["text"] and listed[1]["text"] == COMPLAINT["text"]
    assert listed[1]["category"] == "vpn" and listed[1]["received_at"]
    assert len(client.get("/api/complaints", params={"limit": 1}).json()) == 1


def test_empty_complaint_unknown_fields_and_missing_token(client):
    assert client.post("/api/complaints", json={**COMPLAINT, "text": ""}).status_code == 422
    assert client.get("/api/complaints", params={"limit": 0}).status_code == 422
    del client.headers["Authorization"]
    assert client.get("/api/complaints").status_code == 401
