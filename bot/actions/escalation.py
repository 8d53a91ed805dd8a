"""Escalation to a human: the ticket with the conversation's context, its status, and follow-ups."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any, Dict, List, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import runtime
from bot.actions.consent import GRANTED, ask_consent, consent_needed
from bot.actions.conversation import latest_text, requester, session_start, transcript
from bot.actions.errors import ActionError, HelpdeskUnavailable, NotFound
from bot.actions.handoff import offer_handoff
from bot.actions.security_check import triage_instead
from bot.actions.triage import fact_values, languages_for
from bot.actions.triage_data import triage_data
from escalation import intake
from escalation.tickets.model import Requester, SuggestedArticle, TicketRequest
from bot.actions.texts import render
from core.clock import relative_day
from core.language.time_expressions import normalise as normalise_time
from core.privacy import mask

log = logging.getLogger(__name__)


ARTICLE_CHOICE = "/choose_article"


def offered_articles(tracker: Tracker) -> list[SuggestedArticle]:
    """Every article offered in this session: those shown (the ``suggested_articles`` slot, with the
    user's answer) and those offered as buttons, with the title the user saw when it is known."""
    solved = tracker.get_slot("resolution") == "self_service"
    shown = list(tracker.get_slot("suggested_articles") or [])
    titles: dict[str, str] = {}
    for event in tracker.events:
        if event.get("event") == "session_started":
            titles = {}
        for button in (event.get("data") or {}).get("buttons") or [] if event.get("event") == "bot" else []:
            payload = str(button.get("payload") or "")
            if payload.startswith(ARTICLE_CHOICE):
                try:
                    article_id = json.loads(payload[len(ARTICLE_CHOICE):] or "{}").get("article_id")
                except ValueError:
                    continue
                if article_id:
                    titles[str(article_id)] = str(button.get("title") or "")[:300]
    articles = [SuggestedArticle(article_id=a, title=titles.get(a, ""), outcome="solved" if solved else "not_solved")
                for a in shown]
    articles += [SuggestedArticle(article_id=a, title=t, outcome="suggested") for a, t in titles.items() if a not in shown]
    return articles


async def with_titles(articles: list[SuggestedArticle], language: str) -> list[SuggestedArticle]:
    """Fill in the titles still missing from the KB (the articles shown in full had no button)."""
    out = []
    for article in articles:
        if not article.title:
            try:
                found = await runtime.helpdesk().get_article(article.article_id, language)
                article = article.model_copy(update={"title": str(found.get("title") or "")[:300]})
            except ActionError as exc:
                log.info("no title for article %s: %s", article.article_id, exc)
        out.append(article)
    return out


def ticket_draft(tracker: Tracker, reason: str) -> TicketRequest:
    """Everything the human who picks the ticket up needs, as the service's request model: facts,
    paraphrase, skill, consent, transcript."""
    settings = runtime.settings()
    problem = tracker.get_slot("symptom") or tracker.get_slot("problem_text") or latest_text(tracker)
    problem = mask(problem, settings.privacy.mask_personal_data)
    key_source = f"{tracker.sender_id}|{session_start(tracker)}|{problem}"
    language = tracker.get_slot("language") or settings.default_language
    facts: dict[str, Any] = fact_values(tracker)
    for name in ("check_results", "complaint_text"):
        if tracker.get_slot(name):
            facts[name] = tracker.get_slot(name)
    if facts.get("since") and facts["since"] != "unknown":
        now = datetime.now(ZoneInfo(settings.timezone)).replace(tzinfo=None)
        since_iso = normalise_time(str(facts["since"]), language, now=now)
        if since_iso:   # never later than now ("since this morning" said at 7:00 is now)
            facts["since_iso"] = min(since_iso, now.isoformat(timespec="minutes"))
    data = triage_data()
    paraphrase = tracker.get_slot("paraphrase")
    consent = tracker.get_slot("remote_consent")
    return TicketRequest(
        idempotency_key=hashlib.sha256(key_source.encode("utf-8")).hexdigest()[:40],
        requester=Requester(**requester(tracker)),
        language=language,
        subject=(problem or "Chat escalation")[:120],
        description=paraphrase or problem or "",
        paraphrase=paraphrase,
        category=tracker.get_slot("category"),
        facts=facts,
        skill_level=tracker.get_slot("skill_level"),
        remote_control_consent=None if consent is None else consent == GRANTED,
        remote_control_consent_at=tracker.get_slot("remote_consent_at"),
        urgency=data.urgency_for(facts, tracker.get_slot("category")),
        impact=data.impact_for(facts.get("scope"), tracker.get_slot("category"), languages_for(tracker)),
        transcript=transcript(tracker, settings.privacy.mask_personal_data),
        suggested_articles=offered_articles(tracker),
        reason=reason,
    )


def due_words(domain: Dict[Text, Any], language: str | None, iso: str | None) -> str:
    """A due time as the user reads it, in their language: "tomorrow before 10:00 (CET)", in the
    configured zone; the words are the responses ``utter_due_<kind>`` and ``utter_weekday_<day>``."""
    if not iso:
        return "?"
    settings = runtime.settings()
    kind, values = relative_day(iso, settings.timezone, time_format=settings.display.time_format)
    values["weekday"] = render(domain, f"utter_weekday_{values['weekday']}", language) or values["weekday"]
    return render(domain, f"utter_due_{kind}", language, **values) or f"{values['date']} {values['time']}"


def local_time(iso: str | None) -> str:
    """An ISO timestamp as the user reads it: 'HH:MM (CET)' today, else 'DD/MM HH:MM (CET)' (settings timezone)."""
    if not iso:
        return "?"
    zone = ZoneInfo(runtime.settings().timezone)
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zone)
    today = datetime.now(zone).date()
    return (when.strftime("%H:%M") if when.date() == today else when.strftime("%d/%m %H:%M")) + f" ({when.tzname()})"


