"""Facts read from any user message: since when, error code, device, application, location, who is
affected, whether work is blocked, what was tried, answered checks, "I don't know", corrections.

Every word lives in ``bot/facts/<language>.yml`` (one file per language of settings.languages) and
``bot/facts/shared.yml`` (product names, error-code patterns); this module only applies them. Slot
values keep the user's own words for lookups ("alleen ik", "thuis", "gsm") so the ticket shows what
was said; :func:`canonical` turns such a value into its canonical key (``just_me``, ``home``,
``smartphone``) for the paraphrase and the priority. Since-when expressions are read by
core/language/time_expressions.py in the settings' timezone, never later than the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Any

import yaml

from core.language.time_expressions import load_languages, parse as parse_time

FACTS_DIR = Path(__file__).resolve().parents[1] / "facts"
LOOKUP_FACTS = {"devices": "device", "locations": "location", "scope": "scope", "tried": "tried"}
FIRST_MATCH = ("device", "location", "scope")   # "only me, my colleagues are fine": the first one said
MAX_PLACES = 12          # places of one stem looked at
COMBINATION_WINDOW = 8    # the words of a combination ("niemand ... verdieping") within this many words
MAX_TIME_WORDS = 6
MAX_TOKENS = 300          # a pasted log: its start is read, not all of it
MAX_CHARS = 4000
UNKNOWN = "unknown"
_WORDS = re.compile(r"[\w'’+\-/]+")


@lru_cache(maxsize=8192)
def rx(pattern: str, flags: int = 0) -> re.Pattern:
    """``pattern`` compiled once: the patterns here are built from the word lists on every message,
    far more of them than the ``re`` module's own cache holds (it compiled them again each time)."""
    return re.compile(pattern, flags)


def word_pattern(phrase: str, compounds: bool = False) -> re.Pattern:
    """``phrase`` as whole words; with ``compounds`` also as the end of a longer word."""
    return rx((r"(?<![\w])\w*" if compounds else r"(?<![\w])") + re.escape(phrase) + r"(?![\w])")


def normal(text: str) -> str:
    """Lower case, one space, typographic apostrophes straightened."""
    return " ".join(str(text or "").lower().replace("’", "'").split())


def find_phrase(text: str, phrase: str) -> re.Match | None:
    return word_pattern(phrase).search(text) if phrase in text else None


def sorted_words(words) -> tuple[str, ...]:
    return tuple(sorted({normal(w) for w in words or () if str(w).strip()}, key=len, reverse=True))


@dataclass(frozen=True)
class LanguageFacts:
    """The word lists of one language."""

    language: str
    data: dict

    def words(self, key: str) -> tuple[str, ...]:
        return sorted_words(self.data.get(key) or ())

    def table(self, key: str) -> dict[str, tuple[str, ...]]:
        return {str(value): sorted_words(words) for value, words in (self.data.get(key) or {}).items()}

    def checks(self) -> dict[str, dict[str, tuple[str, ...]]]:
        return {name: {str(v): sorted_words(w) for v, w in values.items()}
                for name, values in (self.data.get("checks") or {}).items()}

    def answer_only(self, fact: str, requested: str | None) -> frozenset[str]:
        """The words of ``fact`` that count only in the answer to its own question (`answer_only`):
        none when ``fact`` is the question asked."""
        if requested == fact:
            return frozenset()
        return frozenset(sorted_words((self.data.get("answer_only") or {}).get(fact)))

    def phrase(self, *path: str) -> Any:
        node: Any = self.data.get("phrases") or {}
        for key in path:
            node = (node or {}).get(key) if isinstance(node, dict) else None
        return node


@lru_cache(maxsize=8)
def language_facts(language: str) -> LanguageFacts | None:
    path = FACTS_DIR / f"{language}.yml"
    if not path.is_file():
        return None
    return LanguageFacts(language, yaml.safe_load(path.read_text(encoding="utf-8")) or {})


@lru_cache(maxsize=1)
def available_languages() -> tuple[str, ...]:
    """The languages that have a word file (every file of bot/facts but shared.yml)."""
    return tuple(sorted(p.stem for p in FACTS_DIR.glob("*.yml") if p.stem != "shared"))


@lru_cache(maxsize=1)
def shared() -> dict:
    return yaml.safe_load((FACTS_DIR / "shared.yml").read_text(encoding="utf-8")) or {}


