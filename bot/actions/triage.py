"""Triage: gather the facts of a problem (``triage_form``), paraphrase them, confirm or correct.

Which facts a category needs is data (bot/triage.yml); the questions, explanations and paraphrase
phrases are responses of the domain (bot/domain/triage.yml) in every language.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions import runtime
from bot.actions.conversation import latest_text
from bot.actions.replies import reply_to_input_issue
from bot.actions.self_service import suggest_articles
from bot.actions.texts import has_response, render
from bot.actions.triage_data import contains_phrase, triage_data
from core.language.time_expressions import normalise as normalise_time
from core.privacy import mask

MAX_FACT_CHARS = 500
MAX_SYMPTOM_CHARS = 1000


def slots_set_this_turn(tracker: Tracker) -> dict[str, Any]:
    """Slots set since the user's latest message (by extraction or validation), latest value."""
    found: dict[str, Any] = {}
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "slot" and event.get("name") not in found:
            found[event["name"]] = event.get("value")
    return found


def entities_this_turn(tracker: Tracker) -> set[str]:
    return {e.get("entity") for e in (tracker.latest_message or {}).get("entities") or []}


def clean(value: Any, limit: int = MAX_FACT_CHARS) -> str | None:
    """A fact as stored: one line, trimmed, secrets (and personal data if set) masked."""
    if value is None:
        return None
    text = " ".join(str(value).split())[:limit]
    return mask(text, runtime.settings().privacy.mask_personal_data) or None


def fact_values(tracker: Tracker) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in triage_data().all_facts
            if tracker.get_slot(name) not in (None, "")}


def paraphrase(tracker: Tracker, domain: DomainDict) -> str:
    """The compact restatement of the facts, in the conversation's language.

    A fact whose value the user's own description already contains is not repeated."""
    language = tracker.get_slot("language")
    facts = fact_values(tracker)
    symptom = str(facts.get("symptom") or "").lower()
    parts = []
    for name, value in facts.items():
        fixed = f"utter_fact_{name}_{value}"
        said = name != "symptom" and contains_phrase(symptom, str(value).lower())
        if said and not (has_response(domain, fixed) and len(str(value)) <= 3):   # "no" is no repetition
            continue
        phrase = (render(domain, fixed, language) if has_response(domain, fixed)
                  else render(domain, f"utter_fact_{name}", language, value=value))
        if phrase:
            parts.append(phrase)
    return "; ".join(parts)


def search_text(tracker: Tracker) -> str:
    """What the KB is searched with once the facts are confirmed."""
    values = [str(tracker.get_slot(name)) for name in triage_data().search_facts
              if tracker.get_slot(name) not in (None, "", "none")]
    return " ".join(values)


MAX_TIME_WORDS = 4


def widen_since(value: str | None, text: str, language: str | None) -> str | None:
    """A since-when the entity extractor cut short ("sinds" of "sinds vanmorgen") is widened to the
    longest run of up to four words from the same place in the message that is a time expression."""
    if not value or not language or normalise_time(value, language):
        return value
    start = text.lower().find(value.lower())
    if start < 0:
        return value
    words = text[start:].split()
    for size in range(min(MAX_TIME_WORDS, len(words)), 0, -1):
        candidate = " ".join(words[:size]).strip(" ,.;:!?")
        if normalise_time(candidate, language):
            return candidate
    return value


class ActionStartTriage(Action):
    """A problem is reported: forget the facts of an earlier problem, keep what this message says."""

    def name(self) -> Text:
        return "action_start_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        if reply_to_input_issue(dispatcher, tracker.get_slot("input_issue")):
            # an empty, emoji-only or other-language message gets its answer and starts no questions
            return [FollowupAction("action_listen")]
        data = triage_data()
        fresh = slots_set_this_turn(tracker)
        events: List[Dict] = [SlotSet(name, None) for name in data.all_facts
                              if name not in fresh and tracker.get_slot(name) is not None]
        text = latest_text(tracker)
        symptom = clean(text, MAX_SYMPTOM_CHARS) if len(text.split()) >= data.min_symptom_words else None
        return events + [
            SlotSet("symptom", symptom),
            SlotSet("problem_text", clean(text, MAX_SYMPTOM_CHARS)),
            SlotSet("paraphrase", None), SlotSet("correcting", None),
            SlotSet("remote_consent", None), SlotSet("remote_consent_at", None),
            SlotSet("check_results", None), SlotSet("pending_question", None),
        ]


