"""Since-when expressions: the hand-written parser (core/language/time_expressions.py) against
dateparser, on ``eval/since/expressions.yml`` (``make eval-since``). A day within one day of the
expected one counts for vague expressions ("een paar dagen", "last week"); an exact day is also
counted. Prints the share per language and parser."""

from __future__ import annotations

import sys
from datetime import date, datetime

import yaml

from core.language.time_expressions import parse
from core.settings import PROJECT_ROOT, load_settings

SET = PROJECT_ROOT / "eval" / "since" / "expressions.yml"


def with_dateparser(text: str, language: str, now: datetime) -> date | None:
    import dateparser   # optional: only this comparison uses it

    found = dateparser.parse(text, languages=[language], settings={
        "RELATIVE_BASE": now, "PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False})
    if found is None:
        from dateparser.search import search_dates
        hits = search_dates(text, languages=[language], settings={"RELATIVE_BASE": now, "PREFER_DATES_FROM": "past"})
        found = hits[0][1] if hits else None
    return found.date() if found else None


def with_ours(text: str, language: str, now: datetime) -> date | None:
    point = parse(text, language, now=now)
    return point.value.date() if point else None


def main() -> int:
    data = yaml.safe_load(SET.read_text(encoding="utf-8"))
    now = datetime.fromisoformat(data["now"])
    print(f"{'':12}{'exact':>16}{'within 1 day':>16}")
    for language in load_settings().languages:
        expected = {text: date.fromisoformat(day) for text, day in (data.get(language) or {}).items()}
        for name, parser in (("ours", with_ours), ("dateparser", with_dateparser)):
            got = {text: parser(text, language, now) for text in expected}
            exact = sum(got[t] == d for t, d in expected.items())
            near = sum(got[t] is not None and abs((got[t] - d).days) <= 1 for t, d in expected.items())
            print(f"{language} {name:10}{exact:>10}/{len(expected)}{near:>12}/{len(expected)}")
            misses = [f"{t!r}->{got[t]}" for t, d in expected.items() if got[t] != d]
            print("    misses: " + ", ".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
