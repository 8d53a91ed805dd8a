"""Messages the assistant did not understand well enough, kept for the KB editors' review.

The bot posts every message that ended in the NLU fallback (``action_handle_unclear``): the text,
masked once more here (secrets, e-mail addresses, phone numbers), the conversation language, the
likeliest intents with their confidences, the sender id and the time. The review queue that works
through them is another issue; this is only the store and its listing.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from escalation.sqlite import connect
from escalation.tickets.model import utcnow
from helpdesk.privacy import mask


class RankedIntent(BaseModel):
    intent: str = Field(min_length=1, max_length=100)
    confidence: float = Field(ge=0.0, le=1.0)


class UnclearMessage(BaseModel):
    text: str = Field(max_length=5000)
    language: str | None = Field(default=None, max_length=8)
    sender_id: str = Field(min_length=1, max_length=200)
    top_intents: list[RankedIntent] = Field(default_factory=list, max_length=10)
    issue: str | None = Field(default=None, max_length=40)      # empty / unsupported_language / None
    at: datetime | None = None                                   # when the user sent it; default now


class StoredUnclearMessage(UnclearMessage):
    id: int
    received_at: datetime


class UnclearStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with connect(self.path) as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS unclear_messages (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " text TEXT, language TEXT, sender_id TEXT, top_intents TEXT, issue TEXT, at TEXT,"
                " received_at TEXT)"
            )

    def record(self, message: UnclearMessage) -> StoredUnclearMessage:
        now = utcnow()
        stored = message.model_copy(update={"text": mask(message.text, personal_data=True), "at": message.at or now})
        with connect(self.path) as db:
            cursor = db.execute(
                "INSERT INTO unclear_messages (text, language, sender_id, top_intents, issue, at, received_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (stored.text, stored.language, stored.sender_id,
                 json.dumps([i.model_dump() for i in stored.top_intents]), stored.issue,
                 stored.at.isoformat(), now.isoformat()),
            )
            row_id = cursor.lastrowid
        return StoredUnclearMessage(**stored.model_dump(), id=row_id, received_at=now)

    def latest(self, limit: int = 50) -> list[StoredUnclearMessage]:
        """Newest first (by id: two messages in the same second keep their order)."""
        with connect(self.path) as db:
            rows = db.execute("SELECT * FROM unclear_messages ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [StoredUnclearMessage(id=r["id"], text=r["text"], language=r["language"], sender_id=r["sender_id"],
                                     top_intents=json.loads(r["top_intents"] or "[]"), issue=r["issue"],
                                     at=r["at"], received_at=r["received_at"]) for r in rows]