class ValidateTriageForm(FormValidationAction):
    """Ask the category's missing facts; keep answers clean; a correction is not an answer."""

    def name(self) -> Text:
        return "validate_triage_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        facts = list(triage_data().facts_for(tracker.get_slot("category")))
        correcting = tracker.get_slot("correcting")
        if correcting and correcting not in facts:
            facts.append(correcting)
        return facts

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        facts = set(triage_data().all_facts)
        requested = tracker.get_slot("requested_slot")
        entities = entities_this_turn(tracker) & facts
        correction = triage_data().is_correction(latest_text(tracker))
        events: List[EventType] = []
        for name, value in tracker.slots_to_validate().items():
            if name not in facts:
                continue
            if name == requested and name not in entities and entities - {name} and correction:
                # "no, since yesterday" while asked where: the user corrected another fact;
                # the question is asked again rather than filled with the whole sentence
                value = None
            if name == "since":
                value = widen_since(value, latest_text(tracker), tracker.get_slot("language"))
            events.append(SlotSet(name, clean(value, MAX_SYMPTOM_CHARS if name == "symptom" else MAX_FACT_CHARS)))
        return events


class ActionParaphrase(Action):
    """The facts are complete: restate them and ask whether that is right."""

    def name(self) -> Text:
        return "action_paraphrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(response="utter_paraphrase", summary=paraphrase(tracker, domain))
        return [SlotSet("pending_question", "confirm_facts"), SlotSet("correcting", None)]


class ActionConfirmFacts(Action):
    """The user confirmed the paraphrase: it goes on the ticket, and the KB is searched with the facts."""

    def name(self) -> Text:
        return "action_confirm_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        confirmed = [SlotSet("paraphrase", clean(paraphrase(tracker, domain), 2000)),
                     SlotSet("pending_question", None)]
        return confirmed + await suggest_articles(dispatcher, tracker, search_text(tracker))


class ActionCorrectFacts(Action):
    """The paraphrase is not right: take the correction given, or ask which fact is wrong."""

    def name(self) -> Text:
        return "action_correct_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        corrected = set(slots_set_this_turn(tracker)) & set(triage_data().all_facts)
        if corrected:
            events = description_corrected(tracker, corrected)
            for event in events:
                tracker.slots[event["name"]] = event["value"]
            dispatcher.utter_message(response="utter_paraphrase", summary=paraphrase(tracker, domain))
            return events + [SlotSet("pending_question", "confirm_facts")]
        language = tracker.get_slot("language")
        buttons = [{"title": render(domain, f"utter_label_{name}", language) or name,
                    "payload": '/correct_fact{"fact": "%s"}' % name}
                   for name in fact_values(tracker) if has_response(domain, f"utter_label_{name}")]
        dispatcher.utter_message(response="utter_ask_which_fact", buttons=buttons)
        return [SlotSet("pending_question", "confirm_facts")]


def value_before_this_turn(tracker: Tracker, slot: str) -> Any:
    """The value ``slot`` had before the user's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def description_corrected(tracker: Tracker, corrected: set[str]) -> List[Dict]:
    """When a corrected fact's old value is part of the user's description ("... sinds vanmorgen"),
    the description says the new one, so that the paraphrase does not state both."""
    symptom = tracker.get_slot("symptom") or ""
    updated = symptom
    for name in corrected - {"symptom"}:
        old, new = value_before_this_turn(tracker, name), tracker.get_slot(name)
        if old and new and contains_phrase(updated.lower(), str(old).lower()):
            start = updated.lower().find(str(old).lower())
            updated = updated[:start] + str(new) + updated[start + len(str(old)):]
    return [SlotSet("symptom", updated)] if updated != symptom else []


class ActionReaskFact(Action):
    """The user picked the fact to correct: forget it so that the triage form asks it again."""

    def name(self) -> Text:
        return "action_reask_fact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        fact = next(tracker.get_latest_entity_values("fact"), None)
        if fact not in triage_data().all_facts:
            fact = None
        events: List[Dict] = [SlotSet("pending_question", None), SlotSet("correcting", fact)]
        if fact:
            events.append(SlotSet(fact, None))
        return events


class ActionExplainNeed(Action):
    """'Why do you need that?': explain the question being asked (the form then asks it again)."""

    def name(self) -> Text:
        return "action_explain_need"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        specific = f"utter_why_{tracker.get_slot('requested_slot')}"
        dispatcher.utter_message(response=specific if has_response(domain, specific) else "utter_why_generic")
        return []
