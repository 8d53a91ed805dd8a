"""The ticket API over the embedded store, with a backend that can go down (FlakyBackend)."""

import time

import pytest
from fastapi.testclient import TestClient

from helpdesk_service.app import create_app
from escalation.intake import reference_for
from kb_index.importer import load_articles
from kb_index.index import build_index
from tests.conftest import write_article
from tests.escalation.fakes import FlakyBackend

DRAFT = {
    "idempotency_key": "conv-42", "requester": {"id": "jan", "channel": "rest", "email": "jan@example.com", "name": "Jan"},
    "language": "nl", "subject": "VPN werkt niet", "description": "mijn VPN verbindt niet",
    "category": "vpn", "paraphrase": "De VPN verbindt niet sinds vanmorgen", "facts": {"os": "Windows 11"},
    "skill_level": "novice",
    "transcript": [{"sender": "user", "text": "mijn wachtwoord is Geheim123, bel me op 0470 12 34 56"},
                   {"sender": "bot", "text": "Probeer dit artikel"}],
    "suggested_articles": [{"article_id": "vpn-cannot-connect", "outcome": "not_solved"}],
    "remote_control_consent": True, "remote_control_consent_at": "2026-03-02T09:12:00Z",
    "urgency": "high", "impact": "medium", "reason": "not_solved",
}


@pytest.fixture
def app_parts(settings, tmp_path, fake_embedder, monkeypatch):
    kb = tmp_path / "kb"
    kb.mkdir()
    write_article(kb, "printer", "en", "Printer stuck", tags="[printer]")
    build_index(load_articles(kb), fake_embedder, settings.path(settings.kb.index_dir))
    settings.kb.encoder = fake_embedder.name
    settings.tickets.retry_initial_seconds = 0.05
    settings.tickets.retry_max_seconds = 0.2
    settings.tickets.worker_poll_seconds = 0.05
    settings.privacy.mask_personal_data = True
    monkeypatch.setattr("kb_index.live.get_embedder", lambda name: fake_embedder)
    monkeypatch.setattr("helpdesk_service.container.get_embedder", lambda name: fake_embedder)
    backend = FlakyBackend(tmp_path / "tickets.db")
    app = create_app(settings, tickets=backend)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {settings.api_token()}"
        yield c, backend, app


@pytest.fixture
def client(app_parts):
    return app_parts[0]


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_ticket_holds_the_whole_context(client):
    r = client.post("/api/tickets", json=DRAFT)
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["delivery"] == "delivered" and t["id"] == "1" and t["reference"] == reference_for("conv-42")
    assert (t["priority"], t["queue"], t["category"], t["language"]) == ("P2", "network", "vpn", "nl")
    assert t["requester"] == DRAFT["requester"]
    assert t["paraphrase"] == DRAFT["paraphrase"] and t["facts"] == {"os": "Windows 11"} and t["skill_level"] == "novice"
    assert t["suggested_articles"][0] == {"article_id": "vpn-cannot-connect", "title": "", "outcome": "not_solved"}
    assert t["remote_control_consent"] is True and t["remote_control_consent_at"].startswith("2026-03-02T09:12")
    assert t["transcript"][0]["text"] == "mijn wachtwoord is [hidden] bel me op [hidden]"  # masked again on ingest
    assert t["response_due"] and t["resolution_due"] > t["response_due"] and t["problem"] is None
    got = client.get("/api/tickets/1").json()
    assert got["transcript"] == t["transcript"] and got["priority"] == "P2"
    assert client.get(f"/api/tickets/{t['reference']}").json()["id"] == "1"


def test_defaults_and_security_rule(client):
    plain = client.post("/api/tickets", json={"idempotency_key": "a", "requester": {"id": "u"}, "language": "en",
                                              "subject": "Printer jams", "category": "printer"}).json()
    assert (plain["priority"], plain["queue"]) == ("P3", "workplace")
    lost = client.post("/api/tickets", json={"idempotency_key": "b", "requester": {"id": "u"}, "language": "en",
                                             "subject": "Lost my laptop", "category": "lost_device",
                                             "urgency": "low", "impact": "low"}).json()
    assert (lost["priority"], lost["queue"]) == ("P2", "security")
    unknown = client.post("/api/tickets", json={"idempotency_key": "c", "requester": {"id": "u"}, "language": "en",
                                                "subject": "Something odd", "category": "weird"}).json()
    assert unknown["queue"] == "first-line"


