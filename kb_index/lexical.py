"""Lexical ranking: BM25 (Okapi) over an inverted index, and the tokenizer shared with the search.

Scores are identical to ``rank_bm25.BM25Okapi`` (same idf floor for very common terms; the tests
compare both), but a query costs O(postings of its terms) instead of a Python loop over every
document, which keeps a 100,000-article KB within a few milliseconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable, Sequence

import numpy as np

_TOKEN = re.compile(r"0x[0-9a-f]+|\w+", re.UNICODE)
# 0x800ccc0e | letters and digits (53003ab, aadsts50076) | 4+ digits (-7200) | STOP_CODE_NAMES (critical_process_died)
_CODE = re.compile(r"^(?:0x[0-9a-f]{4,}|(?=\w*\d)(?=\w*[a-z])\w{4,}|\d{4,}|[a-z]+(?:_[a-z0-9]+){2,})$")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; hexadecimal codes (``0x800CCC0E``) stay one token."""
    return _TOKEN.findall(text.lower())


def is_error_code(token: str) -> bool:
    """A token that looks like an error or stop code (``0x800ccc0e``, ``53003ab``, ``7200``,
    ``critical_process_died``): a query and an article sharing one get the code boost."""
    return bool(_CODE.match(token))


def error_codes(tokens: Iterable[str]) -> set[str]:
    return {t for t in tokens if is_error_code(t)}


class Bm25:
    """BM25 Okapi over tokenised documents."""

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        self.size = len(corpus)
        lengths = np.array([len(doc) for doc in corpus], dtype=np.float32)
        avgdl = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        norm = k1 * (1 - b + b * lengths / avgdl)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(corpus):
            for term, freq in Counter(doc).items():
                ids, freqs = postings.setdefault(term, ([], []))
                ids.append(i)
                freqs.append(freq)
        idf = {term: math.log(self.size - len(ids) + 0.5) - math.log(len(ids) + 0.5) for term, (ids, _) in postings.items()}
        floor = epsilon * (sum(idf.values()) / len(idf)) if idf else 0.0
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (ids, freqs) in postings.items():
            ids_a = np.asarray(ids, dtype=np.int64)
            tf = np.asarray(freqs, dtype=np.float32)
            weight = idf[term] if idf[term] >= 0 else floor
            self._postings[term] = (ids_a, (weight * tf * (k1 + 1) / (tf + norm[ids_a])).astype(np.float32))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens (repeated tokens count again)."""
        out = np.zeros(self.size, dtype=np.float32)
        for token in tokens:
            posting = self._postings.get(token)
            if posting is not None:
                out[posting[0]] += posting[1]
        return out

    def documents_with(self, term: str) -> np.ndarray:
        """Indices of the documents that contain ``term``."""
        posting = self._postings.get(term)
        return posting[0] if posting is not None else np.zeros(0, dtype=np.int64)
