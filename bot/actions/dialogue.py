"""Small dialogue turns: unclear input, complaints, declining the offer of a ticket."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.replies import reply_to_input_issue


class ActionHandleUnclear(Action):
    """NLU was not confident: explain why when we know (empty, other language), else ask to rephrase."""

    def name(self) -> Text:
        return "action_handle_unclear"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        if not reply_to_input_issue(dispatcher, tracker.get_slot("input_issue")):
            dispatcher.utter_message(response="utter_please_rephrase")
        return []


class ActionHandleComplaint(Action):
    """Acknowledge calmly and offer a person."""

    def name(self) -> Text:
        return "action_handle_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(response="utter_complaint")
        return [SlotSet("pending_question", "offer_ticket")]


class ActionDeclineTicket(Action):
    def name(self) -> Text:
        return "action_decline_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("pending_question", None)]