def test_backend_down_gives_202_with_a_reference_then_the_worker_delivers_once(app_parts):
    client, backend, _ = app_parts
    backend.down = True
    r = client.post("/api/tickets", json=DRAFT)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["delivery"] == "outbox" and body["id"] is None and body["reference"] == reference_for("conv-42")
    assert body["priority"] == "P2" and body["requester"]["id"] == "jan"
    pending = client.get(f"/api/tickets/{body['reference']}").json()
    assert pending["delivery"] == "outbox" and pending["status"] == "new"
    assert client.post("/api/tickets", json=DRAFT).status_code == 202  # the bot retries: still one entry
    assert client.get("/api/outbox").json()["pending"] == 1
    assert client.get("/api/tickets/recent", params={"requester_id": "jan"}).json()[0]["id"] == body["reference"]
    backend.down = False
    assert wait_for(lambda: client.get("/api/outbox").json()["pending"] == 0)
    delivered = client.get(f"/api/tickets/{body['reference']}").json()
    assert delivered["delivery"] == "delivered" and delivered["id"] == "1"
    again = client.post("/api/tickets", json=DRAFT)
    assert again.status_code == 201 and again.json()["id"] == "1" and backend.count() == 1
    assert client.get("/api/outbox").json() | {"last_error": None} == {
        "backend": "flaky", "pending": 0, "delivered": 1, "dead": 0, "oldest_pending_at": None, "max_attempts": 0,
        "last_error": None}


def test_outbox_survives_a_restart(settings, app_parts, fake_embedder):
    client, backend, _ = app_parts
    backend.down = True
    ref = client.post("/api/tickets", json=DRAFT).json()["reference"]
    client.close()  # the service stops before the backend is back
    backend.down = False
    with TestClient(create_app(settings, tickets=backend)) as restarted:
        restarted.headers["Authorization"] = f"Bearer {settings.api_token()}"
        assert wait_for(lambda: restarted.get(f"/api/tickets/{ref}").json()["delivery"] == "delivered")
    assert backend.count() == 1


def test_list_filters_status_comment_and_requester_scope(client):
    for i, (cat, urgency) in enumerate([("vpn", "high"), ("printer", "low"), ("vpn", "low")]):
        client.post("/api/tickets", json={**DRAFT, "idempotency_key": f"k{i}", "category": cat, "urgency": urgency,
                                          "requester": {"id": "jan" if i < 2 else "piet"}})
    ids = lambda **p: [t["id"] for t in client.get("/api/tickets", params=p).json()]  # noqa: E731
    assert ids(category="vpn") == ["3", "1"] and ids(queue="workplace") == ["2"]
    assert ids(priority="P2") == ["1"] and ids(requester_id="jan", category="vpn") == ["1"]
    assert client.patch("/api/tickets/1", json={"status": "resolved"}).json()["status"] == "resolved"
    assert ids(status="active") == ["3", "2"] and ids(status="resolved") == ["1"]
    c = client.post("/api/tickets/2/comments", json={"text": "password: hunter2 and it still fails"})
    assert c.status_code == 201 and c.json()["comments"][-1]["text"] == "password: [hidden] and it still fails"
    assert client.get("/api/tickets/2", params={"requester_id": "piet"}).status_code == 404
    assert client.post("/api/tickets/2/comments", params={"requester_id": "piet"}, json={"text": "x"}).status_code == 404
    assert client.get("/api/tickets/2", params={"requester_id": "jan"}).status_code == 200


def test_recent_tickets_and_links_to_earlier_ones(client):
    first = client.post("/api/tickets", json={**DRAFT, "idempotency_key": "old", "category": "printer",
                                              "subject": "Printer prints blank pages"}).json()
    recent = client.get("/api/tickets/recent", params={"requester_id": "jan", "days": 7}).json()
    assert recent[0]["id"] == first["id"] and recent[0]["category"] == "printer" and recent[0]["created_at"]
    assert client.get("/api/tickets/recent", params={"requester_id": "nobody"}).json() == []
    second = client.post("/api/tickets", json={**DRAFT, "idempotency_key": "new", "related_to": [first["id"]]})
    assert second.status_code == 201 and second.json()["related_to"] == [first["id"]]
    third = client.post("/api/tickets", json={**DRAFT, "idempotency_key": "third"}).json()
    linked = client.patch(f"/api/tickets/{third['id']}", json={"related_to": [f"#{first['id']}"]})
    assert linked.status_code == 200 and linked.json()["related_to"] == [first["id"]]
    other = client.post("/api/tickets", json={**DRAFT, "idempotency_key": "x", "requester": {"id": "piet"}}).json()
    refused = client.post("/api/tickets", json={**DRAFT, "idempotency_key": "y", "related_to": [other["id"]]})
    assert refused.status_code == 422 and "another requester" in refused.json()["detail"]
    assert client.post("/api/tickets", json={**DRAFT, "idempotency_key": "z", "related_to": ["999"]}).status_code == 422


