"""Tickets as e-mail over SMTP: the channel every helpdesk tool ingests (RT's ``rt-mailgate``, Zammad,
osTicket, Jira Service Management, Freshdesk, a shared mailbox).

One ticket = one message to ``email.to_address``: subject ``<prefix> [R-...] <subject>`` (the reference
lets the receiving tool and the agents thread follow-ups), the readable text of
:func:`escalation.tickets.render.render_text` as the body, the whole ticket as the attachment
``helpdesk-ticket.json``, and headers ``X-Helpdesk-Reference`` / ``X-Helpdesk-Priority`` /
``X-Helpdesk-Queue`` for the receiver's filters. The Message-ID is derived from the reference, so a
message sent twice is recognisably the same. Comments and status changes are follow-up messages
(``In-Reply-To`` the ticket's message). The tool on the other side keeps its own numbers; here the
tickets sent are kept in a local SQLite store (their number, status, comments) so status questions
from the chat are answered.

Outbox guarantees: nothing is stored before the SMTP server accepted the message; a server that
cannot be reached or answers 4xx is :class:`BackendUnavailable` (the outbox retries), a 5xx refusal is
:class:`InvalidTicket` (dead letter). A key already sent returns the stored ticket (idempotent).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from core.settings import EmailTicketSettings, Settings
from escalation.errors import BackendUnavailable, InvalidTicket
from escalation.tickets.model import Status, Ticket, TicketDraft
from escalation.tickets.render import render_text
from escalation.tickets.sqlite_store import SqliteTicketStore

log = logging.getLogger(__name__)
JSON_NAME = "helpdesk-ticket.json"


class EmailTicketBackend:
    name = "email"

    def __init__(self, settings: EmailTicketSettings, store_path: Path, zone: str) -> None:
        self.settings = settings
        self.store = SqliteTicketStore(store_path)
        self.zone = zone

    @classmethod
    def from_settings(cls, settings: Settings) -> "EmailTicketBackend":
        path = settings.path(settings.email.store_path or settings.data_path / "email_tickets.db")
        return cls(settings.email, path, settings.timezone)

    # --- messages -----------------------------------------------------------------------
    def _domain(self) -> str:
        return self.settings.from_address.rpartition("@")[2] or "helpdesk.local"

    def _message_id(self, reference: str) -> str:
        return f"<{reference}@{self._domain()}>"

    def subject(self, draft: TicketDraft) -> str:
        return f"{self.settings.subject_prefix} [{draft.reference}] {draft.subject}".strip()

    def ticket_message(self, draft: TicketDraft) -> EmailMessage:
        msg = self._message(self.subject(draft), render_text(draft, self.zone), draft)
        msg["Message-ID"] = self._message_id(draft.reference or draft.idempotency_key)
        msg.add_attachment(draft.model_dump_json(indent=1).encode("utf-8"), maintype="application",
                           subtype="json", filename=JSON_NAME)
        return msg

    def _message(self, subject: str, body: str, draft: TicketDraft) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.settings.from_address
        msg["To"] = self.settings.to_address
        if draft.requester.email:
            msg["Reply-To"] = draft.requester.email
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        msg["X-Helpdesk-Reference"] = draft.reference or ""
        msg["X-Helpdesk-Priority"] = draft.priority
        msg["X-Helpdesk-Queue"] = draft.queue
        msg["X-Helpdesk-Language"] = draft.language
        msg.set_content(body)
        return msg

    def send(self, msg: EmailMessage) -> None:
        """Hand one message to the SMTP server; its errors translated here, once."""
        s = self.settings
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout_seconds) as smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.user and s.password:
                    smtp.login(s.user, s.password)
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {s.smtp_host}:{s.smtp_port} answered {exc.smtp_code} {exc.smtp_error!r}"
            if 500 <= exc.smtp_code < 600:
                raise InvalidTicket(text) from exc
            raise BackendUnavailable(text) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise InvalidTicket(f"SMTP {s.smtp_host}:{s.smtp_port} refused {s.to_address}: {exc.recipients}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise BackendUnavailable(f"SMTP server {s.smtp_host}:{s.smtp_port} not reachable ({exc}); "
                                     "check email.smtp_host / email.smtp_port (HELPDESK_EMAIL__SMTP_PORT)") from exc

    def _follow_up(self, ticket: Ticket, text: str) -> None:
        msg = self._message(f"Re: {self.subject(ticket)}", text, ticket)
        msg["In-Reply-To"] = msg["References"] = self._message_id(ticket.reference or ticket.idempotency_key)
        self.send(msg)

    # --- the interface ------------------------------------------------------------------
    def create(self, draft: TicketDraft) -> Ticket:
        existing = self.store.find_by_key(draft.idempotency_key)
        if existing is not None:
            return existing
        self.send(self.ticket_message(draft))
        ticket = self.store.create(draft)
        log.info("e-mail ticket %s (%s) sent to %s", ticket.id, draft.reference, self.settings.to_address)
        return ticket

    def get(self, ticket_id: str) -> Ticket:
        return self.store.get(ticket_id)

    def list(self, **filters) -> list[Ticket]:
        return self.store.list(**filters)

    def set_status(self, ticket_id: str, status: Status, comment: str | None = None) -> Ticket:
        ticket = self.store.get(ticket_id)
        self._follow_up(ticket, f"Status: {status}\n(reference {ticket.reference}, changed from the chat)"
                        + (f"\n\nuser: {comment}" if comment else ""))
        return self.store.set_status(ticket_id, status, comment)

    def add_comment(self, ticket_id: str, text: str, sender: str = "user") -> Ticket:
        ticket = self.store.get(ticket_id)
        self._follow_up(ticket, f"{sender}: {text}")
        return self.store.add_comment(ticket_id, text, sender)

    def add_links(self, ticket_id: str, related_to: list[str]) -> Ticket:
        ticket = self.store.add_links(ticket_id, related_to)
        self._follow_up(ticket, "Related tickets: " + ", ".join(f"#{t}" for t in ticket.related_to))
        return ticket
