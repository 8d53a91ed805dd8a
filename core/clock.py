"""The one clock: ``utcnow()`` for stored times (UTC, with offset); ``local()`` and ``shown()`` for
times shown to users and agents, in the configured zone (``timezone`` in settings.yml) with the
zone named ("06:02 CET"), so a time is never read in the wrong zone."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime) -> datetime:
    """A naive datetime is taken as UTC (how every stored time is written)."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def parse(value: str | datetime) -> datetime:
    """An ISO 8601 text (``Z`` accepted) or a datetime, as an aware datetime."""
    if isinstance(value, datetime):
        return aware(value)
    return aware(datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")))


def local(value: str | datetime, zone: str) -> datetime:
    """The time in the configured zone."""
    return parse(value).astimezone(ZoneInfo(zone))


def shown(value: str | datetime | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time as an agent reads it: in the configured zone, zone abbreviation named ("2026-12-01 06:02 CET")."""
    if value is None or value == "":
        return "-"
    when = local(value, zone)
    return f"{when.strftime(fmt)} {when.tzname()}"


def stored(value: datetime) -> str:
    """A time as stored in data meant for other systems: UTC, ISO 8601 with its offset."""
    return aware(value).astimezone(timezone.utc).isoformat(timespec="seconds")
