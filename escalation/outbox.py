"""The durable outbox in front of the ticket backend: no escalation is ever lost.

Every draft is written to a SQLite table (``tickets.outbox_path``) before the backend is tried. A
delivery that fails with :class:`BackendUnavailable` (or anything unexpected) is retried with
exponential backoff (``retry_initial_seconds`` doubling up to ``retry_max_seconds``) by
:class:`OutboxWorker`, a thread of the service. A draft the backend refuses for good
(:class:`InvalidTicket`) goes to the dead-letter state (``dead``, listed by the API) instead of being
retried forever. It is the only outbox: when the service itself cannot be reached, the action server
puts the escalation here too (``put(..., claim=False)``), under the same reference (``R-...``), and the
service's worker delivers it once it runs. Idempotent end to end: one row per idempotency key,
and the backends' ``create`` returns the existing ticket for a key they already have. A row is
*claimed* (``claimed_until``) before delivery, so the worker and a request never deliver it twice at
the same moment, even from two processes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, Field

from escalation.errors import BackendUnavailable, InvalidTicket
from escalation.tickets.base import TicketBackend
from escalation.tickets.model import Ticket, TicketDraft
from core.storage import connect

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    reference TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    requester_id TEXT NOT NULL,
    state TEXT NOT NULL,              -- pending | delivered | dead
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    claimed_until REAL,
    last_error TEXT,
    ticket_id TEXT,
    backend TEXT,
    created_at REAL NOT NULL,
    delivered_at REAL,
    draft TEXT NOT NULL,
    ticket TEXT                       -- the ticket as delivered (a fallback while the backend is down)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
"""
CLAIM_SECONDS = 120.0

State = Literal["pending", "delivered", "dead"]


class OutboxEntry(BaseModel):
    reference: str
    idempotency_key: str
    state: State
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    ticket_id: str | None
    created_at: datetime
    delivered_at: datetime | None
    draft: TicketDraft
    ticket: Ticket | None = None
    fresh: bool = Field(default=False, exclude=True, description="put() just created it and holds its claim")


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, timezone.utc)


