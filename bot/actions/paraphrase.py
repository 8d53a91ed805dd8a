"""The paraphrase: the problem restated in the bot's own words, in the conversation's language.

A short problem statement from the category, the application or device and the kind of symptom
("Outlook op je laptop ontvangt geen nieuwe e-mail"), the since-when as a date, then the other
facts normalised ("alleen jij hebt er last van", "je kunt niet werken"). Every phrase is data:
``phrases`` and ``problems`` of bot/facts/<language>.yml, and the fixed-value responses
``utter_fact_<fact>_<value>`` / ``utter_label_<fact>`` of the domain. The user's own words appear
only as an error code or message, or as a free answer of at most five words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.actions.facts import (UNKNOWN, LanguageFacts, applications, best_match, canonical, find_phrase,
                               language_facts, normal)
from bot.actions.texts import has_response, render
from core.language.time_expressions import parse as parse_time

MAX_QUOTED_WORDS = 5
MAX_WORDS = 60
SHOWN_IN_PROBLEM = {"symptom", "application", "device", "os", "since"}
LOOKED_UP = {"device", "location", "scope", "tried"}


def short(value: Any) -> str:
    words = str(value).split()
    return " ".join(words[:MAX_QUOTED_WORDS]) + (" …" if len(words) > MAX_QUOTED_WORDS else "")


def problem_statement(facts: LanguageFacts, category: str | None, values: dict[str, Any],
                      described: str, languages: list[str]) -> str:
    problems = facts.data.get("problems") or {}
    category = category or ""
    device = canonical("device", values.get("device"), languages)
    device_phrase = facts.phrase("device", device) if device else None
    application = values.get("application")
    if application and application != UNKNOWN and (canonical_app(application) or len(str(application).split()) <= 3):
        subject, on_device = canonical_app(application) or str(application), device_phrase
    elif device_phrase and category in (problems.get("device_is_subject") or ()):
        subject, on_device = device_phrase, None
    else:
        subject, on_device = (problems.get("subjects") or {}).get(category) or facts.phrase("device", "computer"), device_phrase
    if on_device:
        subject = f"{subject} {str(facts.phrase('on_device')).replace('{device}', on_device)}"
    text = normal(described)
    statement = ""
    for option in (problems.get("statements") or {}).get(category) or []:
        words = option.get("words") or []
        if not words or any(find_phrase(text, normal(w)) for w in words):
            statement = option.get("text") or ""
            break
    sentence = f"{subject} {statement}".strip()
    return sentence[:1].upper() + sentence[1:]


def canonical_app(value: str) -> str | None:
    apps = applications()
    if value in apps:
        return value
    found = best_match(normal(value), apps)
    return found[0] if found else None


def since_phrase(facts: LanguageFacts, value: str, language: str, now: datetime) -> str | None:
    point = parse_time(str(value), language, now=now)
    if point is None:
        return None
    day = point.value.date()
    if day == now.date():
        return facts.phrase("since_today")
    weekdays, months = facts.phrase("weekdays") or [], facts.phrase("months") or []
    return (str(facts.phrase("since_date")).replace("{weekday}", weekdays[day.weekday()])
            .replace("{day}", str(day.day)).replace("{month}", months[day.month - 1]))


def fact_phrase(facts: LanguageFacts, domain: dict, name: str, value: Any, language: str,
                languages: list[str]) -> str | None:
    label = render(domain, f"utter_label_{name}", language) or name
    if value == UNKNOWN:
        return str(facts.phrase("unknown")).replace("{label}", label)
    key = canonical(name, value, languages) if name in LOOKED_UP else None
    if name == "tried" and value == "none":
        key = "nothing"
    table_phrase = facts.phrase({"location": "location", "scope": "scope", "tried": "tried"}.get(name, "-"), key or "-")
    if table_phrase:
        return table_phrase
    fixed = f"utter_fact_{name}_{value}"
    if has_response(domain, fixed):
        return render(domain, fixed, language)
    if name == "error_code":
        return str(facts.phrase("error_code")).replace("{value}", str(value))
    return str(facts.phrase("free")).replace("{label}", label).replace("{value}", short(value))


def build(domain: dict, language: str, category: str | None, values: dict[str, Any], described: str,
          order: tuple[str, ...], languages: list[str], now: datetime) -> str:
    """The paraphrase text (without the "Even samenvatten:" frame, which is the response's)."""
    facts = language_facts(language)
    if facts is None:
        return ""
    head = problem_statement(facts, category, values, described, languages)
    since = values.get("since")
    if since and since != UNKNOWN:
        when = since_phrase(facts, since, language, now)
        head = f"{head}, {when}" if when else head
    parts = [head]
    unknown = []
    for name in order:
        value = values.get(name)
        if value in (None, "") or name in SHOWN_IN_PROBLEM and not (name == "since" and value == UNKNOWN):
            continue
        phrase = fact_phrase(facts, domain, name, value, language, languages)
        if phrase:
            (unknown if value == UNKNOWN else parts).append(phrase)
    text = "; ".join(parts + unknown)
    while len(text.split()) > MAX_WORDS and (unknown or len(parts) > 1):
        (unknown or parts).pop()
        text = "; ".join(parts + unknown)
    return text
