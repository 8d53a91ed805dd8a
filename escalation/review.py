"""Messages the assistant did not understand well enough, kept for the KB editors' review.

The bot posts every message that ended in the NLU fallback (``action_handle_unclear``): the text,
masked once more here (secrets, e-mail addresses, phone numbers), the conversation language, the
likeliest intents with their confidences, the sender id and the time.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from core.clock import utcnow
from core.privacy import mask
from core.records import RecordStore


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


def _prepare(message: UnclearMessage) -> UnclearMessage:
    return message.model_copy(update={"text": mask(message.text, personal_data=True), "at": message.at or utcnow()})


def unclear_store(path: Path) -> RecordStore[UnclearMessage]:
    return RecordStore(path, "unclear_messages_v2", StoredUnclearMessage, prepare=_prepare)
