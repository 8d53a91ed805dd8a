"""The embedded ticket store: one SQLite file, no server. Ticket ids are plain numbers."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.settings import Settings
from core.storage import connect
from escalation.errors import BackendUnavailable, TicketNotFound
from escalation.tickets.base import ACTIVE
from escalation.tickets.model import OPEN_STATUSES, Status, Ticket, TicketDraft, TranscriptLine, utcnow, is_ticket_number

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    requester_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_requester ON tickets(requester_id);
"""


class SqliteTicketStore:
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    @classmethod
    def from_settings(cls, settings: Settings) -> "SqliteTicketStore":
        return cls(settings.path(settings.tickets.sqlite_path))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """core.storage's connection; SQLite errors become BackendUnavailable (the outbox retries)."""
        try:
            with connect(self.path, timeout=10) as db:
                yield db
        except (sqlite3.OperationalError, OSError) as exc:
            raise BackendUnavailable(f"ticket store {self.path}: {exc}") from exc

    @staticmethod
    def _row_to_ticket(row: sqlite3.Row) -> Ticket:
        data = json.loads(row["data"])
        data.update(id=str(row["id"]), status=row["status"], created_at=row["created_at"], updated_at=row["updated_at"])
        return Ticket.model_validate(data)

    def create(self, draft: TicketDraft) -> Ticket:
        now = utcnow().isoformat()
        with self._lock, self._connect() as db:
            row = db.execute("SELECT * FROM tickets WHERE idempotency_key = ?", (draft.idempotency_key,)).fetchone()
            if row:
                return self._row_to_ticket(row)
            cur = db.execute(
                "INSERT INTO tickets (idempotency_key, requester_id, status, created_at, updated_at, data) VALUES (?,?,?,?,?,?)",
                (draft.idempotency_key, draft.requester.id, "new", now, now, draft.model_dump_json()),
            )
            row = db.execute("SELECT * FROM tickets WHERE id = ?", (cur.lastrowid,)).fetchone()
            return self._row_to_ticket(row)

    def find_by_key(self, idempotency_key: str) -> Ticket | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM tickets WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
        return self._row_to_ticket(row) if row else None

    def get(self, ticket_id: str) -> Ticket:
        if not is_ticket_number(ticket_id):
            raise TicketNotFound(f"ticket {ticket_id!r} not found")
        with self._connect() as db:
            row = db.execute("SELECT * FROM tickets WHERE id = ?", (int(ticket_id),)).fetchone()
        if not row:
            raise TicketNotFound(f"ticket {ticket_id!r} not found")
        return self._row_to_ticket(row)

    def list(self, *, requester_id: str | None = None, status: str | None = None, category: str | None = None,
             queue: str | None = None, priority: str | None = None, limit: int = 50) -> list[Ticket]:
        query, args = "SELECT * FROM tickets WHERE 1=1", []
        if requester_id:
            query += " AND requester_id = ?"
            args.append(requester_id)
        if status == ACTIVE:
            query += f" AND status IN ({','.join('?' * len(OPEN_STATUSES))})"
            args.extend(OPEN_STATUSES)
        elif status:
            query += " AND status = ?"
            args.append(status)
        for field, value in (("category", category), ("queue", queue), ("priority", priority)):
            if value:
                query += f" AND json_extract(data, '$.{field}') = ?"
                args.append(value)
        query += " ORDER BY id DESC LIMIT ?"
        args.append(max(1, min(limit, 500)))
        with self._connect() as db:
            return [self._row_to_ticket(r) for r in db.execute(query, args).fetchall()]

    def _update(self, ticket_id: str, mutate) -> Ticket:
        with self._lock:
            ticket = self.get(ticket_id)
            mutate(ticket)
            ticket.updated_at = utcnow()
            data = ticket.model_dump(mode="json", exclude={"id", "status", "created_at", "updated_at"})
            with self._connect() as db:
                db.execute(
                    "UPDATE tickets SET status = ?, updated_at = ?, data = ? WHERE id = ?",
                    (ticket.status, ticket.updated_at.isoformat(), json.dumps(data), int(ticket_id)),
                )
            return ticket

    def set_status(self, ticket_id: str, status: Status, comment: str | None = None) -> Ticket:
        def mutate(t: Ticket) -> None:
            if comment:
                t.comments.append(TranscriptLine(sender="user", text=comment, timestamp=utcnow()))
            t.mark_status(status, utcnow())

        return self._update(ticket_id, mutate)

    def add_comment(self, ticket_id: str, text: str, sender: str = "user") -> Ticket:
        def mutate(t: Ticket) -> None:
            t.comments.append(TranscriptLine(sender=sender, text=text, timestamp=utcnow()))

        return self._update(ticket_id, mutate)

    def add_links(self, ticket_id: str, related_to: list[str]) -> Ticket:
        for other in related_to:
            self.get(other)  # TicketNotFound for an unknown id

        def mutate(t: Ticket) -> None:
            t.related_to = list(dict.fromkeys([*t.related_to, *related_to]))

        return self._update(ticket_id, mutate)
