"""Tickets over HTTP (token-authenticated)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from escalation.api.deps import Authenticated, TicketsDep
from escalation.tickets.model import Ticket, TicketDraft

router = APIRouter(prefix="/api/tickets", tags=["tickets"], dependencies=[Authenticated])


class StatusUpdate(BaseModel):
    status: Literal["new", "open", "pending", "resolved", "closed"]


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    sender: Literal["user", "agent", "bot"] = "user"


@router.post("", status_code=201)
def create_ticket(draft: TicketDraft, tickets: TicketsDep) -> Ticket:
    return tickets.create(draft)


@router.get("")
def list_tickets(tickets: TicketsDep, requester_id: str | None = None, status: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[Ticket]:
    return tickets.list(requester_id=requester_id, status=status, limit=limit)


@router.get("/{ticket_id}")
def get_ticket(ticket_id: str, tickets: TicketsDep) -> Ticket:
    return tickets.get(ticket_id)


@router.patch("/{ticket_id}")
def update_ticket(ticket_id: str, body: StatusUpdate, tickets: TicketsDep) -> Ticket:
    return tickets.set_status(ticket_id, body.status)


@router.post("/{ticket_id}/comments", status_code=201)
def comment(ticket_id: str, body: CommentIn, tickets: TicketsDep) -> Ticket:
    return tickets.add_comment(ticket_id, body.text, body.sender)
