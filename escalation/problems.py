"""Known problems: many users hit by one cause (an outage) get linked to one problem record.

Two ways a problem opens:

- an agent declares it (``POST /api/problems``): every new incident of that category is linked to it
  while it is open;
- detection: when a new incident's subject/description is similar (cosine of the ``kb.encoder``
  embeddings >= ``problems.similarity_threshold``) to at least ``problems.min_similar`` open incidents
  of the same category from other requesters within ``problems.window_minutes``, a problem is opened
  with them as members; later similar incidents join it. A detected problem gets a neutral title
  (category, number of reports, first seen: never a user's words) and is not shown to users until an
  agent confirms it (``PATCH /api/problems/{id}`` with ``{"confirmed": true}``, optionally a title and
  messages); declared problems are confirmed from the start.

The store is one SQLite file (``problems.path``) whatever the ticket backend: incidents are recorded
by their local reference when the service accepts them, so detection works while the backend is down.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Literal

import numpy as np
from pydantic import BaseModel, Field

from escalation.errors import TicketNotFound
from escalation.tickets.model import TicketDraft, utcnow
from core.settings import ProblemSettings
from core.storage import connect

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS problems (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,             -- open | resolved
    source TEXT NOT NULL,             -- declared | detected
    since TEXT NOT NULL,
    resolved_at TEXT,
    messages TEXT NOT NULL DEFAULT '{}',
    confirmed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS incidents (
    reference TEXT PRIMARY KEY,
    category TEXT,
    requester_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    open INTEGER NOT NULL DEFAULT 1,
    problem_id INTEGER
);
CREATE INDEX IF NOT EXISTS incidents_recent ON incidents(category, open, created_at);
"""


class ProblemNotFound(TicketNotFound):
    """No problem with this id (answered 404 like an unknown ticket)."""


class Problem(BaseModel):
    id: int
    category: str
    title: str
    status: Literal["open", "resolved"]
    source: Literal["declared", "detected"]
    since: datetime
    resolved_at: datetime | None = None
    messages: dict[str, str] = Field(default_factory=dict, description="what the bot may tell users, per language")
    incident_count: int = 0
    confirmed: bool = Field(default=False, description="shown to users only once an agent confirmed it")


class ProblemIn(BaseModel):
    """An outage declared by an agent."""

    category: str = Field(min_length=1, max_length=50)
    title: str = Field(min_length=1, max_length=300)
    messages: dict[str, str] = Field(default_factory=dict, description="per language, e.g. {\"nl\": \"...\"}")
    since: datetime | None = Field(default=None, description="when it started (default: now)")


class ProblemUpdate(BaseModel):
    status: Literal["open", "resolved"] | None = None
    confirmed: bool | None = Field(default=None, description="true: users linked to it are told about it")
    title: str | None = Field(default=None, min_length=1, max_length=300)
    messages: dict[str, str] | None = None


def neutral_title(category: str, count: int, since: datetime) -> str:
    """The title of a detected problem until an agent words one: category, reports, first seen."""
    return f"{category}: {count} similar reports, first seen {since:%Y-%m-%d %H:%M} UTC"


def incident_text(draft: TicketDraft) -> str:
    return " ".join(t for t in (draft.subject, draft.paraphrase or "", draft.description) if t)[:2000]


