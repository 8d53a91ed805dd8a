"""The ticket data model shared by every backend and by the HTTP API."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

Status = Literal["new", "open", "pending", "resolved", "closed"]
MAX_TEXT = 20_000


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TranscriptLine(BaseModel):
    sender: Literal["user", "bot", "agent"]
    text: str = Field(max_length=MAX_TEXT)
    timestamp: datetime | None = None


class Requester(BaseModel):
    id: str = Field(min_length=1, max_length=200, description="channel user id (sender id)")
    channel: str = Field(default="rest", max_length=50)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)


class SuggestedArticle(BaseModel):
    article_id: str
    title: str = ""
    outcome: Literal["suggested", "solved", "not_solved"] = "suggested"


class TicketDraft(BaseModel):
    """What the bot knows when it escalates; the backend turns it into a :class:`Ticket`."""

    idempotency_key: str = Field(min_length=1, max_length=200, description="same key, same ticket")
    requester: Requester
    language: str = Field(min_length=2, max_length=8)
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=MAX_TEXT)
    category: str | None = Field(default=None, max_length=50)
    facts: dict[str, Any] = Field(default_factory=dict)
    transcript: list[TranscriptLine] = Field(default_factory=list, max_length=2000)
    suggested_articles: list[SuggestedArticle] = Field(default_factory=list)
    reason: str = Field(default="not_solved", max_length=50)

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())[:300]


class Ticket(TicketDraft):
    id: str
    status: Status = "new"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    comments: list[TranscriptLine] = Field(default_factory=list)
