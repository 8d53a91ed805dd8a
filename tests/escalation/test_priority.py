from datetime import datetime, timedelta, timezone

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


def test_due_times_follow_the_targets():
    start = datetime(2026, 3, 2, 9, 10, tzinfo=timezone.utc)
    assert due_times(SLA, "P1", start) == (start + timedelta(minutes=15), start + timedelta(hours=4))
    assert due_times(SLA, "P3", start) == (start + timedelta(hours=4), start + timedelta(days=3))


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
