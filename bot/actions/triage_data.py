"""The triage data of bot/triage.yml: facts per category, paraphrase order, urgency/impact, skill terms."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.actions.facts import find_phrase

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
    remote_control_categories: frozenset[str]
    skill_intents: dict[str, str]
    it_savvy_terms: dict[str, tuple[str, ...]]
    it_savvy_min_terms: int
    category_levels: dict[str, dict[str, str]] | None = None
    yes_no_facts: frozenset[str] = frozenset()
    max_asks: int = 2
    free_application_categories: frozenset[str] = frozenset()
    none_on_no: frozenset[str] = frozenset()

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
            remote_control_categories=frozenset(data.get("remote_control_categories") or ()),
            skill_intents=dict(data.get("skill_intents") or {}),
            it_savvy_terms={key: tuple(t.lower() for t in terms)
                            for key, terms in (data.get("it_savvy_terms") or {}).items()},
            it_savvy_min_terms=int(data.get("it_savvy_min_terms", 2)),
            category_levels={cat: dict(levels) for cat, levels in (data.get("category_levels") or {}).items()},
            yes_no_facts=frozenset(data.get("yes_no_facts") or ()),
            max_asks=int(data.get("max_asks", 2)),
            free_application_categories=frozenset(data.get("free_application_categories") or ()),
            none_on_no=frozenset(data.get("none_on_no") or ()),
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

    def impact_for(self, scope: str | None, category: str | None = None,
                   languages: list[str] | tuple[str, ...] = ()) -> str | None:
        """Impact from who is affected: the canonical value of the scope (a button value, or the
        user's words looked up in bot/facts/<language>.yml, ``languages`` first to last).
        A category with its own levels (``category_levels``) has that impact."""
        from bot.actions.facts import canonical   # facts reads its own data; no import cycle at load

        implied = (self.category_levels or {}).get(category or "", {}).get("impact")
        if implied:
            return implied
        if not scope or scope == "unknown":
            return None
        if scope in self.impact_values:
            return self.impact_values[scope]
        return self.impact_values.get(canonical("scope", scope, list(languages)) or "")

    def skill_from_text(self, texts: list[str], language: str | None = None) -> str:
        """it_savvy when the user's messages hold enough distinct technical terms (the shared ones
        and those of every language, the conversation's first), else end_user."""
        joined = " ".join(texts).lower()
        terms = {term for words in self.it_savvy_terms.values() for term in words}
        found = {term for term in terms if contains_phrase(joined, term)}
        return "it_savvy" if len(found) >= self.it_savvy_min_terms else "end_user"


def contains_phrase(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` as whole words."""
    return find_phrase(text, phrase) is not None


@lru_cache(maxsize=1)
def triage_data() -> TriageData:
    return TriageData.from_dict(yaml.safe_load(TRIAGE_FILE.read_text(encoding="utf-8")))
