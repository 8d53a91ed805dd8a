"""Tickets over HTTP (token-authenticated): escalate, list, read, update, comment.

A ticket is addressed by its backend id (``123``) or by the local reference of the escalation
(``R-1A2B3C4D5E``), which works from the moment the escalation is accepted.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, field_validator, model_validator

from helpdesk_service.deps import Authenticated, EscalationsDep
from escalation.errors import TicketNotFound
from escalation.service import TicketOut
from escalation.tickets.model import Status, TicketRequest, TicketSummary

router = APIRouter(prefix="/api/tickets", tags=["tickets"], dependencies=[Authenticated])

RequesterQuery = Annotated[str | None, Query(
    max_length=200, description="when given, the ticket must belong to this requester (else 404)")]
ERRORS = {401: {"description": "missing or wrong API token"}, 404: {"description": "unknown ticket"},
          422: {"description": "invalid request; `detail` names the field"},
          503: {"description": "the ticket system is unavailable"}}


class TicketUpdate(BaseModel):
    """Change the status and/or link the ticket to earlier tickets of the same requester."""

    status: Status | None = None
    reason: str | None = Field(default=None, max_length=2000,
                               description="with resolved/closed: the requester's words, kept on the ticket as a comment")
    related_to: list[str] | None = Field(default=None, max_length=20, description="ticket ids or references to link")

    @field_validator("related_to", mode="before")
    @classmethod
    def _ids(cls, value):
        if isinstance(value, (str, int)):
            value = [value]
        return [str(v).lstrip("#") for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _something(self) -> "TicketUpdate":
        if self.status is None and not self.related_to:
            raise ValueError("give status and/or related_to")
        return self


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    sender: Literal["user", "agent", "bot"] = "user"


def _mine(ticket: TicketOut, requester_id: str | None, ref: str) -> TicketOut:
    if requester_id is not None and ticket.requester.id != requester_id:
        raise TicketNotFound(f"ticket {ref!r} not found")
    return ticket


@router.post(
    "", status_code=201, response_model=TicketOut, summary="Escalate: create a ticket (idempotent)",
    responses={201: {"description": "the ticket is in the ticket system (`delivery: delivered`)"},
               202: {"description": "the ticket system is down: kept in the outbox (`delivery: outbox`, `id` null, "
                                    "`reference` set); delivered automatically when it is back"},
               **ERRORS},
)
def create_ticket(body: TicketRequest, escalations: EscalationsDep, response: Response) -> TicketOut:
    """Masks secrets (and personal data if configured), computes priority, SLA due times and queue, links a
    known problem (`problem` in the answer), stores the escalation in the durable outbox and delivers it.
    The same `idempotency_key` always gives the same ticket."""
    ticket = escalations.submit(body)
    if ticket.delivery == "outbox":
        response.status_code = 202
    return ticket


@router.get("", response_model=list[TicketOut], summary="List tickets, newest first", responses=ERRORS)
def list_tickets(
    escalations: EscalationsDep,
    requester_id: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[Literal["new", "open", "pending", "resolved", "closed", "active"] | None,
                      Query(description="`active` = new, open or pending")] = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
    queue: Annotated[str | None, Query(max_length=100)] = None,
    priority: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[TicketOut]:
    """Filters combine with AND. With the RT backend listed tickets leave out transcript and comments
    (GET one ticket for everything)."""
    return escalations.list(requester_id=requester_id, status=status, category=category, queue=queue,
                            priority=priority, limit=limit)


@router.get("/recent", response_model=list[TicketSummary], summary="A requester's recent tickets",
            responses=ERRORS)
def recent_tickets(
    escalations: EscalationsDep,
    requester_id: Annotated[str, Query(min_length=1, max_length=200)],
    days: Annotated[float, Query(gt=0, le=3650)] = 30,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[TicketSummary]:
    """Newest first, with category and created_at, for "Last week you reported a printer problem (#123);
    is this related?". Escalations still in the outbox appear with their reference as id."""
    return escalations.recent(requester_id, days=days, limit=limit)


@router.get("/{ticket_id}", response_model=TicketOut, summary="One ticket (by id or local reference)",
            responses=ERRORS)
def get_ticket(ticket_id: str, escalations: EscalationsDep, requester_id: RequesterQuery = None) -> TicketOut:
    return _mine(escalations.get(ticket_id), requester_id, ticket_id)


@router.patch("/{ticket_id}", response_model=TicketOut, summary="Change the status and/or add links",
              responses=ERRORS)
def update_ticket(ticket_id: str, body: TicketUpdate, escalations: EscalationsDep,
                  requester_id: RequesterQuery = None) -> TicketOut:
    """`{"status": "resolved"}` when the user says it works again; `{"related_to": ["123"]}` links earlier
    tickets of the same requester."""
    if requester_id is not None:
        _mine(escalations.get(ticket_id), requester_id, ticket_id)
    ticket = None
    if body.related_to:
        ticket = escalations.add_links(ticket_id, body.related_to)
    if body.status is not None:
        ticket = escalations.set_status(ticket_id, body.status, body.reason)
    assert ticket is not None
    return ticket


@router.post("/{ticket_id}/comments", status_code=201, response_model=TicketOut,
             summary="Add information to a ticket", responses=ERRORS)
def comment(ticket_id: str, body: CommentIn, escalations: EscalationsDep,
            requester_id: RequesterQuery = None) -> TicketOut:
    """The text is masked like the transcript."""
    if requester_id is not None:
        _mine(escalations.get(ticket_id), requester_id, ticket_id)
    return escalations.comment(ticket_id, body.text, body.sender)
