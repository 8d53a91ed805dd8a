"""Figures for the editors' charts, computed on request from the stored events (Rasa's tracker store),
the self-service outcomes and the handoff surveys: nothing is counted on the side, so nothing drifts.

One row per day, language and channel: conversations, user messages, fallbacks, escalations,
self-service outcomes (solved / not solved), satisfaction answers. Rates are derived from these
sums wherever they are shown (page, CSV), so every breakdown adds up.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from core.storage import connect
from helpdesk_service.editor.tracker import read_events

FALLBACK_INTENT = "nlu_fallback"
ESCALATE_ACTION = "action_escalate"
COLUMNS = ("day", "language", "channel", "conversations", "user_messages", "fallbacks", "escalated",
           "contained", "solved", "not_solved")


@dataclass
class Row:
    day: str
    language: str
    channel: str
    conversations: int = 0
    user_messages: int = 0
    fallbacks: int = 0
    escalated: int = 0
    contained: int = 0
    solved: int = 0
    not_solved: int = 0


@dataclass
class _Conversation:
    day: str = ""
    language: str = ""
    channel: str = ""
    started: bool = False
    messages: int = 0
    fallbacks: int = 0
    escalated: bool = False
    category_intent: str = ""


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).date().isoformat()


def conversations(tracker_db: Path, low_confidence: float, problem_intents: set[str]) -> dict[str, _Conversation]:
    found: dict[str, _Conversation] = defaultdict(_Conversation)
    for event in read_events(tracker_db):
        if event.type == "user":
            # a conversation is every sender who said something, a button click included;
            # only typed messages count as messages (and can be fallbacks)
            c = found[event.sender]
            c.started = True
            c.day = c.day or _day(event.timestamp)
            c.channel = c.channel or event.channel or "?"
            if not event.text or event.text.startswith("/"):
                continue
            c.messages += 1
            confidence = event.confidence
            if event.intent == FALLBACK_INTENT or (confidence is not None and confidence < low_confidence):
                c.fallbacks += 1
            if not c.category_intent and event.intent in problem_intents:
                c.category_intent = event.intent
        elif event.type == "slot" and event.action == "language" and event.data.get("value"):
            found[event.sender].language = str(event.data["value"])
        elif event.type == "action" and event.action == ESCALATE_ACTION:
            found[event.sender].escalated = True
    return {k: v for k, v in found.items() if v.started}


def table(tracker_db: Path, outcomes_db: Path, low_confidence: float, problem_intents: set[str],
          since: str | None = None, until: str | None = None) -> tuple[list[Row], dict[str, _Conversation]]:
    convs = conversations(tracker_db, low_confidence, problem_intents)
    outcomes: dict[str, Counter] = defaultdict(Counter)
    if Path(outcomes_db).is_file():
        with connect(outcomes_db) as db:
            for r in db.execute("SELECT conversation_id, outcome FROM outcomes"):
                outcomes[r["conversation_id"]][r["outcome"]] += 1
    rows: dict[tuple, Row] = {}
    kept = {}
    for sender, c in convs.items():
        if (since and c.day < since) or (until and c.day > until):
            continue
        kept[sender] = c
        key = (c.day, c.language or "?", c.channel or "?")
        row = rows.setdefault(key, Row(*key))
        row.conversations += 1
        row.user_messages += c.messages
        row.fallbacks += c.fallbacks
        row.escalated += int(c.escalated)
        row.contained += int(not c.escalated)
        row.solved += outcomes[sender]["solved"]
        row.not_solved += outcomes[sender]["not_solved"]
    return sorted(rows.values(), key=lambda r: (r.day, r.language, r.channel)), kept


def summary(rows: list[Row], convs: dict[str, _Conversation], categories: dict[str, str],
            satisfaction: list[int], clusters: list[dict]) -> dict:
    total = Counter()
    for r in rows:
        total.update({k: v for k, v in asdict(r).items() if isinstance(v, int)})

    def rate(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    top = Counter(categories.get(c.category_intent, "") for c in convs.values() if c.category_intent)
    return {
        "conversations": total["conversations"],
        "escalation_rate": rate(total["escalated"], total["conversations"]),
        "containment_rate": rate(total["contained"], total["conversations"]),
        "fallback_rate": rate(total["fallbacks"], total["user_messages"]),
        "deflection_rate": rate(total["solved"], total["solved"] + total["not_solved"]),
        "top_categories": [{"category": k, "conversations": v} for k, v in top.most_common(10)],
        "top_clusters": clusters[:10],
        "csat": {"answers": len(satisfaction), "average": round(sum(satisfaction) / len(satisfaction), 2) if satisfaction else None,
                 "satisfied_rate": rate(sum(1 for s in satisfaction if s >= 4), len(satisfaction))},
    }


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in rows:
        values = asdict(r)
        # a cell starting with = + - @ would be a formula in a spreadsheet
        writer.writerow(["'" + str(values[c]) if str(values[c])[:1] in "=+-@" else values[c] for c in COLUMNS])
    return out.getvalue()