def applications() -> dict[str, tuple[str, ...]]:
    """Product name -> the spellings users type (bot/facts/shared.yml)."""
    return {name: sorted_words(words) for name, words in (shared().get("applications") or {}).items()}


def best_match(text: str, table: dict[str, tuple[str, ...]], negations=(), first: bool = False,
               skip=(), compounds: bool = False) -> tuple[str, str] | None:
    """(value, phrase as the user wrote it) of the longest phrase of ``table`` in ``text`` (with
    ``first``: the first one, the longest at that place), skipping one just after a negation
    ("pas le portable", "not my laptop") and the phrases of ``skip``; with ``compounds`` a phrase
    may also end a longer word ("werklaptop", "dienstgsm"), which is then the phrase."""
    found = None
    for value, words in table.items():
        for word in words:
            if word in skip or word not in text:   # the plain test first: most words are not there
                continue
            for match in word_pattern(word, compounds).finditer(text):
                before = [t.strip(",.;:") for t in text[:match.start()].split()[-2:]]
                if before and word.split()[0] not in negations and (before[-1] in negations
                               or len(before) == 2 and before[0] in negations and len(before[1]) <= 4):
                    continue   # "pas le portable", "not my laptop", "niet mijn gsm"
                key = (match.start(), -len(word)) if first else (-len(word), match.start())
                if found is None or key < found[0]:
                    found = (key, value, match.group(0))
                break
    return (found[1], found[2]) if found else None


def canonical(fact: str, value: Any, languages: list[str]) -> str | None:
    """The canonical key of a stored value ("alleen ik" -> just_me), None when it has none."""
    if value is None:
        return None
    text = normal(value)
    key = {v: k for k, v in LOOKUP_FACTS.items()}.get(fact)
    for language in list(languages) or available_languages():
        facts = language_facts(language)
        if facts is None or key is None:
            continue
        table = facts.table(key)
        if text in table:
            return text
        found = best_match(text, table, facts.words("negations"), first=fact in FIRST_MATCH,
                           compounds=key in (facts.data.get("compound_words") or ())) or \
            combination_in(text, facts, fact)
        if found:
            return found[0]
    return None


def says(text: str, language: str, key: str) -> bool:
    facts = language_facts(language)
    return bool(facts) and any(find_phrase(normal(text), w) for w in facts.words(key))


def says_aside(text: str, language: str) -> bool:
    """Does the message start as an aside ("btw ...", "au fait ...", "oh en ...")?"""
    facts = language_facts(language)
    head = normal(text)[:30]
    return bool(facts) and any(head.startswith(w) and rx(re.escape(w) + r"(?![\w])").match(head)
                                   for w in facts.words("asides"))


def is_correction(text: str, language: str, strong_only: bool = False) -> bool:
    """Does the message start like a correction ("nee wacht, ...", "non, c'est ...", "actually ...")?"""
    facts = language_facts(language)
    if facts is None:
        return False
    head = normal(text)[:40]
    markers = facts.words("correction_markers")
    weak = set(facts.words("weak_correction_markers"))
    for marker in markers:
        if head.startswith(marker) and rx(re.escape(marker) + r"(?![\w])").match(head):
            return not (strong_only and marker in weak)
    return False


def yes_or_no(text: str, language: str) -> str | None:
    """"yes" / "no" when the message starts with a yes or no word of the language ("nee, ...")."""
    facts = language_facts(language)
    if facts is None:
        return None
    head = normal(text)
    for value, words in facts.table("yes_no").items():
        if any(head.startswith(w) and rx(re.escape(w) + r"(?![\w])").match(head) for w in words):
            return value
    return None


PRODUCT_LIKE = re.compile(r"(?<![\w/])(?:\w+\+\+|\d+-[A-Za-z]\w*|[A-Za-z]+\d[\w-]*|[A-Z][a-z]+[A-Z]\w*|(?<=[a-z,] )[A-Z][a-z][\w-]+)")


def product_like(text: str) -> str | None:
    """A word that looks like a product name nobody listed ("7-Zip", "Notepad++", "Salesforce" in
    the middle of a sentence); only used where the category asks which application."""
    match = PRODUCT_LIKE.search(text)
    return match.group(0) if match else None


