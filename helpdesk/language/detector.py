"""Language identification for chat messages, restricted to the supported languages.

Two signals are combined: py3langid's character n-gram model restricted to the supported
languages, and a word lexicon learnt from the bot's own NLU training data. A message that clearly
belongs to another language (py3langid unrestricted, enough words) is flagged as unsupported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from helpdesk.language.lexicon import Lexicon, words

LEXICON_WEIGHT = 1.0
UNSUPPORTED_MIN_WORDS = 3
UNSUPPORTED_MIN_PROB = 0.6


@dataclass(frozen=True)
class Detection:
    lang: str                 # best supported language
    confidence: float         # its probability among the supported languages
    words: int                # number of words in the message
    supported: bool = True    # False when the message is clearly in another language
    other_lang: str | None = None


@lru_cache(maxsize=2)
def _identifiers(languages: tuple[str, ...]):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    restricted = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    restricted.set_languages(list(languages))
    everything = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return restricted, everything


class LanguageDetector:
    def __init__(self, languages: list[str], lexicon: Lexicon | None = None) -> None:
        self.languages = tuple(languages)
        self.lexicon = lexicon

    @classmethod
    def from_nlu_dir(cls, nlu_dir: Path, languages: list[str]) -> "LanguageDetector":
        return cls(languages, Lexicon.from_nlu_dir(nlu_dir, languages))

    def detect(self, text: str) -> Detection:
        tokens = words(text)
        restricted, everything = _identifiers(self.languages)
        ranked = dict(restricted.rank(text))  # probabilities among the supported languages
        scores = {lang: math.log(max(ranked.get(lang, 0.0), 1e-9)) for lang in self.languages}
        if self.lexicon is not None:
            lexical = self.lexicon.log_likelihoods(tokens)
            for lang in self.languages:
                scores[lang] += LEXICON_WEIGHT * lexical.get(lang, 0.0)
        best = max(scores, key=scores.get)
        top = scores[best]
        total = sum(math.exp(s - top) for s in scores.values())
        confidence = 1.0 / total
        if not tokens:
            return Detection(best, 0.0, 0)
        other, other_prob = everything.classify(text)
        supported = not (
            other not in self.languages
            and other_prob >= UNSUPPORTED_MIN_PROB
            and len(tokens) >= UNSUPPORTED_MIN_WORDS
            and (self.lexicon is None or self.lexicon.known_words(tokens) <= len(tokens) // 2)
        )
        return Detection(best, round(confidence, 4), len(tokens), supported, None if supported else other)
