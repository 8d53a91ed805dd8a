from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from escalation.priority import due_times, priority, sla_table
from core.settings import SlaSettings, load_settings

SLA = load_settings().sla  # the shipped settings.yml

EXPECTED = {("high", "high"): "P1", ("high", "medium"): "P2", ("high", "low"): "P3",
            ("medium", "high"): "P2", ("medium", "medium"): "P3", ("medium", "low"): "P3",
            ("low", "high"): "P3", ("low", "medium"): "P4", ("low", "low"): "P4"}


@pytest.mark.parametrize("urgency,impact", list(EXPECTED))
def test_matrix(urgency, impact):
    assert priority(SLA, urgency, impact) == EXPECTED[(urgency, impact)]


def test_unknown_urgency_and_impact_default_to_medium_low_p3():
    assert priority(SLA) == "P3"
    assert priority(SLA, urgency="high") == "P3" and priority(SLA, impact="high") == "P2"


@pytest.mark.parametrize("category", ["security", "lost_device"])
def test_security_incidents_are_high_by_rule(category):
    assert priority(SLA, "low", "low", category) == "P2"
    assert priority(SLA, "high", "high", category) == "P1"  # never lowered
    assert priority(SLA, "low", "low", "printer") == "P4"


ZONE = "Europe/Brussels"


def test_due_times_follow_the_targets_in_business_time():
    start = datetime(2026, 3, 2, 9, 10, tzinfo=timezone.utc)  # Monday 10:10 in Brussels
    assert due_times(SLA, "P1", start, ZONE) == (start + timedelta(minutes=15), start + timedelta(hours=4))
    response, resolution = due_times(SLA, "P3", start, ZONE)
    assert response == start + timedelta(hours=4)                      # 14:10 the same day
    assert resolution == datetime(2026, 3, 5, 9, 10, tzinfo=timezone.utc)  # 30 business hours = 3 days


def test_p3_at_night_is_due_in_the_morning_not_at_4_am():
    start = datetime(2026, 12, 1, 23, 29, tzinfo=timezone.utc)  # Wednesday 00:29 in Brussels (CET)
    response, _ = due_times(SLA, "P3", start, ZONE)
    assert response == datetime(2026, 12, 2, 11, 0, tzinfo=timezone.utc)  # 12:00 CET: 08:00 + 4 h
    response, _ = due_times(SLA, "P4", start, ZONE)
    assert response == datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)  # 16:00 CET: 08:00 + 8 h


def test_the_clock_stops_over_a_weekend():
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=timezone.utc)  # Friday 17:00 CET, one business hour left
    response, resolution = due_times(SLA, "P3", friday, ZONE)
    assert response == datetime(2026, 3, 9, 10, 0, tzinfo=timezone.utc)  # Monday 11:00 CET
    assert resolution == datetime(2026, 3, 11, 16, 0, tzinfo=timezone.utc)  # 1 h Fri + 29 h: Wednesday 17:00
    assert due_times(SLA, "P1", friday, ZONE)[0] == friday + timedelta(minutes=15)  # P1 around the clock


def test_the_clock_stops_on_public_holidays_and_extra_days():
    # Friday 24 December 2027 17:00 CET; Christmas is a Saturday, Monday 27 is a normal day in Belgium
    eve = datetime(2027, 12, 24, 16, 0, tzinfo=timezone.utc)
    assert due_times(SLA, "P4", eve, ZONE)[0] == datetime(2027, 12, 27, 14, 0, tzinfo=timezone.utc)
    # Easter Monday 2026 (6 April) is a Belgian public holiday: Friday 3 April 17:00 -> Tuesday
    before_easter = datetime(2026, 4, 3, 15, 0, tzinfo=timezone.utc)  # 17:00 CEST
    assert due_times(SLA, "P3", before_easter, ZONE)[0] == datetime(2026, 4, 7, 9, 0, tzinfo=timezone.utc)
    closed = SLA.model_copy(update={"calendar": SLA.calendar.model_copy(update={
        "holidays": SLA.calendar.holidays.model_copy(update={"extra": [date(2026, 4, 7)]})})})
    assert due_times(closed, "P3", before_easter, ZONE)[0] == datetime(2026, 4, 8, 9, 0, tzinfo=timezone.utc)
    dutch = SLA.model_copy(update={"calendar": SLA.calendar.model_copy(update={
        "holidays": SLA.calendar.holidays.model_copy(update={"country": "NL"})})})
    # 21 July (Belgian national day) is a working day in the Netherlands
    national_day = datetime(2026, 7, 20, 15, 0, tzinfo=timezone.utc)  # Monday 17:00 CEST
    assert due_times(SLA, "P3", national_day, ZONE)[0] == datetime(2026, 7, 22, 9, 0, tzinfo=timezone.utc)
    assert due_times(dutch, "P3", national_day, ZONE)[0] == datetime(2026, 7, 21, 9, 0, tzinfo=timezone.utc)


def test_daylight_saving_change_loses_no_business_hour():
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc)  # clocks go forward on Sunday 29 March
    assert due_times(SLA, "P3", saturday, ZONE)[0] == datetime(2026, 3, 30, 10, 0, tzinfo=timezone.utc)  # 12:00 CEST


def test_calendar_settings_are_validated():
    with pytest.raises(ValidationError, match="HH:MM-HH:MM"):
        SlaSettings(calendar={"hours": {"mon": "8-18"}})
    with pytest.raises(ValidationError, match="not a weekday"):
        SlaSettings(calendar={"hours": {"monday": "08:00-18:00"}})
    split = SlaSettings(calendar={"hours": {"mon": "08:00-12:00, 13:00-17:00"}, "holidays": {"country": None}})
    monday_noon = datetime(2026, 3, 2, 11, 0, tzinfo=timezone.utc)  # 12:00 CET, lunch break
    assert due_times(split, "P3", monday_noon, ZONE)[0] == datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)  # 13:00 + 4 h


def test_configurable_and_validated():
    custom = SlaSettings(matrix={u: {i: "P2" for i in ("high", "medium", "low")} for u in ("high", "medium", "low")},
                         targets={"P1": {"response": "30m", "resolution": "1d"}, "P2": {"response": 90, "resolution": "2h"}},
                         high_priority="P1", high_priority_categories=["vpn"])
    assert priority(custom) == "P2" and priority(custom, category="vpn") == "P1"
    assert custom.targets["P1"].resolution == 1440 and custom.targets["P2"].resolution == 120
    with pytest.raises(ValidationError, match="sla.matrix.low.medium is missing"):
        SlaSettings(matrix={"high": {"high": "P1", "medium": "P1", "low": "P1"},
                            "medium": {"high": "P1", "medium": "P1", "low": "P1"}, "low": {"high": "P1"}})
    with pytest.raises(ValidationError, match="sla.targets"):
        SlaSettings(high_priority="P9")
    with pytest.raises(ValidationError, match="duration"):
        SlaSettings(targets={"P1": {"response": "soon", "resolution": "1d"}})


def test_sla_table_is_json_ready():
    table = sla_table(SLA)
    assert table["defaults"] == {"urgency": "medium", "impact": "low", "priority": "P3"}
    assert table["targets"]["P1"] == {"response_minutes": 15, "resolution_minutes": 240}
    assert table["matrix"]["high"]["high"] == "P1"
