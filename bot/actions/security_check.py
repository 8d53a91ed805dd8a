"""Only clear signals take the security path: phishing, a password given away, a hacked account,
a lost or stolen device (``security_signals`` in bot/facts/<language>.yml, any language).

Technical vocabulary (DNS, certificate, firewall) is no such signal: a message the NLU reads as a
security incident without one is triaged as the likeliest other problem of the NLU's ranking;
without any, the user is asked which topic it is (clarifying buttons, the security one first).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.conversation import latest_text
from bot.actions.dialogue import topic_responses
from bot.actions.facts import available_languages, language_facts, normal, find_phrase
from bot.actions.texts import render

MIN_ALTERNATIVE = 0.05
MAX_TOPICS = 3


def clear_signal(text: str) -> bool:
    """A button payload (the user chose the topic) or a security word of any language."""
    if text.startswith("/"):
        return True
    low = normal(text)
    for language in available_languages():
        facts = language_facts(language)
        if facts and any(find_phrase(low, w) for w in facts.words("security_signals")):
            return True
    return False


def category_intents(domain: Dict[str, Any]) -> dict[str, str]:
    """intent -> problem category, from the ``category`` slot's mappings of the domain."""
    mappings = (((domain or {}).get("slots") or {}).get("category") or {}).get("mappings") or []
    return {m["intent"]: m["value"] for m in mappings if m.get("type") == "from_intent" and m.get("intent")}


async def triage_instead(dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: Dict[str, Any]) -> List[Dict] | None:
    """None when the message does show a security signal; else the events that triage it as the
    next likeliest problem, or ask which topic it is."""
    if clear_signal(latest_text(tracker)):
        return None
    from bot.actions.triage import ActionStartTriage   # triage imports self-service; keep this module light

    categories = category_intents(domain)
    security = {"phishing_security", "lost_stolen_device"}
    ranking = [r for r in (tracker.latest_message or {}).get("intent_ranking") or []
               if r.get("name") in categories and r.get("name") not in security]
    if ranking and float(ranking[0].get("confidence") or 0) >= MIN_ALTERNATIVE:
        category = categories[ranking[0]["name"]]
        tracker.slots["category"] = category
        started = await ActionStartTriage().run(dispatcher, tracker, domain)
        return [SlotSet("category", category)] + started + [FollowupAction("triage_form")]
    language = tracker.get_slot("language")
    responses = {"responses": topic_responses(domain)}
    buttons = []
    for name in ["phishing_security"] + [r["name"] for r in ranking]:
        title = render(responses, f"utter_topic_{name}", language)
        if title and len(buttons) < MAX_TOPICS:
            buttons.append({"title": title, "payload": f"/{name}"})
    dispatcher.utter_message(response="utter_clarify", buttons=buttons)
    return [SlotSet("category", None)]
