"""Microsoft Teams: Rasa's Bot Framework channel, passing the locale on and sending real card actions.

Two things Rasa 3.6's channel does not do for Teams:
- it forwards only attachments as message metadata; the language the user's Teams client runs in
  ("fr-BE") is what the action server needs when a first message is too short to tell its language,
  and the user's display name goes on the ticket;
- it sends a response's buttons as they are written in the domain (``title`` / ``payload``), which
  Teams does not render; here they become ``imBack`` suggested actions (the user's click sends the
  payload back, as the web chat does).
Same webhook: ``/webhooks/botframework/webhook``; authentication is Rasa's (``_validate_auth``).
The sender (who owns the tickets) is the user's Azure AD object id (``from.aadObjectId``) from the
validated activity, or the Teams user id when the activity has none; messages are cut and rate
limited like on the other channels (``bot/channels/guard.py``).

For the live handoff to an agent (docs/console.md) the channel also keeps each user's conversation
reference (conversation, bot account, service URL of their latest activity) and offers an output
channel built from it (:meth:`BotFrameworkWithLocale.get_output_channel`): a message Rasa's HTTP API
sends with ``output_channel=latest`` (an agent's reply) then reaches the user as a proactive message
through the Bot Connector; the ticket number after an outage is pushed the same way. The references
are kept in the helpdesk service's database (``bot/channels/service_api.py``; written when a user's
reference changes, read for each proactive message), so they survive a restart of Rasa and every Rasa
process of a scaled setup finds them; when the service cannot be reached, the reference this process
saw last is used. A user who never wrote cannot be addressed (the API call fails and the agent is told).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from urllib.parse import quote

from rasa.core.channels.botframework import BotFramework, BotFrameworkInput
from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import MessageGuard, deliver
from bot.channels.service_api import ServiceApi, ServiceUnavailable

log = logging.getLogger(__name__)
MAX_LOCALE = 20
MAX_NAME = 200
MAX_EMAIL = 320
MEMBER_TIMEOUT = 5


def member_email(member: Optional[Dict[Text, Any]]) -> Optional[Text]:
    """The e-mail address of a Teams member: ``email``, else the user principal name when it is one."""
    for key in ("email", "userPrincipalName"):
        value = str((member or {}).get(key) or "").strip()
        if "@" in value and len(value) <= MAX_EMAIL and not any(c.isspace() for c in value):
            return value
    return None


def card_actions(buttons: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Domain buttons as Bot Framework card actions."""
    return [{"type": "imBack", "title": str(b.get("title", "")), "value": str(b.get("payload", ""))}
            for b in buttons]


class TeamsOutput(BotFramework):
    """Replies go to the Teams user (``from.id`` of the activity), whatever the conversation's sender id
    (the Azure AD object id) is."""

    teams_user_id: Optional[Text] = None

    def prepare_message(self, recipient_id: Text, message_data: Dict[Text, Any]) -> Dict[Text, Any]:
        return super().prepare_message(self.teams_user_id or recipient_id, message_data)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await super().send_custom_json(self.teams_user_id or recipient_id, json_message, **kwargs)

    async def member(self, conversation_id: Text, member_id: Text) -> Optional[Dict[Text, Any]]:
        """The Bot Connector's account of a conversation member (Teams: name, e-mail, user principal
        name), or None when it cannot be had now."""
        import aiohttp

        url = f"{self.global_uri}conversations/{quote(conversation_id, safe=':@')}/members/{quote(member_id, safe=':')}"
        try:
            headers = await self._get_headers()
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=MEMBER_TIMEOUT)) as session:
                async with session.get(url, headers=headers or {}) as answer:
                    if answer.status != 200:
                        log.warning("botframework: member lookup answered HTTP %s", answer.status)
                        return None
                    found = await answer.json(content_type=None)
                    return found if isinstance(found, dict) else None
        except Exception as exc:  # noqa: BLE001 - the e-mail is a nicety: the conversation goes on
            log.warning("botframework: member lookup failed: %s", exc.__class__.__name__)
            return None

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        message = {"text": text, "suggestedActions": {"actions": card_actions(buttons)}}
        await self.send(self.prepare_message(recipient_id, message))


def sender_of(activity: Dict[Text, Any]) -> Text:
    """The Azure AD object id of the user when Teams sends it, else the channel's user id."""
    origin = activity["from"]
    return str(origin.get("aadObjectId") or origin["id"])[:200]


class NoConversationReference(Exception):
    """No activity of this user is known: a proactive message cannot be addressed."""


