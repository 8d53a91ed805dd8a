"""The ticket backend interface. Adapters live one per module beside this one.

Every adapter translates its own errors at the boundary into :mod:`escalation.errors`:
``TicketNotFound`` (no such ticket), ``BackendUnavailable`` (cannot be reached now; the outbox
retries), ``InvalidTicket`` (the backend refuses the data).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from escalation.tickets.model import Status, Ticket, TicketDraft

#: ``status`` filter value meaning new, open or pending.
ACTIVE = "active"


class TicketBackend(Protocol):
    """A ticket system."""

    name: str

    def create(self, draft: TicketDraft) -> Ticket:
        """Create the ticket, or return the existing one with the same idempotency key."""
        ...

    def get(self, ticket_id: str) -> Ticket: ...

    def list(self, *, requester_id: str | None = None, status: str | None = None, category: str | None = None,
             queue: str | None = None, priority: str | None = None, limit: int = 50) -> list[Ticket]:
        """Newest first. ``status`` may be ``"active"`` (new, open or pending). Backends may leave the
        transcript and comments out of listed tickets (RT does); ``get`` has everything."""
        ...

    def set_status(self, ticket_id: str, status: Status, comment: str | None = None) -> Ticket:
        """Change the status; ``comment`` (e.g. the requester's reason for closing) is added first, as a
        comment of the requester."""
        ...

    def add_comment(self, ticket_id: str, text: str, sender: str = "user") -> Ticket: ...

    def add_links(self, ticket_id: str, related_to: list[str]) -> Ticket:
        """Link the ticket to earlier tickets (``related_to`` ids); existing links are kept."""
        ...


@runtime_checkable
class RequesterTickets(Protocol):
    """A backend that keeps tickets outside the service's data folder (RT) exports and erases one
    requester's tickets itself (GDPR); the SQLite store is one of the data folder's stores."""

    def export_requester(self, requester_id: str) -> list[dict]: ...

    def erase_requester(self, requester_id: str) -> int:
        """Remove every ticket of the requester for good; how many."""
        ...
