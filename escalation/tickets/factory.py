"""Builds the configured ticket backend from the settings."""

from __future__ import annotations

from escalation.errors import EscalationError
from escalation.tickets.base import TicketBackend
from core.settings import Settings


def build_backend(settings: Settings) -> TicketBackend:
    backend = settings.tickets.backend
    if backend == "sqlite":
        from escalation.tickets.sqlite_store import SqliteTicketStore

        return SqliteTicketStore(settings.path(settings.tickets.sqlite_path))
    if backend == "rt":
        from escalation.tickets.rt import RtTicketBackend

        return RtTicketBackend.from_settings(settings)
    if backend == "email":
        from escalation.tickets.email_smtp import EmailTicketBackend

        return EmailTicketBackend.from_settings(settings)
    raise EscalationError(f"unknown ticket backend {backend!r} (known: sqlite, rt, email)")
