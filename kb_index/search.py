"""Hybrid KB search: dense cosine similarity first, BM25 and an exact error-code match as a bonus only
where they exist, grouped per article.

Every passage (whole article, section, part of a long section) of every language variant is indexed,
so a query in any language finds the article through whichever passage is closest; the hit is then
returned in the requested language when that variant exists, else in the language the caller names as
fallback, else the best available one (``fallback_language`` tells so). The hit names the section that
matched (``section``, ``section_text``) and carries the article's ``technical_steps``.

Score of a passage (the article takes its best passage)::

    score = dense_weight * (cosine - generality_weight * generality) + lexical_weight * bm25 / (bm25 + saturation)
            + code_boost * [shared error code] + title_weight * cosine(query, the passage's heading)

where a passage's generality, computed at build time, is how close it comes to off-topic questions
(:mod:`kb_index.rejection`), minus its mean over the index: the per-index normalisation of the dense score.

A query in another language than the article shares no words with it and gets no lexical bonus, so
the dense score alone decides there. An article is offered when its confidence reaches the "no good
answer" threshold::

    confidence = score + margin_weight * (score - best score of any other article, when positive)
                 + sentence_weight * best cosine(query, one sentence of the article)

(a question an article answers usually stands out from the other articles and matches one of its
sentences closely; an IT question the KB does not cover is about as close to several articles and
matches none of their sentences). The threshold is learned per index at build time from off-topic
questions (:mod:`kb_index.rejection`); ``min_score`` overrides it. Small KBs are
scored exhaustively (exact); above ``kb.hnsw_threshold`` the candidates are the HNSW neighbours plus
the best lexical matches, then scored exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from kb_index.embedders.base import Embedder
from kb_index.lexical import Bm25, error_codes, is_error_code, tokenize

MAX_QUERY_CHARS = 2000
FALLBACK_THRESHOLD = 0.43  # for an index built before thresholds were learned (kb_index/rejection.py)
# The exact matrix-vector product runs with one BLAS thread: on two shared cores OpenBLAS's own
# threads made it 8x slower (14 ms instead of 1.8 ms at 10,000 variants; at 1,000 variants a search
# took p50 8 ms instead of 2 while a Rasa training kept one core busy). The limit costs 0.01 ms.
ANN_CANDIDATES = 200
CONFIDENCE_SPARE = 3  # articles ranked beyond top_k, offered when a better-ranked one lacks confidence
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
    title: float = 0.2           # times the cosine with the passage's heading (kb_index/evidence.py)
    margin: float = 0.0          # confidence: times the lead of the best article over the next one
    sentence: float = 0.35       # confidence: times the best cosine with one sentence of the article


DEFAULT_WEIGHTS = RankingWeights()


@dataclass(frozen=True)
class Signals:
    """Per candidate variant: its document index, cosine similarity, raw BM25, error-code match and
    cosine with its heading; and the query's embedding."""

    ids: np.ndarray
    dense: np.ndarray
    bm25: np.ndarray
    code: np.ndarray
    title: np.ndarray | None = None
    query: np.ndarray | None = None


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
    confidence: float = 0.0                 # what the "no good answer" threshold was applied to


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
        numbers: dict[str, int] = {}
        self._article_of = np.array([numbers.setdefault(doc["id"], len(numbers)) for doc in index.docs], dtype=np.int64)
        self._load_evidence(getattr(index, "evidence", None))
        self._category_ids: dict[str, int] = {}
        self._category_of = np.array([self._category_ids.setdefault(doc["category"], len(self._category_ids))
                                      for doc in index.docs], dtype=np.int32)
        self._blas_limit = None
        if not self._approximate:
            from threadpoolctl import ThreadpoolController

            self._blas_limit = ThreadpoolController().limit

    def _load_evidence(self, evidence) -> None:
        """Headings as one matrix (one row per distinct heading), the headings each passage is compared
        with, and the sentence rows per article.

        A section's passages are compared with the section's heading; the other passages with the
        article's title in every language it is written in (the mean cosine: a title in one language
        can resemble the question by its words only, the translations keep the meaning)."""
        n = len(self.index.docs)
        self._heading_group = np.full(n, -1, dtype=np.int64)
        self._group_members = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.ones(0, np.float32))
        self._headings = np.zeros((0, self.index.vectors.shape[1] if len(self.index.vectors) else 1), np.float32)
        self._evidence = None
        self._sentence_rows: dict[str, np.ndarray] = {}
        if evidence is None or not len(evidence.rows):
            return
        self._evidence = np.asarray(evidence.vectors, dtype=np.float32)
        rows = np.array([doc.get("heading_row", -1) for doc in self.index.docs], dtype=np.int64)
        distinct, positions = np.unique(rows[rows >= 0], return_inverse=True)
        heading_of = np.full(n, -1, dtype=np.int64)
        heading_of[rows >= 0] = positions
        self._headings = np.ascontiguousarray(self._evidence[distinct])
        groups: dict[tuple, set[int]] = {}
        numbers: dict[tuple, int] = {}
        for i, doc in enumerate(self.index.docs):
            if heading_of[i] < 0:
                continue
            section = int(doc.get("section", -1))
            key = (doc["id"], -1) if section < 0 else (doc["id"], section, doc["lang"])
            groups.setdefault(key, set()).add(int(heading_of[i]))
            self._heading_group[i] = numbers.setdefault(key, len(numbers))
        group_ids = [g for g, members in enumerate(groups.values()) for _ in members]
        member_ids = [m for members in groups.values() for m in sorted(members)]
        counts = np.array([len(members) for members in groups.values()], dtype=np.float32)
        self._group_members = (np.asarray(group_ids, np.int64), np.asarray(member_ids, np.int64), counts)
        sentences: dict[str, list[int]] = {}
        for i, row in enumerate(evidence.rows):
            if row["kind"] == "sentence":
                sentences.setdefault(row["id"], []).append(i)
        self._sentence_rows = {a: np.asarray(r, dtype=np.int64) for a, r in sentences.items()}

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
            ranking = fused + self.weights.category_boost * same
        ranked = self.rank_articles(signals, ranking, top_k + CONFIDENCE_SPARE, exclude=exclude)
        confidence = self.confidences(signals, fused, [j for _, j in ranked])
        best = [(a, j, float(c)) for (a, j), c in zip(ranked, confidence) if c >= min_score][:top_k]
        lexical = self._lexical(signals)
        return [replace(self._hit(a, lang, int(signals.ids[j]), float(fused[j]), float(signals.dense[j]),
                                  float(lexical[j]), bool(signals.code[j])), confidence=round(c, 4))
                for a, j, c in best]

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
        title = np.zeros(len(ids), dtype=np.float32)
        if len(self._headings):
            group_ids, member_ids, counts = self._group_members
            per_group = np.bincount(group_ids, weights=(self._headings @ qvec)[member_ids], minlength=len(counts)) / counts
            group = self._heading_group[ids]
            title[group >= 0] = per_group[group[group >= 0]]
        return Signals(ids, dense.astype(np.float32), np.clip(raw[ids], 0, None), code[ids], title, qvec)

    def _lexical(self, signals: Signals, weights: RankingWeights | None = None) -> np.ndarray:
        w = weights or self.weights
        return signals.bm25 / (signals.bm25 + w.bm25_saturation)

    def fuse(self, signals: Signals, weights: RankingWeights | None = None) -> np.ndarray:
        """The fused score of every candidate variant (see the module docstring)."""
        w = weights or self.weights
        dense = signals.dense - w.generality * self._generality[signals.ids] if w.generality else signals.dense
        fused = w.dense * dense + w.lexical * self._lexical(signals, w) + w.code_boost * signals.code
        if w.title and signals.title is not None:
            fused = fused + w.title * signals.title
        return fused

    def confidences(self, signals: Signals, fused: np.ndarray, positions: list[int],
                    weights: RankingWeights | None = None) -> np.ndarray:
        """The confidence (module docstring) of the articles whose best variants are at ``positions``."""
        w = weights or self.weights
        if not len(positions):
            return np.zeros(0, dtype=np.float32)
        articles = self._article_of[signals.ids]
        best = int(np.argmax(fused))
        others = fused[articles != articles[best]]
        lead = float(fused[best] - (others.max() if len(others) else fused[best]))
        out = np.array([float(fused[j]) for j in positions], dtype=np.float32)
        if w.margin:
            out += np.array([w.margin * lead if articles[j] == articles[best] else 0.0 for j in positions], np.float32)
        if w.sentence and self._evidence is not None and signals.query is not None:
            for n, j in enumerate(positions):
                rows = self._sentence_rows.get(self.index.docs[signals.ids[j]]["id"])
                if rows is not None and len(rows):
                    out[n] += w.sentence * float((self._evidence[rows] @ signals.query).max())
        return out

    def best_confidence(self, signals: Signals, fused: np.ndarray, weights: RankingWeights | None = None,
                        depth: int = 3) -> float:
        """The highest confidence among the ``depth`` best articles (``-inf`` when there is none)."""
        ranked = self.rank_articles(signals, fused, depth)
        if not ranked:
            return float("-inf")
        return float(self.confidences(signals, fused, [j for _, j in ranked], weights).max())

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
