"""Complaints, recorded for the service desk's follow-up whether or not the user wanted a ticket.

The bot posts the complaint as the user told it (masked once more here), the conversation language,
the sender, the category of the problem being handled if any, and whether a person was asked for.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from core.privacy import mask
from core.records import RecordStore


class Complaint(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    language: str | None = Field(default=None, max_length=8)
    sender_id: str = Field(min_length=1, max_length=200)
    category: str | None = Field(default=None, max_length=50)
    ticket_id: str | None = Field(default=None, max_length=50, description="the ticket of the conversation, if any")


class StoredComplaint(Complaint):
    id: int
    received_at: datetime


def complaint_store(path: Path, mask_personal_data: bool = False) -> RecordStore[Complaint]:
    return RecordStore(path, "complaints_v2", StoredComplaint,
                       prepare=lambda c: c.model_copy(update={"text": mask(c.text, mask_personal_data)}))