def since_in(text: str, language: str, now: datetime, bare_ok: bool = True, marked_only: bool = False) -> str | None:
    """The longest since-when expression in ``text`` (as the user wrote it) that parses to a day
    not later than ``now``'s; windows start at a prefix, a fixed phrase, a weekday or a number.
    A bare duration ("prend une minute", "duurt minuten") counts only after a lead word ("depuis",
    "il y a", "for", "al") unless ``bare_ok`` (the answer to "since when?"); with ``marked_only``
    (an answer to another question: "ja, vanmorgen nog" to "did you restart?") only an expression
    with a since word counts."""
    spec = load_languages().get(language)
    if spec is None:
        return None
    tokens = [t.strip(",.;:!?()\"") for t in normal(text).split()][:MAX_TOKENS]
    tokens = [time_word(t, language) for t in tokens]
    anchors = {p.split()[0] for p in spec.prefixes} | {f.split()[0] for f in spec.fixed}
    anchors |= set(spec.weekdays) | set(spec.last) | set(spec.connectors) | set(spec.months)
    anchors |= set(spec.numbers)
    best: tuple[int, str] | None = None
    for i, token in enumerate(tokens):
        if not token or not (token in anchors or token[:1].isdigit()):
            continue
        for size in range(min(MAX_TIME_WORDS, len(tokens) - i), 0, -1):
            candidate = " ".join(tokens[i:i + size])
            point = parse_time(candidate, language, now=now)
            if point is not None and point.value.date() <= now.date() and (best is None or size > best[0]):
                if size == 1 and (token in spec.units or token in spec.numbers or token.isdigit()):
                    continue   # "u", "min", "3" alone are no time
                marked = has_lead(tokens[:i], spec) or any(candidate == p or candidate.startswith(p + " ")
                                                           for p in spec.prefixes)
                bare = (token in spec.numbers or token[:1].isdigit()) and tokens[i + size - 1] in spec.units
                if (marked_only or bare and not bare_ok) and not marked:
                    break
                best = (size, candidate)
                break
    return best[1] if best else None


MIN_TYPO_LENGTH = 5   # a longer word one typo away from a time word is that word ("gistren", "maandg")


@lru_cache(maxsize=8)
def time_vocabulary(language: str) -> frozenset[str]:
    spec = load_languages()[language]
    words = {w for phrase in list(spec.fixed) + list(spec.prefixes) for w in phrase.split()}
    return frozenset(w for w in words | set(spec.weekdays) | set(spec.months) | set(spec.units)
                     if len(w) >= MIN_TYPO_LENGTH)


def time_word(token: str, language: str) -> str:
    """``token``, or the time word of ``language`` it is one typo from (a letter more, less, other
    or two swapped; same first letter; words of five letters or more)."""
    if len(token) < MIN_TYPO_LENGTH or not token.isalpha():
        return token
    vocabulary = time_vocabulary(language)
    if token in vocabulary:
        return token
    # a dropped letter is the likeliest typo: "maandg" is maandag rather than maand
    close = sorted((w for w in vocabulary if w[0] == token[0] and one_typo(token, w)),
                   key=lambda w: (len(w) < len(token), w))
    return close[0] if close else token


