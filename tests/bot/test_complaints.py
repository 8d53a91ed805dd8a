"""Complaints: the user tells it first, the bot restates it and offers a person."""

from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.complaints import ActionHandleComplaint, ValidateComplaintForm, restate
from tests.bot.test_triage import make_tracker, run


def validate(value, requested=None):
    tracker = make_tracker(value, "complaint", slots={"requested_slot": requested})
    return asyncio.run(ValidateComplaintForm().validate_complaint_text(value, CollectingDispatcher(), tracker, {}))


def test_a_short_outburst_first_lets_the_user_tell_the_story():
    assert validate("this is ridiculous!") == {"complaint_text": None}


def test_the_story_is_kept_once_asked_or_when_it_is_long_enough():
    assert validate("ok", requested="complaint_text") == {"complaint_text": "ok"}
    long = "third time this week that the vpn drops and nobody calls me back"
    assert validate(long) == {"complaint_text": long}


def test_the_restatement_is_short_quoted_and_masks_secrets():
    text = restate("my password is Secret123 and " + "word " * 40)
    assert "Secret123" not in text and text.startswith('"') and text.endswith('…"')
    assert len(text.split()) <= 32


def test_the_bot_restates_records_and_offers_a_person(helpdesk, domain):
    tracker = make_tracker(slots={"complaint_text": "nobody answered my ticket for a week!", "category": "vpn"})
    messages, slots = run(ActionHandleComplaint(), tracker, domain)
    assert messages[0]["response"] == "utter_complaint"
    assert messages[0]["complaint"] == '"nobody answered my ticket for a week"'
    assert slots == {"pending_question": "offer_ticket"}
    posted = [r for r in helpdesk.requests if r.url.path == "/api/complaints"]
    assert len(posted) == 1 and b"nobody answered" in posted[0].content


def test_a_failing_service_does_not_stop_the_apology(helpdesk, domain):
    helpdesk.down = True
    messages, slots = run(ActionHandleComplaint(), make_tracker(slots={"complaint_text": "this is taking forever"}),
                          domain)
    assert messages[0]["response"] == "utter_complaint" and slots == {"pending_question": "offer_ticket"}
