"""How the triage form asks a fact: ``action_ask_<fact>`` for every fact of bot/triage.yml.

The first time the question is ``utter_ask_<fact>``; the second time it is put in other words,
``utter_reask_<fact>`` (with buttons where they help), or ``utter_reask_intro`` followed by the
question. The count per fact is kept in the ``asked_facts`` slot; the form's validation
(bot/actions/triage.py) records the fact as unknown after ``max_asks`` questions.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.texts import has_response
from bot.actions.triage_data import triage_data


class AskFact(Action, metaclass=ABCMeta):
    """Ask one fact (one subclass per fact below; this one is abstract, so never registered)."""

    fact = ""

    @abstractmethod
    def name(self) -> Text:
        ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        asked = dict(tracker.get_slot("asked_facts") or {})
        count = int(asked.get(self.fact, 0))
        if count and has_response(domain, f"utter_reask_{self.fact}"):
            dispatcher.utter_message(response=f"utter_reask_{self.fact}")
        else:
            if count:
                dispatcher.utter_message(response="utter_reask_intro")
            dispatcher.utter_message(response=f"utter_ask_{self.fact}")
        asked[self.fact] = count + 1
        return [SlotSet("asked_facts", asked)]


def _ask_action(fact: str) -> type:
    return type(f"AskFact_{fact}", (AskFact,), {"fact": fact, "name": lambda self: f"action_ask_{fact}",
                                                "__module__": __name__})


ASK_ACTIONS = {fact: _ask_action(fact) for fact in triage_data().all_facts}
