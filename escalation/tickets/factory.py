"""Builds the configured ticket backend from the settings.

One module per ticket system in ``escalation/tickets/``, each with a ``from_settings(settings)``
constructor; ``BACKENDS`` maps the name used in ``tickets.backend`` to it. Adding a ticket system is
a new module, one line here and its settings section (core/settings.py, settings.yml).
"""

from __future__ import annotations

from importlib import import_module

from core.settings import Settings
from escalation.errors import EscalationError
from escalation.tickets.base import TicketBackend

BACKENDS = {
    "sqlite": "escalation.tickets.sqlite_store:SqliteTicketStore",
    "rt": "escalation.tickets.rt:RtTicketBackend",
    "email": "escalation.tickets.email_smtp:EmailTicketBackend",
}


def build_backend(settings: Settings) -> TicketBackend:
    name = settings.tickets.backend
    if name not in BACKENDS:
        raise EscalationError(f"unknown ticket backend {name!r} (known: {', '.join(BACKENDS)})")
    module, cls = BACKENDS[name].split(":")
    return getattr(import_module(module), cls).from_settings(settings)
