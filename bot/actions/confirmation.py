"""After the triage questions: the paraphrase, its confirmation, corrections, and "why do you need that?".

The text of the paraphrase is built by bot/actions/paraphrase.py; the facts a correction states
are read by bot/actions/facts.py, as during the questions.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.self_service import suggest_articles
from bot.actions.texts import has_response, render
from bot.actions.triage import clean, fact_values, facts_in_message, paraphrase, search_text, slots_set_this_turn
from bot.actions.triage_data import triage_data


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
        return confirmed + await suggest_articles(dispatcher, tracker, search_text(tracker, domain))


class ActionCorrectFacts(Action):
    """The paraphrase is not right: take the correction given, or ask which fact is wrong."""

    def name(self) -> Text:
        return "action_correct_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        corrected = set(slots_set_this_turn(tracker)) & set(triage_data().all_facts)
        stated = facts_in_message(tracker)
        if stated:
            events = [SlotSet(name, clean(value)) for name, value in stated.items()]
            for event in events:
                tracker.slots[event["name"]] = event["value"]
            corrected = True
        if corrected:
            dispatcher.utter_message(response="utter_paraphrase", summary=paraphrase(tracker, domain))
            return (events if stated else []) + [SlotSet("pending_question", "confirm_facts")]
        language = tracker.get_slot("language")
        buttons = [{"title": render(domain, f"utter_label_{name}", language) or name,
                    "payload": '/correct_fact{"fact": "%s"}' % name}
                   for name in fact_values(tracker) if has_response(domain, f"utter_label_{name}")]
        dispatcher.utter_message(response="utter_ask_which_fact", buttons=buttons)
        return [SlotSet("pending_question", "confirm_facts")]


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
            asked = dict(tracker.get_slot("asked_facts") or {})
            asked.pop(fact, None)
            events += [SlotSet(fact, None), SlotSet("asked_facts", asked)]
        return events


class ActionExplainNeed(Action):
    """'Why do you need that?': explain the question being asked (the form then asks it again)."""

    def name(self) -> Text:
        return "action_explain_need"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        specific = f"utter_why_{tracker.get_slot('requested_slot')}"
        dispatcher.utter_message(response=specific if has_response(domain, specific) else "utter_why_generic")
        return []
