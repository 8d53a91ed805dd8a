"""Complaints, recorded for the service desk's follow-up whether or not the user wanted a ticket.

The bot posts the complaint as the user told it (masked once more here), the conversation language,
the sender, the category of the problem being handled if any, and whether a person was asked for.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from escalation.sqlite import connect
from escalation.tickets.model import utcnow
from helpdesk.privacy import mask


class Complaint(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    language: str | None = Field(default=None, max_length=8)
    sender_id: str = Field(min_length=1, max_length=200)
    category: str | None = Field(default=None, max_length=50)
    ticket_id: str | None = Field(default=None, max_length=50, description="the ticket of the conversation, if any")


class StoredComplaint(Complaint):
    id: int
    received_at: datetime


class ComplaintStore:
    def __init__(self, path: Path, mask_personal_data: bool = False) -> None:
        self.path = Path(path)
        self.personal = mask_personal_data
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with connect(self.path) as db:
            db.execute("CREATE TABLE IF NOT EXISTS complaints (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT,"
                       " language TEXT, sender_id TEXT, category TEXT, ticket_id TEXT, received_at TEXT)")

    def record(self, complaint: Complaint) -> StoredComplaint:
        now = utcnow()
        stored = complaint.model_copy(update={"text": mask(complaint.text, self.personal)})
        with connect(self.path) as db:
            cursor = db.execute(
                "INSERT INTO complaints (text, language, sender_id, category, ticket_id, received_at)"
                " VALUES (?,?,?,?,?,?)",
                (stored.text, stored.language, stored.sender_id, stored.category, stored.ticket_id, now.isoformat()))
        return StoredComplaint(**stored.model_dump(), id=cursor.lastrowid, received_at=now)

    def latest(self, limit: int = 50) -> list[StoredComplaint]:
        with connect(self.path) as db:
            rows = db.execute("SELECT * FROM complaints ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [StoredComplaint(**dict(row)) for row in rows]