def one_typo(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` one letter added, removed, replaced or two neighbours swapped apart?"""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def has_lead(before: list[str], spec) -> bool:
    """Do the words just before an expression lead to a time ("il y a", "for", "al", "sinds")?"""
    tail = " " + " ".join(before[-3:])
    return any(tail.endswith(" " + lead) for lead in spec.leads + spec.prefixes)


def error_code_in(text: str, language: str) -> str | None:
    """An error code (0x800CCC0E, AADSTS50076, 'fout -14', 'error 809') or a quoted error message."""
    for pattern in shared().get("error_patterns") or ():
        match = rx(pattern).search(text)
        if match:
            return match.group(0)
    facts = language_facts(language)
    lowered = text.lower()
    for word in facts.words("error_words") if facts else ():
        if word.lower() not in lowered:
            continue
        match = rx(r"(?<![\w])" + re.escape(word) + r"\s*[:#]?\s*(-?[A-Za-z]{0,4}-?\d[\w.-]{0,15})", re.I).search(text)
        if match:
            return match.group(1).rstrip(".")
    quoted = (re.search(r"[\"“«]\s*([^\"”»]{4,120}?)\s*[\"”»]", text)
              or re.search(r"(?:^|(?<=[\s:(]))['‘]([^'’]{4,120}?)['’](?=[\s.,;:!?)]|$)", text))
    return quoted.group(1).strip() if quoted else None


def without_fillers(text: str, facts: LanguageFacts) -> str:
    """``text`` (normalised) without the words that only stress ("ik kan echt niet werken")."""
    fillers = facts.words("fillers")
    if not fillers:
        return text
    pattern = r"(?<![\w'])(?:" + "|".join(re.escape(f) for f in fillers) + r")(?![\w'])"
    return " ".join(rx(pattern).sub(" ", text).split())


def combination_in(text: str, facts: LanguageFacts, fact: str,
                   window: int = COMBINATION_WINDOW) -> tuple[str, str] | None:
    """(value, the words from the first stem to the last) of the first combination of ``fact``
    (``combinations`` of the language: stems that all occur within ``window`` words, in any order;
    a stem matches the start of a word: "print" matches "printen", "=team" only that word; a "!word"
    must not be among the ``window`` words from the first stem on: "my team can't hear !me")."""
    for value, combinations in ((facts.data.get("combinations") or {}).get(fact) or {}).items():
        for combination in combinations:
            stems = [normal(stem) for stem in combination if not str(stem).startswith("!")]
            span = stems_span(text, stems, window)
            if span and not any(find_phrase(" ".join(text[text.index(span):].split()[:window]), normal(stem[1:]))
                                for stem in combination if str(stem).startswith("!")):
                return str(value), span
    return None


def stem_pattern(stem: str) -> str:
    """A stem matches the start of a word; "=team" only the whole word (not "Teams")."""
    if stem.startswith("="):
        return r"(?<![\w])" + re.escape(stem[1:]) + r"(?![\w])"
    return r"(?<![\w])" + re.escape(stem)


def stems_span(text: str, stems: list[str], window: int) -> str | None:
    """The words from the first stem to the end of the last one's word, when every stem occurs and
    a choice of their places fits in ``window`` words."""
    places = [[(m.start(), m.end()) for m in rx(stem_pattern(stem)).finditer(text)][:MAX_PLACES] for stem in stems]
    if not all(places):
        return None
    def word_at(offset: int) -> int:
        return text.count(" ", 0, offset)   # the text has single spaces (normal())

    for chosen in product(*places):
        first, last = min(chosen), max(chosen, key=lambda p: p[1])
        if word_at(last[1]) - word_at(first[0]) <= window:
            end = re.search(r"[\w'-]*", text[last[1]:]).end() + last[1]
            return text[first[0]:end]
    return None


def extract(text: str, language: str, now: datetime, languages: list[str],
            requested: str | None = None) -> dict[str, str]:
    """Every fact this message states, as stored in the slots. ``requested``: the question this
    message answers (None for a first message): group words ("collega's", "verdieping") are who is
    affected only as the answer to that question (`answer_only`) or with a sign such as "ook",
    "niemand", "tout"; a time only counts as since-when in the answer to another question when it
    says so ("sinds", "depuis", "started") or corrects."""
    facts = language_facts(language)
    if facts is None or not text.strip() or text.startswith("/"):
        return {}
    text = text[:MAX_CHARS]
    low = normal(text)
    plain = without_fillers(low, facts)
    found: dict[str, str] = {}
    since = since_in(text, language, now, bare_ok=requested == "since",
                     marked_only=requested not in (None, "since") and not is_correction(text, language, strong_only=True))
    if since:
        found["since"] = since
    if any(find_phrase(low, w) for w in facts.words("no_error")):
        found["error_code"] = "none"
    else:
        code = error_code_in(text, language)
        if code:
            found["error_code"] = code
    app = best_match(low, applications())
    if app:
        found["application"] = app[0]
    others = [facts] + [f for f in (language_facts(l) for l in languages if l != language) if f]
    negations = set(facts.words("negations"))
    dont_know = any(find_phrase(low, w) for w in facts.words("dont_know"))
    for key, fact in LOOKUP_FACTS.items():
        for source in (others if key in ("devices", "locations") else [facts]):
            match = best_match(plain, source.table(key), negations, first=fact in FIRST_MATCH,
                               skip=source.answer_only(fact, requested),
                               compounds=key in (source.data.get("compound_words") or ()))
            match = match or combination_in(plain, source, fact)
            if match and not (fact == "tried" and match[0] == "nothing" and dont_know):   # "j'en sais rien"
                found[fact] = match[1]
                break
    blocked = (best_match(plain, facts.table("blocked"), skip=facts.answer_only("work_blocked", requested))
               or combination_in(plain, facts, "work_blocked"))
    if blocked:
        found["work_blocked"] = blocked[0]
    for check, values in facts.checks().items():
        match = best_match(plain, values) or combination_in(plain, facts, check)
        if match:
            found[check] = match[0]
    return found
