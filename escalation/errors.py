"""Errors of the escalation package; HTTP handlers translate them once (see helpdesk_service.app)."""


class EscalationError(Exception):
    """Base class of every escalation error."""


class TicketNotFound(EscalationError):
    """No ticket with this id (or not visible to this requester)."""


class BackendUnavailable(EscalationError):
    """The ticket backend cannot be reached right now; the caller may retry."""


class InvalidTicket(EscalationError):
    """The ticket data is not acceptable (a clear message says why)."""