class ProactiveTeamsOutput(OutputChannel):
    """Sends to a user by their stored conversation reference (the agent's replies during a handoff)."""

    @classmethod
    def name(cls) -> Text:
        return "botframework"

    def __init__(self, channel: "BotFrameworkWithLocale") -> None:
        self.channel = channel

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        reference = await self.channel.reference(recipient_id)
        if reference is None:
            raise NoConversationReference(f"no Teams conversation reference for {recipient_id!r}")
        output = TeamsOutput(self.channel.app_id, self.channel.app_password, reference["conversation"],
                             reference["recipient"], reference["serviceUrl"])
        output.teams_user_id = reference.get("user")          # the Teams user id; recipient_id is the AAD id
        await output.send_response(recipient_id, message)


class BotFrameworkWithLocale(BotFrameworkInput):
    guard: Optional[MessageGuard] = None

    def __init__(self, app_id: Text, app_password: Text, service: Optional[ServiceApi] = None) -> None:
        super().__init__(app_id, app_password)
        self.service = service or ServiceApi.from_environment()
        self.references: Dict[Text, Dict[Text, Any]] = {}   # sender id -> their latest activity's reference
        self.saved: Dict[Text, Dict[Text, Any]] = {}        # sender id -> the reference saved in the service
        self.emails: Dict[Text, Optional[Text]] = {}         # sender id -> e-mail address Teams gave (or None)

    def get_output_channel(self) -> Optional[OutputChannel]:
        return ProactiveTeamsOutput(self)

    async def remember(self, sender: Text, reference: Dict[Text, Any]) -> None:
        """Save the user's reference in the service when it changed (a failure is logged: the
        conversation goes on, and the next activity tries again)."""
        self.references[sender] = reference
        if self.saved.get(sender) == reference:
            return
        try:
            await self.service.save_reference(sender, reference)
            self.saved[sender] = reference
        except ServiceUnavailable as exc:
            log.warning("botframework: the conversation reference of %s is not saved: %s", sender, exc)

    async def reference(self, sender: Text) -> Optional[Dict[Text, Any]]:
        """The reference kept in the service; the one this process saw last when the service has none
        or cannot be reached."""
        try:
            return await self.service.reference(sender) or self.references.get(sender)
        except ServiceUnavailable as exc:
            log.warning("botframework: no conversation reference from the service for %s: %s", sender, exc)
            return self.references.get(sender)

    async def email_of(self, sender: Text, output: TeamsOutput, activity: Dict[Text, Any]) -> Optional[Text]:
        """The user's e-mail address from Teams (the conversation member's ``email`` or UPN), asked once
        per user and process; a failed lookup is asked again with the next message."""
        if sender not in self.emails:
            member = await output.member(str(activity["conversation"]["id"]), str(activity["from"]["id"]))
            if member is None:
                return None
            self.emails[sender] = member_email(member)
        return self.emails[sender]

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """The client's locale and the user's display name, for the actions (language, ticket requester)."""
        body = request.json if isinstance(request.json, dict) else {}
        sender = body.get("from") if isinstance(body.get("from"), dict) else {}
        metadata = {"locale": str(body.get("locale") or "")[:MAX_LOCALE],
                    "name": str(sender.get("name") or "")[:MAX_NAME]}
        return {key: value for key, value in metadata.items() if value} or None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook_bp = Blueprint("botframework_webhook", __name__)

        @webhook_bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook_bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            denied = self._validate_auth(request.headers.get("Authorization"))
            if denied:
                return denied
            activity = request.json if isinstance(request.json, dict) else {}
            if activity.get("type") != "message":
                return response.text("success")     # conversationUpdate, typing ...: nothing to answer
            try:
                output = TeamsOutput(self.app_id, self.app_password, activity["conversation"],
                                     activity["recipient"], activity["serviceUrl"])
                sender = sender_of(activity)
                output.teams_user_id = str(activity["from"]["id"])
                reference = {"conversation": activity["conversation"], "user": output.teams_user_id,
                             "recipient": activity["recipient"], "serviceUrl": activity["serviceUrl"]}
            except (KeyError, TypeError, AttributeError):
                return response.text("activity without conversation, recipient, serviceUrl or from",
                                     status=400)
            await self.remember(sender, reference)
            metadata = self.add_attachments_to_metadata(activity, self.get_metadata(request))
            email = await self.email_of(sender, output, activity)
            if email:
                metadata = {**(metadata or {}), "email": email}     # the ticket's requester (RT creates the user)
            self.guard = self.guard or MessageGuard()
            checked = self.guard.check(activity.get("text") or "", sender, None, metadata)
            for text in checked.notices:
                await output.send_text_message(sender, text)
            if checked.allowed:
                await deliver(on_new_message, UserMessage(text=checked.text, output_channel=output, sender_id=sender,
                                                          input_channel=self.name(), metadata=metadata),
                              (metadata or {}).get("locale"))
            return response.text("success")

        return webhook_bp
