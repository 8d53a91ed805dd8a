"""Remote-control consent: asked before the ticket when the category may need it, recorded with its time."""

from __future__ import annotations

import json
from datetime import datetime

from bot.actions.consent import ActionRecordConsent
from bot.actions.escalation import ActionEscalate
from tests.bot.test_triage import make_tracker, run


def test_consent_given_is_recorded_with_its_time(domain):
    messages, slots = run(ActionRecordConsent(), make_tracker("yes", "affirm"), domain)
    assert messages[0]["response"] == "utter_consent_noted"
    assert slots["remote_consent"] == "granted" and slots["pending_question"] is None
    assert datetime.fromisoformat(slots["remote_consent_at"]).tzinfo is not None


def test_consent_refused_offers_a_call_instead(domain):
    messages, slots = run(ActionRecordConsent(), make_tracker("no", "deny"), domain)
    assert messages[0]["response"] == "utter_consent_refused" and slots["remote_consent"] == "refused"


def test_escalating_a_slow_computer_asks_consent_first_and_creates_no_ticket_yet(helpdesk, domain):
    tracker = make_tracker("no", "deny", slots={"category": "performance", "symptom": "my pc is slow"})
    messages, slots = run(ActionEscalate(), tracker, domain)
    assert messages[0]["response"] == "utter_ask_remote_consent"
    assert slots == {"pending_question": "remote_consent"}
    assert not helpdesk.tickets


def test_the_ticket_carries_the_consent_the_facts_the_paraphrase_and_priority_inputs(helpdesk, domain):
    slots = {"category": "performance", "symptom": "my pc is slow", "device": "laptop", "since": "since monday",
             "tried": "none", "scope": "just_me", "work_blocked": "yes", "skill_level": "it_savvy",
             "paraphrase": "my pc is slow; on your laptop", "remote_consent": "refused",
             "remote_consent_at": "2026-11-29T10:00:00+00:00"}
    messages, _ = run(ActionEscalate(), make_tracker("no", "deny", slots=slots), domain)
    assert messages[-1]["response"] == "utter_ticket_created"
    ticket = next(iter(helpdesk.tickets.values()))
    assert ticket["remote_control_consent"] is False
    assert datetime.fromisoformat(ticket["remote_control_consent_at"]) == datetime.fromisoformat("2026-11-29T10:00:00+00:00")
    assert ticket["paraphrase"] == "my pc is slow; on your laptop" and ticket["skill_level"] == "it_savvy"
    assert ticket["facts"]["device"] == "laptop" and ticket["facts"]["tried"] == "none"
    assert ticket["urgency"] == "high" and ticket["impact"] == "low"
    assert ticket["subject"] == "my pc is slow"
    posted = json.loads(next(r for r in helpdesk.requests if r.method == "POST").content)
    assert posted["description"] == "my pc is slow; on your laptop"
