"""Tickets: the data model, the backend interface and one module per backend."""

from escalation.tickets.base import TicketBackend
from escalation.tickets.model import Ticket, TicketDraft, TicketRequest, TranscriptLine

__all__ = ["Ticket", "TicketBackend", "TicketDraft", "TicketRequest", "TranscriptLine"]
