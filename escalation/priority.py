"""Priority from an urgency x impact matrix (ITIL style) and SLA due times in business hours.

``priority(sla, urgency, impact, category)`` reads ``sla.matrix[urgency][impact]``; unknown urgency or
impact take ``sla.default_urgency`` / ``sla.default_impact``; a category in
``sla.high_priority_categories`` (security incidents, lost devices) gets at least ``sla.high_priority``.
Priorities are compared by their order in ``sla.targets`` (first = most urgent).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.settings import SlaSettings
from escalation.business_hours import BusinessCalendar


def rank(sla: SlaSettings, priority: str) -> int:
    """0 for the most urgent priority; unknown priorities rank last."""
    order = list(sla.targets)
    return order.index(priority) if priority in order else len(order)


def matrix_priority(sla: SlaSettings, urgency: str | None, impact: str | None) -> str:
    return sla.matrix[urgency or sla.default_urgency][impact or sla.default_impact]


def priority(sla: SlaSettings, urgency: str | None = None, impact: str | None = None,
             category: str | None = None) -> str:
    """The ticket priority, e.g. ``"P3"``."""
    result = matrix_priority(sla, urgency, impact)
    if category and category in sla.high_priority_categories and rank(sla, sla.high_priority) < rank(sla, result):
        result = sla.high_priority
    return result


def due_times(sla: SlaSettings, priority_: str, start: datetime, zone: str) -> tuple[datetime, datetime]:
    """(response_due, resolution_due), UTC, for a ticket of this priority opened at ``start``: business
    time of ``sla.calendar`` (in ``zone`` unless the calendar names its own), or the wall clock for the
    priorities in ``sla.calendar.around_the_clock``."""
    target = sla.targets[priority_]
    start = start.astimezone(timezone.utc)
    if priority_ in sla.calendar.around_the_clock:
        return start + timedelta(minutes=target.response), start + timedelta(minutes=target.resolution)
    calendar = BusinessCalendar(sla.calendar, zone)
    return calendar.add(start, target.response), calendar.add(start, target.resolution)


def sla_table(sla: SlaSettings) -> dict:
    """The matrix, targets and rules as one JSON-able dict (``GET /api/sla``)."""
    return {
        "matrix": {u: dict(row) for u, row in sla.matrix.items()},
        "defaults": {"urgency": sla.default_urgency, "impact": sla.default_impact,
                     "priority": matrix_priority(sla, None, None)},
        "targets": {p: {"response_minutes": t.response, "resolution_minutes": t.resolution}
                    for p, t in sla.targets.items()},
        "high_priority_categories": list(sla.high_priority_categories),
        "high_priority": sla.high_priority,
        "calendar": {"timezone": sla.calendar.timezone, "hours": dict(sla.calendar.hours),
                     "holidays": sla.calendar.holidays.model_dump(mode="json"),
                     "around_the_clock": list(sla.calendar.around_the_clock)},
    }
