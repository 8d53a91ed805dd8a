"""Remote control: explain and ask consent before a technician may take over the computer."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.triage_data import triage_data

GRANTED, REFUSED = "granted", "refused"
REFUSING_INTENTS = ("deny",)


def consent_needed(tracker: Tracker) -> bool:
    """The category's fix may need remote control and the user has not answered yet."""
    return (tracker.get_slot("category") in triage_data().remote_control_categories
            and tracker.get_slot("remote_consent") is None)


def ask_consent(dispatcher: CollectingDispatcher) -> List[Dict]:
    dispatcher.utter_message(response="utter_ask_remote_consent")
    return [SlotSet("pending_question", "remote_consent")]


class ActionRecordConsent(Action):
    """Record the answer (and its time) to the remote-control question; it goes on the ticket."""

    def name(self) -> Text:
        return "action_record_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        answer = REFUSED if intent in REFUSING_INTENTS else GRANTED
        dispatcher.utter_message(response="utter_consent_noted" if answer == GRANTED else "utter_consent_refused")
        return [SlotSet("remote_consent", answer),
                SlotSet("remote_consent_at", datetime.now(timezone.utc).isoformat(timespec="seconds")),
                SlotSet("pending_question", None)]
