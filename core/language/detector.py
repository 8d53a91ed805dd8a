"""Language identification for chat messages, restricted to the supported languages.

Three signals are added as log-likelihoods (weights chosen on SIB-200 prefixes and checked on the
chat-message set, see docs/nlu.md and ``make bench-lang``):

- py3langid's character n-gram model restricted to the supported languages;
- word frequencies from ``wordfreq`` (:mod:`core.language.frequencies`), which know the
  everyday words of each language ("werkt", "rame", "won't");
- a word lexicon learnt from the bot's own NLU training data (:mod:`core.language.lexicon`),
  which knows chat words and Flemish / Belgian usage ("allee", "neen", "GSM").

A message of at least three words whose words are clearly more frequent in another language
(German, Italian, Spanish, ...) than in any supported one, and that py3langid (unrestricted) also
puts outside the supported languages, is flagged as unsupported.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.language import frequencies
from core.language.lexicon import Lexicon, words

NGRAM_WEIGHT = 1.0
FREQUENCY_WEIGHT = 1.0
LEXICON_WEIGHT = 0.5
UNSUPPORTED_MIN_WORDS = 3
UNSUPPORTED_MIN_MARGIN = 1.5      # nats per word by which another language's words must be more frequent
# The unsupported-language check compares wordfreq's small lists on both sides: the large lists of
# these 15 languages took 470 MB of the action server's memory (docs/performance.md).
OTHER_LANGUAGES_WORDLIST = "small"
OTHER_LANGUAGES = ("de", "es", "it", "pt", "pl", "tr", "sv", "da", "nb", "fi", "cs", "ro", "hu", "id", "ca")


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

    everything = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    restricted = copy.copy(everything)        # shares the model's arrays (84 MB loaded once, not twice)
    restricted.set_languages(list(languages))
    return restricted, everything


class LanguageDetector:
    def __init__(self, languages: list[str], lexicon: Lexicon | None = None) -> None:
        self.languages = tuple(languages)
        self.lexicon = lexicon

    @classmethod
    def from_nlu_dir(cls, nlu_dir: Path, languages: list[str]) -> "LanguageDetector":
        return cls(languages, Lexicon.from_nlu_dir(nlu_dir, languages))

    def scores(self, text: str) -> dict[str, float]:
        """The combined log-likelihood of each supported language."""
        restricted, _ = _identifiers(self.languages)
        ranked = dict(restricted.rank(text))  # probabilities among the supported languages
        scores = {lang: NGRAM_WEIGHT * math.log(max(ranked.get(lang, 0.0), 1e-12)) for lang in self.languages}
        for lang, value in frequencies.log_likelihoods(text, self.languages).items():
            scores[lang] += FREQUENCY_WEIGHT * value
        if self.lexicon is not None:
            for lang, value in self.lexicon.log_likelihoods(words(text)).items():
                if lang in scores:
                    scores[lang] += LEXICON_WEIGHT * value
        return scores

    def detect(self, text: str) -> Detection:
        tokens = words(text)
        if not tokens:
            return Detection(self.languages[0], 0.0, 0)
        scores = self.scores(text)
        best = max(scores, key=scores.get)
        top = scores[best]
        confidence = 1.0 / sum(math.exp(s - top) for s in scores.values())
        other = self._other_language(text, len(tokens))
        return Detection(best, round(confidence, 4), len(tokens), other is None, other)

    def _other_language(self, text: str, n_words: int) -> str | None:
        """The unsupported language the message is clearly written in, if any."""
        if n_words < UNSUPPORTED_MIN_WORDS:
            return None
        _, everything = _identifiers(self.languages)
        guess, _ = everything.classify(text)
        if guess in self.languages:
            return None
        wordlist = OTHER_LANGUAGES_WORDLIST
        supported = max(frequencies.mean_log_frequency(text, lang, wordlist) for lang in self.languages)
        others = [l for l in OTHER_LANGUAGES if l not in self.languages]
        margin, other = max((frequencies.mean_log_frequency(text, l, wordlist) - supported, l) for l in others)
        if margin < UNSUPPORTED_MIN_MARGIN:
            return None
        return guess if guess in others else other
