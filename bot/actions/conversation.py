"""Reading the conversation from the tracker: transcript, problem statement, requester."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from bot.constants import EMPTY_MESSAGE_PLACEHOLDER
from core.privacy import mask

MAX_LINE = 5000


def transcript(tracker: Tracker, personal_data: bool = False) -> list[dict[str, Any]]:
    """User and bot lines since the session started, secrets masked."""
    lines = []
    for event in tracker.events:
        kind = event.get("event")
        if kind == "session_started":
            lines = []
        if kind not in ("user", "bot"):
            continue
        text = event.get("text") or ""
        buttons = [b.get("title") for b in (event.get("data") or {}).get("buttons") or [] if b.get("title")]
        if buttons and kind == "bot":   # the choices offered (other articles, yes/no) belong to the line
            text = "\n".join([text, *(f"- {title}" for title in buttons)]).strip()
        if not text and kind == "bot":
            continue
        if text.startswith("/"):  # button payloads such as /affirm
            text = f"[{text[1:]}]"
        ts = event.get("timestamp")
        lines.append({
            "sender": "user" if kind == "user" else "bot",
            "text": mask(text, personal_data)[:MAX_LINE],
            "timestamp": datetime.fromtimestamp(ts, timezone.utc).isoformat() if ts else None,
        })
    return lines


def session_start(tracker: Tracker) -> float:
    start = 0.0
    for event in tracker.events:
        if event.get("event") == "session_started":
            start = event.get("timestamp") or start
    return start


def latest_text(tracker: Tracker) -> str:
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text == EMPTY_MESSAGE_PLACEHOLDER else text


def requester(tracker: Tracker) -> dict[str, Any]:
    """Who the ticket is for: the channel's user id, the channel, the display name the channel gave
    (Teams), and the e-mail address the user typed or the channel gave (message metadata ``email``)."""
    def given(key: str) -> str | None:   # what the channel says about the user (Teams, a signed web session)
        return next((str((e.get("metadata") or {}).get(key))[:200] for e in reversed(tracker.events)
                     if e.get("event") == "user" and (e.get("metadata") or {}).get(key)), None)

    email = tracker.get_slot("email") or given("email")
    return {"id": tracker.sender_id, "channel": tracker.get_latest_input_channel() or "rest",
            "name": given("name"), "email": email if email and "@" in email else None}
