"""The escalation service: what ``POST /api/tickets`` and friends do, independent of HTTP.

submit: known key? -> that escalation. Otherwise prepare (mask, priority, SLA, queue), link to a known
problem, store in the outbox, try the backend once; the worker retries what is left.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from escalation import intake
from escalation.errors import BackendUnavailable, InvalidTicket, TicketNotFound
from escalation.outbox import Outbox, OutboxEntry
from escalation.problems import Problem, ProblemStore
from escalation.tickets.base import TicketBackend
from escalation.tickets.model import Status, Ticket, TicketRequest, TicketSummary, utcnow
from core.settings import Settings

log = logging.getLogger(__name__)


class ProblemInfo(BaseModel):
    """The known problem a ticket is linked to, as the bot tells it."""

    id: int
    title: str
    category: str
    since: datetime
    status: Literal["open", "resolved"]
    message: str | None = Field(default=None, description="the agents' message in the ticket's language, if any")


class TicketOut(Ticket):
    """A ticket as the API returns it; ``id`` is null while the escalation waits in the outbox."""

    id: str | None = None
    delivery: Literal["delivered", "outbox"] = Field(
        description="delivered: in the ticket system; outbox: kept locally, delivered when the backend is back")
    problem: ProblemInfo | None = None


def _problem_info(problem: Problem, language: str) -> ProblemInfo:
    return ProblemInfo(id=problem.id, title=problem.title, category=problem.category, since=problem.since,
                       status=problem.status, message=problem.messages.get(language))


class EscalationService:
    def __init__(self, settings: Settings, backend: TicketBackend, outbox: Outbox, problems: ProblemStore) -> None:
        self.settings = settings
        self.backend = backend
        self.outbox = outbox
        self.problems = problems

    # --- shapes -------------------------------------------------------------------------
    def _out(self, ticket: Ticket, delivery: str) -> TicketOut:
        problem = None
        if ticket.problem_id is not None:
            try:
                problem = _problem_info(self.problems.get(ticket.problem_id), ticket.language)
            except Exception:  # noqa: BLE001 - a missing problem record never hides the ticket
                problem = None
        return TicketOut(**{**ticket.model_dump(), "delivery": delivery, "problem": problem})

    def _entry_out(self, entry: OutboxEntry) -> TicketOut:
        if entry.state == "delivered" and entry.ticket_id:
            try:
                ticket = self.backend.get(entry.ticket_id)
            except BackendUnavailable:
                ticket = entry.ticket or Ticket(**entry.draft.model_dump(), id=entry.ticket_id)
            return self._out(ticket, "delivered")
        pending = Ticket(**entry.draft.model_dump(), id="", created_at=entry.created_at, updated_at=entry.created_at)
        out = self._out(pending, "outbox")
        out.id = None
        return out

    # --- operations ---------------------------------------------------------------------
    def submit(self, request: TicketRequest) -> TicketOut:
        """Accept an escalation: delivered (``delivery == "delivered"``) or kept in the outbox."""
        entry = self.outbox.by_key(request.idempotency_key)
        if entry is None:
            for other in request.related_to:
                self._check_related(other, request.requester.id)
            related = [self._delivered_id(other) for other in request.related_to]
            draft = intake.prepare(request.model_copy(update={"related_to": related}), self.settings)
            try:
                problem = self.problems.match(draft)
            except Exception:  # noqa: BLE001 - problem detection never blocks an escalation
                log.exception("known-problem detection failed; the ticket goes through unlinked")
                problem = None
            if problem is not None:
                draft.problem_id = problem.id
            entry = self.outbox.put(draft)
            self.problems.record(entry.draft)
            if entry.fresh:
                return self._entry_out(self.outbox.deliver(entry.reference, claimed=True))
        if entry.state == "pending":
            entry = self.outbox.deliver(entry.reference)
        return self._entry_out(entry)

    def _check_related(self, ticket_id: str, requester_id: str) -> None:
        try:
            other = self.get(ticket_id)
        except TicketNotFound:
            raise InvalidTicket(f"related_to: ticket {ticket_id!r} not found") from None
        if other.requester.id != requester_id:
            raise InvalidTicket(f"related_to: ticket {ticket_id!r} belongs to another requester")

    def get(self, ref: str) -> TicketOut:
        """A ticket by backend id or by local reference (``R-...``)."""
        if intake.is_reference(ref):
            entry = self.outbox.get(ref)
            if entry is None:
                raise TicketNotFound(f"ticket {ref!r} not found")
            return self._entry_out(entry)
        return self._out(self.backend.get(ref), "delivered")

    def _backend_id(self, ref: str) -> str:
        if intake.is_reference(ref):
            entry = self.outbox.get(ref)
            if entry is None:
                raise TicketNotFound(f"ticket {ref!r} not found")
            if entry.state != "delivered" or not entry.ticket_id:
                raise BackendUnavailable(f"escalation {ref} is still in the outbox; try again when it is delivered")
            return entry.ticket_id
        return ref

    def _delivered_id(self, ref: str) -> str:
        """The backend id of a delivered escalation; a pending one keeps its reference."""
        if intake.is_reference(ref):
            entry = self.outbox.get(ref)
            if entry is not None and entry.state == "delivered" and entry.ticket_id:
                return entry.ticket_id
        return ref

    def list(self, **filters) -> list[TicketOut]:
        return [self._out(t, "delivered") for t in self.backend.list(**filters)]

    def recent(self, requester_id: str, days: float = 30, limit: int = 5) -> list[TicketSummary]:
        """The requester's tickets of the last ``days`` days, newest first (pending escalations included)."""
        since = utcnow() - timedelta(days=days)
        try:
            tickets = [TicketSummary.of(t) for t in self.backend.list(requester_id=requester_id, limit=max(limit, 20))]
        except BackendUnavailable:
            log.warning("ticket backend unavailable: recent tickets from the outbox only")
            tickets = []
        pending = [TicketSummary(**{**e.draft.model_dump(), "id": e.reference, "status": "new",
                                    "created_at": e.created_at}) for e in self.outbox.pending(requester_id)]
        merged = sorted((t for t in tickets + pending if t.created_at >= since), key=lambda t: t.created_at,
                        reverse=True)
        return merged[:limit]

    def set_status(self, ref: str, status: Status, reason: str | None = None) -> TicketOut:
        """Change the status; with a ``reason`` (the requester's words when closing) it is first added to
        the ticket as a comment, so agents see why it was closed."""
        comment = None
        if reason and reason.strip():
            comment = intake.mask_text(self.settings, reason.strip())
            comment = f"Closed by the requester: {comment}" if status in ("resolved", "closed") else comment
        ticket = self.backend.set_status(self._backend_id(ref), status, comment)
        if status in ("resolved", "closed") and ticket.reference:
            self.problems.close_incident(ticket.reference)
        return self._out(ticket, "delivered")

    def add_links(self, ref: str, related_to: list[str]) -> TicketOut:
        ticket_id = self._backend_id(ref)
        ticket = self.backend.get(ticket_id)
        for other in related_to:
            self._check_related(other, ticket.requester.id)
        ids = [self._backend_id(other) for other in related_to]
        if ticket_id in ids:
            raise InvalidTicket("related_to: a ticket cannot be related to itself")
        return self._out(self.backend.add_links(ticket_id, ids), "delivered")

    def comment(self, ref: str, text: str, sender: str) -> TicketOut:
        masked = intake.mask_text(self.settings, text)
        return self._out(self.backend.add_comment(self._backend_id(ref), masked, sender), "delivered")
