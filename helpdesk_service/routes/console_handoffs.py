"""The bot's side of a live handoff (bearer token): ask for an agent after the ticket is created, and
the satisfaction answers for analytics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from helpdesk_service.deps import Authenticated, container
from helpdesk_service.container import Container

router = APIRouter(prefix="/api/handoffs", tags=["handoff"], dependencies=[Authenticated])


class HandoffRequest(BaseModel):
    conversation_id: str = Field(min_length=1, max_length=200, description="Rasa's sender id")
    ticket_id: str = Field(min_length=1, max_length=50, description="the ticket the bot just created")
    language: str = Field(min_length=2, max_length=8)
    channel: str | None = Field(default=None, max_length=50, description="the user's channel (socketio, rest, ...)")
    reason: str | None = Field(default=None, max_length=50)


@router.post("", summary="Hand the chat to an agent when one is available")
def request_handoff(body: HandoffRequest, c: Annotated[Container, Depends(container)]) -> dict:
    """``{"status": "waiting", "handoff_id": n}`` (the bot tells the user a person is joining and
    pauses) or ``{"status": "unavailable", "reason": "closed" | "offline" | "busy" | "disabled" | "channel"}``."""
    return c.handoffs.request(body.conversation_id, body.ticket_id, body.language, body.channel, body.reason)


@router.get("/satisfaction", summary="Satisfaction answers after chats with an agent (newest first)")
def satisfaction(c: Annotated[Container, Depends(container)], limit: int = 500) -> list[dict]:
    return c.handoffs.store.satisfaction(min(max(limit, 1), 5000))
