"""The triage data of bot/triage.yml: facts per category, paraphrase order, urgency/impact, skill terms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

TRIAGE_FILE = Path(__file__).resolve().parents[1] / "triage.yml"


@dataclass(frozen=True)
class TriageData:
    default_facts: tuple[str, ...]
    facts: dict[str, tuple[str, ...]]
    paraphrase_order: tuple[str, ...]
    min_symptom_words: int
    search_facts: tuple[str, ...]
    urgency: dict[str, dict[str, str]]
    impact_values: dict[str, str]
    impact_words: dict[str, tuple[str, ...]]
    remote_control_categories: frozenset[str]
    skill_intents: dict[str, str]
    it_savvy_terms: tuple[str, ...]
    it_savvy_min_terms: int
    correction_markers: tuple[str, ...] = ()
    category_levels: dict[str, dict[str, str]] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TriageData":
        impact = data.get("impact") or {}
        return cls(
            default_facts=tuple(data["default_facts"]),
            facts={cat: tuple(names) for cat, names in (data.get("facts") or {}).items()},
            paraphrase_order=tuple(data["paraphrase_order"]),
            min_symptom_words=int(data.get("min_symptom_words", 4)),
            search_facts=tuple(data.get("search_facts") or ("symptom",)),
            urgency={fact: {str(k): v for k, v in values.items()} for fact, values in (data.get("urgency") or {}).items()},
            impact_values=dict(impact.get("values") or {}),
            impact_words={level: tuple(w.lower() for w in words) for level, words in (impact.get("words") or {}).items()},
            remote_control_categories=frozenset(data.get("remote_control_categories") or ()),
            skill_intents=dict(data.get("skill_intents") or {}),
            it_savvy_terms=tuple(t.lower() for t in data.get("it_savvy_terms") or ()),
            it_savvy_min_terms=int(data.get("it_savvy_min_terms", 2)),
            correction_markers=tuple(m.lower() for m in data.get("correction_markers") or ()),
            category_levels={cat: dict(levels) for cat, levels in (data.get("category_levels") or {}).items()},
        )

    @property
    def all_facts(self) -> tuple[str, ...]:
        return self.paraphrase_order

    def facts_for(self, category: str | None) -> tuple[str, ...]:
        """The facts asked for this category, in order."""
        return self.facts.get(category or "", self.default_facts)

    def urgency_for(self, slots: dict[str, Any], category: str | None = None) -> str | None:
        """Urgency (high/medium/low) from the answers, e.g. work_blocked yes -> high; None when unknown.
        A category with its own levels (``category_levels``: security incidents) has that urgency."""
        implied = (self.category_levels or {}).get(category or "", {}).get("urgency")
        if implied:
            return implied
        for fact, levels in self.urgency.items():
            value = slots.get(fact)
            if value is not None:
                return levels.get(str(value).lower())
        return None

    def impact_for(self, scope: str | None, category: str | None = None) -> str | None:
        """Impact from who is affected: a button value, else the first level whose words occur.
        A category with its own levels (``category_levels``) has that impact."""
        implied = (self.category_levels or {}).get(category or "", {}).get("impact")
        if implied:
            return implied
        if not scope:
            return None
        if scope in self.impact_values:
            return self.impact_values[scope]
        text = f" {scope.lower()} "
        for level in ("high", "medium", "low"):
            if any(contains_phrase(text, word) for word in self.impact_words.get(level, ())):
                return level
        return None

    def skill_from_text(self, texts: list[str]) -> str:
        """it_savvy when the user's messages hold enough distinct technical terms, else end_user."""
        joined = " ".join(texts).lower()
        found = {term for term in self.it_savvy_terms if contains_phrase(joined, term)}
        return "it_savvy" if len(found) >= self.it_savvy_min_terms else "end_user"

    def is_correction(self, text: str) -> bool:
        """Does the message start like a correction ("no, ...", "nee, ...", "non, ...")?"""
        head = " ".join(text.lower().split()[:3])
        return any(re.match(re.escape(marker) + r"(?!\w)", head) for marker in self.correction_markers)


def contains_phrase(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` as whole words."""
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text) is not None


@lru_cache(maxsize=1)
def triage_data() -> TriageData:
    return TriageData.from_dict(yaml.safe_load(TRIAGE_FILE.read_text(encoding="utf-8")))
