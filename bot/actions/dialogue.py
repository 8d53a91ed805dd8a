"""Small dialogue turns: unclear input, declining the offer of a ticket."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Text

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import runtime
from bot.actions.replies import reply_to_input_issue
from bot.actions.texts import render
from core.privacy import mask

log = logging.getLogger(__name__)


class ActionHandleUnclear(Action):
    """NLU was not confident (nlu_fallback): never answer a guessed intent.

    Empty, wordless or other-language messages get their explanation (``reply_to_input_issue``).
    Otherwise the bot asks ``utter_clarify`` with the likeliest topics of the message's intent
    ranking as buttons (title: ``utter_topic_<intent>`` in the conversation language, payload
    ``/<intent>``); without any likely topic it asks to rephrase. Every such message is sent, masked,
    to the helpdesk service for the KB editors' review; a failure there is only logged.
    """

    MAX_TOPICS = 3               # buttons offered
    MIN_TOPIC_CONFIDENCE = 0.05  # an intent less likely than this is not offered
    RECORD_TIMEOUT_S = 2.0       # the review record must not hold up the answer

    def name(self) -> Text:
        return "action_handle_unclear"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        issue = tracker.get_slot("input_issue")
        ranking = [r for r in (tracker.latest_message or {}).get("intent_ranking") or []
                   if r.get("name") and r.get("name") != FALLBACK_INTENT]
        if not reply_to_input_issue(dispatcher, issue):
            responses = topic_responses(domain)
            language = tracker.get_slot("language")
            buttons = []
            for candidate in ranking:
                if len(buttons) == self.MAX_TOPICS or float(candidate.get("confidence") or 0) < self.MIN_TOPIC_CONFIDENCE:
                    break
                title = render({"responses": responses}, f"{_TOPIC_PREFIX}{candidate['name']}", language)
                if title:
                    buttons.append({"title": title, "payload": f"/{candidate['name']}"})
            if buttons:
                dispatcher.utter_message(response="utter_clarify", buttons=buttons)
            else:
                dispatcher.utter_message(response="utter_please_rephrase")
        await self._record(tracker, ranking, issue)
        return []

    async def _record(self, tracker: Tracker, ranking: list, issue: str | None) -> None:
        text = (tracker.latest_message or {}).get("text") or ""
        if not text.strip():
            return  # nothing for an editor to read
        message = {
            "text": mask(text, personal_data=True),
            "language": tracker.get_slot("language"),
            "sender_id": tracker.sender_id,
            "top_intents": [{"intent": r["name"], "confidence": round(float(r.get("confidence") or 0.0), 4)}
                            for r in ranking[: self.MAX_TOPICS]],
            "issue": issue,
            "at": _message_time(tracker),
        }
        try:
            await asyncio.wait_for(runtime.helpdesk().record_unclear(message), self.RECORD_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - recording is best effort, the conversation goes on
            log.warning("could not record the unclear message for review: %s: %s", exc.__class__.__name__, exc)


FALLBACK_INTENT = "nlu_fallback"
_TOPIC_PREFIX = "utter_topic_"
_FALLBACK_DOMAIN = Path(__file__).resolve().parents[1] / "domain" / "fallback.yml"


@lru_cache(maxsize=1)
def _topics_from_file() -> Dict[str, list]:
    data = yaml.safe_load(_FALLBACK_DOMAIN.read_text(encoding="utf-8")) or {}
    return {k: v for k, v in (data.get("responses") or {}).items() if k.startswith(_TOPIC_PREFIX)}


def topic_responses(domain: Dict[Text, Any] | None) -> Dict[str, list]:
    """The ``utter_topic_*`` responses: from the domain Rasa sent, else from bot/domain/fallback.yml."""
    responses = {k: v for k, v in ((domain or {}).get("responses") or {}).items() if k.startswith(_TOPIC_PREFIX)}
    return responses or _topics_from_file()


def _message_time(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events or []):
        if event.get("event") == "user" and event.get("timestamp"):
            return datetime.fromtimestamp(float(event["timestamp"]), tz=timezone.utc).isoformat()
    return None


class ActionDeclineTicket(Action):
    def name(self) -> Text:
        return "action_decline_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("pending_question", None)]
