"""Word-frequency evidence from the ``wordfreq`` package (its frequency lists ship inside the wheel).

For a chat message of one to four words, how common each word is in Dutch, French and English is a
far stronger signal than character n-grams: "werkt", "rame", "won't". Per word, the log frequency in
each language (floored for words a language does not know) relative to the best language, clipped
so that one word cannot outvote the rest. Capitalised words inside a sentence and acronyms (product
and person names: "Outlook", "VPN", "George W.") count less.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*['’]?", re.UNICODE)
FLOOR = 1e-8            # frequency of a word a language's list does not hold
CLIP = 8.0              # at most this many nats of evidence per word against a language
NAME_WEIGHT = 0.3       # weight of capitalised words inside a sentence and of acronyms


def tokens(text: str) -> list[tuple[str, float]]:
    """The words of ``text`` with their weight (names and acronyms count less)."""
    out = []
    for i, tok in enumerate(TOKEN.findall(text)):
        name = (i > 0 and tok[:1].isupper()) or (len(tok) > 1 and tok.isupper())
        out.append((tok.lower().replace("’", "'"), NAME_WEIGHT if name else 1.0))
    return out


@lru_cache(maxsize=65536)
def _log_frequencies(word: str, languages: tuple[str, ...], wordlist: str = "best") -> tuple[float, ...] | None:
    from wordfreq import word_frequency

    freqs = [word_frequency(word, lang, wordlist=wordlist) for lang in languages]
    if max(freqs) == 0.0:
        return None          # unknown everywhere (a code, a typo, a rare name): no evidence
    return tuple(math.log(max(f, FLOOR)) for f in freqs)


def log_likelihoods(text: str, languages: tuple[str, ...], clip: float = CLIP) -> dict[str, float]:
    """Sum over words of each language's clipped log frequency relative to the best language."""
    totals = [0.0] * len(languages)
    for word, weight in tokens(text):
        logs = _log_frequencies(word, languages)
        if logs is None:
            continue
        best = max(logs)
        for k, value in enumerate(logs):
            totals[k] += weight * max(value - best, -clip)
    return dict(zip(languages, totals))


def mean_log_frequency(text: str, language: str, wordlist: str = "best") -> float:
    """Weighted mean log frequency of the words of ``text`` in ``language`` (unknown words at the floor).

    ``wordlist`` is wordfreq's: "best" (the large list where there is one) or "small" (the words
    above a frequency of 1e-6, a fraction of the memory)."""
    toks = tokens(text)
    if not toks:
        return math.log(FLOOR)
    total = 0.0
    for word, weight in toks:
        logs = _log_frequencies(word, (language,), wordlist)
        total += weight * (logs[0] if logs else math.log(FLOOR))
    return total / sum(weight for _, weight in toks)
