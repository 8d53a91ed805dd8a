"""Normalise "since when" expressions to a date/time relative to now, in Dutch, French and English.

"sinds vanmorgen", "depuis hier", "since last Monday", "gisteren", "ce matin", "2 days ago",
"sinds 9u", "il y a 3 jours", "since March 3" ... become an ISO date ("2024-05-06") or date/time
("2024-05-06T09:00"). Every word and pattern lives in ``time_expressions.yml`` (one section per
language); this module only applies them. Returns None for what it does not understand.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import yaml

DATA_FILE = Path(__file__).with_name("time_expressions.yml")
_UNIT_DELTAS = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1),
                "days": timedelta(days=1), "weeks": timedelta(weeks=1)}


@dataclass(frozen=True)
class TimePoint:
    """A normalised point in time: ``value`` at ``granularity`` "day" or "minute"."""
    value: datetime
    granularity: str

    def iso(self) -> str:
        if self.granularity == "day":
            return self.value.date().isoformat()
        return self.value.strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class _Language:
    prefixes: tuple[str, ...]
    fixed: dict
    units: dict
    numbers: dict
    durations: tuple[re.Pattern, ...]
    clock: tuple[re.Pattern, ...]
    connectors: tuple[str, ...]
    weekdays: tuple[str, ...]
    last: tuple[str, ...]
    months: tuple[str, ...]
    dates: tuple[re.Pattern, ...]
    leads: tuple[str, ...] = ()


@lru_cache(maxsize=4)
def load_languages(path: Path = DATA_FILE) -> dict[str, _Language]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        lang: _Language(
            prefixes=tuple(sorted(spec.get("prefixes", []), key=len, reverse=True)),
            fixed={k.lower(): v for k, v in (spec.get("fixed") or {}).items()},
            units={k.lower(): v for k, v in (spec.get("units") or {}).items()},
            numbers={str(k).lower(): float(v) for k, v in (spec.get("numbers") or {}).items()},
            durations=tuple(re.compile(p) for p in spec.get("durations", [])),
            clock=tuple(re.compile(p) for p in spec.get("clock", [])),
            connectors=tuple(spec.get("connectors", [])),
            weekdays=tuple(spec.get("weekdays", [])),
            last=tuple(spec.get("last", [])),
            months=tuple(spec.get("months", [])),
            dates=tuple(re.compile(p) for p in spec.get("dates", [])),
            leads=tuple(spec.get("leads", [])),
        )
        for lang, spec in data.items()
    }


def supported_languages() -> list[str]:
    return list(load_languages())


def _clean(text: str) -> str:
    text = text.lower().replace("’", "'").strip()
    text = re.sub(r"[!?.,;]+$", "", text).strip()
    return re.sub(r"\s+", " ", text)


def _strip_prefix(text: str, spec: _Language) -> str:
    for prefix in spec.prefixes:
        if text.startswith(prefix + " "):
            return text[len(prefix) + 1:].strip()
    return text


def _number(token: str | None, spec: _Language) -> float | None:
    if token is None:
        return 1.0
    token = token.replace(",", ".")
    try:
        return float(token)
    except ValueError:
        return spec.numbers.get(token)


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _clock(text: str, spec: _Language) -> tuple[int, int] | None:
    for pattern in spec.clock:
        m = pattern.match(text)
        if not m:
            continue
        hour, minute = int(m.group("h")), int(m.group("m") or 0)
        pm = m.groupdict().get("pm")
        if pm and pm.startswith("p") and hour < 12:
            hour += 12
        if pm and pm.startswith("a") and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            return hour, minute
    return None


def _has_meridiem(text: str, spec: _Language) -> bool:
    return any((m := p.match(text)) and m.groupdict().get("pm") for p in spec.clock)


def _latest_past(hm: tuple[int, int], now: datetime, twelve_hour: bool) -> datetime:
    """The latest moment not after now at this clock time: "sinds 2 uur" said at 16:00 is 14:00,
    "since 14:00" said at 10:00 is yesterday. Without am/pm, hours below 12 may also mean h + 12."""
    hours = [hm[0]] + ([hm[0] + 12] if twelve_hour else [])
    moments = [_at(now.date() - timedelta(days=back), (h, hm[1])) for back in (0, 1) for h in hours]
    return max(m for m in moments if m <= now)


def _at(day: date, hm: tuple[int, int]) -> datetime:
    return datetime.combine(day, time(*hm))


def _fixed(text: str, spec: _Language, now: datetime) -> TimePoint | None:
    for phrase in sorted(spec.fixed, key=len, reverse=True):
        if text != phrase and not text.startswith(phrase + " "):
            continue
        rule = spec.fixed[phrase]
        day = now.date() + timedelta(days=int(rule.get("days", 0)))
        if rule.get("months"):
            day = _add_months(day, int(rule["months"]))
        if rule.get("week_start"):
            day -= timedelta(days=day.weekday())
        if rule.get("weekday") is not None:      # "het weekend": the most recent past Saturday
            day -= timedelta(days=(day.weekday() - int(rule["weekday"])) % 7)
        rest = text[len(phrase):].strip()
        for connector in spec.connectors:
            if rest.startswith(connector + " "):
                rest = rest[len(connector) + 1:]
        if rest:
            hm = _clock(rest, spec)
            return TimePoint(_at(day, hm), "minute") if hm else None
        if rule.get("time"):
            return TimePoint(_at(day, tuple(int(x) for x in rule["time"].split(":"))), "minute")
        return TimePoint(datetime.combine(day, time()), "day")
    return None


def _weekday(text: str, spec: _Language, now: datetime) -> TimePoint | None:
    words = [w for w in text.split() if w not in spec.last]
    if len(words) != 1 or words[0] not in spec.weekdays:
        return None
    back = (now.weekday() - spec.weekdays.index(words[0])) % 7 or 7   # the most recent past one
    return TimePoint(datetime.combine(now.date() - timedelta(days=back), time()), "day")


def _date(text: str, spec: _Language, now: datetime) -> TimePoint | None:
    for pattern in spec.dates:
        m = pattern.match(text)
        if not m:
            continue
        month_token = m.group("month")
        if month_token.isdigit():
            month = int(month_token)
        elif month_token in spec.months:
            month = spec.months.index(month_token) + 1
        else:
            continue
        day_no = int(m.group("d"))
        if not (1 <= month <= 12 and 1 <= day_no <= calendar.monthrange(now.year, month)[1]):
            continue
        day = date(now.year, month, day_no)
        if day > now.date():          # "since 20 December" said in January: last year
            day = date(now.year - 1, month, min(day_no, calendar.monthrange(now.year - 1, month)[1]))
        return TimePoint(datetime.combine(day, time()), "day")
    return None


def _duration(text: str, spec: _Language, now: datetime) -> TimePoint | None:
    for pattern in spec.durations:
        m = pattern.match(text)
        if not m:
            continue
        unit = spec.units.get(m.group("unit"))
        amount = _number(m.groupdict().get("n"), spec)
        if unit is None or amount is None:
            continue
        if unit == "months":
            return TimePoint(datetime.combine(_add_months(now.date(), -int(round(amount))), time()), "day")
        start = now - amount * _UNIT_DELTAS[unit]
        if unit in ("days", "weeks"):
            return TimePoint(datetime.combine(start.date(), time()), "day")
        return TimePoint(start.replace(second=0, microsecond=0), "minute")
    return None


def parse(text: str, lang: str | None = None, now: datetime | None = None) -> TimePoint | None:
    """The point in time ``text`` refers to, in ``lang`` (or whichever language understands it)."""
    now = now or datetime.now()
    languages = load_languages()
    order = [lang] if lang in languages else []
    order += [l for l in languages if l not in order]
    cleaned = _clean(text)
    for code in order:
        spec = languages[code]
        body = _strip_prefix(cleaned, spec)
        for candidate in dict.fromkeys([body, cleaned]):
            found = _fixed(candidate, spec, now)
            if found is None:
                hm = _clock(candidate, spec)
                if hm is not None:
                    found = TimePoint(_latest_past(hm, now, twelve_hour=hm[0] < 12 and not _has_meridiem(candidate, spec)), "minute")
            found = (found or _weekday(candidate, spec, now) or _date(candidate, spec, now)
                     or _duration(candidate, spec, now))
            if found is not None:
                return found
    return None


def normalise(text: str, lang: str | None = None, now: datetime | None = None) -> str | None:
    """ISO date ("2024-05-06") or date/time ("2024-05-06T09:00") for ``text``, or None."""
    found = parse(text, lang, now)
    return found.iso() if found else None
