"""A daemon thread that reads the user's live messages and applies the handoff timeouts every
``handoff.poll_seconds`` (started and stopped with the app)."""

from __future__ import annotations

from core.periodic import PeriodicTask
from helpdesk_service.handoff.service import HandoffService


def handoff_worker(service: HandoffService, poll_seconds: float) -> PeriodicTask:
    return PeriodicTask("handoff-worker", service.poll, poll_seconds)
