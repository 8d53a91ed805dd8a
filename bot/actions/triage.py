"""Triage: gather the facts of a problem (``triage_form``) from every message.

Which facts a category needs is data (bot/triage.yml); the words that state them are per language
(bot/facts/*.yml, read by bot/actions/facts.py); the questions are responses of the domain
(bot/domain/triage.yml). The paraphrase, its confirmation and corrections: bot/actions/confirmation.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions import runtime
from bot.actions.conversation import latest_text
from bot.actions.facts import UNKNOWN, canonical, extract, is_correction, product_like, says, says_aside, yes_or_no
from bot.actions.paraphrase import build as build_paraphrase
from bot.actions.replies import reply_to_input_issue
from bot.actions.triage_data import triage_data
from core.privacy import mask

MAX_FACT_CHARS = 500
KEEP_TYPED = ("symptom", "tried", "scope", "location", "device")
MAX_OTHER_ANSWER_WORDS = 5
ALWAYS_TAKEN = ("scope", "work_blocked", "since")   # they count for the priority whatever the category
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


def clean(value: Any, limit: int = MAX_FACT_CHARS) -> str | None:
    """A fact as stored: one line, trimmed, secrets (and personal data if set) masked."""
    if value is None:
        return None
    text = " ".join(str(value).split())[:limit]
    return mask(text, runtime.settings().privacy.mask_personal_data) or None


def fact_values(tracker: Tracker) -> dict[str, Any]:
    return {name: tracker.get_slot(name) for name in triage_data().all_facts
            if tracker.get_slot(name) not in (None, "")}


def languages_for(tracker: Tracker) -> list[str]:
    """The languages whose words are looked up: the conversation's first, then the others."""
    languages = list(runtime.settings().languages)
    current = tracker.get_slot("language")
    return ([current] if current in languages else []) + [l for l in languages if l != current]


def message_time(tracker: Tracker) -> datetime:
    """When the latest user message was sent, in the settings' timezone (naive local time)."""
    zone = ZoneInfo(runtime.settings().timezone)
    stamp = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None)
    when = datetime.fromtimestamp(float(stamp), tz=zone) if stamp else datetime.now(zone)
    return when.replace(tzinfo=None)


def paraphrase(tracker: Tracker, domain: DomainDict) -> str:
    """The restatement of the facts in the bot's own words (bot/actions/paraphrase.py)."""
    described = " ".join(str(tracker.get_slot(n) or "") for n in ("symptom", "problem_text"))
    return build_paraphrase(domain, tracker.get_slot("language") or runtime.settings().default_language,
                            tracker.get_slot("category"), fact_values(tracker), described,
                            triage_data().all_facts, languages_for(tracker), message_time(tracker))


def search_text(tracker: Tracker, domain: DomainDict | None = None) -> str:
    """What the KB is searched with once the facts are confirmed: the facts that describe the
    problem and, with the domain, the problem statement of the paraphrase (the category's words)."""
    values = [str(tracker.get_slot(name)) for name in triage_data().search_facts
              if tracker.get_slot(name) not in (None, "", "none", UNKNOWN)]
    if domain is not None and tracker.get_slot("category"):
        values.append(paraphrase(tracker, domain).split(";")[0])
    return " ".join(values)


def facts_in_message(tracker: Tracker, requested: str | None = None) -> dict[str, str]:
    """The facts the latest message states (bot/actions/facts.py); "nothing tried" only as the
    answer to that question."""
    found = extract(latest_text(tracker), tracker.get_slot("language") or runtime.settings().default_language,
                    message_time(tracker), languages_for(tracker), requested)
    if requested != "tried" and canonical("tried", found.get("tried"), languages_for(tracker)) == "nothing":
        found.pop("tried")
    data = triage_data()
    category = tracker.get_slot("category")
    asked = set(data.facts_for(category)) | {requested}
    if "application" in asked and "application" not in found and category in data.free_application_categories:
        product = product_like(latest_text(tracker))
        if product:
            found["application"] = product
    # a check of another category ("al herstart" is no restart check for e-mail) is not a fact here,
    # nor, in an answer, a device the category does not ask ("oui, mon GSM est connecté")
    return {name: value for name, value in found.items()
            if (name not in data.yes_no_facts or name in asked or name in data.urgency)
            and (requested is None or name in asked or name in ALWAYS_TAKEN)}