async def earlier_related(tracker: Tracker, category: str | None) -> dict | None:
    """The requester's most recent earlier ticket of the same category, if any (last 30 days)."""
    if not category:
        return None
    try:
        recent = await runtime.helpdesk().recent_tickets(tracker.sender_id)
    except ActionError as exc:
        log.info("no previous interventions: %s", exc)
        return None
    return next((t for t in recent if t.get("category") == category and t.get("id")), None)


async def create_ticket(dispatcher: CollectingDispatcher, tracker: Tracker, draft: TicketRequest,
                        domain: Dict[Text, Any]) -> List[Dict]:
    """Create the ticket and tell the user its number and expected response; when the service cannot
    be reached, the escalation goes into the outbox and the user gets its reference (``R-...``)."""
    earlier = await earlier_related(tracker, draft.category)
    if earlier:
        draft = draft.model_copy(update={"related_to": [str(earlier["id"])]})
    draft = draft.model_copy(update={"suggested_articles": await with_titles(draft.suggested_articles, draft.language)})
    try:
        ticket = await runtime.helpdesk().create_ticket(draft.model_dump(mode="json"))
    except HelpdeskUnavailable as exc:
        log.warning("helpdesk service unreachable, escalation kept in the outbox: %s", exc)
        entry = runtime.outbox().put(intake.prepare(draft, runtime.settings()), claim=False)
        dispatcher.utter_message(response="utter_ticket_deferred", reference=entry.reference,
                                 priority=entry.draft.priority,
                                 response_due=due_words(domain, draft.language, entry.draft.response_due.isoformat()))
        return [SlotSet("ticket_id", entry.reference), SlotSet("pending_question", None)]
    number = ticket.get("id") or ticket.get("reference")
    if earlier:
        dispatcher.utter_message(response="utter_previous_ticket", previous_id=earlier["id"],
                                 previous_subject=earlier.get("subject", ""))
    problem = ticket.get("problem")
    if problem:
        dispatcher.utter_message(response="utter_known_problem", title=problem.get("title", ""),
                                 since=local_time(problem.get("since")), ticket_id=number)
    elif ticket.get("delivery") == "outbox" or not ticket.get("id"):
        dispatcher.utter_message(response="utter_ticket_deferred", reference=number,
                                 priority=ticket.get("priority") or "",
                                 response_due=due_words(domain, draft.language, ticket.get("response_due")))
    else:
        dispatcher.utter_message(response="utter_ticket_created", ticket_id=number,
                                 response_due=due_words(domain, draft.language, ticket.get("response_due")),
                                 priority=ticket.get("priority") or "")
    events = [SlotSet("ticket_id", str(number)), SlotSet("pending_question", None)]
    if ticket.get("id") and ticket.get("delivery") != "outbox":
        events += await offer_handoff(dispatcher, tracker, ticket["id"], draft.reason, draft.language)
    return events


