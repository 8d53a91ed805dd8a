"""The editors' inbox: every message the bot handled badly, personal data masked, one row each.

Kinds: ``fallback`` (the NLU fell back), ``low_confidence`` (an intent below the threshold),
``no_article`` (the KB search found nothing good), ``not_helped`` (the user said an article did not
help), ``escalated`` (the conversation ended in a ticket), ``rejected`` (the user said no to the bot's
paraphrase). States: ``open``, then ``trained`` (added as a training example), ``linked`` (linked to an
article), ``fine`` or ``discarded``. The sentence vector of each item is kept for the clustering.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from core.privacy import mask
from core.storage import connect

KINDS = ("fallback", "low_confidence", "no_article", "not_helped", "escalated", "rejected")
STATES = ("open", "trained", "linked", "fine", "discarded")
MAX_TEXT = 2000


class ItemNotFound(LookupError):
    pass


@dataclass
class Item:
    id: int
    kind: str
    text: str
    language: str
    channel: str
    intent: str
    confidence: float | None
    conversation: str
    at: str
    status: str = "open"
    detail: dict = field(default_factory=dict)
    cluster: int | None = None


SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE NOT NULL, kind TEXT NOT NULL,
  text TEXT NOT NULL, language TEXT NOT NULL DEFAULT '', channel TEXT NOT NULL DEFAULT '', intent TEXT NOT NULL DEFAULT '',
  confidence REAL, conversation TEXT NOT NULL DEFAULT '', at TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open',
  detail TEXT NOT NULL DEFAULT '{}', vector BLOB, cluster INTEGER);
CREATE INDEX IF NOT EXISTS inbox_at ON inbox (at);
CREATE TABLE IF NOT EXISTS feed_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class InboxStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with connect(self.path) as db:
            db.executescript(SCHEMA)

    # --- feeding -----------------------------------------------------------------------
    def add(self, key: str, kind: str, text: str, at: datetime | str, *, language: str = "", channel: str = "",
            intent: str = "", confidence: float | None = None, conversation: str = "", detail: dict | None = None) -> bool:
        """Add one item (masked); False when ``key`` is known or the same message of the same conversation is."""
        if kind not in KINDS:
            raise ValueError(f"unknown inbox kind {kind!r}")
        text = mask(text or "", personal_data=True).strip()[:MAX_TEXT]
        if not text:
            return False
        at = at.isoformat() if isinstance(at, datetime) else str(at)
        with connect(self.path) as db:
            if conversation and db.execute("SELECT 1 FROM inbox WHERE conversation = ? AND text = ?",
                                           (conversation, text)).fetchone():
                return False
            cursor = db.execute(
                "INSERT OR IGNORE INTO inbox (key, kind, text, language, channel, intent, confidence, conversation, at, detail)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (key, kind, text, language or "", channel or "", intent or "", confidence, conversation or "", at,
                 json.dumps(detail or {})))
            return cursor.rowcount == 1

    def state(self, name: str, default: str = "0") -> str:
        with connect(self.path) as db:
            row = db.execute("SELECT value FROM feed_state WHERE name = ?", (name,)).fetchone()
        return row["value"] if row else default

    def set_state(self, name: str, value: str) -> None:
        with connect(self.path) as db:
            db.execute("INSERT OR REPLACE INTO feed_state VALUES (?, ?)", (name, value))

    # --- reading ------------------------------------------------------------------------
    @staticmethod
    def _item(row) -> Item:
        return Item(id=row["id"], kind=row["kind"], text=row["text"], language=row["language"], channel=row["channel"],
                    intent=row["intent"], confidence=row["confidence"], conversation=row["conversation"], at=row["at"],
                    status=row["status"], detail=json.loads(row["detail"] or "{}"), cluster=row["cluster"])

    def list(self, *, status: str | None = "open", language: str | None = None, channel: str | None = None,
             kind: str | None = None, intent: str | None = None, since: str | None = None, until: str | None = None,
             max_confidence: float | None = None, cluster: int | None = None, limit: int = 200) -> list[Item]:
        where, params = [], []
        for column, value in (("status", status), ("language", language), ("channel", channel), ("kind", kind),
                              ("intent", intent), ("cluster", cluster)):
            if value not in (None, ""):
                where.append(f"{column} = ?")
                params.append(value)
        if since:
            where.append("at >= ?")
            params.append(since)
        if until:
            where.append("at < ?")
            params.append(until)
        if max_confidence is not None:
            where.append("confidence IS NOT NULL AND confidence <= ?")
            params.append(max_confidence)
        sql = "SELECT * FROM inbox" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY at DESC, id DESC LIMIT ?"
        with connect(self.path) as db:
            return [self._item(r) for r in db.execute(sql, (*params, limit)).fetchall()]

    def get(self, item_id: int) -> Item:
        with connect(self.path) as db:
            row = db.execute("SELECT * FROM inbox WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise ItemNotFound(f"inbox item {item_id} not found")
        return self._item(row)

    def set_status(self, item_id: int, status: str, **detail) -> Item:
        if status not in STATES:
            raise ValueError(f"unknown state {status!r}")
        item = self.get(item_id)
        with connect(self.path) as db:
            db.execute("UPDATE inbox SET status = ?, detail = ? WHERE id = ?",
                       (status, json.dumps({**item.detail, **detail}), item_id))
        return self.get(item_id)

    def counts(self) -> dict[str, int]:
        with connect(self.path) as db:
            return {r[0]: r[1] for r in db.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status")}

    # --- vectors and clusters ---------------------------------------------------------------
    def without_vector(self) -> list[tuple[int, str]]:
        with connect(self.path) as db:
            return [(r["id"], r["text"]) for r in db.execute("SELECT id, text FROM inbox WHERE vector IS NULL")]

    def set_vectors(self, ids: list[int], vectors: np.ndarray) -> None:
        with connect(self.path) as db:
            db.executemany("UPDATE inbox SET vector = ? WHERE id = ?",
                           [(np.asarray(v, dtype=np.float32).tobytes(), i) for i, v in zip(ids, vectors)])

    def vectors(self, statuses: tuple[str, ...] = ("open",)) -> tuple[list[Item], np.ndarray]:
        with connect(self.path) as db:
            rows = db.execute(f"SELECT * FROM inbox WHERE vector IS NOT NULL AND status IN ({','.join('?' * len(statuses))})"
                              " ORDER BY id", statuses).fetchall()
        items = [self._item(r) for r in rows]
        vectors = np.array([np.frombuffer(r["vector"], dtype=np.float32) for r in rows], dtype=np.float32)
        return items, vectors

    def set_clusters(self, labels: dict[int, int | None]) -> None:
        with connect(self.path) as db:
            db.execute("UPDATE inbox SET cluster = NULL")
            db.executemany("UPDATE inbox SET cluster = ? WHERE id = ?", [(c, i) for i, c in labels.items()])
