"""The ticket data model shared by every backend and by the HTTP API.

Three shapes: :class:`TicketRequest` is what a client (the bot) posts; :class:`TicketDraft` adds what
the service computes (priority, SLA due times, queue, problem link) and is what a backend receives;
:class:`Ticket` is what a backend returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from core.clock import utcnow  # noqa: F401 - re-exported: the time stamps of tickets
from core.settings import Level

Status = Literal["new", "open", "pending", "resolved", "closed"]
OPEN_STATUSES = ("new", "open", "pending")
MAX_TEXT = 20_000



def is_ticket_number(value: object) -> bool:
    """A backend ticket id: ASCII digits that fit a 64-bit integer ("²" and "٣" are digits too, for str.isdigit)."""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= 18


class TranscriptLine(BaseModel):
    sender: Literal["user", "bot", "agent"]
    text: str = Field(max_length=MAX_TEXT)
    timestamp: datetime | None = None


class Requester(BaseModel):
    id: str = Field(min_length=1, max_length=200, description="channel user id (sender id)")
    channel: str = Field(default="rest", max_length=50, description="rest, socketio, msteams, webchat ...")
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)


class SuggestedArticle(BaseModel):
    article_id: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=300)
    outcome: Literal["suggested", "solved", "not_solved"] = Field(
        default="suggested", description="the user's answer to 'did this solve your problem?'")


class TicketRequest(BaseModel):
    """What the bot knows when it escalates (the body of ``POST /api/tickets``)."""

    idempotency_key: str = Field(min_length=1, max_length=200, description="same key, same ticket (retries, restarts)")
    requester: Requester
    language: str = Field(min_length=2, max_length=8, description="conversation language: nl, fr, en")
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=MAX_TEXT)
    category: str | None = Field(default=None, max_length=50, description="problem category (routing, priority rules)")
    paraphrase: str | None = Field(default=None, max_length=2000, description="the problem as the user confirmed it")
    facts: dict[str, Any] = Field(default_factory=dict, description="facts gathered: device, os, error_code, since ...")
    skill_level: str | None = Field(default=None, max_length=50, description="the user's skill level, e.g. novice / intermediate / expert")
    transcript: list[TranscriptLine] = Field(default_factory=list, max_length=2000)
    suggested_articles: list[SuggestedArticle] = Field(default_factory=list, max_length=50)
    remote_control_consent: bool | None = Field(default=None, description="the user agreed to remote control")
    remote_control_consent_at: datetime | None = Field(default=None, description="when the user gave (or refused) it")
    urgency: Level | None = Field(default=None, description="how much it hinders the user's work; unknown -> sla.default_urgency")
    impact: Level | None = Field(default=None, description="how many people are affected; unknown -> sla.default_impact")
    related_to: list[str] = Field(default_factory=list, max_length=20,
                                  description="ids of earlier tickets of this requester that this one is related to")
    reason: str = Field(default="not_solved", max_length=50, description="not_solved, requested_human, ...")

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        value = " ".join(value.split())[:300]
        if not value:
            raise ValueError("subject must not be blank")
        return value

    @field_validator("related_to", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if isinstance(value, (str, int)):
            value = [value]
        return [str(v).lstrip("#") for v in value] if isinstance(value, list) else value


class SlaTargets(BaseModel):
    response_minutes: float
    resolution_minutes: float


class TicketDraft(TicketRequest):
    """A request with what the service computed: what a backend receives."""

    priority: str = Field(default="P3", description="P1 (highest) .. P4, from the urgency x impact matrix")
    queue: str = Field(default="first-line", description="the team the ticket is routed to")
    response_due: datetime | None = None
    resolution_due: datetime | None = None
    problem_id: int | None = Field(default=None, description="the known problem this incident is linked to")
    reference: str | None = Field(default=None, description="the local (outbox) reference")


class Ticket(TicketDraft):
    id: str
    status: Status = "new"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    responded_at: datetime | None = Field(default=None, description="first left 'new' (an agent took it): the SLA response")
    resolved_at: datetime | None = Field(default=None, description="first resolved or closed: the SLA resolution")
    comments: list[TranscriptLine] = Field(default_factory=list)

    def mark_status(self, status: Status, at: datetime) -> None:
        """Set the status and keep the first response and resolution times (what SLA attainment is measured on)."""
        self.status = status
        if status != "new" and self.responded_at is None:
            self.responded_at = at
        if status in ("resolved", "closed") and self.resolved_at is None:
            self.resolved_at = at


class TicketSummary(BaseModel):
    """A short view of a ticket: enough for "Last week you reported a printer problem (#123)"."""

    id: str
    subject: str
    category: str | None
    status: Status
    priority: str
    queue: str
    created_at: datetime
    problem_id: int | None = None

    @classmethod
    def of(cls, ticket: Ticket) -> "TicketSummary":
        return cls(**ticket.model_dump(include=set(cls.model_fields)))
