"""The "no good answer" decision, learned per index from off-topic questions instead of tuned on in-scope ones.

``kb_index/calibration/offtopic.<lang>.txt`` hold generic questions no helpdesk KB answers (HR,
facilities, travel, chit-chat, and IT-adjacent requests), one per line, in every supported language.
They were written apart from every evaluation set. At the end of each build they are searched against
the new index with the product's ranking; the threshold of each question language is the median
best score of that language's questions plus the ``QUANTILE`` of every question's best score above its
language's median, plus ``MARGIN`` (:func:`thresholds_per_language`): a question must score like the
top few percent of off-topic questions on THIS index before an article is offered. The same questions give each passage its "generality" (the mean cosine of
its closest off-topic questions), which the ranking subtracts from the cosine: a passage that is
close to everything ranks lower and cannot carry an off-topic question over the threshold. A KB of prose in one language, where every score is lower, gets a lower
threshold; a KB whose articles attract everything gets a higher one. ``QUANTILE`` and ``MARGIN``
were chosen on the development set (``make eval-kb``, docs/kb.md), never on the sealed one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from kb_index.search import FALLBACK_THRESHOLD, KbSearcher

CALIBRATION_DIR = Path(__file__).resolve().parent / "calibration"
QUANTILE = 0.95
MARGIN = 0.0
GENERALITY_K = 20  # a passage's generality: mean cosine of its GENERALITY_K closest off-topic questions


def calibration_sets(folder: Path = CALIBRATION_DIR) -> dict[str, list[str]]:
    """The off-topic calibration questions per language (``offtopic.<lang>.txt``)."""
    out: dict[str, list[str]] = {}
    for path in sorted(Path(folder).glob("offtopic.*.txt")):
        out[path.name.split(".")[1]] = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                                        if line.strip() and not line.lstrip().startswith("#")]
    return out


def calibration_questions(folder: Path = CALIBRATION_DIR) -> list[str]:
    """Every off-topic calibration question, all languages together."""
    return [q for questions in calibration_sets(folder).values() for q in questions]


def top_scores(searcher, questions: Sequence[str], weights=None, qvecs: np.ndarray | None = None) -> np.ndarray:
    """The best article confidence of each question (``-inf`` for none, :meth:`KbSearcher.confidences`);
    ``qvecs``: their embeddings."""
    if not questions or not searcher.index.docs:
        return np.zeros(0, dtype=np.float32)
    qvecs = searcher.embedder.encode(list(questions)) if qvecs is None else qvecs
    out = np.full(len(questions), -np.inf, dtype=np.float32)
    for i, question in enumerate(questions):
        signals = searcher.signals(question, np.asarray(qvecs[i], dtype=np.float32))
        if len(signals.ids):
            out[i] = searcher.best_confidence(signals, searcher.fuse(signals, weights), weights)
    return out


def threshold_from(scores: np.ndarray, quantile: float = QUANTILE, margin: float = MARGIN) -> float:
    finite = scores[np.isfinite(scores)]
    if not len(finite):
        return FALLBACK_THRESHOLD
    return float(np.quantile(finite, quantile)) + margin


def thresholds_per_language(scores: dict[str, np.ndarray], quantile: float = QUANTILE,
                            margin: float = MARGIN) -> dict[str, float]:
    """The threshold of each question language: that language's median calibration score plus the
    ``quantile`` of all languages' scores, each taken from its own language's median (+ ``margin``).

    The languages' scores differ in level (a question in another language than the articles scores
    lower), hardly in spread; the level is the language's own, the tail is learned from every
    question at once, which is steadier than the few top scores of one language."""
    finite = {lang: s[np.isfinite(s)] for lang, s in scores.items()}
    finite = {lang: s for lang, s in finite.items() if len(s)}
    if not finite:
        return {lang: FALLBACK_THRESHOLD for lang in scores}
    medians = {lang: float(np.median(s)) for lang, s in finite.items()}
    tail = float(np.quantile(np.concatenate([s - medians[lang] for lang, s in finite.items()]), quantile))
    return {lang: medians[lang] + tail + margin if lang in medians else FALLBACK_THRESHOLD for lang in scores}


def generality(vectors: np.ndarray, question_vectors: np.ndarray, k: int = GENERALITY_K,
               chunk: int = 8192) -> np.ndarray:
    """Per passage, the mean cosine of its ``k`` closest off-topic questions: how much a passage
    attracts questions it does not answer (a "hub"). The ranking subtracts it from the cosine."""
    out = np.zeros(len(vectors), dtype=np.float32)
    if not len(question_vectors):
        return out
    k = min(k, len(question_vectors))
    for start in range(0, len(vectors), chunk):
        sims = vectors[start:start + chunk] @ question_vectors.T
        out[start:start + chunk] = np.sort(np.partition(sims, -k, axis=1)[:, -k:], axis=1).mean(axis=1)
    return out


def questions_checksum(encoder: str, questions: dict[str, Sequence[str]]) -> str:
    import hashlib

    return hashlib.sha256("\n".join([encoder] + [f"{lang}\t{q}" for lang, qs in questions.items()
                                                   for q in qs]).encode("utf-8")).hexdigest()


def learn_threshold(index, embedder, questions: dict[str, Sequence[str]], weights=None,
                    quantile: float = QUANTILE, margin: float = MARGIN,
                    question_vectors: np.ndarray | None = None) -> dict:
    """What the build stores in its manifest: the threshold of each question language (a query in
    another language than the articles scores lower, off-topic or not), one over all languages
    for a query of unknown language, and how they were learned. Sets ``index.generality`` first
    (:func:`generality`), so the scores are the product's. ``question_vectors``: the questions'
    embeddings when already known (a rebuild reuses those of the previous build)."""
    questions = {lang: list(qs) for lang, qs in questions.items() if qs}
    if not questions or not index.docs:
        index.generality = np.zeros(len(index.docs), dtype=np.float32)
        return {"threshold": FALLBACK_THRESHOLD, "thresholds": {}, "questions": 0, "rule": "fallback"}
    everything_q = [q for qs in questions.values() for q in qs]
    qvecs = np.asarray(embedder.encode(everything_q) if question_vectors is None else question_vectors,
                       dtype=np.float32)
    index.question_vectors = qvecs
    index.generality = generality(np.asarray(index.vectors, dtype=np.float32), qvecs)
    searcher = KbSearcher(index, embedder)
    scores, start = {}, 0
    for lang, qs in questions.items():
        scores[lang] = top_scores(searcher, qs, weights, qvecs[start:start + len(qs)])
        start += len(qs)
    everything = np.concatenate(list(scores.values()))
    return {"threshold": round(threshold_from(everything, quantile, margin), 4),
            "thresholds": {lang: round(t, 4) for lang, t in thresholds_per_language(scores, quantile, margin).items()},
            "questions": len(everything),
            "rule": f"per question language: its median off-topic calibration score + the quantile {quantile} "
                    f"of all languages' scores from their medians + {margin}",
            "offtopic_max": round(float(everything.max()), 4), "offtopic_median": round(float(np.median(everything)), 4)}
