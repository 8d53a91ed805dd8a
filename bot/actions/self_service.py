"""Self-service: suggest KB articles (the matching section first; summary and link for an article
without steps), walk through their steps, record whether they solved it."""

from __future__ import annotations

import json
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
MAX_SUGGESTIONS = 3


def show_article(dispatcher: CollectingDispatcher, article: dict, tried: list[str],
                 skill_level: str | None = None) -> List[Dict]:
    """Send the article, adapted to the user and to the article: concise technical steps for an
    IT-savvy user when the article has them; else the section of a long article that matched the
    question, first; else the click-by-click steps; else (a prose article) its summary and the link.
    Then the caller asks whether it solved the problem (:func:`ask_solved`)."""
    if article["fallback_language"]:
        dispatcher.utter_message(response="utter_article_other_language", article_lang=article["lang"])
    technical = article.get("technical_steps") or []
    steps = list(article.get("steps") or [])
    if skill_level == "it_savvy" and technical:
        dispatcher.utter_message(response="utter_article_technical", title=article["title"],
                                 steps="\n".join(f"- {step}" for step in technical), url=article["url"])
    elif article.get("section_text"):
        dispatcher.utter_message(response="utter_article_section", title=article["title"],
                                 section=article.get("section") or article["title"],
                                 text=article["section_text"], url=article["url"])
    elif steps:
        dispatcher.utter_message(response="utter_article", title=article["title"], summary=article["summary"],
                                 steps=format_steps(steps), url=article["url"])
    else:
        dispatcher.utter_message(response="utter_article_summary", title=article["title"],
                                 summary=article["summary"], url=article["url"])
    return [
        SlotSet("suggested_articles", tried + [article["article_id"]]),
        SlotSet("current_article", article["article_id"]),
        SlotSet("current_steps", steps),
        SlotSet("current_step", 0),
        SlotSet("pending_question", "kb_feedback"),
    ]


def ask_solved(dispatcher: CollectingDispatcher, article: dict) -> None:
    """Did it help? With the step-by-step offer only when the article has steps."""
    dispatcher.utter_message(response="utter_ask_solved" if article.get("steps") else "utter_ask_solved_no_steps")


def choice_payload(article_id: str) -> str:
    return "/choose_article" + json.dumps({"article_id": article_id})


async def suggest_articles(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[Dict]:
    """Search the KB with the confirmed problem: the best article in full, up to two more as buttons;
    no article above the threshold -> say so and offer a ticket."""
    if reply_to_input_issue(dispatcher, tracker.get_slot("input_issue")):
        return []
    text = (text or latest_text(tracker))[:MAX_QUERY_CHARS]
    tried = list(tracker.get_slot("suggested_articles") or [])
    try:
        hits = await runtime.helpdesk().search_kb(text, tracker.get_slot("language"), exclude=tried,
                                                 top_k=MAX_SUGGESTIONS, category=tracker.get_slot("category"))
    except ActionError as exc:
        log.warning("KB search failed: %s", exc)
        hits = []
    if not hits:
        dispatcher.utter_message(response="utter_no_article")
        return [SlotSet("pending_question", "offer_ticket")]
    events = show_article(dispatcher, hits[0], tried, tracker.get_slot("skill_level"))
    if len(hits) > 1:
        dispatcher.utter_message(response="utter_other_articles",
                                 buttons=[{"title": h["title"], "payload": choice_payload(h["article_id"])}
                                          for h in hits[1:]])
    ask_solved(dispatcher, hits[0])
    return events


class ActionShowArticle(Action):
    """The user picked one of the suggested articles."""

    def name(self) -> Text:
        return "action_show_article"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        article_id = next(tracker.get_latest_entity_values("article_id"), None)
        tried = list(tracker.get_slot("suggested_articles") or [])
        try:
            article = await runtime.helpdesk().get_article(str(article_id or ""), tracker.get_slot("language"))
        except ActionError:  # NotFound included
            dispatcher.utter_message(response="utter_article_not_found")
            return [SlotSet("pending_question", None)]
        events = show_article(dispatcher, article, [a for a in tried if a != article["article_id"]],
                              tracker.get_slot("skill_level"))
        ask_solved(dispatcher, article)
        return events


class ActionWalkThrough(Action):
    """Give the current article's steps one at a time; after the last, ask whether it works."""

    def name(self) -> Text:
        return "action_walk_through"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        steps = list(tracker.get_slot("current_steps") or [])
        done = int(tracker.get_slot("current_step") or 0)
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        events: List[Dict] = []
        if intent == "next_step" and 0 < done <= len(steps):
            events.append(record_check(tracker, done, steps[done - 1], "done_not_solved"))
        if intent == "walk_through":
            done = 0
        if done >= len(steps):
            dispatcher.utter_message(response="utter_walk_done")
            return events + [SlotSet("pending_question", "walk_through")]
        dispatcher.utter_message(response="utter_walk_step", number=done + 1, total=len(steps), step=steps[done])
        return events + [SlotSet("current_step", done + 1), SlotSet("pending_question", "walk_through")]


def record_check(tracker: Tracker, number: int, step: str, result: str) -> Dict:
    """One result of the guided walk-through, kept as a fact for the ticket."""
    results = [r for r in tracker.get_slot("check_results") or []
               if not (r.get("article") == tracker.get_slot("current_article") and r.get("step") == number)]
    results.append({"article": tracker.get_slot("current_article"), "step": number, "text": step[:300],
                    "result": result})
    return SlotSet("check_results", results)


def walk_result(tracker: Tracker, result: str) -> List[Dict]:
    """During a walk-through, the yes/no answer is the result of the step just given."""
    if tracker.get_slot("pending_question") != "walk_through":
        return []
    steps = list(tracker.get_slot("current_steps") or [])
    done = int(tracker.get_slot("current_step") or 0)
    if not 0 < done <= len(steps):
        return []
    return [record_check(tracker, done, steps[done - 1], result)]


class ActionArticleSolved(Action):
    def name(self) -> Text:
        return "action_article_solved"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        await _record(tracker, "solved")
        dispatcher.utter_message(response="utter_glad_solved")
        return walk_result(tracker, "solved") + [SlotSet("pending_question", None), SlotSet("resolution", "self_service")]


class ActionArticleNotSolved(Action):
    """The article did not help: record it (the rules then escalate)."""

    def name(self) -> Text:
        return "action_article_not_solved"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        await _record(tracker, "not_solved")
        return walk_result(tracker, "not_solved") + [SlotSet("pending_question", None)]


async def _record(tracker: Tracker, outcome: str) -> None:
    article = tracker.get_slot("current_article")
    if not article:
        return
    try:
        await runtime.helpdesk().record_outcome(tracker.sender_id, article, tracker.get_slot("language") or runtime.settings().default_language, outcome)
    except ActionError as exc:
        log.warning("could not record the self-service outcome: %s", exc)