def test_known_problem_declared_by_an_agent(client):
    p = client.post("/api/problems", json={"category": "vpn", "title": "VPN outage",
                                           "messages": {"nl": "Er is een storing op de VPN.", "en": "VPN outage."}})
    assert p.status_code == 201
    problem = p.json()
    t = client.post("/api/tickets", json=DRAFT)
    assert t.status_code == 201
    linked = t.json()["problem"]
    assert linked["id"] == problem["id"] and linked["title"] == "VPN outage" and linked["status"] == "open"
    assert linked["message"] == "Er is een storing op de VPN." and linked["since"] == problem["since"]
    assert t.json()["problem_id"] == problem["id"] and t.json()["id"] == "1"  # still a ticket of its own
    assert client.get(f"/api/problems/{problem['id']}").json()["incident_count"] == 1
    assert client.get(f"/api/problems/{problem['id']}/incidents").json() == [t.json()["reference"]]
    assert [x["id"] for x in client.get("/api/problems", params={"status": "open"}).json()] == [problem["id"]]
    resolved = client.patch(f"/api/problems/{problem['id']}", json={"status": "resolved"}).json()
    assert resolved["status"] == "resolved"
    assert client.post("/api/tickets", json={**DRAFT, "idempotency_key": "after"}).json()["problem"] is None
    assert client.get("/api/problems/999").status_code == 404


def test_known_problem_detected_from_similar_tickets(client):
    for i, who in enumerate(["an", "bert", "chris"]):
        body = client.post("/api/tickets", json={**DRAFT, "idempotency_key": f"p{i}", "requester": {"id": who},
                                                 "subject": "VPN werkt niet", "description": "vpn verbindt niet"}).json()
    assert body["problem"] is not None and body["problem"]["category"] == "vpn"
    assert client.get("/api/problems").json()[0]["source"] == "detected"


def test_sla_routing_and_outbox_endpoints(client):
    sla = client.get("/api/sla").json()
    assert sla["matrix"]["medium"]["low"] == "P3" and sla["targets"]["P1"]["response_minutes"] == 15
    assert client.get("/api/routing").json()["categories"]["vpn"] == "network"
    assert client.post("/api/outbox/retry").json()["pending"] == 0


@pytest.mark.parametrize("method,path", [("get", "/api/sla"), ("get", "/api/outbox"), ("get", "/api/problems"),
                                         ("post", "/api/problems"), ("get", "/api/tickets/recent"),
                                         ("patch", "/api/problems/1"), ("post", "/api/outbox/retry")])
def test_new_endpoints_need_the_token(client, method, path):
    assert getattr(client, method)(path, headers={"Authorization": "Bearer wrong"}).status_code == 401


@pytest.mark.parametrize("body,field", [({**DRAFT, "urgency": "extreme"}, "urgency"),
                                        ({**DRAFT, "subject": "   "}, "subject"),
                                        ({**DRAFT, "suggested_articles": [{"outcome": "x"}]}, "suggested_articles"),
                                        ({**DRAFT, "remote_control_consent_at": "yesterday"}, "remote_control_consent_at")])
def test_invalid_bodies_name_the_field(client, body, field):
    r = client.post("/api/tickets", json=body)
    assert r.status_code == 422 and field in r.json()["detail"]


def test_updates_need_something_and_unknown_refs_404(client):
    client.post("/api/tickets", json=DRAFT)
    r = client.patch("/api/tickets/1", json={})
    assert r.status_code == 422 and "status and/or related_to" in r.json()["detail"]
    assert client.get("/api/tickets/R-0000000000").status_code == 404
    assert client.patch("/api/tickets/999", json={"status": "open"}).status_code == 404
    assert client.post("/api/tickets/999/comments", json={"text": "x"}).status_code == 404


def test_openapi_documents_the_ticket_api(client):
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/api/tickets"]["post"]
    assert post["summary"] and {"201", "202", "401", "422"} <= set(post["responses"])
    for path in ("/api/tickets/{ticket_id}", "/api/tickets/recent", "/api/problems", "/api/sla", "/api/outbox"):
        assert path in schema["paths"]
    assert "urgency" in schema["components"]["schemas"]["TicketRequest"]["properties"]


class RefusingBackend:
    name = "refusing"

    def create(self, draft):
        from escalation.errors import InvalidTicket

        raise InvalidTicket("no such queue")


def test_dead_letters_are_listed_by_the_api(client):
    from escalation.intake import prepare
    from escalation.outbox import Outbox
    from escalation.tickets.model import TicketRequest

    container = client.app.state.container
    refusing = Outbox(container.outbox.path, RefusingBackend())     # the same outbox file, a refusing backend
    entry = refusing.put(prepare(TicketRequest(idempotency_key="dead-1", requester={"id": "u"}, language="en",
                                               subject="Refused"), container.settings))
    refusing.deliver(entry.reference, claimed=True)
    dead = client.get("/api/outbox/dead").json()
    assert [d["reference"] for d in dead] == [entry.reference] and "no such queue" in dead[0]["last_error"]
    assert client.get("/api/outbox").json()["dead"] == 1
