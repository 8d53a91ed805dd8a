"""A generic append-and-list store for small records (complaints, unclear messages, ...).

Each record is a pydantic model kept as JSON in one SQLite table, with an id and the time it was
received. ``prepare`` (e.g. masking) runs once before a record is stored.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Callable, Generic, TypeVar

from pydantic import BaseModel

from core.clock import utcnow
from core.storage import connect

Item = TypeVar("Item", bound=BaseModel)


class Stored(BaseModel):
    """What every stored record adds to its model."""

    id: int
    received_at: datetime


class RecordStore(Generic[Item]):
    def __init__(self, path: Path, table: str, stored: type[BaseModel],
                 prepare: Callable[[Item], Item] | None = None) -> None:
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        self.path = Path(path)
        self.table = table
        self.stored = stored
        self.prepare = prepare or (lambda item: item)
        with connect(self.path) as db:
            db.execute(f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                       " received_at TEXT NOT NULL, data TEXT NOT NULL)")

    def record(self, item: Item) -> BaseModel:
        now = utcnow()
        kept = self.prepare(item)
        with connect(self.path) as db:
            cursor = db.execute(f"INSERT INTO {self.table} (received_at, data) VALUES (?, ?)",
                                (now.isoformat(), kept.model_dump_json()))
        return self.stored(**kept.model_dump(), id=cursor.lastrowid, received_at=now)

    def latest(self, limit: int = 50) -> list[BaseModel]:
        """Newest first (by id: two records in the same second keep their order)."""
        with connect(self.path) as db:
            rows = db.execute(f"SELECT id, received_at, data FROM {self.table} ORDER BY id DESC LIMIT ?",
                              (limit,)).fetchall()
        return [self.stored(**json.loads(row["data"]), id=row["id"], received_at=row["received_at"])
                for row in rows]
