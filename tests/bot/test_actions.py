"""Unit tests of the custom actions against the real helpdesk service app, in-process (tests/bot/conftest.py)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.dialogue import ActionHandleUnclear
from bot.actions.escalation import ActionEscalate, ActionTicketStatus
from bot.actions.language import ValidateSlotMappings
from bot.actions.self_service import ActionArticleSolved
from bot.actions.confirmation import ActionConfirmFacts
from tests.bot.conftest import HIT


def tracker(text="mijn VPN werkt niet", intent="vpn_problem", slots=None, entities=None, events=None, sender="u1"):
    base = {"language": "nl", "input_issue": None, "suggested_articles": None, "pending_question": None}
    return Tracker(sender, {**base, **(slots or {})},
                   {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
                   events or [{"event": "user", "text": text, "timestamp": 1.0}], False, None, None, "rest")


def run(action, t, domain=None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, domain or {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_confirmed_facts_suggest_article_sends_steps_and_asks_if_solved(helpdesk):
    messages, slots = run(ActionConfirmFacts(), tracker(slots={"symptom": "mijn VPN werkt niet"}))
    assert [m["response"] for m in messages] == ["utter_article", "utter_ask_solved"]
    assert json.loads(helpdesk.requests[0].content)["top_k"] == 3
    assert messages[0]["steps"] == "1. Herstart\n2. Controleer"
    assert slots["pending_question"] == "kb_feedback"
    assert slots["suggested_articles"] == ["vpn-cannot-connect"]
    sent = json.loads(helpdesk.requests[0].content)
    assert sent["lang"] == "nl" and sent["query"] == "mijn VPN werkt niet"


def test_confirmed_facts_suggest_article_excludes_tried_articles_and_offers_ticket_when_none(helpdesk):
    helpdesk.hits = []
    messages, slots = run(ActionConfirmFacts(), tracker(slots={"suggested_articles": ["a1"], "symptom": "mijn VPN werkt niet"}))
    assert json.loads(helpdesk.requests[0].content)["exclude"] == ["a1"]
    assert [m["response"] for m in messages] == ["utter_no_article"]
    assert slots["pending_question"] == "offer_ticket"


def test_confirmed_facts_suggest_article_says_when_article_is_in_another_language(helpdesk):
    helpdesk.hits = [{**HIT, "lang": "en", "fallback_language": True}]
    messages, _ = run(ActionConfirmFacts(), tracker(slots={"symptom": "mijn VPN werkt niet"}))
    assert messages[0]["response"] == "utter_article_other_language" and messages[0]["article_lang"] == "en"


def test_unsupported_language_is_answered_instead_of_searching(helpdesk):
    messages, _ = run(ActionConfirmFacts(), tracker(slots={"input_issue": "unsupported_language"}))
    assert [m["response"] for m in messages] == ["utter_unsupported_language"]
    assert helpdesk.requests == []


def test_escalate_creates_one_ticket_with_transcript_and_language(helpdesk):
    events = [{"event": "user", "text": "mijn wachtwoord is Geheim123", "timestamp": 1.0},
              {"event": "bot", "text": "Dit artikel kan je helpen", "timestamp": 2.0},
              {"event": "user", "text": "nee", "timestamp": 3.0}]
    t = tracker(text="nee", intent="deny", events=events,
                slots={"problem_text": "mijn VPN werkt niet", "category": "vpn", "suggested_articles": ["vpn-x"],
                       "since": "sinds vanmorgen"})
    messages, slots = run(ActionEscalate(), t)
    assert messages[0]["response"] == "utter_ticket_created" and slots["ticket_id"] == "1"
    run(ActionEscalate(), t)
    assert len(helpdesk.tickets) == 1  # same conversation, same problem: same ticket
    draft = next(iter(helpdesk.tickets.values()))
    assert draft["language"] == "nl" and draft["category"] == "vpn"
    assert draft["facts"]["since"] == "sinds vanmorgen"
    assert draft["facts"]["since_iso"].startswith(datetime.now().strftime("%Y-%m-%d")[:4])
    assert [line["sender"] for line in draft["transcript"]] == ["user", "bot", "user"]
    assert "Geheim123" not in json.dumps(draft)
    assert [(a["article_id"], a["outcome"]) for a in draft["suggested_articles"]] == [("vpn-x", "not_solved")]


def test_escalation_goes_into_the_outbox_when_the_service_is_down_and_is_delivered_on_a_timer(helpdesk):
    helpdesk.down = True
    messages, slots = run(ActionEscalate(), tracker(intent="request_human"))
    assert messages[0]["response"] == "utter_ticket_deferred"
    reference = messages[0]["reference"]
    assert reference.startswith("R-") and slots["ticket_id"] == reference
    assert [e.reference for e in helpdesk.container.outbox.pending()] == [reference]
    helpdesk.down = False
    assert helpdesk.container.outbox.deliver_due() == 1      # what the service's worker does every few seconds
    assert len(helpdesk.tickets) == 1
    ticket = asyncio.run(helpdesk.client.get_ticket(reference, "u1"))   # the reference the user got can be looked up
    assert ticket["id"] == "1" and ticket["delivery"] == "delivered"


def test_during_an_outage_the_user_gets_priority_and_due_time_and_later_the_number_once(helpdesk):
    from bot.actions.escalation import ActionTicketNews
    from tests.bot.test_domain import load_domain

    domain = load_domain()
    helpdesk.down = True
    messages, _ = run(ActionEscalate(), tracker(intent="request_human"), domain)
    deferred = messages[0]
    assert deferred["response"] == "utter_ticket_deferred" and deferred["priority"] == "P3"
    assert re.fullmatch(r"(vandaag|morgen|maandag|dinsdag|woensdag|donderdag|vrijdag|op \S+) vóór \d\d:\d\d \(CES?T\)",
                        deferred["response_due"]), deferred["response_due"]
    reference = deferred["reference"]
    waiting = tracker(text="hallo?", intent="greet", slots={"ticket_id": reference})
    dispatcher = CollectingDispatcher()
    assert asyncio.run(ValidateSlotMappings().extract_ticket_id(dispatcher, waiting, domain)) == {}  # not yet
    helpdesk.down = False
    assert helpdesk.container.outbox.deliver_due() == 1
    # the user's next message: the number, once
    assert asyncio.run(ValidateSlotMappings().extract_ticket_id(dispatcher, waiting, domain)) == {"ticket_id": "1"}
    news = dispatcher.messages[-1]
    assert (news["response"], news["ticket_id"], news["reference"]) == ("utter_ticket_now_created", "1", reference)
    assert news["response_due"] == deferred["response_due"]
    told = tracker(text="ok", intent="affirm", slots={"ticket_id": "1"})
    assert asyncio.run(ValidateSlotMappings().extract_ticket_id(CollectingDispatcher(), told, domain)) == {}
    # pushed (trigger_intent): said only while the conversation still waits for that reference
    pushed, slots = run(ActionTicketNews(), tracker(intent="EXTERNAL_ticket_created", slots={"ticket_id": reference},
                                                    entities=[{"entity": "reference", "value": reference}]), domain)
    assert pushed[0]["response"] == "utter_ticket_now_created" and slots == {"ticket_id": "1"}
    again, _ = run(ActionTicketNews(), tracker(intent="EXTERNAL_ticket_created", slots={"ticket_id": "1"},
                                               entities=[{"entity": "reference", "value": reference}]), domain)
    assert again == []


def test_every_offered_article_goes_on_the_ticket_with_its_title(helpdesk):
    events = [{"event": "user", "text": "mijn VPN werkt niet", "timestamp": 1.0},
              {"event": "bot", "text": "Een van deze artikels past misschien beter:", "timestamp": 2.0,
               "data": {"buttons": [{"title": "Wifi valt weg", "payload": '/choose_article{"article_id": "wifi-drops"}'}]}},
              {"event": "user", "text": "nee", "timestamp": 3.0}]
    t = tracker(text="nee", intent="deny", events=events, slots={"suggested_articles": ["vpn-cannot-connect"]})
    run(ActionEscalate(), t)
    draft = next(iter(helpdesk.tickets.values()))
    assert [(a["article_id"], a["title"], a["outcome"]) for a in draft["suggested_articles"]] == [
        ("vpn-cannot-connect", HIT["title"], "not_solved"), ("wifi-drops", "Wifi valt weg", "suggested")]
    assert draft["transcript"][1]["text"] == "Een van deze artikels past misschien beter:\n- Wifi valt weg"


def test_ticket_status_only_for_the_requesters_tickets(helpdesk):
    run(ActionEscalate(), tracker(sender="alice"))
    mine, _ = run(ActionTicketStatus(), tracker(sender="alice", intent="ticket_status",
                                               entities=[{"entity": "ticket_number", "value": "#1"}]))
    assert mine[0]["response"] == "utter_ticket_status_new"
    other, _ = run(ActionTicketStatus(), tracker(sender="bob", intent="ticket_status",
                                                entities=[{"entity": "ticket_number", "value": "1"}]))
    assert other[0]["response"] == "utter_ticket_not_found"


def test_solved_records_outcome(helpdesk):
    messages, slots = run(ActionArticleSolved(), tracker(intent="affirm", slots={"current_article": "vpn-x"}))
    assert messages[0]["response"] == "utter_glad_solved" and slots["resolution"] == "self_service"
    assert json.loads(helpdesk.requests[0].content)["outcome"] == "solved"


@pytest.mark.parametrize("text, slots, expected_lang, issue", [
    ("mijn VPN werkt niet meer sinds vanmorgen", {"language": None}, "nl", None),
    ("merci", {"language": "nl"}, "nl", None),
    ("mon imprimante n'imprime plus du tout depuis ce matin", {"language": "nl"}, "fr", None),
    ("", {"language": None}, "en", "empty"),
    ("😀😀", {"language": "fr"}, "fr", "no_words"),
    ("Mein Drucker druckt nicht mehr seit gestern", {"language": "nl"}, "nl", "unsupported_language"),
])
def test_language_slot_extraction(text, slots, expected_lang, issue):
    action = ValidateSlotMappings()
    out = asyncio.run(action.extract_language(CollectingDispatcher(), tracker(text=text, slots=slots), {}))
    assert out == {"language": expected_lang, "input_issue": issue}


def test_a_button_payload_keeps_the_conversation_language():
    t = tracker(text='/correct_fact{"fact": "location"}', intent="correct_fact", slots={"language": "nl"})
    out = asyncio.run(ValidateSlotMappings().extract_language(CollectingDispatcher(), t, {}))
    assert out == {"language": "nl", "input_issue": None}
    picked = tracker(text='/change_language{"target_language": "fr"}', intent="change_language",
                     slots={"language": "nl"}, entities=[{"entity": "target_language", "value": "fr"}])
    out = asyncio.run(ValidateSlotMappings().extract_language(CollectingDispatcher(), picked, {}))
    assert out == {"language": "fr", "input_issue": None}      # the web page's language picker


def test_skill_level_said_wins_over_vocabulary():
    events = [{"event": "user", "text": "ipconfig shows no dns", "parse_data": {"intent": {"name": "inform"}}},
              {"event": "user", "text": "ik ben geen computerexpert", "parse_data": {"intent": {"name": "declare_beginner"}}}]
    t = tracker(text="ik ben geen computerexpert", intent="declare_beginner", events=events)
    assert asyncio.run(ValidateSlotMappings().extract_skill_level(CollectingDispatcher(), t, {})) == {"skill_level": "end_user"}
    t = tracker(text="ipconfig shows no dns", intent="inform", events=events[:1])
    assert asyncio.run(ValidateSlotMappings().extract_skill_level(CollectingDispatcher(), t, {})) == {"skill_level": "it_savvy"}


def test_explicit_language_switch():
    t = tracker(text="can we speak English please", intent="change_language", slots={"language": "nl"},
                entities=[{"entity": "target_language", "value": "en"}])
    out = asyncio.run(ValidateSlotMappings().extract_language(CollectingDispatcher(), t, {}))
    assert out["language"] == "en"


def test_unclear_message_asks_to_rephrase():
    messages, _ = run(ActionHandleUnclear(), tracker(intent="nlu_fallback"))
    assert messages[0]["response"] == "utter_please_rephrase"


def test_other_hits_are_offered_as_buttons(helpdesk):
    helpdesk.hits = [HIT, {**HIT, "article_id": "vpn-b", "title": "VPN werkt niet thuis B"}, {**HIT, "article_id": "vpn-c", "title": "VPN instellingen voor thuiswerk op een nieuwe laptop C"}]
    messages, slots = run(ActionConfirmFacts(), tracker(slots={"symptom": "mijn VPN werkt niet"}))
    assert [m["response"] for m in messages] == ["utter_article", "utter_other_articles", "utter_ask_solved"]
    assert [b["payload"] for b in messages[1]["buttons"]] == ['/choose_article{"article_id": "vpn-b"}',
                                                             '/choose_article{"article_id": "vpn-c"}']
    assert slots["suggested_articles"] == ["vpn-cannot-connect"]


def test_walk_through_gives_one_step_at_a_time():
    from bot.actions.self_service import ActionWalkThrough

    t = tracker(intent="walk_through", slots={"current_steps": ["a", "b"], "current_step": 0})
    messages, slots = run(ActionWalkThrough(), t)
    assert messages[0]["response"] == "utter_walk_step" and messages[0]["step"] == "a" and slots["current_step"] == 1
    messages, slots = run(ActionWalkThrough(), tracker(intent="next_step", slots={"current_steps": ["a", "b"], "current_step": 2}))
    assert messages[0]["response"] == "utter_walk_done" and slots["pending_question"] == "walk_through"


def test_security_incident_gives_advice_then_an_urgent_ticket(helpdesk):
    from bot.actions.escalation import ActionSecurityIncident

    t = tracker(text="ik heb op een link in een phishing mail geklikt", intent="phishing_security",
                slots={"category": "security"})
    messages, slots = run(ActionSecurityIncident(), t)
    assert [m["response"] for m in messages] == ["utter_security_advice_security", "utter_ticket_created"]
    draft = next(iter(helpdesk.tickets.values()))
    assert draft["reason"] == "security" and draft["urgency"] == "high"


def test_a_typed_password_gets_a_warning():
    dispatcher = CollectingDispatcher()
    asyncio.run(ValidateSlotMappings().extract_language(dispatcher, tracker(text="mijn wachtwoord is Zomer2024!"), {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_dont_share_password"]


def test_close_and_add_info_act_on_the_requesters_latest_ticket(helpdesk):
    from bot.actions.escalation import ActionAddTicketInfo, ActionCloseTicket

    run(ActionEscalate(), tracker(sender="carol"))
    messages, _ = run(ActionAddTicketInfo(), tracker(sender="carol", intent="add_ticket_info",
                                                     slots={"ticket_comment": "the error is 0x800CCC0E"}))
    assert messages[0]["response"] == "utter_ticket_info_added"
    messages, _ = run(ActionCloseTicket(), tracker(sender="carol", intent="close_ticket"))
    assert messages[0]["response"] == "utter_ticket_closed"
    ticket = next(iter(helpdesk.tickets.values()))
    assert ticket["status"] == "resolved" and [c["text"] for c in ticket["comments"]] == [
        "the error is 0x800CCC0E", "Closed by the requester: mijn VPN werkt niet"]   # the user's words: the reason
    messages, _ = run(ActionCloseTicket(), tracker(sender="dave", intent="close_ticket"))
    assert messages[0]["response"] == "utter_no_tickets"


def test_earlier_ticket_of_the_same_category_is_linked(helpdesk):
    run(ActionEscalate(), tracker(sender="erin", slots={"category": "printer", "problem_text": "printer jam"}))
    messages, _ = run(ActionEscalate(), tracker(sender="erin", text="printer again",
                                                slots={"category": "printer", "problem_text": "printer again"}))
    assert [m["response"] for m in messages] == ["utter_previous_ticket", "utter_ticket_created"]
    assert list(helpdesk.tickets.values())[1]["related_to"] == ["1"]


@pytest.mark.parametrize("text, locale, expected", [
    ("ok", "fr-BE", "fr"),                                   # too short to tell: the client's locale
    ("mijn printer drukt niet meer af sinds vanmorgen", "fr-BE", "nl"),   # a clear sentence wins
    ("ok", "de-DE", "en"),                                   # unsupported locale: detection as usual
])
def test_client_locale_starts_the_conversation_language(text, locale, expected):
    t = tracker(text=text, slots={"language": None})
    t.latest_message["metadata"] = {"locale": locale}
    out = asyncio.run(ValidateSlotMappings().extract_language(CollectingDispatcher(), t, {}))
    assert out["language"] == expected


def test_the_requester_carries_the_name_the_channel_gave():
    from bot.actions.conversation import requester

    events = [{"event": "user", "text": "hallo", "metadata": {"locale": "nl-BE", "name": "An Peeters"}},
              {"event": "user", "text": "mijn vpn", "metadata": {"locale": "nl-BE"}}]
    assert requester(tracker(events=events))["name"] == "An Peeters"
    assert requester(tracker())["name"] is None
