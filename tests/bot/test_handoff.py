"""The bot's side of the live handoff, against the real service app in-process: after the ticket, an
available agent means "a colleague is joining" and a paused conversation; nobody available means the
user who asked for a person is told why, in their language (the response variant of the slot)."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.escalation import ActionEscalate
from bot.actions.texts import render


def tracker(intent: str, sender: str = "u1", language: str = "fr", channel: str = "socketio") -> Tracker:
    text = "je veux parler à quelqu'un" if intent == "request_human" else "non"
    slots = {"language": language, "input_issue": None, "suggested_articles": None, "pending_question": None,
             "problem_text": "mon imprimante n'imprime plus", "category": "printer"}
    return Tracker(sender, slots, {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
                   [{"event": "user", "text": text, "timestamp": 1.0,
                     "input_channel": channel, "parse_data": {"intent": {"name": intent}}}],
                   False, None, None, "socketio")


def escalate(t: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionEscalate().run(dispatcher, t, {}))
    return dispatcher.messages, events


def available_agent(helpdesk, status: str = "available") -> None:
    helpdesk.container.handoffs.store.set_presence("bob", status, 2)


def test_an_available_agent_gets_the_chat_and_the_bot_pauses(helpdesk, domain):
    available_agent(helpdesk)
    messages, events = escalate(tracker("request_human"))
    assert [m["response"] for m in messages] == ["utter_ticket_created", "utter_handoff_joining"]
    assert events[-1]["event"] == "pause"
    waiting = helpdesk.container.handoffs.store.queue("waiting", "bob")
    assert len(waiting) == 1
    handoff = waiting[0]
    assert (handoff["conversation_id"], handoff["language"], handoff["channel"], handoff["reason"]) == \
        ("u1", "fr", "socketio", "requested_human")
    assert handoff["ticket_id"] == next(iter(helpdesk.tickets.values()))["id"]
    assert render(domain, "utter_handoff_joining", "fr").startswith("Un collègue du helpdesk va rejoindre")
    again, events = escalate(tracker("request_human"))                  # asked again: still the one chat
    assert events[-1]["event"] == "pause" and len(helpdesk.container.handoffs.store.queue("waiting", "bob")) == 1


def test_nobody_online_tells_the_user_who_asked_for_a_person_and_does_not_pause(helpdesk):
    messages, events = escalate(tracker("request_human"))
    assert [m["response"] for m in messages] == ["utter_ticket_created", "utter_handoff_unavailable_offline"]
    assert all(e["event"] != "pause" for e in events)


def test_an_escalation_after_a_failed_article_mentions_no_live_chat_when_nobody_is_online(helpdesk):
    messages, events = escalate(tracker("deny", sender="u2"))
    assert [m["response"] for m in messages] == ["utter_ticket_created"]
    assert all(e["event"] != "pause" for e in events)


def test_an_agent_who_is_away_does_not_count(helpdesk):
    available_agent(helpdesk, "away")
    messages, _ = escalate(tracker("request_human", sender="u3"))
    assert messages[-1]["response"] == "utter_handoff_unavailable_offline"


def test_outside_opening_hours_the_user_is_told_the_chat_is_closed(helpdesk):
    available_agent(helpdesk)
    helpdesk.settings.handoff.opening_hours.days = []
    messages, events = escalate(tracker("request_human", sender="u4"))
    assert messages[-1]["response"] == "utter_handoff_unavailable_closed"
    assert all(e["event"] != "pause" for e in events)


def test_a_user_of_a_channel_no_reply_can_reach_gets_the_ticket_as_before(helpdesk):
    available_agent(helpdesk)
    messages, events = escalate(tracker("request_human", sender="u5", channel="cmdline"))    # not in handoff.channels
    assert [m["response"] for m in messages] == ["utter_ticket_created"]
    assert all(e["event"] != "pause" for e in events)


def test_a_rest_user_gets_a_live_agent_too(helpdesk):
    """Agents' replies reach REST users with their next call (queued in the service)."""
    available_agent(helpdesk)
    messages, events = escalate(tracker("request_human", sender="u6", channel="rest"))
    assert events[-1]["event"] == "pause"
    assert helpdesk.container.handoffs.store.queue("waiting", "bob")[0]["channel"] == "rest"


def test_every_handoff_response_exists_in_the_three_languages(domain):
    for name in ("utter_handoff_joining", "utter_handoff_unavailable_offline", "utter_handoff_unavailable_busy",
                 "utter_handoff_unavailable_closed"):
        texts = {lang: render(domain, name, lang) for lang in ("nl", "fr", "en")}
        assert len(set(texts.values())) == 3, name
