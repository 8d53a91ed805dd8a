"""Self-service: suggest the best KB article and record whether it solved the problem."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import runtime
from bot.actions.conversation import latest_text
from bot.actions.errors import ActionError
from bot.actions.replies import format_steps, reply_to_input_issue

log = logging.getLogger(__name__)
MAX_QUERY_CHARS = 2000


class ActionSuggestArticle(Action):
    """Search the KB with the user's problem and show the best article with its steps."""

    def name(self) -> Text:
        return "action_suggest_article"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        if reply_to_input_issue(dispatcher, tracker.get_slot("input_issue")):
            return []
        text = latest_text(tracker)[:MAX_QUERY_CHARS]
        language = tracker.get_slot("language")
        tried = list(tracker.get_slot("suggested_articles") or [])
        events: List[Dict] = [SlotSet("problem_text", text)]
        try:
            hits = await runtime.helpdesk().search_kb(text, language, exclude=tried, top_k=1)
        except ActionError as exc:
            log.warning("KB search failed: %s", exc)
            hits = []
        if not hits:
            dispatcher.utter_message(response="utter_no_article")
            return events + [SlotSet("pending_question", "offer_ticket")]
        hit = hits[0]
        if hit["fallback_language"]:
            dispatcher.utter_message(response="utter_article_other_language", article_lang=hit["lang"])
        dispatcher.utter_message(response="utter_article", title=hit["title"], summary=hit["summary"],
                                 steps=format_steps(hit["steps"]), url=hit["url"])
        dispatcher.utter_message(response="utter_ask_solved")
        return events + [
            SlotSet("suggested_articles", tried + [hit["article_id"]]),
            SlotSet("current_article", hit["article_id"]),
            SlotSet("pending_question", "kb_feedback"),
        ]


class ActionArticleSolved(Action):
    def name(self) -> Text:
        return "action_article_solved"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        await _record(tracker, "solved")
        dispatcher.utter_message(response="utter_glad_solved")
        return [SlotSet("pending_question", None), SlotSet("resolution", "self_service")]


class ActionArticleNotSolved(Action):
    """The article did not help: record it (the rules then escalate)."""

    def name(self) -> Text:
        return "action_article_not_solved"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        await _record(tracker, "not_solved")
        return [SlotSet("pending_question", None)]


async def _record(tracker: Tracker, outcome: str) -> None:
    article = tracker.get_slot("current_article")
    if not article:
        return
    try:
        await runtime.helpdesk().record_outcome(tracker.sender_id, article, tracker.get_slot("language") or "en", outcome)
    except ActionError as exc:
        log.warning("could not record the self-service outcome: %s", exc)
