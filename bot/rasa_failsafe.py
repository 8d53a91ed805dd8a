"""How Rasa 3.6 behaves when its tracker store (PostgreSQL, SQLite) fails: fail the message, not the
conversation. Applied when Rasa loads our tracker store (bot/tracker_store.py).

Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the store cannot be read, it goes on
with an *empty* conversation, and when it cannot be written, it keeps the turn in memory. During a
PostgreSQL outage a user in the middle of a triage is then greeted as new, asked again for every fact,
and what they say is lost when the outage ends (the process's memory is not where the conversation is
read from). Here the store's error reaches the channel instead: the user is told, in their language,
that the message was not processed and to send it again (``bot/channels/guard.py:deliver``), and the
stored conversation stays as it was. Like bot/rasa_speedups.py, this runs inside Rasa (``.venv-rasa``).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)
_applied = False


def _raise(error: Exception) -> None:
    log.error("the conversation store failed: %s", error.__class__.__name__)
    raise error


def apply() -> None:
    """Make FailSafeTrackerStore pass the store's errors on (idempotent)."""
    global _applied
    if _applied:
        return
    from rasa.core.tracker_store import FailSafeTrackerStore

    original_init = FailSafeTrackerStore.__init__

    def __init__(self, tracker_store, on_tracker_store_error=None, fallback_tracker_store=None) -> None:
        original_init(self, tracker_store, on_tracker_store_error or _raise, fallback_tracker_store)

    FailSafeTrackerStore.__init__ = __init__
    _applied = True
