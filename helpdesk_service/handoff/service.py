"""The rules of a live handoff: who is available, taking a chat, talking, transferring, handing back,
resolving, the satisfaction survey, and what happens when the user or the agent goes away.

The bot asks for a handoff after it created the ticket (``request``); the chat then waits in the queue
with the bot paused. The user's messages come from Rasa's tracker store (:mod:`.tracker_feed`, read by
:meth:`HandoffService.poll` on a timer); the agent's replies go to the user through Rasa
(:mod:`.rasa`). Everything said, every note and every change is also recorded on the ticket.
After a resolve or a hand back the user is asked 1-5 and an optional comment (the bot stays paused
until they answered or the chat times out), then Rasa resumes the conversation.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core.clock import utcnow
from core.privacy import mask
from core.settings import Settings
from escalation.errors import EscalationError
from escalation.tickets.base import TicketBackend
from escalation.tickets.model import TicketSummary
from helpdesk_service.handoff import texts
from helpdesk_service.handoff.errors import (DeliveryFailed, HandoffConflict, HandoffForbidden, HandoffNotFound,
                                             InvalidHandoff)
from helpdesk_service.handoff.rasa import RasaClient
from helpdesk_service.handoff.store import HandoffStore, now_iso, parse_time
from helpdesk_service.handoff.tracker_feed import new_events

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_TEXT = 5000
SURVEY = ("survey_rating", "survey_comment")
NO_COMMENT_PAYLOAD = "/deny"


class HandoffService:
    def __init__(self, settings: Settings, store: HandoffStore, rasa: RasaClient, tickets: TicketBackend,
                 tracker_db: Path) -> None:
        self.settings = settings
        self.config = settings.handoff
        self.store = store
        self.rasa = rasa
        self.tickets = tickets
        self.tracker_db = Path(tracker_db)

    # -- availability ----------------------------------------------------------------------------
    def is_open(self, at: datetime | None = None) -> bool:
        hours = self.config.opening_hours
        local = (at or utcnow()).astimezone(ZoneInfo(self.settings.timezone))
        return DAYS[local.weekday()] in hours.days and hours.start <= local.strftime("%H:%M") < hours.end

    def online_agents(self) -> list[dict]:
        cutoff = utcnow() - timedelta(seconds=self.config.agent_timeout_seconds)
        return [a for a in self.store.agents()
                if a["status"] == "available" and parse_time(a["last_seen"]) >= cutoff]

    def unavailable_reason(self) -> str | None:
        """None when an agent can take a chat now, else ``disabled``, ``closed``, ``offline`` or ``busy``."""
        if not self.config.enabled:
            return "disabled"
        if not self.is_open():
            return "closed"
        online = self.online_agents()
        if not online:
            return "offline"
        load = self.store.load()
        waiting = len(self.store.queue("waiting", ""))
        free = sum(max(0, a["capacity"] - load.get(a["username"], 0)) for a in online)
        return None if free > waiting else "busy"

    # -- the bot's side ------------------------------------------------------------------------------
    def request(self, conversation_id: str, ticket_id: str, language: str, channel: str | None,
                reason: str | None) -> dict:
        """Queue the chat when an agent can take it; else say why not (the ticket exists either way).
        Only users of ``handoff.channels`` can get a live agent: the agent's replies must reach them."""
        existing = self.store.live_for(conversation_id)
        if existing:
            return {"status": existing["state"], "handoff_id": existing["id"]}
        why = "channel" if channel not in self.config.channels else self.unavailable_reason()
        if why:
            return {"status": "unavailable", "reason": why}
        if language not in self.settings.languages:
            language = self.settings.default_language
        ticket = self.tickets.get(ticket_id)
        handoff = self.store.create(
            conversation_id=conversation_id, ticket_id=str(ticket.id), language=language, channel=channel,
            reason=reason, queue=ticket.queue, priority=ticket.priority, subject=ticket.subject,
            requester_id=ticket.requester.id,
            response_due=ticket.response_due.isoformat() if ticket.response_due else None,
            resolution_due=ticket.resolution_due.isoformat() if ticket.resolution_due else None)
        self._record(handoff, "Live chat: waiting for an agent.", "bot")
        return {"status": "waiting", "handoff_id": handoff["id"]}

    # -- the agent's side ---------------------------------------------------------------------------
    def get(self, handoff_id: int) -> dict:
        handoff = self.store.get(handoff_id)
        if handoff is None:
            raise HandoffNotFound(f"no chat {handoff_id}")
        return handoff

    def take(self, handoff_id: int, agent: str) -> dict:
        handoff = self.get(handoff_id)
        presence = self.store.presence(agent)
        capacity = presence["capacity"] if presence else self.config.default_capacity
        if handoff["state"] == "waiting" and self.store.load().get(agent, 0) >= capacity:
            raise HandoffConflict(f"you already have {capacity} chats (your capacity): finish one first")
        if not self.store.update(handoff_id, when_state=("waiting",), state="active", agent=agent,
                                 taken_at=now_iso()):
            current = self.get(handoff_id)
            if current["state"] == "active" and current["agent"] == agent:
                return current
            if current["agent"]:
                raise HandoffConflict(f"this chat is already taken by {current['agent']}")
            raise HandoffConflict(f"this chat is no longer waiting ({current['state']})")
        self.store.seen(agent)
        self._system(handoff, f"{agent} took the chat.")
        self._tell(handoff, texts.text("agent_joined", handoff["language"], agent=agent))
        self._ticket_status(handoff, "open")
        return self.get(handoff_id)

    def _own(self, handoff_id: int, agent: str, states: tuple[str, ...] = ("active",)) -> dict:
        handoff = self.get(handoff_id)
        if handoff["agent"] != agent:
            raise HandoffForbidden("this chat is not yours: take it from the queue first")
        if handoff["state"] not in states:
            raise HandoffConflict(f"this chat is {handoff['state']}")
        return handoff

    @staticmethod
    def _clean(text: str) -> str:
        text = (text or "").strip()
        if not text:
            raise InvalidHandoff("the message is empty")
        if len(text) > MAX_TEXT:
            raise InvalidHandoff(f"the message is longer than {MAX_TEXT} characters")
        return text

    def reply(self, handoff_id: int, agent: str, text: str) -> dict:
        handoff = self._own(handoff_id, agent)
        text = self._clean(text)
        self.rasa.send(handoff["conversation_id"], text)       # DeliveryFailed: the agent is told
        message = self.store.add_message(handoff_id, "agent", text, agent)
        self._record(handoff, f"[{agent}] {text}", "agent")
        return message

    def note(self, handoff_id: int, agent: str, text: str) -> dict:
        handoff = self._own(handoff_id, agent, ("active", *SURVEY))
        text = self._clean(text)
        message = self.store.add_message(handoff_id, "note", text, agent)
        self._record(handoff, f"[private note, {agent}] {text}", "agent")
        return message

    def transfer(self, handoff_id: int, agent: str, to_agent: str | None = None, queue: str | None = None) -> dict:
        handoff = self._own(handoff_id, agent)
        if to_agent:
            if to_agent == agent:
                raise InvalidHandoff("you already have this chat")
            if to_agent not in {a["username"] for a in self.online_agents()}:
                raise HandoffConflict(f"{to_agent} is not available")
            self.store.update(handoff_id, when_state=("active",), when_agent=agent, agent=to_agent)
            self._system(handoff, f"{agent} transferred the chat to {to_agent}.")
        else:
            queue = queue or handoff["queue"]
            if queue not in self.settings.routing.queues:
                raise InvalidHandoff(f"no queue {queue!r}")
            self.store.update(handoff_id, when_state=("active",), when_agent=agent, state="waiting", agent=None,
                              queue=queue)
            self._system(handoff, f"{agent} put the chat back in the queue {queue}.")
        return self.get(handoff_id)

    def hand_back(self, handoff_id: int, agent: str) -> dict:
        return self._end(handoff_id, agent, "returned")

    def resolve(self, handoff_id: int, agent: str) -> dict:
        return self._end(handoff_id, agent, "resolved")

    def _end(self, handoff_id: int, agent: str, outcome: str) -> dict:
        handoff = self._own(handoff_id, agent)
        if not self.store.update(handoff_id, when_state=("active",), when_agent=agent, state="survey_rating",
                                 outcome=outcome):
            raise HandoffConflict("this chat changed meanwhile: reload it")
        verb = "resolved the chat" if outcome == "resolved" else "handed the chat back to the bot"
        self._system(handoff, f"{agent} {verb}; the user is asked for satisfaction.")
        if outcome == "resolved":
            self._ticket_status(handoff, "resolved")
        lang = handoff["language"]
        buttons = [{"title": str(n), "payload": str(n)} for n in range(1, 6)]
        self._tell(handoff, texts.text("rating_question", lang), buttons)
        return self.get(handoff_id)

    # -- the user's messages, the survey, timeouts (the worker calls poll) -------------------------
    def poll(self) -> None:
        for handoff in self.store.live():
            try:
                self._feed(handoff)
                self._timeouts(self.get(handoff["id"]))
            except Exception:  # noqa: BLE001 - one broken chat must not stop the others
                log.exception("handoff %s", handoff["id"])

    def _feed(self, handoff: dict) -> None:
        since = parse_time(handoff["created_at"]).timestamp()
        for event in new_events(self.tracker_db, handoff["conversation_id"], handoff["last_event_id"], since):
            handoff = self.get(handoff["id"])
            if handoff["state"] not in ("waiting", "active", *SURVEY):
                return
            self.store.update(handoff["id"], last_event_id=event.id)
            if event.type == "session_started":
                self.rasa.pause(handoff["conversation_id"])     # a new Rasa session forgets the pause
                continue
            self.on_user_message(handoff, event.text, event.intent)

    def on_user_message(self, handoff: dict, text: str, intent: str | None = None) -> None:
        text = mask(text or "", self.settings.privacy.mask_personal_data)[:MAX_TEXT]
        state = handoff["state"]
        if state in ("waiting", "active"):
            self.store.add_message(handoff["id"], "user", text)
            self._record(handoff, text, "user")
        elif state == "survey_rating":
            self.store.add_message(handoff["id"], "user", text)
            answer = text.strip()
            if answer in ("1", "2", "3", "4", "5"):
                self.store.update(handoff["id"], when_state=("survey_rating",), state="survey_comment",
                                  csat_score=int(answer), last_activity_at=now_iso())
                lang = handoff["language"]
                self._tell(handoff, texts.text("comment_question", lang),
                           [{"title": texts.text("no_comment", lang), "payload": NO_COMMENT_PAYLOAD}])
            else:
                self._finish(handoff, answered=False)
        elif state == "survey_comment":
            declined = text.strip() == NO_COMMENT_PAYLOAD or (intent == "deny" and text.strip().startswith("/"))
            if not declined:
                self.store.add_message(handoff["id"], "user", text)
                self.store.update(handoff["id"], csat_comment=text[:2000])
            self._finish(self.get(handoff["id"]), answered=True)

    def _finish(self, handoff: dict, answered: bool) -> None:
        outcome = handoff["outcome"] or "resolved"
        if not self.store.update(handoff["id"], when_state=SURVEY, state=outcome, ended_at=now_iso()):
            return
        handoff = self.get(handoff["id"])
        if handoff["csat_score"]:
            summary = f"Satisfaction: {handoff['csat_score']}/5"
            if handoff["csat_comment"]:
                summary += f" - {handoff['csat_comment']}"
        else:
            summary = "Satisfaction survey not answered."
        self._system(handoff, summary)
        lang = handoff["language"]
        if answered:
            self._tell(handoff, texts.text("thanks", lang))
        if outcome == "returned":
            self._tell(handoff, texts.text("back_to_bot", lang))
        self._resume(handoff)

    def _timeouts(self, handoff: dict) -> None:
        now = utcnow()
        if handoff["state"] == "active":
            presence = self.store.presence(handoff["agent"])
            seen = parse_time(presence["last_seen"]) if presence else None
            if seen is None or now - seen > timedelta(seconds=self.config.agent_timeout_seconds):
                if self.store.update(handoff["id"], when_state=("active",), when_agent=handoff["agent"],
                                     state="waiting", agent=None, last_activity_at=now_iso()):
                    self._system(handoff, f"{handoff['agent']} went offline: the chat is back in the queue.")
                    self._tell(handoff, texts.text("agent_disconnected", handoff["language"]))
                return
        idle = now - parse_time(handoff["last_activity_at"])
        if idle <= timedelta(seconds=self.config.idle_timeout_seconds):
            return
        if handoff["state"] in SURVEY:
            self._finish(handoff, answered=False)
            return
        key = "nobody_came" if handoff["state"] == "waiting" else "timed_out"
        if self.store.update(handoff["id"], when_state=(handoff["state"],), state="timed_out", ended_at=now_iso()):
            self._system(handoff, "The chat timed out; the ticket stays open.")
            self._tell(handoff, texts.text(key, handoff["language"], ticket=handoff["ticket_id"]))
            self._resume(handoff)

    # -- what the console shows ---------------------------------------------------------------------
    def context(self, handoff_id: int) -> dict:
        """The context card: the ticket as the bot made it (paraphrase, facts, articles and answers,
        consent, transcript, reason, priority, due times) and the requester's earlier tickets."""
        handoff = self.get(handoff_id)
        ticket, earlier = None, []
        try:
            ticket = self.tickets.get(handoff["ticket_id"]).model_dump(mode="json", exclude={"comments"})
            others = self.tickets.list(requester_id=handoff["requester_id"], limit=6)
            earlier = [TicketSummary.of(t).model_dump(mode="json") for t in others if str(t.id) != handoff["ticket_id"]]
        except EscalationError as exc:
            log.warning("context of chat %s: %s", handoff_id, exc)
        return {"handoff": handoff, "ticket": ticket, "earlier_tickets": earlier[:5],
                "messages": self.store.messages(handoff_id)}

    # -- helpers ------------------------------------------------------------------------------------------
    def _tell(self, handoff: dict, text: str, buttons: list[dict] | None = None) -> None:
        """A text of the service to the user; kept in the chat log; a delivery failure is logged."""
        self.store.add_message(handoff["id"], "system", text)
        try:
            self.rasa.send(handoff["conversation_id"], text, buttons)
        except DeliveryFailed as exc:
            log.warning("chat %s: %s", handoff["id"], exc)

    def _resume(self, handoff: dict) -> None:
        try:
            self.rasa.resume(handoff["conversation_id"])
        except DeliveryFailed as exc:
            log.warning("chat %s: cannot resume the bot: %s", handoff["id"], exc)

    def _system(self, handoff: dict, text: str) -> None:
        self.store.add_message(handoff["id"], "event", text)
        self._record(handoff, text, "bot")

    def _record(self, handoff: dict, text: str, sender: str) -> None:
        try:
            self.tickets.add_comment(handoff["ticket_id"], text, sender)
        except EscalationError as exc:
            log.warning("chat %s: not recorded on ticket %s: %s", handoff["id"], handoff["ticket_id"], exc)

    def _ticket_status(self, handoff: dict, status: str) -> None:
        try:
            self.tickets.set_status(handoff["ticket_id"], status)
        except EscalationError as exc:
            log.warning("chat %s: ticket %s not set %s: %s", handoff["id"], handoff["ticket_id"], status, exc)
