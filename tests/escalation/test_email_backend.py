"""The e-mail ticket backend against a real SMTP server (aiosmtpd), through the one outbox, and end to
end into Request Tracker through its own mail gateway (rt-mailgate)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from core.settings import EmailTicketSettings
from escalation.errors import BackendUnavailable, InvalidTicket
from escalation.intake import prepare
from escalation.outbox import Outbox
from escalation.tickets.email_smtp import JSON_NAME, EmailTicketBackend
from escalation.tickets.model import TicketRequest
from tests.escalation.smtp_server import Mailbox, SmtpServer, free_port


def draft_for(settings, **extra):
    body = dict(idempotency_key=uuid.uuid4().hex, language="fr", subject="Imprimante bloquée",
                requester={"id": f"mail-{uuid.uuid4().hex[:6]}", "channel": "socketio", "email": "marie@example.com",
                           "name": "Marie"},
                category="printer", description="L'imprimante du 2e étage n'imprime plus",
                transcript=[{"sender": "user", "text": "mon mot de passe est azerty",
                             "timestamp": "2026-12-01T01:02:00Z"}],
                suggested_articles=[{"article_id": "printer-offline", "title": "L'imprimante est hors ligne",
                                     "outcome": "not_solved"}])
    body.update(extra)
    return prepare(TicketRequest(**body), settings)


def backend_for(settings, tmp_path, port):
    mail = EmailTicketSettings(smtp_port=port, to_address="helpdesk@helpdesk.local", timeout_seconds=5)
    return EmailTicketBackend(mail, tmp_path / "email_tickets.db", settings.timezone)


def test_a_ticket_is_one_message_a_helpdesk_tool_can_ingest(settings, tmp_path):
    with SmtpServer() as smtp:
        backend = backend_for(settings, tmp_path, smtp.port)
        draft = draft_for(settings)
        ticket = backend.create(draft)
        assert backend.create(draft).id == ticket.id            # idempotent: no second message
        assert len(smtp.mailbox.messages) == 1
        msg = smtp.mailbox.messages[0]
        assert msg["Subject"] == f"[helpdesk] [{draft.reference}] Imprimante bloquée"
        assert msg["X-Helpdesk-Reference"] == draft.reference and msg["X-Helpdesk-Priority"] == draft.priority
        assert msg["Reply-To"] == "marie@example.com" and msg["Message-ID"] == f"<{draft.reference}@helpdesk.local>"
        body = msg.get_body(("plain",)).get_content()
        assert "mon mot de passe est [hidden]" in body and "printer-offline \"L'imprimante est hors ligne\": not_solved" in body
        assert "Transcript (times CET, Europe/Brussels):" in body and "[02:02:00] user:" in body
        attached = next(p for p in msg.iter_attachments() if p.get_filename() == JSON_NAME)
        data = json.loads(attached.get_content())
        assert data["reference"] == draft.reference and data["queue"] == "workplace" and data["language"] == "fr"

        backend.add_comment(ticket.id, "c'est l'imprimante HP", "user")
        assert backend.set_status(ticket.id, "resolved").status == "resolved"
        follow_ups = smtp.mailbox.messages[1:]
        assert [m["In-Reply-To"] for m in follow_ups] == [msg["Message-ID"]] * 2
        assert "c'est l'imprimante HP" in follow_ups[0].get_content() and "Status: resolved" in follow_ups[1].get_content()
        assert backend.get(ticket.id).comments[-1].text == "c'est l'imprimante HP"


def test_smtp_outage_is_retried_by_the_outbox_and_sent_exactly_once(settings, tmp_path):
    port = free_port()
    backend = backend_for(settings, tmp_path, port)
    outbox = Outbox(tmp_path / "outbox.db", backend, retry_initial=0.01, retry_max=0.05)
    draft = draft_for(settings)
    with pytest.raises(BackendUnavailable, match="not reachable"):
        backend.create(draft)
    entry = outbox.deliver(outbox.put(draft).reference, claimed=True)
    assert entry.state == "pending" and "not reachable" in entry.last_error
    told = []
    outbox.on_delivered = told.append
    with SmtpServer(port=port) as smtp:
        time.sleep(0.1)
        assert outbox.deliver_due() == 1
        assert outbox.deliver_due() == 0
        assert len(smtp.mailbox.messages) == 1 and draft.reference in smtp.mailbox.messages[0]["Subject"]
    assert [e.reference for e in told] == [draft.reference]   # the conversation is told, once


def test_a_refused_message_is_a_dead_letter_not_retried_forever(settings, tmp_path):
    mailbox = Mailbox()
    mailbox.refuse = "550 5.1.1 mailbox unavailable"
    with SmtpServer(mailbox) as smtp:
        backend = backend_for(settings, tmp_path, smtp.port)
        with pytest.raises(InvalidTicket, match="550"):
            backend.create(draft_for(settings))
        outbox = Outbox(tmp_path / "outbox.db", backend)
        draft = draft_for(settings)
        assert outbox.deliver(outbox.put(draft).reference, claimed=True).state == "dead"


def test_end_to_end_into_request_tracker_through_rt_mailgate(settings, tmp_path, rt_server, rt_admin):
    """RT's own mail gateway is one such receiver: the message becomes an RT ticket in the queue."""
    mailbox = Mailbox(pipe_to=["/usr/bin/rt-mailgate", "--queue", "first-line", "--action", "correspond",
                               "--url", rt_server.url])
    with SmtpServer(mailbox) as smtp:
        backend = backend_for(settings, tmp_path, smtp.port)
        backend.settings.from_address = rt_server.helpdesk_settings.rt_agent.bot_email   # a known RT user
        # no e-mail address known: no Reply-To, so RT takes the assistant (From) as the sender. With one, RT
        # takes the user as the requester, which needs the "Everyone: CreateTicket" right on the queue.
        draft = draft_for(settings, requester={"id": "mail-rt", "channel": "msteams", "name": "Marie"})
        backend.create(draft)
        assert not mailbox.pipe_errors, mailbox.pipe_errors
    found = rt_admin.request("GET", "/tickets", params={
        "query": f"Subject LIKE '{draft.reference}'", "fields": "Subject,Queue,Creator"})["items"]
    assert len(found) == 1 and found[0]["Subject"] == f"[helpdesk] [{draft.reference}] Imprimante bloquée"
    attachments = rt_admin.request("GET", f"/ticket/{found[0]['id']}/attachments",
                                   params={"fields": "Filename,ContentType", "per_page": 20})["items"]
    assert JSON_NAME in [a.get("Filename") for a in attachments]
