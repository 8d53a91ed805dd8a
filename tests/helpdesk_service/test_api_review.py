"""POST / GET /api/review/unclear: messages the NLU did not understand, for the KB editors."""

import pytest
from fastapi.testclient import TestClient

from helpdesk_service.app import create_app
from escalation.review import UnclearMessage, unclear_store


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {settings.api_token()}"
        yield c


MESSAGE = {"text": "euh het ding doet raar", "language": "nl", "sender_id": "u1",
           "top_intents": [{"intent": "vpn_problem", "confidence": 0.31}, {"intent": "network_problem", "confidence": 0.2}],
           "at": "2024-05-06T10:00:00+00:00"}


def test_record_and_list_newest_first(client):
    first = client.post("/api/review/unclear", json=MESSAGE)
    assert first.status_code == 201
    assert first.json()["id"] and first.json()["top_intents"][0] == {"intent": "vpn_problem", "confidence": 0.31}
    client.post("/api/review/unclear", json={**MESSAGE, "text": "second", "language": "fr", "issue": "unsupported_language"})
    listed = client.get("/api/review/unclear").json()
    assert [m["text"] for m in listed] == ["second", "euh het ding doet raar"]
    assert listed[1]["sender_id"] == "u1" and listed[1]["at"].startswith("2024-05-06T10:00")
    assert listed[0]["issue"] == "unsupported_language"
    assert [m["text"] for m in client.get("/api/review/unclear", params={"limit": 1}).json()] == ["second"]


def test_text_is_masked_again_by_the_service(client):
    client.post("/api/review/unclear", json={**MESSAGE, "text": "password: Hunter2!! and mail me at a.b@example.com"})
    text = client.get("/api/review/unclear").json()[0]["text"]
    assert "Hunter2" not in text and "a.b@example.com" not in text


def test_token_is_required(client):
    assert client.post("/api/review/unclear", json=MESSAGE, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/review/unclear", headers={"Authorization": ""}).status_code == 401


@pytest.mark.parametrize("body", [{**MESSAGE, "sender_id": ""}, {**MESSAGE, "top_intents": [{"intent": "x", "confidence": 2}]},
                                  {"text": "no sender"}])
def test_invalid_records_are_422(client, body):
    assert client.post("/api/review/unclear", json=body).status_code == 422


def test_limit_is_bounded(client):
    assert client.get("/api/review/unclear", params={"limit": 0}).status_code == 422
    assert client.get("/api/review/unclear", params={"limit": 501}).status_code == 422


def test_store_survives_a_restart(tmp_path):
    unclear_store(tmp_path / "review.db").record(UnclearMessage(text="hm", sender_id="u2"))
    [again] = unclear_store(tmp_path / "review.db").latest()
    assert again.text == "hm" and again.at is not None and again.top_intents == []