class ActionStartTriage(Action):
    """A problem is reported: forget the facts of an earlier problem, keep what this message says
    and what was said before any problem."""

    def name(self) -> Text:
        return "action_start_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        if reply_to_input_issue(dispatcher, tracker.get_slot("input_issue")):
            # an empty, emoji-only or other-language message gets its answer and starts no questions
            return [FollowupAction("action_listen")]
        data = triage_data()
        fresh = slots_set_this_turn(tracker)
        # facts said before any problem ("0x000000EF", then what happens) belong to this one
        earlier_problem = value_before_this_turn(tracker, "category") not in (None, "")
        events: List[Dict] = [SlotSet(name, None) for name in data.all_facts
                              if earlier_problem and name not in fresh and tracker.get_slot(name) is not None]
        text = latest_text(tracker)
        symptom = clean(text, MAX_SYMPTOM_CHARS) if len(text.split()) >= data.min_symptom_words else None
        stated = [SlotSet(name, clean(value)) for name, value in facts_in_message(tracker).items()]
        return events + stated + [
            SlotSet("asked_facts", {}),
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
        """Every fact the message states is taken (a correction replaces the earlier value); the
        requested fact gets its answer, "unknown" for "I don't know" or after ``max_asks``
        questions, or is asked again when the message answered another question instead."""
        data = triage_data()
        facts = set(data.all_facts)
        requested = tracker.get_slot("requested_slot")
        language = tracker.get_slot("language") or runtime.settings().default_language
        text = latest_text(tracker)
        stated = facts_in_message(tracker, requested)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        ignored = (((domain or {}).get("forms") or {}).get(self.form_name()) or {}).get("ignored_intents", ())
        if intent in ignored and not stated and not says(text, language, "dont_know"):
            return []   # "why?", "stop", a person ...: the form steps aside and the rules answer
        correction = is_correction(text, language, strong_only=requested in data.yes_no_facts)
        values: dict[str, Any] = {}
        entities = {e.get("entity"): e.get("value") for e in (tracker.latest_message or {}).get("entities") or []}
        for name, value in tracker.slots_to_validate().items():
            # an entity of the NLU that the fact reader did not confirm fills only an empty fact it
            # reads well (codes, systems); the others keep their value (the reader decides)
            if name in facts and name != requested and name not in stated and entities.get(name) == value:
                before = value_before_this_turn(tracker, name)
                values[name] = value if before in (None, "") and name in ("error_code", "os") else before
        filled_other = False    # the message gave a fact that was still missing (not the one asked)
        for name, value in stated.items():
            if name != requested and (correction or value_before_this_turn(tracker, name) in (None, "", UNKNOWN)):
                values[name] = value
                filled_other = filled_other or value_before_this_turn(tracker, name) in (None, "", UNKNOWN)
        if requested in facts:
            values[requested] = self.answer(tracker, requested, stated, language, filled_other)
        return [SlotSet(name, clean(value, MAX_SYMPTOM_CHARS if name == "symptom" else MAX_FACT_CHARS))
                for name, value in values.items()]

    @staticmethod
    def answer(tracker: Tracker, requested: str, stated: dict[str, str], language: str,
               filled_other: bool = False) -> Any:
        data = triage_data()
        typed = tracker.slots_to_validate().get(requested)
        text = latest_text(tracker)
        asked = (tracker.get_slot("asked_facts") or {}).get(requested, 0)
        if requested in stated:
            # a free answer keeps the user's whole sentence ("I restarted my laptop", not the NLU's
            # entity "heel de verkoop" of "veel mensen, heel de verkoop"); a time, a code or a
            # product name keeps what was recognised
            value = text if requested in KEEP_TYPED and not text.startswith("/") else stated[requested]
        elif says(latest_text(tracker), language, "dont_know"):
            value = UNKNOWN
        elif requested in data.yes_no_facts and (typed in ("yes", "no") or yes_or_no(latest_text(tracker), language)):
            value = typed if typed in ("yes", "no") else yes_or_no(latest_text(tracker), language)
        elif is_correction(text, language, strong_only=True) or (
                filled_other and requested != "symptom"
                and (len(text.split()) <= MAX_OTHER_ANSWER_WORDS or says_aside(text, language))):
            # a short message that answered another question ("alleen ik" to "what did you try?"),
            # an aside ("btw, my colleagues have it too") or a correction: that fact is filled, this
            # question asked again; a longer answer (a description, "I restarted twice since
            # Monday") is the answer and gives the other facts too
            value = None
        elif requested in data.none_on_no and yes_or_no(text, language) == "no":
            value = "none"    # "nee, niks gezien" to "do you get an error?"
        else:
            value = typed
        if value in (None, "") and asked >= data.max_asks:
            value = UNKNOWN   # asked twice: move on, the ticket says it is unknown
        return value


def value_before_this_turn(tracker: Tracker, slot: str) -> Any:
    """The value ``slot`` had before the user's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None
