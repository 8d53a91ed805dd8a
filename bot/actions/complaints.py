"""Complaints: let the user finish, restate the complaint compactly, answer calmly, offer a person."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions import runtime
from bot.actions.errors import ActionError
from core.privacy import mask

log = logging.getLogger(__name__)
MIN_COMPLAINT_WORDS = 6     # a shorter first message ("this is ridiculous!") gets "tell me what happened"
MAX_RESTATED_WORDS = 30


def restate(text: str) -> str:
    """The complaint as the bot repeats it: the user's words, shortened, secrets masked."""
    words = " ".join(str(text or "").split()).split(" ")
    short = " ".join(words[:MAX_RESTATED_WORDS]) + (" …" if len(words) > MAX_RESTATED_WORDS else "")
    return "\"" + mask(short.strip(" .!?"), runtime.settings().privacy.mask_personal_data) + "\""


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_complaint_form"

    async def validate_complaint_text(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        text = " ".join(str(value or "").split())
        asked = tracker.get_slot("requested_slot") == "complaint_text"
        if not asked and len(text.split()) < MIN_COMPLAINT_WORDS:
            return {"complaint_text": None}     # let the user tell the whole story first
        return {"complaint_text": mask(text[:2000], runtime.settings().privacy.mask_personal_data)}


class ActionHandleComplaint(Action):
    """Restate the complaint, apologise without arguing or blaming, and offer a person."""

    def name(self) -> Text:
        return "action_handle_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = tracker.get_slot("complaint_text") or ""
        dispatcher.utter_message(response="utter_complaint", complaint=restate(text))
        await record(tracker, text)
        return [SlotSet("pending_question", "offer_ticket")]


async def record(tracker: Tracker, text: str) -> None:
    """Keep the complaint for the service desk; a failure never breaks the conversation."""
    if not text.strip():
        return
    try:
        await runtime.helpdesk().record_complaint({
            "text": text, "language": tracker.get_slot("language"), "sender_id": tracker.sender_id,
            "category": tracker.get_slot("category"), "ticket_id": tracker.get_slot("ticket_id")})
    except ActionError as exc:
        log.warning("could not record the complaint: %s", exc)
