from datetime import datetime

import pytest

from core.language.time_expressions import load_languages, normalise, parse

NOW = datetime(2024, 5, 8, 10, 30)   # a Wednesday


@pytest.mark.parametrize("text, lang, expected", [
    ("sinds vanmorgen", "nl", "2024-05-08T08:00"),
    ("gisteren", "nl", "2024-05-07"),
    ("sinds 9u", "nl", "2024-05-08T09:00"),
    ("sinds 9u30", "nl", "2024-05-08T09:30"),
    ("sinds maandag", "nl", "2024-05-06"),
    ("sinds 2 dagen", "nl", "2024-05-06"),
    ("een uur geleden", "nl", "2024-05-08T09:30"),
    ("gisteren om 15u", "nl", "2024-05-07T15:00"),
    ("eergisteren", "nl", "2024-05-06"),
    ("sinds 3 maart", "nl", "2024-03-03"),
    ("vorige week", "nl", "2024-04-29"),
    ("depuis hier", "fr", "2024-05-07"),
    ("ce matin", "fr", "2024-05-08T08:00"),
    ("depuis 9h", "fr", "2024-05-08T09:00"),
    ("il y a 3 jours", "fr", "2024-05-05"),
    ("depuis lundi dernier", "fr", "2024-05-06"),
    ("depuis le 1er mai", "fr", "2024-05-01"),
    ("hier soir", "fr", "2024-05-07T18:00"),
    ("depuis une semaine", "fr", "2024-05-01"),
    ("since last Monday", "en", "2024-05-06"),
    ("2 days ago", "en", "2024-05-06"),
    ("since 9am", "en", "2024-05-08T09:00"),
    ("since this morning", "en", "2024-05-08T08:00"),
    ("an hour ago", "en", "2024-05-08T09:30"),
    ("a couple of days ago", "en", "2024-05-06"),
    ("since March 3", "en", "2024-03-03"),
    ("for 3 hours", "en", "2024-05-08T07:30"),
    ("Since Yesterday!", "en", "2024-05-07"),
    # the triage's "since when?" buttons and answers seen in chats
    ("for a few days", "en", "2024-05-05"),
    ("for a couple of days now", "en", "2024-05-06"),
    ("al enkele dagen", "nl", "2024-05-05"),
    ("depuis quelques jours", "fr", "2024-05-05"),
])
def test_normalises_since_expressions(text, lang, expected):
    assert normalise(text, lang, now=NOW) == expected


def test_language_is_optional():
    assert normalise("depuis hier", None, now=NOW) == "2024-05-07"
    assert normalise("sinds gisteren", "en", now=NOW) == "2024-05-07"   # falls back to the other languages


def test_a_clock_time_later_than_now_is_yesterday():
    assert normalise("since 3 pm", "en", now=NOW) == "2024-05-07T15:00"
    assert normalise("depuis 14:30", "fr", now=NOW) == "2024-05-07T14:30"


def test_a_date_later_than_today_is_last_year():
    assert normalise("since December 20", "en", now=NOW) == "2023-12-20"


@pytest.mark.parametrize("text", ["since the update", "blabla", "", "sinds de migratie"])
def test_unknown_expressions_give_none(text):
    assert normalise(text, "en", now=NOW) is None


def test_granularity():
    assert parse("gisteren", "nl", now=NOW).granularity == "day"
    assert parse("sinds 9u", "nl", now=NOW).granularity == "minute"


def test_every_language_has_the_same_sections():
    languages = load_languages()
    assert set(languages) == {"nl", "fr", "en"}
    for spec in languages.values():
        assert len(spec.weekdays) == 7 and len(spec.months) == 12
        assert spec.fixed and spec.units and spec.durations and spec.clock


def test_a_clock_time_without_am_pm_is_the_latest_past_one():
    afternoon = datetime(2024, 5, 8, 16, 0)
    assert normalise("sinds 2 uur", "nl", now=afternoon) == "2024-05-08T14:00"
    assert normalise("sinds 9u", "nl", now=afternoon) == "2024-05-08T09:00"
    assert normalise("since 9am", "en", now=afternoon) == "2024-05-08T09:00"
    assert normalise("depuis 8h", "fr", now=datetime(2024, 5, 8, 7, 0)) == "2024-05-07T20:00"