class Outbox:
    def __init__(self, path: Path, backend: TicketBackend | None, *, retry_initial: float = 5.0,
                 retry_max: float = 300.0, clock: Callable[[], float] = time.time,
                 on_delivered: Callable[[OutboxEntry], None] | None = None) -> None:
        self.path = Path(path)
        self.on_delivered = on_delivered   # called for what the worker delivers late (the user was told a reference)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.backend = backend
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.clock = clock
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self):
        return connect(self.path)

    @staticmethod
    def _entry(row: sqlite3.Row) -> OutboxEntry:
        return OutboxEntry(
            reference=row["reference"], idempotency_key=row["idempotency_key"], state=row["state"],
            attempts=row["attempts"], next_attempt_at=_dt(row["next_attempt_at"]), last_error=row["last_error"],
            ticket_id=row["ticket_id"], created_at=_dt(row["created_at"]), delivered_at=_dt(row["delivered_at"]),
            draft=TicketDraft.model_validate_json(row["draft"]),
            ticket=Ticket.model_validate_json(row["ticket"]) if row["ticket"] else None,
        )

    # --- reading ------------------------------------------------------------------------
    def get(self, reference: str) -> OutboxEntry | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM outbox WHERE reference = ?", (reference.upper(),)).fetchone()
        return self._entry(row) if row else None

    def by_key(self, idempotency_key: str) -> OutboxEntry | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM outbox WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
        return self._entry(row) if row else None

    def pending(self, requester_id: str | None = None, limit: int = 50, state: State = "pending") -> list[OutboxEntry]:
        query, args = "SELECT * FROM outbox WHERE state = ?", [state]
        if requester_id:
            query += " AND requester_id = ?"
            args.append(requester_id)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY created_at DESC LIMIT ?", (*args, limit)).fetchall()
        return [self._entry(r) for r in rows]

    def status(self) -> dict:
        with self._connect() as db:
            counts = dict(db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
            oldest = db.execute("SELECT MIN(created_at), MAX(attempts) FROM outbox WHERE state = 'pending'").fetchone()
            error = db.execute("SELECT last_error FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL"
                               " ORDER BY next_attempt_at DESC LIMIT 1").fetchone()
        return {"backend": self.backend.name if self.backend else None, "pending": counts.get("pending", 0),
                "delivered": counts.get("delivered", 0), "dead": counts.get("dead", 0), "oldest_pending_at": _dt(oldest[0]),
                "max_attempts": oldest[1] or 0, "last_error": error[0] if error else None}

    # --- writing ------------------------------------------------------------------------
    def put(self, draft: TicketDraft, claim: bool = True) -> OutboxEntry:
        """Store the draft (once per idempotency key) and return its entry.

        With ``claim`` a new entry is born claimed by the caller (the worker leaves it alone), who then
        calls ``deliver(reference, claimed=True)``; if the caller dies, the claim expires and the worker
        retries. Without it the worker delivers it on its next round."""
        if not draft.reference:
            raise InvalidTicket("a draft needs its reference before it goes into the outbox")
        now = self.clock()
        with self._connect() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO outbox (reference, idempotency_key, requester_id, state, next_attempt_at,"
                " claimed_until, created_at, draft) VALUES (?,?,?,?,?,?,?,?)",
                (draft.reference, draft.idempotency_key, draft.requester.id, "pending", now,
                 now + CLAIM_SECONDS if claim else None,
                 now, draft.model_dump_json()),
            ).rowcount == 1
        entry = self.by_key(draft.idempotency_key)
        assert entry is not None
        entry.fresh = inserted
        return entry

    def _claim(self, reference: str) -> bool:
        now = self.clock()
        with self._connect() as db:
            cur = db.execute(
                "UPDATE outbox SET claimed_until = ? WHERE reference = ? AND state = 'pending'"
                " AND (claimed_until IS NULL OR claimed_until < ?)",
                (now + CLAIM_SECONDS, reference, now),
            )
            return cur.rowcount == 1

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        return min(self.retry_max, self.retry_initial * 2 ** max(0, attempts - 1))

    def deliver(self, reference: str, claimed: bool = False) -> OutboxEntry:
        """Try to hand one entry to the backend now (unless someone else holds its claim); the entry as
        it is afterwards. ``claimed``: the caller already holds the claim (it just put the entry)."""
        if not claimed and not self._claim(reference):
            entry = self.get(reference)
            if entry is None:
                raise KeyError(reference)
            return entry
        entry = self.get(reference)
        assert entry is not None
        if self.backend is None:
            raise RuntimeError("this outbox handle only stores escalations; the service delivers them")
        try:
            ticket = self.backend.create(entry.draft)
        except InvalidTicket as exc:
            log.error("outbox %s: refused by %s for good, kept as dead letter: %s", reference, self.backend.name, exc)
            with self._connect() as db:
                db.execute("UPDATE outbox SET state = 'dead', attempts = attempts + 1, claimed_until = NULL,"
                           " last_error = ? WHERE reference = ?", (f"InvalidTicket: {exc}"[:500], reference))
        except Exception as exc:  # noqa: BLE001 - never lose the draft, whatever the backend did
            attempts = entry.attempts + 1
            level = logging.WARNING if isinstance(exc, BackendUnavailable) else logging.ERROR
            log.log(level, "outbox %s: delivery %d to %s failed: %s", reference, attempts, self.backend.name, exc)
            with self._connect() as db:
                db.execute(
                    "UPDATE outbox SET attempts = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ?"
                    " WHERE reference = ?",
                    (attempts, self.clock() + self.backoff(attempts), f"{exc.__class__.__name__}: {exc}"[:500],
                     reference),
                )
        else:
            with self._connect() as db:
                db.execute(
                    "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, claimed_until = NULL,"
                    " last_error = NULL, ticket_id = ?, backend = ?, delivered_at = ?, ticket = ? WHERE reference = ?",
                    (ticket.id, self.backend.name, self.clock(), ticket.model_dump_json(), reference),
                )
            log.info("outbox %s: delivered as %s ticket %s", reference, self.backend.name, ticket.id)
        entry = self.get(reference)
        assert entry is not None
        return entry

    def deliver_due(self, limit: int = 20) -> int:
        """Deliver the entries whose retry time has come; how many were delivered."""
        with self._connect() as db:
            refs = [r[0] for r in db.execute(
                "SELECT reference FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?"
                " ORDER BY next_attempt_at LIMIT ?", (self.clock(), limit)).fetchall()]
        delivered = 0
        for ref in refs:
            entry = self.deliver(ref)
            if entry.state == "delivered":
                delivered += 1
                if self.on_delivered is not None and entry.delivered_at is not None:
                    try:
                        self.on_delivered(entry)
                    except Exception:  # noqa: BLE001 - telling the user never undoes a delivery
                        log.exception("outbox %s: delivered, but telling the conversation failed", ref)
            else:
                break  # the backend is still down: the others wait for their own retry time
        return delivered

    def retry_now(self) -> int:
        """Make every pending entry due now (an operator's "the backend is back")."""
        with self._connect() as db:
            return db.execute("UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending'",
                              (self.clock(),)).rowcount


class OutboxWorker:
    """A daemon thread that delivers due entries every ``poll_seconds`` until :meth:`stop`."""

    def __init__(self, outbox: Outbox, poll_seconds: float = 2.0) -> None:
        self.outbox = outbox
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.outbox.deliver_due()
            except Exception:  # noqa: BLE001 - the worker must survive anything
                log.exception("outbox worker")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

