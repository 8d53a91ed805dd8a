"""Slots extracted on every user message: the conversation language and input problems.

``action_validate_slot_mappings`` runs at the end of Rasa's ``action_extract_slots`` after each
user message, before the next action is predicted, so every reply is already rendered in the
language decided here (responses carry one variant per language, selected on the ``language`` slot).
"""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot.actions import runtime
from bot.actions.conversation import latest_text
from bot.actions.escalation import PendingTicketNews
from bot.actions.triage_data import triage_data
from core.language import decide_conversation_language
from core.privacy import contains_secret

MAX_MESSAGE_CHARS = 4000
PAGE_CHANNELS = ("socketio",)   # channels whose client shows its own texts (the web chat page)


def input_issue(text: str, detection) -> str | None:
    """What is wrong with this message, if anything: empty, no_words, unsupported_language."""
    if not text.strip():
        return "empty"
    if detection.words == 0:
        return "no_words"
    if not detection.supported:
        return "unsupported_language"
    return None


class ValidateSlotMappings(PendingTicketNews, ValidationAction):
    async def extract_language(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        settings = runtime.settings()
        text = latest_text(tracker)[:MAX_MESSAGE_CHARS]
        requested = None
        if (tracker.latest_message or {}).get("intent", {}).get("name") == "change_language":
            requested = next(tracker.get_latest_entity_values("target_language"), None)
        if text.startswith("/"):   # a button's payload (/affirm, /correct_fact{...}): no words of the user's
            language = requested if requested in settings.languages else tracker.get_slot("language")
            return {"language": language or settings.default_language, "input_issue": None}
        detection = runtime.detector().detect(text)
        current = tracker.get_slot("language")
        locale = ((tracker.latest_message or {}).get("metadata") or {}).get("locale")
        client_language = str(locale or "").split("-")[0].lower() or None
        if current is None and client_language in settings.languages and (
                detection.words == 0
                or detection.confidence < settings.language_detection.min_confidence_to_switch):
            # Teams / web chat locale (the browser's): the start only for a first message whose own
            # language is unclear; "bonjour" on an English browser is French
            current = client_language
        language = decide_conversation_language(
            current, detection, requested=requested, supported=settings.languages,
            min_words_to_switch=settings.language_detection.min_words_to_switch,
            min_confidence_to_switch=settings.language_detection.min_confidence_to_switch,
        )
        if language is None and input_issue(text, detection):
            language = settings.default_language
        if contains_secret(text):
            # never ask for, nor keep, a password: warn now; transcripts and tickets mask it
            dispatcher.utter_message(response="utter_dont_share_password")
        if client_language and language and language != client_language and tracker.get_latest_input_channel() in PAGE_CHANNELS:
            # the web page follows the conversation: its texts and language picker switch too
            dispatcher.utter_message(json_message={"data": {"language": language}})   # socket.io emits `data`
        return {"language": language, "input_issue": input_issue(text, detection)}

    async def extract_skill_level(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        """End user or IT-savvy: what the user says about themselves wins, else their vocabulary."""
        data = triage_data()
        user_events = [e for e in tracker.events if e.get("event") == "user"]
        for event in reversed(user_events):
            declared = data.skill_intents.get(((event.get("parse_data") or {}).get("intent") or {}).get("name"))
            if declared:
                return {"skill_level": declared}
        level = data.skill_from_text([latest_text(tracker)] + [e.get("text") or "" for e in user_events])
        return {} if level == tracker.get_slot("skill_level") else {"skill_level": level}
