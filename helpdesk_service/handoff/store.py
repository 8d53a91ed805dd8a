"""Handoffs, their messages and the agents' presence, in the service's database (``core.storage``).

A handoff is one chat handed to a person: ``waiting`` (in the queue), ``active`` (an agent has it),
``survey_rating`` / ``survey_comment`` (the user is asked for satisfaction, the bot still paused),
then ended: ``resolved``, ``returned`` (handed back to the bot), ``timed_out``. Taking a chat is one
conditional UPDATE, so two agents can never both have it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from core.clock import utcnow
from core.storage import connect

LIVE = ("waiting", "active", "survey_rating", "survey_comment")
ENDED = ("resolved", "returned", "timed_out")
PRIORITY_ORDER = "CASE priority WHEN 'P1' THEN 1 WHEN 'P2' THEN 2 WHEN 'P3' THEN 3 WHEN 'P4' THEN 4 ELSE 5 END"

SCHEMA = """
CREATE TABLE IF NOT EXISTS handoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL, ticket_id TEXT NOT NULL, language TEXT NOT NULL, channel TEXT,
    reason TEXT, queue TEXT, priority TEXT, response_due TEXT, resolution_due TEXT, subject TEXT,
    requester_id TEXT, state TEXT NOT NULL, outcome TEXT, agent TEXT,
    created_at TEXT NOT NULL, taken_at TEXT, ended_at TEXT, last_activity_at TEXT NOT NULL,
    last_event_id INTEGER NOT NULL DEFAULT 0, csat_score INTEGER, csat_comment TEXT);
CREATE INDEX IF NOT EXISTS handoffs_state ON handoffs(state);
CREATE INDEX IF NOT EXISTS handoffs_conversation ON handoffs(conversation_id);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, handoff_id INTEGER NOT NULL, sender TEXT NOT NULL,
    author TEXT, text TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_handoff ON messages(handoff_id, id);
CREATE TABLE IF NOT EXISTS agents (
    username TEXT PRIMARY KEY, status TEXT NOT NULL, capacity INTEGER NOT NULL, last_seen TEXT NOT NULL);
