"""The ticket backend interface. Adapters live one per module beside this one."""

from __future__ import annotations

from typing import Protocol

from escalation.tickets.model import Status, Ticket, TicketDraft


class TicketBackend(Protocol):
    """A ticket system. Errors: TicketNotFound, BackendUnavailable (escalation.errors)."""

    name: str

    def create(self, draft: TicketDraft) -> Ticket:
        """Create the ticket, or return the existing one with the same idempotency key."""
        ...

    def get(self, ticket_id: str) -> Ticket: ...

    def list(self, *, requester_id: str | None = None, status: str | None = None, limit: int = 50) -> list[Ticket]: ...

    def set_status(self, ticket_id: str, status: Status) -> Ticket: ...

    def add_comment(self, ticket_id: str, text: str, sender: str = "user") -> Ticket: ...
