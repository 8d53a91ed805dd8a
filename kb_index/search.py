"""Hybrid KB search: dense cosine similarity fused with BM25, grouped per article.

Every language variant of every article is indexed, so a query in any language finds the article
through whichever variant is closest; the hit is then returned in the requested language when that
variant exists, else in the best available one (``fallback_language`` tells so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from kb_index.embedders.base import Embedder
from kb_index.index import LoadedIndex

DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.35
BM25_SATURATION = 6.0
CODE_BOOST = 0.5
_TOKEN = re.compile(r"0x[0-9a-f]+|[\w]+", re.UNICODE)
_CODE = re.compile(r"^(?:0x[0-9a-f]{4,}|(?=\w*\d)(?=\w*[a-z])\w{4,})$")


def error_codes(tokens: list[str]) -> set[str]:
    """Tokens that look like error or stop codes (0x800ccc0e, 53003ab, ...): matched exactly."""
    return {t for t in tokens if _CODE.match(t)}


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Hit:
    article_id: str
    lang: str
    score: float
    dense: float
    lexical: float
    title: str
    summary: str
    category: str
    steps: tuple[str, ...]
    fallback_language: bool = False
    available_languages: tuple[str, ...] = field(default_factory=tuple)


class KbSearcher:
    """Searches one loaded index with one embedder. Thread-safe for reads."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, fallback_languages: tuple[str, ...] = ("en",)) -> None:
        from rank_bm25 import BM25Okapi

        self.index = index
        self.embedder = embedder
        self.fallback_languages = fallback_languages
        corpus = [tokenize(" ".join((d["title"], d["summary"], " ".join(d["tags"]), d["body"]))) for d in index.docs]
        self._bm25 = BM25Okapi(corpus) if corpus else None
        self._codes = [error_codes(tokens) for tokens in corpus]
        self._variants: dict[str, dict[str, int]] = {}
        for i, doc in enumerate(index.docs):
            self._variants.setdefault(doc["id"], {})[doc["lang"]] = i

    def search(self, query: str, top_k: int = 3, lang: str | None = None, min_score: float = 0.0,
               exclude: frozenset[str] | set[str] = frozenset()) -> list[Hit]:
        """Best articles for ``query``, at most ``top_k``, each at or above ``min_score``."""
        docs = self.index.docs
        if not docs or not query.strip():
            return []
        qvec = self.embedder.encode([query])[0]
        dense = self.index.vectors @ qvec  # exact cosine for every variant; the faiss index serves large KBs
        if len(docs) > 20_000:
            dense = self._faiss_dense(qvec)
        lexical = np.zeros(len(docs), dtype=np.float32)
        tokens = tokenize(query)
        if self._bm25 is not None and tokens:
            raw = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
            raw = np.clip(raw, 0, None)
            lexical = raw / (raw + BM25_SATURATION)
        codes = error_codes(tokens)
        if codes:
            lexical = lexical + np.array([CODE_BOOST * bool(codes & c) for c in self._codes], dtype=np.float32) / LEXICAL_WEIGHT
        fused = DENSE_WEIGHT * dense + LEXICAL_WEIGHT * lexical
        best: dict[str, int] = {}
        for i in np.argsort(-fused):
            article_id = docs[i]["id"]
            if article_id in exclude or article_id in best:
                continue
            best[article_id] = int(i)
            if len(best) >= top_k:
                break
        hits = []
        for article_id, i in best.items():
            if fused[i] < min_score:
                continue
            hits.append(self._hit(article_id, lang, float(fused[i]), float(dense[i]), float(lexical[i])))
        return hits

    def _faiss_dense(self, qvec: np.ndarray) -> np.ndarray:
        k = min(200, len(self.index.docs))
        scores, ids = self.index.faiss_index.search(qvec[None, :].astype(np.float32), k)
        dense = np.full(len(self.index.docs), -1.0, dtype=np.float32)
        dense[ids[0][ids[0] >= 0]] = scores[0][ids[0] >= 0]
        return dense

    def _hit(self, article_id: str, lang: str | None, score: float, dense: float, lexical: float) -> Hit:
        variants = self._variants[article_id]
        order = ([lang] if lang else []) + list(self.fallback_languages) + sorted(variants)
        chosen = next(code for code in order if code in variants)
        doc = self.index.docs[variants[chosen]]
        return Hit(
            article_id=article_id,
            lang=chosen,
            score=round(score, 4),
            dense=round(dense, 4),
            lexical=round(lexical, 4),
            title=doc["title"],
            summary=doc["summary"],
            category=doc["category"],
            steps=tuple(doc["steps"]),
            fallback_language=bool(lang) and chosen != lang,
            available_languages=tuple(sorted(variants)),
        )