ANSWER_INTENTS = ("affirm", "deny", "consent_remote_control")
REASONS = {"request_human": "requested_human", "complaint": "complaint"}


def escalation_reason(tracker: Tracker) -> str:
    """Why the ticket is created: the user's latest request that was not a yes/no answer."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent not in ANSWER_INTENTS:
            return REASONS.get(intent, "not_solved")
    return "not_solved"


class ActionEscalate(Action):
    """Create the ticket (idempotent) and tell the user its number."""

    def name(self) -> Text:
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        if consent_needed(tracker):
            return ask_consent(dispatcher)   # the rules come back here with the answer
        draft = ticket_draft(tracker, escalation_reason(tracker))
        return await create_ticket(dispatcher, tracker, draft, domain)


class ActionSecurityIncident(Action):
    """Phishing, a compromised account, a lost or stolen device: safety advice first, then an urgent ticket."""

    def name(self) -> Text:
        return "action_security_incident"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        instead = await triage_instead(dispatcher, tracker, domain)   # no clear security signal
        if instead is not None:
            return instead
        category = tracker.get_slot("category") or "security"
        dispatcher.utter_message(response=f"utter_security_advice_{category}")
        draft = ticket_draft(tracker, "security")   # urgency and impact: category_levels in bot/triage.yml
        return await create_ticket(dispatcher, tracker, draft, domain)


def _ticket_number(tracker: Tracker) -> str | None:
    number = next(tracker.get_latest_entity_values("ticket_number"), None) or tracker.get_slot("ticket_id")
    if not number:
        return None
    text = str(number).strip().lstrip("#").upper()
    return text if text.startswith("R-") else ("".join(ch for ch in text if ch.isdigit()).lstrip("0") or None)


async def _requesters_ticket(tracker: Tracker) -> dict | None:
    """The ticket the user means: the number given, the one of this conversation, or their latest."""
    client = runtime.helpdesk()
    number = _ticket_number(tracker)
    if number:
        return await client.get_ticket(number, tracker.sender_id)
    mine = await client.recent_tickets(tracker.sender_id, days=365, limit=1)
    return mine[0] if mine else None


async def with_requesters_ticket(dispatcher: CollectingDispatcher, tracker: Tracker,
                                 operation=None) -> dict | None:
    """Find the ticket the user means and run ``operation(ticket)``, if any, on it; explain any failure."""
    try:
        ticket = await _requesters_ticket(tracker)
        if ticket is None:
            dispatcher.utter_message(response="utter_no_tickets")
            return None
        if operation is not None:
            await operation(ticket)
        return ticket
    except NotFound:
        dispatcher.utter_message(response="utter_ticket_not_found", ticket_id=_ticket_number(tracker) or "")
    except ActionError:
        dispatcher.utter_message(response="utter_service_unavailable")
    return None


class ActionTicketStatus(Action):
    """Status of a ticket of this requester (never someone else's)."""

    def name(self) -> Text:
        return "action_ticket_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        ticket = await with_requesters_ticket(dispatcher, tracker)
        if ticket is None:
            return []
        dispatcher.utter_message(response=f"utter_ticket_status_{ticket['status']}", ticket_id=ticket["id"],
                                 subject=ticket["subject"])
        return [SlotSet("ticket_id", str(ticket["id"]))]


class ActionCloseTicket(Action):
    """The user says it works again: resolve their ticket."""

    def name(self) -> Text:
        return "action_close_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        reason = mask(latest_text(tracker), runtime.settings().privacy.mask_personal_data)[:2000]

        async def resolve(ticket: dict) -> None:   # the user's own words go on the ticket as the close reason
            await runtime.helpdesk().set_status(str(ticket["id"]), tracker.sender_id, "resolved", reason)

        ticket = await with_requesters_ticket(dispatcher, tracker, resolve)
        if ticket is None:
            return []
        dispatcher.utter_message(response="utter_ticket_closed", ticket_id=ticket["id"])
        return [SlotSet("ticket_id", str(ticket["id"]))]


class ActionAddTicketInfo(Action):
    """Add the text the user gave (add_info_form) to their ticket as a comment."""

    def name(self) -> Text:
        return "action_add_ticket_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        text = mask(tracker.get_slot("ticket_comment") or "", runtime.settings().privacy.mask_personal_data)

        async def comment(ticket: dict) -> None:
            await runtime.helpdesk().add_comment(str(ticket["id"]), tracker.sender_id, text)

        ticket = await with_requesters_ticket(dispatcher, tracker, comment)
        if ticket is None:
            return [SlotSet("ticket_comment", None)]
        dispatcher.utter_message(response="utter_ticket_info_added", ticket_id=ticket["id"])
        return [SlotSet("ticket_comment", None), SlotSet("ticket_id", str(ticket["id"]))]


async def ticket_news(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                      reference: str) -> str | None:
    """Once the escalation ``reference`` (R-...) is a ticket: tell the user its number, priority and due
    time, and return the number; None while it is still waiting (or cannot be checked now)."""
    try:
        ticket = await runtime.helpdesk().get_ticket(reference, tracker.sender_id)
    except ActionError as exc:
        log.info("pending escalation %s not checked: %s", reference, exc)
        return None
    if ticket.get("delivery") != "delivered" or not ticket.get("id"):
        return None
    language = tracker.get_slot("language") or runtime.settings().default_language
    dispatcher.utter_message(response="utter_ticket_now_created", reference=reference, ticket_id=ticket["id"],
                             priority=ticket.get("priority") or "",
                             response_due=due_words(domain, language, ticket.get("response_due")))
    return str(ticket["id"])


class PendingTicketNews:
    """Mixed into ``action_validate_slot_mappings`` (runs after every user message): while the
    ``ticket_id`` slot holds an outbox reference, check it; once delivered, tell the number once."""

    async def extract_ticket_id(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: Dict[Text, Any]) -> Dict[Text, Any]:
        reference = tracker.get_slot("ticket_id")
        if not reference or not intake.is_reference(str(reference)):
            return {}
        number = await ticket_news(dispatcher, tracker, domain, str(reference))
        return {"ticket_id": number} if number else {}


class ActionTicketNews(Action):
    """Pushed by the helpdesk service (intent ``EXTERNAL_ticket_created``, Rasa's trigger_intent) when an
    escalation kept in the outbox has become a ticket: say its number in the conversation."""

    def name(self) -> Text:
        return "action_ticket_news"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        reference = next(tracker.get_latest_entity_values("reference"), None) or tracker.get_slot("ticket_id")
        if not reference or tracker.get_slot("ticket_id") != reference or not intake.is_reference(str(reference)):
            return []   # told already (on the user's next message) or another ticket since
        number = await ticket_news(dispatcher, tracker, domain, str(reference))
        return [SlotSet("ticket_id", number)] if number else []
