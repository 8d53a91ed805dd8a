"""Business time for the SLA clocks: opening hours per weekday, public holidays closed.

``BusinessCalendar(calendar_settings, zone).add(start, minutes)`` is the moment ``minutes`` of
business time after ``start``: the clock only runs while the helpdesk is open (ITIL tools and RT's own
SLA extension count the same way). Public holidays come from the ``holidays`` package (country and
subdivision in ``sla.calendar.holidays``) plus the ``extra`` dates. Arithmetic is done in UTC, so
daylight-saving changes never add or lose an hour.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from core.clock import aware
from core.settings import CalendarSettings

MAX_DAYS = 3 * 366  # a calendar that is never open is a settings error, not an endless loop


@lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays

    try:
        return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())
    except NotImplementedError as exc:
        raise ValueError(f"sla.calendar.holidays.country {country!r} is not known to the holidays package") from exc


class BusinessCalendar:
    def __init__(self, calendar: CalendarSettings, zone: str) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone or zone)
        self._extra = set(calendar.holidays.extra)

    def is_holiday(self, day: date) -> bool:
        h = self.calendar.holidays
        return day in self._extra or (bool(h.country) and day in _public_holidays(h.country, h.subdivision, day.year))

    def open_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening spans of one local day, as UTC datetimes; none on holidays."""
        if self.is_holiday(day):
            return []
        spans = []
        for start, end in self.calendar.spans(day.weekday()):
            begin = datetime.combine(day, time(start // 60, start % 60), self.zone)
            finish = (datetime.combine(day + timedelta(days=1), time(0), self.zone) if end >= 24 * 60
                      else datetime.combine(day, time(end // 60, end % 60), self.zone))
            spans.append((begin.astimezone(timezone.utc), finish.astimezone(timezone.utc)))
        return spans

    def add(self, start: datetime, minutes: float) -> datetime:
        """``start`` + ``minutes`` of business time (UTC). With 0 minutes: the next opening moment."""
        now = aware(start).astimezone(timezone.utc)
        remaining = timedelta(minutes=minutes)
        day = now.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            for begin, finish in self.open_spans(day):
                if finish <= now:
                    continue
                begin = max(begin, now)
                if remaining <= finish - begin:
                    return begin + remaining
                remaining -= finish - begin
            day += timedelta(days=1)
        raise ValueError("sla.calendar: no opening hours found in three years (check sla.calendar.hours)")

    def is_open(self, moment: datetime) -> bool:
        moment = aware(moment).astimezone(timezone.utc)
        return any(b <= moment < f for b, f in self.open_spans(moment.astimezone(self.zone).date()))
