"""The user's live messages of a handed-off chat, read from Rasa's SQL tracker store.

While a conversation is paused Rasa still stores each user message (masked by
bot/tracker_store.py) in the ``events`` table of its tracker database. Reading that table (read-only,
by ``sender_id``, which Rasa indexes) is the cheapest reliable way to see them: no change to Rasa, no
message broker, and nothing is lost when the service restarts (we keep the last event id read).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from core.storage import read_only


@dataclass(frozen=True)
class FeedEvent:
    id: int
    type: str            # "user" or "session_started"
    text: str
    intent: str | None
    timestamp: float


def new_events(db_path: Path, sender_id: str, after_id: int, since: float) -> list[FeedEvent]:
    """User messages and session starts of ``sender_id`` with id > ``after_id`` and time > ``since``."""
    path = Path(db_path)
    if not path.is_file():
        return []
    with read_only(path) as db:
        try:
            rows = db.execute(
                "SELECT id, type_name, intent_name, timestamp, data FROM events WHERE sender_id = ? AND id > ? "
                "AND timestamp > ? AND type_name IN ('user', 'session_started') ORDER BY id",
                (sender_id, after_id, since)).fetchall()
        except sqlite3.OperationalError:      # Rasa has not created its table yet
            return []
    events = []
    for event_id, type_name, intent, timestamp, data in rows:
        text = ""
        if type_name == "user":
            try:
                text = json.loads(data).get("text") or ""
            except (TypeError, ValueError):
                text = ""
        events.append(FeedEvent(event_id, type_name, text, intent, float(timestamp)))
    return events
