"""The one clock: ``utcnow()`` for stored times (UTC, with offset)."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
