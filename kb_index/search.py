"""Hybrid KB search: dense cosine similarity first, BM25 and an exact error-code match as a bonus only
where they exist, grouped per article.

Every passage (whole article, section, part of a long section) of every language variant is indexed,
so a query in any language finds the article through whichever passage is closest; the hit is then
returned in the requested language when that variant exists, else in the language the caller names as
fallback, else the best available one (``fallback_language`` tells so). The hit names the section that
matched (``section``, ``section_text``) and carries the article's ``technical_steps``.

Score of a passage (the article takes its best passage)::

    score = dense_weight * (cosine - generality_weight * generality) + lexical_weight * bm25 / (bm25 + saturation)
            + code_boost * [shared error code]

where a passage's generality, computed at build time, is how close it comes to off-topic questions
(:mod:`kb_index.rejection`), minus its mean over the index: the per-index normalisation of the dense score.

A query in another language than the article shares no words with it and gets no lexical bonus, so
the dense score alone decides there. The "no good answer" threshold is learned per index at build
time from off-topic questions (:mod:`kb_index.rejection`); ``min_score`` overrides it. Small KBs are
scored exhaustively (exact); above ``kb.hnsw_threshold`` the candidates are the HNSW neighbours plus
the best lexical matches, then scored exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kb_index.embedders.base import Embedder
from kb_index.lexical import Bm25, error_codes, is_error_code, tokenize

MAX_QUERY_CHARS = 2000
FALLBACK_THRESHOLD = 0.43  # for an index built before thresholds were learned (kb_index/rejection.py)
# The exact matrix-vector product runs with one BLAS thread: on two shared cores OpenBLAS's own
# threads made it 8x slower (14 ms instead of 1.8 ms at 10,000 variants; at 1,000 variants a search
# took p50 8 ms instead of 2 while a Rasa training kept one core busy). The limit costs 0.01 ms.
ANN_CANDIDATES = 200
LEXICAL_CANDIDATES = 200

__all__ = ["DEFAULT_WEIGHTS", "Hit", "KbSearcher", "RankingWeights", "Signals", "error_codes", "tokenize"]


@dataclass(frozen=True)
class RankingWeights:
    """How the dense, lexical and error-code signals are fused (calibrated, see docs/kb.md)."""

    dense: float = 1.0
    lexical: float = 0.25
    bm25_saturation: float = 15.0
    code_boost: float = 0.5
    category_boost: float = 0.1  # for the category the NLU recognised; breaks near-ties, never passes the threshold
    generality: float = 1.0      # times a passage's generality (kb_index/rejection.py) taken off its cosine


DEFAULT_WEIGHTS = RankingWeights()


@dataclass(frozen=True)
class Signals:
    """Per candidate variant: its document index, cosine similarity, raw BM25 and error-code match."""

    ids: np.ndarray
    dense: np.ndarray
    bm25: np.ndarray
    code: np.ndarray


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
    code_match: bool = False
    technical_steps: tuple[str, ...] = ()   # concise steps for IT-savvy users (parsed at build time)
    section: str = ""                       # the heading of the section that matched ("" for the whole article)
    section_text: str = ""                  # that section's text, shown first
    section_steps: tuple[str, ...] = ()     # that section's numbered steps


def _lexical_text(doc: dict) -> str:
    return doc.get("lexical") or " ".join((doc["title"], doc["summary"], " ".join(doc["tags"]), doc["body"]))


class KbSearcher:
    """Searches one loaded index (:class:`kb_index.index.LoadedIndex`, not imported here: the index
    build uses the searcher to learn its threshold) with one embedder. Thread-safe for reads."""

    def __init__(self, index, embedder: Embedder, fallback_languages: tuple[str, ...] = (),
                 weights: RankingWeights = DEFAULT_WEIGHTS) -> None:
        self.index = index
        self.embedder = embedder
        self.fallback_languages = tuple(fallback_languages)
        self.weights = weights
        self._bm25 = Bm25([tokenize(_lexical_text(d)) for d in index.docs])
        # centred, so scores stay on the cosine's scale; the ranking is the same as with the raw values
        generality = np.zeros(len(index.docs), dtype=np.float32) if index.generality is None else index.generality
        self._generality = np.asarray(generality, dtype=np.float32) - (float(np.mean(generality)) if len(generality) else 0.0)
        self._approximate = index.manifest.get("index_type", "IndexFlatIP") != "IndexFlatIP"
        self._variants: dict[str, dict[str, int]] = {}  # article id -> language -> its whole-article document
        passages: dict[str, int] = {}
        for i, doc in enumerate(index.docs):
            passages[doc["id"]] = passages.get(doc["id"], 0) + 1
            if "title" in doc:
                self._variants.setdefault(doc["id"], {})[doc["lang"]] = i
        self._max_variants = max(passages.values(), default=1)  # passages per article, all languages
        self._category_ids: dict[str, int] = {}
        self._category_of = np.array([self._category_ids.setdefault(doc["category"], len(self._category_ids))
                                      for doc in index.docs], dtype=np.int32)
        self._blas_limit = None
        if not self._approximate:
            from threadpoolctl import ThreadpoolController

            self._blas_limit = ThreadpoolController().limit

    @property
    def threshold(self) -> float:
        """The "no good answer" threshold learned for this index at build time (any language)."""
        return float(self.index.manifest.get("rejection", {}).get("threshold", FALLBACK_THRESHOLD))

    def threshold_for(self, lang: str | None) -> float:
        """The threshold learned for questions in ``lang`` (the one over all languages when unknown)."""
        return float(self.index.manifest.get("rejection", {}).get("thresholds", {}).get(lang, self.threshold))

    def article(self, article_id: str, lang: str | None) -> dict | None:
        """The whole-article document of ``article_id`` in ``lang`` (else the fallback, else any)."""
        variants = self._variants.get(article_id)
        if not variants:
            return None
        order = ([lang] if lang else []) + list(self.fallback_languages) + sorted(variants)
        return self.index.docs[variants[next(code for code in order if code in variants)]]

    def search(self, query: str, top_k: int = 3, lang: str | None = None, min_score: float | None = None,
               exclude: frozenset[str] | set[str] = frozenset(), category: str | None = None) -> list[Hit]:
        """Best articles for ``query``, at most ``top_k``, each at or above ``min_score`` (default: the
        threshold learned for this index and questions in ``lang``, :meth:`threshold_for`).

        ``category`` (the problem category the NLU recognised) lifts that category's articles by
        ``weights.category_boost`` in the ranking; the threshold applies to the unboosted score.
        """
        if min_score is None:
            min_score = self.threshold_for(lang)
        query = query[:MAX_QUERY_CHARS]
        if not self.index.docs or not query.strip() or top_k < 1:
            return []
        qvec = np.asarray(self.embedder.encode([query])[0], dtype=np.float32)
        signals = self.signals(query, qvec)
        fused = self.fuse(signals)
        ranking = fused
        if category:
            same = self._category_of[signals.ids] == self._category_ids.get(category, -1)
            ranking = np.where(fused >= min_score, fused + self.weights.category_boost * same, fused)
        best = self.rank_articles(signals, ranking, top_k, min_score, exclude)
        lexical = self._lexical(signals)
        return [self._hit(a, lang, int(signals.ids[j]), float(fused[j]), float(signals.dense[j]), float(lexical[j]),
                          bool(signals.code[j])) for a, j in best]

    def signals(self, query: str, qvec: np.ndarray) -> Signals:
        """The dense, BM25 and error-code signals of the candidate variants for one query."""
        tokens = tokenize(query[:MAX_QUERY_CHARS])
        raw = self._bm25.scores(tokens)
        code_ids = [self._bm25.documents_with(t) for t in set(tokens) if is_error_code(t)]
        if self._approximate:
            ids = self._candidates(qvec, raw, code_ids)
            dense = self.index.vectors[ids] @ qvec
        else:
            ids = np.arange(len(self.index.docs))
            with self._blas_limit(limits=1, user_api="blas"):
                dense = self.index.vectors @ qvec
        code = np.zeros(len(self.index.docs), dtype=bool)
        for hit_ids in code_ids:
            code[hit_ids] = True
        return Signals(ids, dense.astype(np.float32), np.clip(raw[ids], 0, None), code[ids])

    def _lexical(self, signals: Signals, weights: RankingWeights | None = None) -> np.ndarray:
        w = weights or self.weights
        return signals.bm25 / (signals.bm25 + w.bm25_saturation)

    def fuse(self, signals: Signals, weights: RankingWeights | None = None) -> np.ndarray:
        """The fused score of every candidate variant (see the module docstring)."""
        w = weights or self.weights
        dense = signals.dense - w.generality * self._generality[signals.ids] if w.generality else signals.dense
        return w.dense * dense + w.lexical * self._lexical(signals, w) + w.code_boost * signals.code

    def rank_articles(self, signals: Signals, fused: np.ndarray, top_k: int, min_score: float = float("-inf"),
                      exclude: frozenset[str] | set[str] = frozenset()) -> list[tuple[str, int]]:
        """``(article_id, candidate position)`` of the best variant of the ``top_k`` best articles."""
        best: dict[str, int] = {}
        for j in self._best_first(fused, max(1, top_k + len(exclude)) * self._max_variants):
            if fused[j] < min_score:
                break
            article_id = self.index.docs[signals.ids[j]]["id"]
            if article_id in exclude or article_id in best:
                continue
            best[article_id] = int(j)
            if len(best) >= top_k:
                break
        return list(best.items())

    @staticmethod
    def _best_first(fused: np.ndarray, needed: int) -> np.ndarray:
        """Positions of (at least) the ``needed`` highest scores, best first, ties in position order.

        ``rank_articles`` never reads further: an article has at most ``_max_variants`` variants, so the
        best ``(top_k + len(exclude)) * _max_variants`` variants hold the ``top_k`` best articles. A
        partial sort costs 0.02 ms at 10,000 variants where sorting them all costs 0.7 ms.
        """
        if needed >= len(fused):
            return np.argsort(-fused, kind="stable")
        kth = fused[np.argpartition(-fused, needed - 1)[needed - 1]]
        head = np.flatnonzero(fused >= kth)  # all ties of the last one too, so the order is the full sort's
        return head[np.argsort(-fused[head], kind="stable")]

    def _candidates(self, qvec: np.ndarray, raw: np.ndarray, code_ids: list[np.ndarray]) -> np.ndarray:
        """HNSW neighbours ∪ best lexical matches ∪ error-code matches (approximate path only)."""
        n = len(self.index.docs)
        _, ann = self.index.faiss_index.search(qvec[None, :], min(ANN_CANDIDATES, n))
        parts = [ann[0][ann[0] >= 0]]
        nonzero = np.flatnonzero(raw > 0)
        if len(nonzero) > LEXICAL_CANDIDATES:
            nonzero = nonzero[np.argpartition(-raw[nonzero], LEXICAL_CANDIDATES)[:LEXICAL_CANDIDATES]]
        parts.append(nonzero)
        parts.extend(ids[:LEXICAL_CANDIDATES] for ids in code_ids)
        return np.unique(np.concatenate(parts).astype(np.int64))

    def _section(self, matched: dict, chosen: dict) -> dict | None:
        """The section of ``chosen`` (the variant shown) that corresponds to the ``matched`` passage:
        the same section when both are one variant or when the variants have the same sections."""
        position = matched.get("section", -1)
        sections = chosen.get("sections") or []
        if position < 0 or position >= len(sections):
            return None
        if matched["lang"] == chosen["lang"] or len(self.article(matched["id"], matched["lang"]).get("sections") or []) == len(sections):
            return sections[position]
        return None

    def _hit(self, article_id: str, lang: str | None, doc_index: int, score: float, dense: float, lexical: float,
             code_match: bool) -> Hit:
        variants = self._variants[article_id]
        doc = self.article(article_id, lang)
        section = self._section(self.index.docs[doc_index], doc) or {}
        steps = tuple(doc["steps"]) or tuple(section.get("steps") or ())
        return Hit(
            article_id=article_id,
            lang=doc["lang"],
            score=round(score, 4),
            dense=round(dense, 4),
            lexical=round(lexical, 4),
            title=doc["title"],
            summary=doc["summary"],
            category=doc["category"],
            steps=steps,
            fallback_language=bool(lang) and doc["lang"] != lang,
            available_languages=tuple(sorted(variants)),
            code_match=code_match,
            technical_steps=tuple(doc.get("technical_steps") or ()),
            section=section.get("title", ""),
            section_text=section.get("text", ""),
            section_steps=tuple(section.get("steps") or ()),
        )
