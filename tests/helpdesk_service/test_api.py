import pytest
from fastapi.testclient import TestClient

from helpdesk_service.app import create_app
from kb_index.importer import load_articles
from kb_index.index import build_index
from tests.conftest import write_article

DRAFT = {"idempotency_key": "conv-1", "requester": {"id": "u1"}, "language": "fr", "subject": "Imprimante",
         "transcript": [{"sender": "user", "text": "<script>alert(1)</script>"}]}


@pytest.fixture
def client(settings, tmp_path, fake_embedder, monkeypatch):
    kb = tmp_path / "kb"
    kb.mkdir()
    write_article(kb, "printer", "fr", "Imprimante bloquée", tags="[imprimante]")
    write_article(kb, "printer", "en", "Printer stuck", tags="[printer]")
    build_index(load_articles(kb), fake_embedder, settings.path(settings.kb.index_dir))
    settings.kb.encoder = fake_embedder.name
    monkeypatch.setattr("kb_index.live.get_embedder", lambda name: fake_embedder)
    app = create_app(settings)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {settings.api_token()}"
        yield c


def test_health(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["kb_articles"] == 2


def test_ticket_lifecycle(client):
    created = client.post("/api/tickets", json=DRAFT)
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    assert client.post("/api/tickets", json=DRAFT).json()["id"] == ticket_id
    got = client.get(f"/api/tickets/{ticket_id}").json()
    assert got["transcript"][0]["text"] == "<script>alert(1)</script>"  # stored verbatim, escaped where shown
    assert client.patch(f"/api/tickets/{ticket_id}", json={"status": "open"}).json()["status"] == "open"
    assert client.post(f"/api/tickets/{ticket_id}/comments", json={"text": "more info"}).status_code == 201
    assert [t["id"] for t in client.get("/api/tickets", params={"requester_id": "u1"}).json()] == [ticket_id]


def test_wrong_token_is_401(client):
    assert client.get("/api/tickets", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/tickets", headers={"Authorization": ""}).status_code == 401


def test_unknown_ticket_is_404(client):
    assert client.get("/api/tickets/424242").status_code == 404
    assert client.patch("/api/tickets/nope", json={"status": "open"}).status_code == 404


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00binary", b""])
def test_invalid_bodies_get_a_clear_422(client, content):
    response = client.post("/api/tickets", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert "body" in response.json()["detail"] or response.json()["detail"].startswith("invalid request")


def test_invalid_fields_are_named(client):
    response = client.post("/api/tickets", json={**DRAFT, "language": ""})
    assert response.status_code == 422 and "language" in response.json()["detail"]


def test_kb_search_endpoint_returns_requested_language_and_link(client):
    hits = client.post("/api/kb/search", json={"query": "imprimante", "lang": "fr", "min_score": 0}).json()["hits"]
    assert hits[0]["article_id"] == "printer" and hits[0]["lang"] == "fr"
    assert hits[0]["url"].endswith("/kb/printer?lang=fr")
    assert client.post("/api/kb/search", json={"query": "x" * 10_001}).status_code == 422


def test_article_page_escapes_and_404s(client):
    page = client.get("/kb/printer?lang=en")
    assert page.status_code == 200 and "Printer stuck" in page.text
    assert client.get("/kb/nope").status_code == 404


def test_article_json_page_and_search_carry_technical_steps(settings, tmp_path, fake_embedder, monkeypatch):
    kb = tmp_path / "kb-tech"
    kb.mkdir()
    write_article(kb, "printer", "en", "Printer stuck", tags="[printer]")
    path = write_article(kb, "printer", "fr", "Imprimante bloquée", tags="[imprimante]")
    path.write_text(path.read_text(encoding="utf-8")
                    + "\n## Étapes techniques\n- `Restart-Service Spooler` <admin>\n", encoding="utf-8")
    build_index(load_articles(kb), fake_embedder, settings.path(settings.kb.index_dir))
    settings.kb.encoder = fake_embedder.name
    monkeypatch.setattr("kb_index.live.get_embedder", lambda name: fake_embedder)
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {settings.api_token()}"
        fr = c.get("/api/kb/articles/printer", params={"lang": "fr"}).json()
        assert fr["technical_steps"] == ["`Restart-Service Spooler` <admin>"]
        assert fr["steps"] == ["Do this.", "Then that."]
        assert c.get("/api/kb/articles/printer", params={"lang": "en"}).json()["technical_steps"] == []
        page = c.get("/kb/printer?lang=fr").text
        assert "<h2>Étapes techniques</h2>" in page and "<code>Restart-Service Spooler</code> &lt;admin&gt;" in page
        assert "<h2>" not in c.get("/kb/printer?lang=en").text
        hits = c.post("/api/kb/search", json={"query": "imprimante", "lang": "fr", "min_score": 0}).json()["hits"]
        assert hits[0]["lang"] == "fr" and hits[0]["technical_steps"] == ["`Restart-Service Spooler` <admin>"]
        hits = c.get("/api/kb/search", params={"q": "printer", "lang": "en"}).json()["hits"]
        assert hits and hits[0]["technical_steps"] == []


def test_default_secret_token_is_refused():
    from pydantic import ValidationError

    from core.settings import load_settings

    with pytest.raises(ValidationError, match="api_token"):
        load_settings(service={"api_token": "changeme"})
