"""Turns what the bot posts (:class:`TicketRequest`) into what a backend receives (:class:`TicketDraft`):
secrets (always) and personal data (``privacy.mask_personal_data``) masked again, priority from the
matrix, SLA due times (business hours), queue from the routing, and the local reference."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from escalation import priority as prio
from escalation.routing import queue_for
from escalation.tickets.model import TicketDraft, TicketRequest, TranscriptLine, utcnow
from core.privacy import mask
from core.settings import Settings

REFERENCE_PREFIX = "R-"


def reference_for(idempotency_key: str) -> str:
    """The local reference of an escalation: ``R-`` + 10 hex digits of sha256(idempotency_key).

    Deterministic, so a client can tell the user the reference even when the service is unreachable."""
    return REFERENCE_PREFIX + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:10].upper()


def is_reference(value: str) -> bool:
    return value.upper().startswith(REFERENCE_PREFIX) and len(value) == len(REFERENCE_PREFIX) + 10


def _mask_value(value: Any, personal: bool) -> Any:
    if isinstance(value, str):
        return mask(value, personal)
    if isinstance(value, dict):
        return {k: _mask_value(v, personal) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v, personal) for v in value]
    return value


def mask_text(settings: Settings, text: str) -> str:
    return mask(text, settings.privacy.mask_personal_data)


def prepare(request: TicketRequest, settings: Settings, now: datetime | None = None) -> TicketDraft:
    """The draft a backend receives; pure apart from reading the settings."""
    now = now or utcnow()
    personal = settings.privacy.mask_personal_data
    category = request.category.strip().lower() if request.category else None
    priority = prio.priority(settings.sla, request.urgency, request.impact, category)
    response_due, resolution_due = prio.due_times(settings.sla, priority, now, settings.timezone)
    data = request.model_dump()
    data.update(
        category=category,
        subject=mask(request.subject, personal),
        description=mask(request.description, personal),
        paraphrase=mask(request.paraphrase, personal) if request.paraphrase else request.paraphrase,
        facts=_mask_value(request.facts, personal),
        transcript=[TranscriptLine(sender=line.sender, text=mask(line.text, personal), timestamp=line.timestamp)
                    for line in request.transcript],
        priority=priority,
        queue=queue_for(settings.routing, category),
        response_due=response_due,
        resolution_due=resolution_due,
        reference=reference_for(request.idempotency_key),
    )
    return TicketDraft.model_validate(data)
