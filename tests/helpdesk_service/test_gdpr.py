"""GDPR: one user's data exported and erased across every store (API and CLI); retention periods
purge old records at start, keeping what is recent and what is not delivered yet."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from core.clock import utcnow
from helpdesk.cli import main as cli
from helpdesk_service.app import create_app

DRAFT = {"requester": {"id": "alice"}, "language": "en", "subject": "Printer",
         "transcript": [{"sender": "user", "text": "printer broken, mail me at alice@example.com"}]}


def fake_tracker(settings, rows):
    """Rasa's SQL tracker table (its real shape: sender_id, timestamp, data ...)."""
    settings.data_path.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.data_path / "rasa_tracker.db") as db:
        db.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT,"
                   " timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)")
        db.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?,?,?,?)", rows)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {settings.api_token()}"
        yield c


def populate(client, settings, user):
    now = utcnow().timestamp()
    fake_tracker(settings, [(user, "user", now, json.dumps({"text": "hello"})),
                            ("bob", "user", now, json.dumps({"text": "hi"}))])
    assert client.post("/api/tickets", json={**DRAFT, "idempotency_key": f"{user}-1",
                                             "requester": {"id": user}}).status_code == 201
    assert client.post("/api/complaints", json={"text": "slow service", "sender_id": user}).status_code == 201
    assert client.post("/api/review/unclear", json={"text": "blorp", "sender_id": user}).status_code == 201
    assert client.post("/api/outcomes", json={"conversation_id": user, "article_id": "a", "language": "en",
                                               "outcome": "solved"}).status_code in (200, 201, 204)
    c = client.app.state.container
    chat = c.handoffs.store.create(conversation_id=user, ticket_id="1", language="en", state="closed")
    c.handoffs.store.add_message(chat["id"], "user", f"{user} says the printer is on fire", author=user)
    assert c.editor.inbox.add(f"{user}-unclear", "fallback", "blorp blorp", utcnow(), conversation=user)
    reference = {"conversation": {"id": f"a:{user}"}, "user": f"29:{user}", "recipient": {"id": "28:bot"},
                 "serviceUrl": "https://smba.trafficmanager.net/emea/"}
    assert client.put("/api/channels/teams/references", json={"sender_id": user, "reference": reference}).status_code == 204
    assert client.post("/api/channels/rest/queue", json={"sender_id": user, "message": {"text": "hi"}}).status_code == 204


def test_export_and_erase_one_user_across_every_store(client, settings):
    populate(client, settings, "alice")
    populate(client, settings, "bob")
    exported = client.get("/api/gdpr/users/alice").json()
    for store in ("conversations", "tickets", "outbox", "complaints", "review", "outcomes", "live chats",
                  "live chat messages", "editors' inbox", "teams_references", "rest_queue"):
        assert exported[store], store
    assert [m["text"] for m in exported["live chat messages"]] == ["alice says the printer is on fire"]
    assert exported["teams_references"][0]["reference"]["user"] == "29:alice"
    assert {t["requester_id"] for t in exported["tickets"]} == {"alice"}
    assert {e["sender_id"] for e in exported["conversations"]} == {"alice"}
    removed = client.delete("/api/gdpr/users/alice").json()
    assert all(removed[s] >= 1 for s in ("conversations", "tickets", "outbox", "complaints", "review", "outcomes",
                                         "live chats", "live chat messages", "editors' inbox", "teams_references",
                                         "rest_queue"))
    after = client.get("/api/gdpr/users/alice").json()
    assert not any(after.values())
    bob = client.get("/api/gdpr/users/bob").json()
    assert bob["tickets"] and bob["live chat messages"] and bob["editors' inbox"]   # the others' data stays


