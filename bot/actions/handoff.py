"""Live handoff: after the ticket is created, ask the service for an agent; when one can join, tell
the user and pause the bot (Rasa's ``ConversationPaused``: Rasa keeps the user's messages but answers
nothing). The service takes it from there (helpdesk_service/handoff): the agent's replies, the
satisfaction survey, and resuming the bot.

When nobody can join, a user who asked for a person is told why (offline, busy, closed); the ticket
message they already got says when the helpdesk responds.
"""

from __future__ import annotations

import logging
from typing import Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import runtime
from bot.actions.errors import ActionError

log = logging.getLogger(__name__)

UNAVAILABLE_RESPONSES = {"offline": "utter_handoff_unavailable_offline", "busy": "utter_handoff_unavailable_busy",
                         "closed": "utter_handoff_unavailable_closed"}
TOLD_WHEN_NOBODY = ("requested_human", "complaint")   # reasons for which the user asked for a person


async def offer_handoff(dispatcher: CollectingDispatcher, tracker: Tracker, ticket_id: str, reason: str,
                        language: str) -> List[Dict]:
    """Events to add after the ticket message: ``ConversationPaused`` when an agent will join."""
    body = {"conversation_id": tracker.sender_id, "ticket_id": str(ticket_id), "language": language,
            "channel": tracker.get_latest_input_channel(), "reason": reason}
    try:
        answer = await runtime.helpdesk().request_handoff(body)
    except ActionError as exc:
        log.warning("no live handoff for %s: %s", tracker.sender_id, exc)
        return []
    if answer.get("status") in ("waiting", "active"):
        dispatcher.utter_message(response="utter_handoff_joining")
        return [ConversationPaused()]
    response = UNAVAILABLE_RESPONSES.get(answer.get("reason") or "")
    if response and reason in TOLD_WHEN_NOBODY:
        dispatcher.utter_message(response=response)
    return []
