"""What Rasa's chat channels keep in the service's database (``<data_dir>/channels.db``), so that it
survives a restart of Rasa and every Rasa process of a scaled setup sees the same:

- ``teams_references``: each Teams user's conversation reference (the conversation, the Teams user id,
  the bot account and the service URL of their latest activity), written by Rasa's botframework
  channel when the user writes; read when Rasa sends outside the user's turn (an agent's reply, the
  ticket number after an outage) as a proactive message through the Bot Connector;
- ``rest_queue``: messages waiting for a REST user. A REST caller receives messages only as the answer
  to its own call, so what Rasa sends outside the user's turn (an agent's reply) is queued here and
  handed out, oldest first and once, with the user's next call (README, "REST channel").
Rasa reaches both through the service's API (``routes/channels.py``, the service's bearer token).
"""

from __future__ import annotations

import json
from pathlib import Path

from core.clock import utcnow
from core.storage import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS teams_references (
    sender_id TEXT PRIMARY KEY, reference TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rest_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sender_id TEXT NOT NULL, message TEXT NOT NULL, queued_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rest_queue_sender ON rest_queue(sender_id, id);
"""


class ChannelStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with connect(self.path) as db:
            db.executescript(SCHEMA)

    # -- Teams ------------------------------------------------------------------------------------
    def save_reference(self, sender_id: str, reference: dict) -> None:
        with connect(self.path) as db:
            db.execute("INSERT INTO teams_references (sender_id, reference, updated_at) VALUES (?, ?, ?) "
                       "ON CONFLICT(sender_id) DO UPDATE SET reference = excluded.reference, "
                       "updated_at = excluded.updated_at",
                       (sender_id, json.dumps(reference), utcnow().isoformat()))

    def reference(self, sender_id: str) -> dict | None:
        with connect(self.path) as db:
            row = db.execute("SELECT reference FROM teams_references WHERE sender_id = ?", (sender_id,)).fetchone()
        return json.loads(row["reference"]) if row else None

    # -- REST ---------------------------------------------------------------------------------------
    def queue(self, sender_id: str, message: dict) -> None:
        with connect(self.path) as db:
            db.execute("INSERT INTO rest_queue (sender_id, message, queued_at) VALUES (?, ?, ?)",
                       (sender_id, json.dumps(message), utcnow().isoformat()))

    def take_queued(self, sender_id: str) -> list[dict]:
        """The messages waiting for ``sender_id``, oldest first; they are handed out once."""
        with connect(self.path) as db:
            rows = db.execute("SELECT id, message FROM rest_queue WHERE sender_id = ? ORDER BY id",
                              (sender_id,)).fetchall()
            if rows:
                db.execute("DELETE FROM rest_queue WHERE sender_id = ? AND id <= ?", (sender_id, rows[-1]["id"]))
        return [json.loads(r["message"]) for r in rows]