def test_cli_exports_and_erases(client, settings, monkeypatch, capsys):
    populate(client, settings, "carol")
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(settings.data_path))
    monkeypatch.setenv("HELPDESK_TICKETS__SQLITE_PATH", str(settings.path(settings.tickets.sqlite_path)))
    assert cli(["gdpr", "export", "carol"]) == 0
    assert json.loads(capsys.readouterr().out)["complaints"][0]["data"]["text"] == "slow service"
    assert cli(["gdpr", "delete", "carol"]) == 0
    assert json.loads(capsys.readouterr().out)["tickets"] == 1
    assert not any(client.get("/api/gdpr/users/carol").json().values())


def test_retention_purges_old_records_and_keeps_recent_and_undelivered(client, settings):
    old = (utcnow() - timedelta(days=settings.retention.transcripts_days + 1)).timestamp()
    fake_tracker(settings, [("dave", "user", old, "{}"), ("dave", "user", utcnow().timestamp(), "{}")])
    populate(client, settings, "erin")
    old_iso = (utcnow() - timedelta(days=settings.retention.complaints_days + 1)).isoformat()
    with sqlite3.connect(settings.data_path / "complaints.db") as db:
        db.execute("UPDATE complaints_v2 SET received_at = ?", (old_iso,))
    with sqlite3.connect(settings.outbox_path) as db:        # an undelivered escalation, old
        db.execute("UPDATE outbox SET created_at = ?, state = 'pending'", (old,))
    removed = client.post("/api/gdpr/retention").json()
    assert removed["conversations"] == 1 and removed["complaints"] == 1 and removed["outbox"] == 0
    kept = client.get("/api/gdpr/users/dave").json()
    assert len(kept["conversations"]) == 1
    assert client.get("/api/gdpr/users/erin").json()["outbox"]


def test_retention_runs_when_the_service_starts(settings):
    old = (utcnow() - timedelta(days=settings.retention.transcripts_days + 1)).timestamp()
    fake_tracker(settings, [("frank", "user", old, "{}")])
    with TestClient(create_app(settings)) as c:
        c.headers["Authorization"] = f"Bearer {settings.api_token()}"
        for _ in range(50):
            if not c.get("/api/gdpr/users/frank").json()["conversations"]:
                break
            time.sleep(0.1)
        assert not c.get("/api/gdpr/users/frank").json()["conversations"]


def test_the_scaled_setups_postgresql_conversations_are_exported_erased_and_purged(settings):
    """Against this machine's PostgreSQL: a database in the shape of Rasa's SQL tracker store."""
    import psycopg

    from helpdesk_service.gdpr import PersonalData

    s = settings.scale
    s.postgres_db = f"helpdesk_gdpr_{int(time.time() * 1000)}"
    settings.scale.feed_events = True
    admin = {"host": s.postgres_host, "port": s.postgres_port, "user": s.postgres_user, "password": s.postgres_password or None}
    try:
        with psycopg.connect(**admin, dbname=s.postgres_login_db, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{s.postgres_db}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL on {s.postgres_host}:{s.postgres_port} is needed for this test: {exc!r}")
    try:
        old = (utcnow() - timedelta(days=settings.retention.transcripts_days + 1)).timestamp()
        with psycopg.connect(**admin, dbname=s.postgres_db) as db:
            db.execute("CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255)"
                       " NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)")
            for sender, ts in (("alice", time.time()), ("alice", time.time()), ("bob", time.time()), ("old", old)):
                db.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (%s, 'user', %s, %s)",
                           (sender, ts, json.dumps({"event": "user", "text": f"{sender} says hi"})))
        data = PersonalData(settings)
        exported = data.export("alice")["conversations (postgresql)"]
        assert [e["data"]["text"] for e in exported] == ["alice says hi", "alice says hi"]
        assert data.delete("alice")["conversations (postgresql)"] == 2
        assert data.export("alice")["conversations (postgresql)"] == []
        assert data.purge()["conversations (postgresql)"] == 1                 # "old", past the retention period
        assert [e["sender_id"] for e in data.export("bob")["conversations (postgresql)"]] == ["bob"]
    finally:
        with psycopg.connect(**admin, dbname=s.postgres_login_db, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{s.postgres_db}" WITH (FORCE)')
