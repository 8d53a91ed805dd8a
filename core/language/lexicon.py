"""A word-level language model learnt from the NLU training data (``nlu_data/<lang>/*.yml``).

Chat messages of one to four words ("hallo", "neen", "merci bien") are where character-n-gram
identifiers fail; the bot's own training examples know these words. Naive Bayes with add-one
smoothing over word counts per language.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import yaml

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Lexicon:
    def __init__(self, counts: dict[str, Counter]) -> None:
        self.counts = counts
        self.totals = {lang: sum(c.values()) for lang, c in counts.items()}
        self.vocabulary = set().union(*counts.values()) if counts else set()

    @classmethod
    def from_nlu_dir(cls, nlu_dir: Path, languages: list[str]) -> "Lexicon":
        counts: dict[str, Counter] = {}
        for lang in languages:
            counter: Counter = Counter()
            for path in sorted((Path(nlu_dir) / lang).glob("*.yml")):
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                for block in data.get("nlu", []) or []:
                    for line in str(block.get("examples", "")).splitlines():
                        text = _ENTITY.sub(r"\1", line.lstrip("- ").strip())
                        counter.update(set(words(text)))
            counts[lang] = counter
        return cls(counts)

    def log_likelihoods(self, tokens: list[str]) -> dict[str, float]:
        """Log P(tokens | lang) for each language, over the words this lexicon knows."""
        known = [t for t in tokens if t in self.vocabulary]
        size = len(self.vocabulary) + 1
        return {
            lang: sum(math.log((c[t] + 1) / (self.totals[lang] + size)) for t in known)
            for lang, c in self.counts.items()
        }

    def known_words(self, tokens: list[str]) -> int:
        return sum(1 for t in tokens if t in self.vocabulary)
