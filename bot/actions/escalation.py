"""Escalation to a human: the ticket with the conversation's context, and ticket status."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import runtime
from bot.actions.conversation import latest_text, requester, session_start, transcript
from bot.actions.errors import HelpdeskUnavailable, NotFound
from helpdesk.privacy import mask

log = logging.getLogger(__name__)
FACT_SLOTS = ("device", "application", "os", "error_code", "since", "scope", "location")


def ticket_draft(tracker: Tracker, reason: str) -> dict:
    settings = runtime.settings()
    problem = tracker.get_slot("problem_text") or latest_text(tracker)
    problem = mask(problem, settings.privacy.mask_personal_data)
    key_source = f"{tracker.sender_id}|{session_start(tracker)}|{problem}"
    category = tracker.get_slot("category")
    suggested = tracker.get_slot("suggested_articles") or []
    solved = tracker.get_slot("resolution") == "self_service"
    return {
        "idempotency_key": hashlib.sha256(key_source.encode("utf-8")).hexdigest()[:40],
        "requester": requester(tracker),
        "language": tracker.get_slot("language") or settings.default_language,
        "subject": (problem or "Chat escalation")[:120],
        "description": problem,
        "category": category,
        "facts": {name: tracker.get_slot(name) for name in FACT_SLOTS if tracker.get_slot(name)},
        "transcript": transcript(tracker, settings.privacy.mask_personal_data),
        "suggested_articles": [
            {"article_id": a, "outcome": "solved" if solved else "not_solved"} for a in suggested
        ],
        "reason": reason,
    }


class ActionEscalate(Action):
    """Create the ticket (idempotent) and tell the user its number."""

    def name(self) -> Text:
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        draft = ticket_draft(tracker, "requested_human" if intent == "request_human" else "not_solved")
        try:
            ticket = await runtime.helpdesk().create_ticket(draft)
        except HelpdeskUnavailable as exc:
            log.warning("ticket creation deferred: %s", exc)
            dispatcher.utter_message(response="utter_ticket_deferred", reference=draft["idempotency_key"][:8])
            return [SlotSet("pending_question", None)]
        dispatcher.utter_message(response="utter_ticket_created", ticket_id=ticket["id"])
        return [SlotSet("ticket_id", ticket["id"]), SlotSet("pending_question", None)]


class ActionTicketStatus(Action):
    """Status of a ticket of this requester (the number from the message, or the latest one)."""

    def name(self) -> Text:
        return "action_ticket_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        number = next(tracker.get_latest_entity_values("ticket_number"), None) or tracker.get_slot("ticket_id")
        digits = "".join(ch for ch in str(number or "") if ch.isdigit())
        client = runtime.helpdesk()
        try:
            if digits:
                ticket = await client.get_ticket(digits.lstrip("0") or "0")
                if ticket["requester"]["id"] != tracker.sender_id:
                    raise NotFound("not this requester's ticket")
            else:
                mine = await client.list_tickets(tracker.sender_id)
                if not mine:
                    dispatcher.utter_message(response="utter_no_tickets")
                    return []
                ticket = mine[0]
        except NotFound:
            dispatcher.utter_message(response="utter_ticket_not_found", ticket_id=digits)
            return []
        except HelpdeskUnavailable:
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        dispatcher.utter_message(response=f"utter_ticket_status_{ticket['status']}", ticket_id=ticket["id"],
                                 subject=ticket["subject"])
        return []