class ProblemStore:
    def __init__(self, path: Path, settings: ProblemSettings, embedder_factory: Callable[[], object]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self._embedder_factory = embedder_factory
        self._embedder = None
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(problems)")}
            if "confirmed" not in columns:          # a store from before agents confirmed problems
                db.execute("ALTER TABLE problems ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0")
                db.execute("UPDATE problems SET confirmed = 1 WHERE source = 'declared'")

    def _connect(self):
        return connect(self.path)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        vectors = np.asarray(self._embedder.encode(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vectors / norms

    # --- problems -----------------------------------------------------------------------
    def _problem(self, db: sqlite3.Connection, row: sqlite3.Row) -> Problem:
        count = db.execute("SELECT COUNT(*) FROM incidents WHERE problem_id = ?", (row["id"],)).fetchone()[0]
        title = row["title"] or neutral_title(row["category"], count, datetime.fromisoformat(row["since"]))
        return Problem(id=row["id"], category=row["category"], title=title, status=row["status"],
                       source=row["source"], since=row["since"], resolved_at=row["resolved_at"],
                       messages=json.loads(row["messages"]), incident_count=count, confirmed=bool(row["confirmed"]))

    def get(self, problem_id: int) -> Problem:
        with self._connect() as db:
            row = db.execute("SELECT * FROM problems WHERE id = ?", (problem_id,)).fetchone()
            if not row:
                raise ProblemNotFound(f"problem {problem_id} not found")
            return self._problem(db, row)

    def list(self, status: str | None = None, category: str | None = None, limit: int = 100) -> list[Problem]:
        query, args = "SELECT * FROM problems WHERE 1=1", []
        if status:
            query += " AND status = ?"
            args.append(status)
        if category:
            query += " AND category = ?"
            args.append(category)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
            return [self._problem(db, r) for r in rows]

    def declare(self, body: ProblemIn) -> Problem:
        since = (body.since or utcnow()).isoformat()
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO problems (category, title, status, source, since, messages, confirmed)"
                " VALUES (?,?,?,?,?,?,1)",
                (body.category.strip().lower(), body.title, "open", "declared", since, json.dumps(body.messages)),
            )
            problem_id = cur.lastrowid
        return self.get(problem_id)

    def update(self, problem_id: int, body: ProblemUpdate) -> Problem:
        problem = self.get(problem_id)
        with self._connect() as db:
            if body.title is not None:
                db.execute("UPDATE problems SET title = ? WHERE id = ?", (body.title, problem_id))
            if body.confirmed is not None:
                db.execute("UPDATE problems SET confirmed = ? WHERE id = ?", (int(body.confirmed), problem_id))
            if body.messages is not None:
                db.execute("UPDATE problems SET messages = ? WHERE id = ?",
                           (json.dumps({**problem.messages, **body.messages}), problem_id))
            if body.status is not None and body.status != problem.status:
                resolved_at = utcnow().isoformat() if body.status == "resolved" else None
                db.execute("UPDATE problems SET status = ?, resolved_at = ? WHERE id = ?",
                           (body.status, resolved_at, problem_id))
        return self.get(problem_id)

    # --- incidents ----------------------------------------------------------------------
    def record(self, draft: TicketDraft, at: datetime | None = None) -> None:
        """Remember an accepted incident (by its local reference) for later detection."""
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO incidents (reference, category, requester_id, text, created_at, problem_id)"
                " VALUES (?,?,?,?,?,?)",
                (draft.reference, draft.category, draft.requester.id, incident_text(draft),
                 (at or utcnow()).isoformat(), draft.problem_id),
            )

    def close_incident(self, reference: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE incidents SET open = 0 WHERE reference = ?", (reference,))

    def references(self, problem_id: int) -> list[str]:
        with self._connect() as db:
            return [r[0] for r in db.execute(
                "SELECT reference FROM incidents WHERE problem_id = ? ORDER BY created_at", (problem_id,))]

    def match(self, draft: TicketDraft, now: datetime | None = None) -> Problem | None:
        """The open problem this new incident belongs to (declared, or detected now), else None."""
        if not self.settings.enabled or not draft.category:
            return None
        now = now or utcnow()
        with self._lock:
            open_problems = self.list(status="open", category=draft.category)
            declared = [p for p in open_problems if p.source == "declared"]
            if declared:
                return declared[0]
            text = incident_text(draft)
            with self._connect() as db:
                for problem in open_problems:  # a detected problem: similar to its incidents?
                    texts = [r[0] for r in db.execute(
                        "SELECT text FROM incidents WHERE problem_id = ? ORDER BY created_at DESC LIMIT 20",
                        (problem.id,))]
                    if texts and self._similar(text, texts).any():
                        return problem
                since = (now - timedelta(minutes=self.settings.window_minutes)).isoformat()
                rows = db.execute(
                    "SELECT reference, requester_id, text, created_at FROM incidents WHERE category = ? AND open = 1"
                    " AND problem_id IS NULL AND created_at >= ? AND requester_id != ? ORDER BY created_at",
                    (draft.category, since, draft.requester.id)).fetchall()
            if len({r["requester_id"] for r in rows}) < self.settings.min_similar:
                return None
            similar = [r for r, ok in zip(rows, self._similar(text, [r["text"] for r in rows])) if ok]
            if len({r["requester_id"] for r in similar}) < self.settings.min_similar:
                return None
            with self._connect() as db:
                cur = db.execute(
                    "INSERT INTO problems (category, title, status, source, since, messages) VALUES (?,?,?,?,?,?)",
                    # no title: shown as neutral_title(); never a user's (unreviewed) words
                    (draft.category, "", "open", "detected", similar[0]["created_at"], "{}"),
                )
                problem_id = cur.lastrowid
                db.executemany("UPDATE incidents SET problem_id = ? WHERE reference = ?",
                               [(problem_id, r["reference"]) for r in similar])
            log.warning("problem %s detected: %d similar %s incidents", problem_id, len(similar) + 1, draft.category)
            return self.get(problem_id)

    def _similar(self, text: str, others: list[str]) -> np.ndarray:
        vectors = self._embed([text, *others])
        return (vectors[1:] @ vectors[0]) >= self.settings.similarity_threshold
