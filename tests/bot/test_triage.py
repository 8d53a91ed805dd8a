"""The triage actions: start, form validation, paraphrase, corrections, explanations."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.confirmation import (ActionConfirmFacts, ActionCorrectFacts, ActionExplainNeed, ActionParaphrase,
                                      ActionReaskFact)
from bot.actions.triage import ActionStartTriage, ValidateTriageForm, paraphrase, search_text


def make_tracker(text="", intent="inform", slots=None, entities=None, turn_slots=None, language="en"):
    """A tracker whose latest user message is ``text``; ``turn_slots`` were set after it (extraction)."""
    events = [{"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (turn_slots or {}).items()]
    all_slots = {"language": language, **(slots or {}), **(turn_slots or {})}
    return Tracker("u1", all_slots, {"text": text, "intent": {"name": intent}, "entities": entities or []},
                   events, False, None, None, "action_listen")


def run(action, tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_start_forgets_the_previous_problem_but_keeps_what_this_message_says():
    tracker = tracker_after("my laptop is very slow since this morning",
                            {"since": "last week", "tried": "restart", "category": "printer"},
                            {"device": "laptop", "category": "performance"}, intent="slow_computer", language="en")
    _, slots = run(ActionStartTriage(), tracker, {})
    assert slots["tried"] is None                              # the earlier problem's
    assert slots["since"] == "since this morning" and slots["device"] == "laptop"   # this message's
    assert slots["symptom"] == "my laptop is very slow since this morning"


def test_a_too_short_first_message_leaves_the_description_to_ask():
    _, slots = run(ActionStartTriage(), make_tracker("vpn", "vpn_problem"), {})
    assert slots["symptom"] is None


def test_the_form_asks_the_category_facts_and_a_fact_being_corrected():
    form = ValidateTriageForm()
    tracker = make_tracker(slots={"category": "printer", "correcting": "device"})
    required = asyncio.run(form.required_slots([], CollectingDispatcher(), tracker, {}))
    assert required[:2] == ["symptom", "location"] and required[-1] == "device"
    tracker = make_tracker(slots={"category": None})
    assert asyncio.run(form.required_slots([], CollectingDispatcher(), tracker, {}))[0] == "symptom"


def validate(tracker):
    events = asyncio.run(ValidateTriageForm().get_validation_events(CollectingDispatcher(), tracker, {}))
    return {e["name"]: e["value"] for e in events}


def test_an_answer_is_kept_cleaned_and_a_password_in_it_masked():
    tracker = make_tracker("i restarted   and typed password: Hunter2!", slots={"requested_slot": "tried"},
                           turn_slots={"tried": "i restarted   and typed password: Hunter2!"})
    value = validate(tracker)["tried"]
    assert "Hunter2" not in value and value.startswith("i restarted and typed password")


def test_a_correction_of_another_fact_is_not_taken_as_the_answer():
    tracker = make_tracker("no, since yesterday", "inform", slots={"requested_slot": "location"},
                           entities=[{"entity": "since", "value": "since yesterday"}],
                           turn_slots={"since": "since yesterday", "location": "no, since yesterday"})
    values = validate(tracker)
    assert values["location"] is None and values["since"] == "since yesterday"


def test_an_answer_naming_a_device_is_still_the_answer():
    tracker = make_tracker("I restarted my laptop", "inform", slots={"requested_slot": "tried"},
                           entities=[{"entity": "device", "value": "laptop"}],
                           turn_slots={"device": "laptop", "tried": "I restarted my laptop"})
    assert validate(tracker)["tried"] == "I restarted my laptop"


def test_the_paraphrase_restates_in_the_bots_own_words_in_the_users_language(domain):
    slots = {"symptom": "i get no new mails in outlook on my laptop since this morning", "category": "email",
             "application": "Outlook", "device": "laptop", "error_code": "0x800CCC0E",
             "since": "since this morning", "tried": "none", "scope": "only me", "work_blocked": "yes"}
    text = paraphrase(make_tracker(slots=slots), domain)
    assert text.startswith("Outlook on your laptop receives no new mail, since today")
    assert "error code 0x800CCC0E" in text and "you have not tried anything yet" in text
    assert "only you are affected" in text and "you cannot work" in text
    assert len(text.split()) <= 60
    nl = paraphrase(make_tracker(slots={**slots, "symptom": "ik krijg geen mails binnen"}, language="nl"), domain)
    assert nl.startswith("Outlook op je laptop ontvangt geen nieuwe e-mail")
    assert "alleen jij" in nl and "je kunt niet werken" in nl and "nog niets geprobeerd" in nl
    fr = paraphrase(make_tracker(slots={**slots, "symptom": "je ne reçois plus de mails"}, language="fr"), domain)
    assert fr.startswith("Outlook sur votre portable ne reçoit plus de nouveaux messages")
    assert "vous ne pouvez pas travailler" in fr


def test_the_paraphrase_gives_dates_and_says_what_is_unknown(domain):
    slots = {"category": "vpn", "symptom": "de vpn maakt geen verbinding", "since": "sinds maandag",
             "scope": "heel de afdeling", "tried": "unknown", "location": "thuis"}
    text = paraphrase(make_tracker(slots=slots, language="nl"), domain)
    assert text.startswith("De VPN-verbinding komt niet tot stand, sinds maandag ")
    assert "de hele afdeling heeft er last van" in text and "je werkt thuis" in text
    assert "Al geprobeerd: onbekend" in text


def test_paraphrase_asks_for_confirmation_and_confirmation_keeps_it(domain):
    tracker = make_tracker(slots={"symptom": "printer jams", "category": "printer", "location": "office",
                                  "correcting": "location"})
    messages, slots = run(ActionParaphrase(), tracker, domain)
    assert messages[0]["response"] == "utter_paraphrase" and "you are at the office" in messages[0]["summary"]
    assert slots == {"pending_question": "confirm_facts", "correcting": None}
    _, slots = run(ActionConfirmFacts(), tracker, domain)
    assert slots["paraphrase"] == "The printer has a paper jam and stopped printing; you are at the office"
    assert search_text(make_tracker(slots={"symptom": "printer jams", "device": "laptop", "error_code": "none"})) \
        == "printer jams laptop"


def test_a_typed_correction_updates_the_paraphrase(domain):
    tracker = make_tracker("no, since yesterday", "inform", slots={"symptom": "vpn drops", "category": "vpn"},
                           turn_slots={"since": "since yesterday"})
    messages, slots = run(ActionCorrectFacts(), tracker, domain)
    assert messages[0]["response"] == "utter_paraphrase" and "since " in messages[0]["summary"]
    assert slots["pending_question"] == "confirm_facts" and slots["since"] == "since yesterday"


def test_a_bare_no_asks_which_fact_with_a_button_per_known_fact(domain):
    tracker = make_tracker("no", "deny", slots={"symptom": "vpn drops", "since": "today"}, language="fr")
    messages, _ = run(ActionCorrectFacts(), tracker, domain)
    assert messages[0]["response"] == "utter_ask_which_fact"
    assert [b["title"] for b in messages[0]["buttons"]] == ["Description", "Depuis quand"]
    assert messages[0]["buttons"][1]["payload"] == '/correct_fact{"fact": "since"}'


def test_the_picked_fact_is_forgotten_so_that_it_is_asked_again(domain):
    tracker = make_tracker(entities=[{"entity": "fact", "value": "since"}], slots={"since": "today"})
    _, slots = run(ActionReaskFact(), tracker, domain)
    assert slots == {"pending_question": None, "correcting": "since", "since": None, "asked_facts": {}}
    tracker = make_tracker(entities=[{"entity": "fact", "value": "language"}])
    _, slots = run(ActionReaskFact(), tracker, domain)
    assert slots == {"pending_question": None, "correcting": None}


def test_why_explains_the_question_being_asked(domain):
    messages, _ = run(ActionExplainNeed(), make_tracker(slots={"requested_slot": "scope"}), domain)
    assert messages[0]["response"] == "utter_why_scope"
    messages, _ = run(ActionExplainNeed(), make_tracker(slots={"requested_slot": "check_other_port"}), domain)
    assert messages[0]["response"] == "utter_why_generic"


def test_an_unusable_first_message_is_answered_and_nothing_is_asked(domain):
    tracker = make_tracker("Mein Drucker druckt nicht", "printer_problem", slots={"input_issue": "unsupported_language"})
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionStartTriage().run(dispatcher, tracker, domain))
    assert dispatcher.messages[0]["response"] == "utter_unsupported_language"
    assert events == [{"event": "followup", "name": "action_listen", "timestamp": None}]


def test_validation_takes_every_fact_of_the_message_and_an_unknown():
    text = "mijn vpn valt weg sinds vanmorgen, fout 809, alleen ik"
    tracker = make_tracker(text, "vpn_problem", slots={"requested_slot": "location", "category": "vpn"}, language="nl")
    values = validate(tracker)
    assert values["since"] == "sinds vanmorgen" and values["error_code"] == "809" and values["scope"] == "alleen ik"
    assert values["location"] is None            # answered other questions: this one is asked again
    tracker = make_tracker("geen idee", "inform", slots={"requested_slot": "since"}, language="nl",
                           turn_slots={"since": "geen idee"})
    assert validate(tracker)["since"] == "unknown"


def test_a_fact_is_asked_at_most_twice_then_unknown():
    tracker = make_tracker("hmm", "inform", slots={"requested_slot": "since", "asked_facts": {"since": 2}},
                           turn_slots={"since": None})
    assert validate(tracker)["since"] == "unknown"
    tracker = make_tracker("hmm", "inform", slots={"requested_slot": "since", "asked_facts": {"since": 1}},
                           turn_slots={"since": None})
    assert validate(tracker)["since"] is None


def test_a_correction_replaces_an_earlier_fact_even_as_the_answer_to_another_question():
    events = [{"event": "slot", "name": "since", "value": "since yesterday"},
              {"event": "user", "text": "no wait, it started last Friday actually"}]
    tracker = Tracker("u1", {"language": "en", "since": "since yesterday", "requested_slot": "tried"},
                      {"text": "no wait, it started last Friday actually", "intent": {"name": "deny"}, "entities": []},
                      events, False, None, None, "action_listen")
    values = validate(tracker)
    assert "friday" in values["since"] and values["tried"] is None


def test_a_description_that_also_gives_a_date_is_the_description():
    text = "het scherm blijft zwart als ik hem aanzet, al sinds gisteren"
    tracker = make_tracker(text, "inform", slots={"requested_slot": "symptom", "category": "hardware"},
                           turn_slots={"symptom": text}, language="nl")
    values = validate(tracker)
    assert values["symptom"] == text and values["since"] == "al sinds gisteren"


def test_a_digression_is_left_to_the_rules(domain):
    tracker = make_tracker("why do you need that?", "explain_need", slots={"requested_slot": "device"})
    events = asyncio.run(ValidateTriageForm().get_validation_events(CollectingDispatcher(), tracker, domain))
    assert events == []


def test_i_dont_know_read_as_a_digression_is_still_the_answer(domain):
    tracker = make_tracker("dat weet ik niet", "declare_beginner", slots={"requested_slot": "since"}, language="nl")
    events = asyncio.run(ValidateTriageForm().get_validation_events(CollectingDispatcher(), tracker, domain))
    assert {e["name"]: e["value"] for e in events} == {"since": "unknown"}


def tracker_after(text, before, slots, intent="inform", language="nl"):
    """A tracker whose slots ``before`` were set before the latest user message ``text``."""
    events = [{"event": "slot", "name": k, "value": v} for k, v in before.items()]
    events.append({"event": "user", "text": text})
    events += [{"event": "slot", "name": k, "value": v} for k, v in slots.items() if k != "requested_slot"]
    return Tracker("u1", {"language": language, **before, **slots},
                   {"text": text, "intent": {"name": intent}, "entities": []}, events, False, None, None,
                   "action_listen")


def test_an_answer_that_names_a_fact_already_known_is_the_answer():
    text = "headset nog eens goed vastgemaakt"
    tracker = tracker_after(text, {"device": "laptop", "category": "teams"}, {"requested_slot": "tried", "tried": text})
    assert validate(tracker)["tried"] == text


def test_an_aside_that_answers_another_question_is_not_the_answer():
    text = "trouwens, mijn collega's thuis hebben hetzelfde probleem"
    tracker = tracker_after(text, {"category": "vpn"}, {"requested_slot": "tried", "tried": text})
    values = validate(tracker)
    assert values["tried"] is None and "collega" in values["scope"]


def test_a_time_in_the_answer_to_a_check_is_not_since_when():
    tracker = tracker_after("yep this morning", {"category": "performance"},
                            {"requested_slot": "check_restarted_today", "check_restarted_today": "yes"},
                            intent="affirm", language="en")
    values = validate(tracker)
    assert values["check_restarted_today"] == "yes" and "since" not in values


def test_a_plain_no_to_the_error_question_means_no_error_but_a_correction_is_asked_again():
    tracker = tracker_after("nee, niks gezien", {"category": "email"},
                            {"requested_slot": "error_code", "error_code": "nee, niks gezien"})
    assert validate(tracker)["error_code"] == "none"
    tracker = tracker_after("nee wacht, het is sinds vrijdag", {"category": "email"},
                            {"requested_slot": "tried", "tried": "nee wacht, het is sinds vrijdag"})
    values = validate(tracker)
    assert values["tried"] is None and values["since"].endswith("vrijdag")


def test_a_free_answer_keeps_the_whole_message_not_the_entity_the_nlu_cut_from_it():
    from bot.actions.triage_data import triage_data

    text = "veel mensen, heel de verkoop zit thuis"
    tracker = tracker_after(text, {"category": "vpn"}, {"requested_slot": "scope", "scope": "heel de verkoop"})
    value = validate(tracker)["scope"]
    assert value == text and triage_data().impact_for(value, None, ["nl", "fr", "en"]) == "high"


def test_a_fact_said_before_any_problem_belongs_to_the_problem_then_described():
    text = "blauw scherm bij het opstarten, daarna herstart hij vanzelf"
    tracker = tracker_after(text, {"error_code": "0x000000EF"}, {"category": "crash"}, intent="crash")
    _, slots = run(ActionStartTriage(), tracker, {})
    assert "error_code" not in slots and slots["symptom"] == text     # kept, not reset
    tracker = tracker_after(text, {"error_code": "0x000000EF", "category": "vpn"}, {"category": "crash"}, intent="crash")
    _, slots = run(ActionStartTriage(), tracker, {})
    assert slots["error_code"] is None                                # an earlier problem's: forgotten
