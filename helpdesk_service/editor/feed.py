"""Feeds the inbox from what is already recorded: the unclear messages the bot posts, Rasa's stored
events (fallbacks, low confidences, searches that found no article, rejected paraphrases, escalations)
and the self-service outcomes (an article that did not help).

Each source is read from where the previous sync stopped (its last id, kept in the inbox database), so a
sync is cheap and safe to repeat; an item is added once (by its key, and once per conversation and text).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from core.storage import connect
from helpdesk_service.editor.inbox import InboxStore
from helpdesk_service.editor.tracker import Event, read_events

FALLBACK_INTENT = "nlu_fallback"
NO_ARTICLE_RESPONSE = "utter_no_article"
PARAPHRASE_ACTIONS = ("action_paraphrase", "action_confirm_facts")
DENY_INTENT = "deny"
ESCALATE_ACTION = "action_escalate"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()


class InboxFeed:
    def __init__(self, inbox: InboxStore, tracker_db: Path, unclear, outcomes_db: Path, problem_intents: set[str],
                 low_confidence: float) -> None:
        self.inbox = inbox
        self.tracker_db = Path(tracker_db)
        self.unclear = unclear
        self.outcomes_db = Path(outcomes_db)
        self.problem_intents = problem_intents
        self.low_confidence = low_confidence

    def sync(self) -> int:
        """Read every source from where it stopped; the number of items added."""
        return self._unclear() + self._tracker() + self._outcomes()

    def _unclear(self) -> int:
        last = int(self.inbox.state("unclear"))
        added, newest = 0, last
        for record in reversed(self.unclear.latest(500)):
            if record.id <= last:
                continue
            newest = max(newest, record.id)
            top = record.top_intents[0] if record.top_intents else None
            added += self.inbox.add(f"unclear:{record.id}", "fallback", record.text, record.at or record.received_at,
                                    language=record.language or "", intent=top.intent if top else "",
                                    confidence=top.confidence if top else None, conversation=record.sender_id,
                                    detail={"top_intents": [t.model_dump() for t in record.top_intents]})
        self.inbox.set_state("unclear", str(newest))
        return added

    def _conversation(self, sender: str) -> tuple[str, str, str]:
        """The user's problem in one conversation (first message with a problem intent, else the longest),
        its language and its channel."""
        users, language = [], ""
        for event in read_events(self.tracker_db, senders=[sender]):
            if event.type == "user" and event.text and not event.text.startswith("/"):
                users.append(event)
            elif event.type == "slot" and event.action == "language" and event.data.get("value"):
                language = str(event.data["value"])
        if not users:
            return "", language, ""
        problem = next((u for u in users if u.intent in self.problem_intents), max(users, key=lambda u: len(u.text)))
        return problem.text, language, problem.channel

    def _tracker(self) -> int:
        last = int(self.inbox.state("tracker"))
        added, newest = 0, last
        previous_action: dict[str, str] = {}
        pending: list[tuple[str, str, Event, dict]] = []   # (key, kind, event, extra) needing the conversation
        for event in read_events(self.tracker_db, after_id=last):
            newest = event.id
            if event.type == "action":
                if event.action == ESCALATE_ACTION:
                    pending.append((f"escalated:{event.sender}", "escalated", event, {}))
                if event.action != "action_listen":
                    previous_action[event.sender] = event.action or ""
            elif event.type == "bot" and (event.data.get("metadata") or {}).get("utter_action") == NO_ARTICLE_RESPONSE:
                pending.append((f"no_article:{event.id}", "no_article", event, {}))
            elif event.type == "user" and event.text and not event.text.startswith("/"):
                confidence = event.confidence
                kind = None
                if event.intent == FALLBACK_INTENT:
                    kind = "fallback"
                elif confidence is not None and confidence < self.low_confidence:
                    kind = "low_confidence"
                elif event.intent == DENY_INTENT and previous_action.get(event.sender) in PARAPHRASE_ACTIONS:
                    kind = "rejected"
                if kind:
                    pending.append((f"{kind}:{event.id}", kind, event, {"text": event.text}))
        conversations: dict[str, tuple[str, str, str]] = {}
        for key, kind, event, extra in pending:
            if event.sender not in conversations:
                conversations[event.sender] = self._conversation(event.sender)
            problem, language, channel = conversations[event.sender]
            text = extra.get("text") or problem
            added += self.inbox.add(key, kind, text, _iso(event.timestamp), language=language,
                                    channel=event.channel or channel, intent=event.intent or "",
                                    confidence=event.confidence if event.type == "user" else None,
                                    conversation=event.sender)
        self.inbox.set_state("tracker", str(newest))
        return added

    def _outcomes(self) -> int:
        if not self.outcomes_db.is_file():
            return 0
        last = self.inbox.state("outcomes", "")
        with connect(self.outcomes_db) as db:
            rows = db.execute("SELECT conversation_id, article_id, language, at FROM outcomes"
                              " WHERE outcome = 'not_solved' AND at > ? ORDER BY at", (last,)).fetchall()
        added = 0
        for row in rows:
            problem, _, channel = self._conversation(row["conversation_id"])
            added += self.inbox.add(f"not_helped:{row['conversation_id']}:{row['article_id']}", "not_helped",
                                    problem or f"({row['article_id']})", row["at"], language=row["language"],
                                    channel=channel, conversation=row["conversation_id"],
                                    detail={"article_id": row["article_id"]})
            last = row["at"]
        self.inbox.set_state("outcomes", last)
        return added
