"""Service-level settings and the outbox, read-only views for the console (and an operator's retry)."""

from __future__ import annotations

from fastapi import APIRouter

from helpdesk_service.deps import Authenticated, OutboxDep, SettingsDep
from escalation.priority import sla_table
from escalation.routing import queues

router = APIRouter(prefix="/api", tags=["service levels"], dependencies=[Authenticated])


@router.get("/sla", summary="The urgency x impact matrix and the SLA targets")
def sla(settings: SettingsDep) -> dict:
    """`matrix[urgency][impact]` -> priority; `targets[priority]` in minutes; the defaults for an unknown
    urgency/impact and the categories that are high priority by rule."""
    return sla_table(settings.sla)


@router.get("/routing", summary="Queues and the category -> queue routing")
def routing(settings: SettingsDep) -> dict:
    return {"default_queue": settings.routing.default_queue, "queues": queues(settings.routing),
            "categories": dict(settings.routing.categories)}


@router.get("/outbox", summary="Outbox status: escalations pending and delivered")
def outbox_status(outbox: OutboxDep) -> dict:
    """`pending` > 0 means the ticket backend was down; the worker retries with exponential backoff."""
    return outbox.status()


@router.get("/outbox/dead", summary="Escalations the ticket system refused for good (dead letters)")
def outbox_dead(outbox: OutboxDep, limit: int = 50) -> list[dict]:
    """Each with its reference, the last error and the draft, for an operator to fix and resubmit."""
    return [{"reference": e.reference, "last_error": e.last_error, "attempts": e.attempts,
             "created_at": e.created_at, "draft": e.draft.model_dump(mode="json")}
            for e in outbox.pending(limit=min(max(limit, 1), 500), state="dead")]


@router.post("/outbox/retry", summary="Retry every pending escalation now")
def outbox_retry(outbox: OutboxDep) -> dict:
    made_due = outbox.retry_now()
    delivered = outbox.deliver_due(limit=max(1, made_due))
    return {"retried": made_due, "delivered": delivered, **outbox.status()}