"""


def now_iso() -> str:
    return utcnow().isoformat()


class HandoffStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with connect(self.path) as db:
            db.executescript(SCHEMA)

    # -- handoffs -----------------------------------------------------------------------------
    def create(self, **fields) -> dict:
        now = now_iso()
        fields = {"state": "waiting", "created_at": now, "last_activity_at": now, **fields}
        names = ", ".join(fields)
        with connect(self.path) as db:
            cursor = db.execute(f"INSERT INTO handoffs ({names}) VALUES ({', '.join('?' * len(fields))})",
                                tuple(fields.values()))
            return self.get(cursor.lastrowid, db)

    def get(self, handoff_id: int, db=None) -> dict | None:
        if db is None:
            with connect(self.path) as db:
                return self.get(handoff_id, db)
        row = db.execute("SELECT * FROM handoffs WHERE id = ?", (handoff_id,)).fetchone()
        return dict(row) if row else None

    def live_for(self, conversation_id: str) -> dict | None:
        with connect(self.path) as db:
            row = db.execute(f"SELECT * FROM handoffs WHERE conversation_id = ? AND state IN {LIVE} "
                             "ORDER BY id DESC LIMIT 1", (conversation_id,)).fetchone()
        return dict(row) if row else None

    def live(self) -> list[dict]:
        with connect(self.path) as db:
            return [dict(r) for r in db.execute(f"SELECT * FROM handoffs WHERE state IN {LIVE}")]

    def update(self, handoff_id: int, *, when_state: tuple[str, ...] | None = None,
               when_agent: str | None = None, **fields) -> bool:
        """Set ``fields``; only when the state is one of ``when_state`` (and the agent is ``when_agent``),
        atomically. True when the row changed."""
        sets = ", ".join(f"{k} = ?" for k in fields)
        sql, args = f"UPDATE handoffs SET {sets} WHERE id = ?", [*fields.values(), handoff_id]
        if when_state is not None:
            sql += f" AND state IN ({', '.join('?' * len(when_state))})"
            args += list(when_state)
        if when_agent is not None:
            sql += " AND agent = ?"
            args.append(when_agent)
        with connect(self.path) as db:
            return db.execute(sql, args).rowcount == 1

    def queue(self, view: str, agent: str, limit: int = 100) -> list[dict]:
        """waiting: everyone's queue; mine: the agent's live chats; resolved: ended chats, newest first."""
        order = f"{PRIORITY_ORDER}, COALESCE(response_due, '9999'), created_at"
        if view == "waiting":
            sql, args = f"SELECT * FROM handoffs WHERE state = 'waiting' ORDER BY {order}", ()
        elif view == "mine":
            sql, args = (f"SELECT * FROM handoffs WHERE agent = ? AND state IN ('active', 'survey_rating', "
                         f"'survey_comment') ORDER BY {order}", (agent,))
        else:
            sql, args = f"SELECT * FROM handoffs WHERE state IN {ENDED} ORDER BY ended_at DESC", ()
        with connect(self.path) as db:
            return [dict(r) for r in db.execute(f"{sql} LIMIT {int(limit)}", args)]

    def load(self) -> dict[str, int]:
        """Active chats per agent."""
        with connect(self.path) as db:
            return {r[0]: r[1] for r in db.execute(
                "SELECT agent, COUNT(*) FROM handoffs WHERE state = 'active' GROUP BY agent")}

    def satisfaction(self, limit: int = 500) -> list[dict]:
        with connect(self.path) as db:
            return [dict(r) for r in db.execute(
                "SELECT id, conversation_id, ticket_id, language, agent, outcome, csat_score, csat_comment, "
                "ended_at FROM handoffs WHERE state IN ('resolved', 'returned') ORDER BY ended_at DESC LIMIT ?",
                (limit,))]

    # -- messages ------------------------------------------------------------------------------
    def add_message(self, handoff_id: int, sender: str, text: str, author: str | None = None,
                    at: str | None = None) -> dict:
        at = at or now_iso()
        with connect(self.path) as db:
            cursor = db.execute("INSERT INTO messages (handoff_id, sender, author, text, at) VALUES (?, ?, ?, ?, ?)",
                                (handoff_id, sender, author, text, at))
            if sender in ("user", "agent"):
                db.execute("UPDATE handoffs SET last_activity_at = ? WHERE id = ?", (now_iso(), handoff_id))
            return dict(db.execute("SELECT * FROM messages WHERE id = ?", (cursor.lastrowid,)).fetchone())

    def messages(self, handoff_id: int, after: int = 0) -> list[dict]:
        with connect(self.path) as db:
            return [dict(r) for r in db.execute(
                "SELECT * FROM messages WHERE handoff_id = ? AND id > ? ORDER BY id", (handoff_id, after))]

    # -- agents ----------------------------------------------------------------------------------
    def set_presence(self, username: str, status: str, capacity: int) -> dict:
        with connect(self.path) as db:
            db.execute("INSERT INTO agents (username, status, capacity, last_seen) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT(username) DO UPDATE SET status = excluded.status, capacity = excluded.capacity, "
                       "last_seen = excluded.last_seen", (username, status, capacity, now_iso()))
        return self.presence(username)

    def seen(self, username: str) -> None:
        with connect(self.path) as db:
            db.execute("UPDATE agents SET last_seen = ? WHERE username = ?", (now_iso(), username))

    def presence(self, username: str) -> dict | None:
        with connect(self.path) as db:
            row = db.execute("SELECT * FROM agents WHERE username = ?", (username,)).fetchone()
        return dict(row) if row else None

    def agents(self) -> list[dict]:
        with connect(self.path) as db:
            return [dict(r) for r in db.execute("SELECT * FROM agents ORDER BY username")]


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
