"""Read-only access to Rasa's SQL tracker store (``events`` table, SQLite file), as plain rows.

Rasa writes one row per event: ``sender_id``, ``type_name`` (user, bot, action, slot...),
``timestamp``, ``intent_name`` (user events), ``action_name`` (actions; the slot name for slot events)
and the event as JSON in ``data``. Every figure and inbox item of the editor pages is computed from
these rows (and the service's own stores), never from counters kept on the side.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from core.storage import read_only


@dataclass(frozen=True)
class Event:
    id: int
    sender: str
    type: str
    timestamp: float
    intent: str | None
    action: str | None
    data: dict

    @property
    def text(self) -> str:
        return str(self.data.get("text") or "")

    @property
    def confidence(self) -> float | None:
        value = (self.data.get("parse_data") or {}).get("intent", {}).get("confidence")
        return float(value) if value is not None else None

    @property
    def channel(self) -> str:
        return str(self.data.get("input_channel") or "")


def read_events(path: Path, after_id: int = 0, senders: list[str] | None = None) -> Iterator[Event]:
    """Events with ``id > after_id`` in id order; nothing when the file or the table does not exist yet."""
    path = Path(path)
    if not path.is_file():
        return
    query = "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events WHERE id > ?"
    params: list = [after_id]
    if senders is not None:
        query += f" AND sender_id IN ({','.join('?' * len(senders))})"
        params += senders
    with read_only(path) as db:
        try:
            rows = db.execute(query + " ORDER BY id", params).fetchall()
        except sqlite3.OperationalError:   # no events table yet (Rasa never ran)
            return
    for row in rows:
        try:
            data = json.loads(row[6] or "{}")
        except ValueError:
            data = {}
        yield Event(row[0], row[1], row[2], float(row[3] or 0), row[4], row[5], data)


def slot_value(event: Event):
    return event.data.get("value")
