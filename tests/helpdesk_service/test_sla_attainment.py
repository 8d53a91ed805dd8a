from datetime import datetime, timedelta, timezone

from escalation.tickets.model import Ticket
from helpdesk_service.editor import sla_attainment

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


def ticket(n, language="nl", channel="socketio", *, response_due=NOW + H, resolution_due=NOW + 8 * H,
           responded=None, resolved=None, created=NOW - 2 * H):
    return Ticket(id=str(n), idempotency_key=f"k{n}", requester={"id": f"u{n}", "channel": channel}, language=language,
                  subject="s", created_at=created, response_due=response_due, resolution_due=resolution_due,
                  responded_at=responded, resolved_at=resolved)


def test_met_missed_and_undecided_by_language_and_channel():
    tickets = [
        ticket(1, responded=NOW - H, resolved=NOW - 0.5 * H),                       # both met
        ticket(2, response_due=NOW - H, responded=NOW - 0.5 * H),                   # response late, resolution open
        ticket(3, response_due=NOW - H, resolution_due=NOW - 0.1 * H),              # both missed, never taken
        ticket(4, "fr", "msteams"),                                                 # nothing due yet: undecided
        ticket(5, "en", "rest", response_due=None, resolution_due=None),            # no SLA
    ]
    figures = sla_attainment.summary(sla_attainment.table(tickets, NOW))
    assert figures["tickets"] == 5
    assert figures["response_attainment"] == round(1 / 3, 4)
    assert figures["resolution_attainment"] == 0.5
    rows = {(r["language"], r["channel"]): r for r in figures["rows"]}
    assert rows[("nl", "socketio")]["response_missed"] == 2 and rows[("nl", "socketio")]["resolution_met"] == 1
    assert rows[("fr", "msteams")]["response_met"] + rows[("fr", "msteams")]["response_missed"] == 0
    assert rows[("en", "rest")]["tickets"] == 1


def test_period_filter_and_no_tickets():
    old = ticket(1, created=NOW - 40 * 24 * H, responded=NOW - 40 * 24 * H)
    assert sla_attainment.summary(sla_attainment.table([old], NOW, since="2026-11-20"))["tickets"] == 0
    empty = sla_attainment.summary(sla_attainment.table([], NOW))
    assert empty == {"tickets": 0, "response_attainment": None, "resolution_attainment": None, "rows": []}
