"""What Rasa's chat channels keep in the service's database (bearer token; ``channel_store.py``):
Teams conversation references, and the messages waiting for REST users."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field, field_validator

from helpdesk_service.channel_store import ChannelStore
from helpdesk_service.deps import Authenticated, part

router = APIRouter(prefix="/api/channels", tags=["chat channels"], dependencies=[Authenticated])
ChannelsDep = Annotated[ChannelStore, part("channels")]
MAX_MESSAGE_JSON = 20000
SenderId = Annotated[str, Field(min_length=1, max_length=200, description="the conversation's sender id in Rasa")]


class TeamsReference(BaseModel):
    conversation: dict[str, Any] = Field(description="the activity's conversation (its id at least)")
    user: str = Field(min_length=1, max_length=200, description="the Teams user id (from.id)")
    recipient: dict[str, Any] = Field(description="the bot's account in that conversation")
    serviceUrl: str = Field(min_length=1, max_length=500, description="the Bot Connector of that conversation")

    @field_validator("serviceUrl")
    @classmethod
    def _web_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("serviceUrl must be an http(s) URL")
        return value

    @field_validator("conversation")
    @classmethod
    def _has_id(cls, value: dict) -> dict:
        if not isinstance(value.get("id"), str) or not value["id"]:
            raise ValueError("conversation.id is missing")
        return value


class SavedReference(BaseModel):
    sender_id: SenderId
    reference: TeamsReference


class QueuedMessage(BaseModel):
    sender_id: SenderId
    message: dict[str, Any] = Field(description="a message as Rasa's REST channel answers it (text, buttons...)")

    @field_validator("message")
    @classmethod
    def _small(cls, value: dict) -> dict:
        if len(json.dumps(value)) > MAX_MESSAGE_JSON:
            raise ValueError(f"the message is larger than {MAX_MESSAGE_JSON} characters of JSON")
        return value


class Sender(BaseModel):
    sender_id: SenderId


@router.put("/teams/references", status_code=204, summary="Keep a Teams user's conversation reference")
def save_reference(body: SavedReference, channels: ChannelsDep) -> None:
    channels.save_reference(body.sender_id, body.reference.model_dump())


@router.get("/teams/references", summary="A Teams user's conversation reference (404: they never wrote)")
def get_reference(sender_id: str, channels: ChannelsDep) -> TeamsReference:
    reference = channels.reference(sender_id)
    if reference is None:
        raise HTTPException(status_code=404, detail="no conversation reference for this sender")
    return TeamsReference(**reference)


@router.post("/rest/queue", status_code=204, summary="Queue a message for a REST user's next call")
def queue_message(body: QueuedMessage, channels: ChannelsDep) -> None:
    channels.queue(body.sender_id, body.message)


@router.post("/rest/queue/take", summary="The messages waiting for a REST user, oldest first (handed out once)")
def take_queued(body: Sender, channels: ChannelsDep) -> list[dict[str, Any]]:
    return channels.take_queued(body.sender_id)
