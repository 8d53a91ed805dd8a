"""Personal data across every store: retention (purge what is older than its period), and one user's
export and erasure (GDPR articles 15, 17), for the admin API (``routes/gdpr.py``) and the CLI.

The stores are SQLite files in the data folder; each is described once in :data:`STORES` (which
table, which column names the user, which holds the time, which retention period applies), so a
new store is one line here. Rasa's conversation store (``rasa_tracker.db``, table ``events``) is
included: it holds the transcripts. An outbox entry that is not delivered yet is never purged
(nothing accepted is lost); tickets have no retention period here (they are the helpdesk's record)
but are exported and erased with the user. With the RT backend, tickets live in RT: the backend exports
them and erases them there (``RequesterTickets``), after the local stores (an unreachable RT fails the
call, which can be repeated: erasing is idempotent). In the scaled setup the conversations are in
Rasa's PostgreSQL tracker store as well (``postgres_conversations.py``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.clock import utcnow
from core.periodic import PeriodicTask
from core.settings import Settings
from core.storage import connect
from escalation.tickets.base import RequesterTickets, TicketBackend
from helpdesk_service.postgres_conversations import PostgresConversations

log = logging.getLogger(__name__)
DAY_SECONDS = 86400


@dataclass(frozen=True)
class Store:
    name: str
    file: str                 # attribute of Paths below
    table: str
    user: str                 # SQL expression naming the user
    time: str                 # SQL expression of the time
    time_kind: str            # "iso" (text) or "unix" (seconds)
    retention: str | None     # field of settings.retention, None: kept
    keep_if: str = "0"        # SQL condition of rows never purged


STORES = [
    Store("conversations", "tracker", "events", "sender_id", "timestamp", "unix", "transcripts_days"),
    Store("tickets", "tickets", "tickets", "requester_id", "created_at", "iso", None),
    Store("outbox", "outbox", "outbox", "requester_id", "created_at", "unix", "transcripts_days",
          keep_if="state = 'pending'"),
    Store("complaints", "complaints", "complaints_v2", "json_extract(data, '$.sender_id')", "received_at", "iso",
          "complaints_days"),
    Store("review", "review", "unclear_messages_v2", "json_extract(data, '$.sender_id')", "received_at", "iso",
          "review_days"),
    Store("outcomes", "analytics", "outcomes", "conversation_id", "at", "iso", "outcomes_days"),
    Store("incidents", "problems", "incidents", "requester_id", "created_at", "iso", "transcripts_days"),
    # live chats with agents: the messages first (they name the user through their chat)
    Store("live chat messages", "handoff", "messages",
          "(SELECT conversation_id FROM handoffs WHERE handoffs.id = messages.handoff_id)", "at", "iso",
          "transcripts_days"),
    Store("live chats", "handoff", "handoffs", "conversation_id", "created_at", "iso", "transcripts_days",
          keep_if="state IN ('waiting', 'active')"),
    Store("editors' inbox", "editor", "inbox", "conversation", "at", "iso", "review_days"),
    Store("teams_references", "channels", "teams_references", "sender_id", "updated_at", "iso", "transcripts_days"),
    Store("rest_queue", "channels", "rest_queue", "sender_id", "queued_at", "iso", "transcripts_days"),
]


def store_paths(settings: Settings) -> dict[str, Path]:
    data = settings.data_path
    return {
        "tracker": settings.conversation_events_path(),
        "tickets": settings.path(settings.tickets.sqlite_path),
        "outbox": settings.outbox_path,
        "complaints": data / "complaints.db",
        "review": data / "review.db",
        "analytics": data / "analytics.db",
        "problems": settings.path(settings.problems.path or data / "problems.db"),
        "handoff": data / "handoff.db",
        "editor": settings.path(settings.editor.db or data / "editor.db"),
        "channels": data / "channels.db",
    }


def _has_table(db: sqlite3.Connection, table: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


def _row(row: sqlite3.Row) -> dict[str, Any]:
    out = {}
    for key in row.keys():
        value = row[key]
        if key in ("data", "draft", "ticket", "reference", "message") and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        out[key] = value
    return out


class PersonalData:
    def __init__(self, settings: Settings, tickets: TicketBackend | None = None) -> None:
        self.settings = settings
        self.paths = store_paths(settings)
        self.remote_tickets = tickets if isinstance(tickets, RequesterTickets) else None
        # the scaled setup keeps the conversations in PostgreSQL (the data folder has a copy of the events)
        self.postgres = PostgresConversations(settings.scale) if settings.scale.feed_events else None

    def _each(self):
        for store in STORES:
            path = self.paths[store.file]
            if store.name == "tickets" and self.settings.tickets.backend != "sqlite":
                continue
            if not path.is_file():
                continue
            with connect(path) as db:
                if _has_table(db, store.table):
                    yield store, db

    def export(self, user_id: str) -> dict[str, list[dict]]:
        """Everything kept about ``user_id``, per store."""
        result: dict[str, list[dict]] = {}
        for store, db in self._each():
            rows = db.execute(f"SELECT * FROM {store.table} WHERE {store.user} = ?", (user_id,)).fetchall()
            result[store.name] = [_row(r) for r in rows]
        if self.postgres is not None:
            result["conversations (postgresql)"] = self.postgres.export(user_id)
        if self.remote_tickets is not None:
            result[f"tickets ({self.settings.tickets.backend})"] = self.remote_tickets.export_requester(user_id)
        return result

    def delete(self, user_id: str) -> dict[str, int]:
        """Erase ``user_id`` from every store; the number of rows removed per store."""
        removed = {}
        for store, db in self._each():
            removed[store.name] = db.execute(f"DELETE FROM {store.table} WHERE {store.user} = ?", (user_id,)).rowcount
        if self.postgres is not None:
            removed["conversations (postgresql)"] = self.postgres.erase(user_id)
        if self.remote_tickets is not None:
            removed[f"tickets ({self.settings.tickets.backend})"] = self.remote_tickets.erase_requester(user_id)
        log.info("erased the data of one user: %s", removed)
        return removed

    def purge(self) -> dict[str, int]:
        """Remove what is older than its store's retention period (0 days: kept forever)."""
        removed = {}
        now = utcnow()
        for store, db in self._each():
            days = getattr(self.settings.retention, store.retention) if store.retention else 0
            if not days:
                continue
            cutoff = now - timedelta(days=days)
            if store.time_kind == "unix":
                condition, value = f"{store.time} < ?", cutoff.timestamp()
            else:
                condition, value = f"julianday({store.time}) < julianday(?)", cutoff.isoformat()
            removed[store.name] = db.execute(
                f"DELETE FROM {store.table} WHERE {condition} AND NOT ({store.keep_if})", (value,)).rowcount
        days = self.settings.retention.transcripts_days
        if self.postgres is not None and days:
            removed["conversations (postgresql)"] = self.postgres.purge((now - timedelta(days=days)).timestamp())
        if any(removed.values()):
            log.info("retention: removed %s", removed)
        return removed


def retention_worker(data: PersonalData, interval: float = DAY_SECONDS) -> PeriodicTask:
    """Purges at start and then every ``interval`` seconds (daily), in a daemon thread."""
    return PeriodicTask("retention", data.purge, interval)
