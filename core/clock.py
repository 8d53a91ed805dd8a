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


WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def relative_day(value: str | datetime, zone: str, now: datetime | None = None,
                 time_format: str = "%H:%M", date_format: str = "%d/%m") -> tuple[str, dict[str, str]]:
    """How to say a moment to a user: the kind of phrase and its values, in the configured zone.

    kind: ``today``, ``tomorrow``, ``weekday`` (within the next 6 days) or ``date``; values: ``time``,
    ``weekday`` (mon..sun, the key of a per-language name), ``date`` and ``zone`` (CET, CEST). The words
    themselves are per-language data (the bot's responses ``utter_due_<kind>``)."""
    when = local(value, zone)
    today = (now.astimezone(ZoneInfo(zone)) if now else datetime.now(ZoneInfo(zone))).date()
    days = (when.date() - today).days
    kind = "today" if days <= 0 else "tomorrow" if days == 1 else "weekday" if days < 7 else "date"
    return kind, {"time": when.strftime(time_format), "weekday": WEEKDAY_KEYS[when.weekday()],
                  "date": when.strftime(date_format), "zone": when.tzname() or zone}
