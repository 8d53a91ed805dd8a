"""SLA attainment for the editors' analytics, computed on request from the tickets themselves (their due
times and the times they were first taken and resolved), by language and channel: nothing counted on the side.

A ticket counts for the response target once it was taken or its response due time has passed (met when
it was taken by then), and likewise for resolution. Tickets without due times (no SLA) are left out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Iterable

from escalation.tickets.model import Ticket


@dataclass
class SlaRow:
    language: str
    channel: str
    tickets: int = 0
    response_met: int = 0
    response_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0


def _judge(done: datetime | None, due: datetime | None, now: datetime) -> bool | None:
    """True met, False missed, None not decided yet (or no target)."""
    if due is None:
        return None
    if done is not None:
        return done <= due
    return False if now > due else None


def table(tickets: Iterable[Ticket], now: datetime, since: str | None = None, until: str | None = None) -> list[SlaRow]:
    rows: dict[tuple[str, str], SlaRow] = {}
    for t in tickets:
        day = t.created_at.date().isoformat()
        if (since and day < since) or (until and day > until):
            continue
        key = (t.language or "?", t.requester.channel or "?")
        row = rows.setdefault(key, SlaRow(*key))
        row.tickets += 1
        for name, done, due in (("response", t.responded_at, t.response_due),
                                ("resolution", t.resolved_at, t.resolution_due)):
            verdict = _judge(done, due, now)
            if verdict is not None:
                field = f"{name}_{'met' if verdict else 'missed'}"
                setattr(row, field, getattr(row, field) + 1)
    return sorted(rows.values(), key=lambda r: (r.language, r.channel))


def summary(rows: list[SlaRow]) -> dict:
    def rate(met: int, missed: int) -> float | None:
        return round(met / (met + missed), 4) if met + missed else None

    total = SlaRow("", "")
    for r in rows:
        for k, v in asdict(r).items():
            if isinstance(v, int):
                setattr(total, k, getattr(total, k) + v)
    return {"tickets": total.tickets,
            "response_attainment": rate(total.response_met, total.response_missed),
            "resolution_attainment": rate(total.resolution_met, total.resolution_missed),
            "rows": [asdict(r) for r in rows]}
