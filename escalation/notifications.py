"""Telling a conversation that its escalation is now a ticket, once the outbox worker delivered it.

The user was given a reference (R-...) while the ticket system was down. When the worker delivers the
escalation, :class:`ChatNotifier` asks Rasa to run the rule for the intent ``EXTERNAL_ticket_created``
in that conversation (``POST /conversations/<sender>/trigger_intent?output_channel=latest``, with the
token of Rasa's HTTP API); the action says the number, priority and due time in the user's language.
Only channels in ``chat_push.channels`` can carry a message outside the user's turn (socket.io; Teams,
as a proactive message by the conversation reference kept in the service's database); for the others
(REST) the bot tells it with the user's next message instead (``PendingTicketNews`` in the bot), so
nothing is pushed there.
"""

from __future__ import annotations

import logging

import httpx

from core.rasa_paths import conversation_path
from core.settings import Settings
from escalation.outbox import OutboxEntry

log = logging.getLogger(__name__)
INTENT = "EXTERNAL_ticket_created"


class ChatNotifier:
    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport

    def wants(self, entry: OutboxEntry) -> bool:
        push = self.settings.chat_push
        return push.enabled and entry.draft.requester.channel in push.channels

    def ticket_created(self, entry: OutboxEntry) -> bool:
        """Push the news into the conversation; True when Rasa accepted it."""
        if not self.wants(entry):
            return False
        url = f"{self.settings.rasa_url}{conversation_path(entry.draft.requester.id)}/trigger_intent"
        try:
            with httpx.Client(timeout=self.settings.chat_push.timeout_seconds, transport=self.transport) as client:
                response = client.post(url, params={"output_channel": "latest", "token": self.settings.rasa_token()},
                                       json={"name": INTENT, "entities": {"reference": entry.reference}})
        except httpx.HTTPError as exc:
            log.warning("outbox %s: Rasa not reached to tell the conversation (%s); the user learns the number "
                        "with their next message", entry.reference, exc)
            return False
        if response.status_code != 200:
            log.warning("outbox %s: Rasa answered %s to trigger_intent: %s", entry.reference, response.status_code,
                        response.text[:200])
            return False
        log.info("outbox %s: conversation %s told its ticket number %s", entry.reference,
                 entry.draft.requester.id, entry.ticket_id)
        return True
