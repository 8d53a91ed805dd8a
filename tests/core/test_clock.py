from datetime import datetime, timezone

import pytest

from core.clock import relative_day, shown, stored

ZONE = "Europe/Brussels"
NOW = datetime(2026, 12, 1, 1, 2, tzinfo=timezone.utc)   # Tuesday 02:02 in Brussels


@pytest.mark.parametrize("due,kind,values", [
    ("2026-12-01T11:00:00Z", "today", {"time": "12:00", "weekday": "tue", "zone": "CET"}),
    ("2026-12-02T09:00:00+00:00", "tomorrow", {"time": "10:00", "weekday": "wed"}),
    ("2026-12-04T16:00:00Z", "weekday", {"time": "17:00", "weekday": "fri"}),
    ("2026-12-09T08:00:00Z", "date", {"time": "09:00", "date": "09/12"}),
    ("2026-06-01T08:00:00Z", "today", {"time": "10:00", "zone": "CEST"}),   # in the past: never "yesterday"
])
def test_relative_day_in_the_configured_zone(due, kind, values):
    got_kind, got = relative_day(due, ZONE, now=NOW)
    assert got_kind == kind and values.items() <= got.items()


def test_the_day_changes_at_local_midnight_not_utc():
    # 23:30 UTC on 1 December is already 2 December in Brussels
    assert relative_day("2026-12-01T23:30:00Z", ZONE, now=NOW)[0] == "tomorrow"


def test_shown_names_the_zone_and_stored_keeps_utc_with_offset():
    assert shown("2026-12-01T05:02:00Z", ZONE) == "2026-12-01 06:02 CET"
    assert shown(None, ZONE) == "-"
    assert stored(datetime(2026, 12, 1, 6, 2, tzinfo=datetime.now().astimezone().tzinfo)).endswith("+00:00")
