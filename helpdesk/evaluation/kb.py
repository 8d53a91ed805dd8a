"""KB retrieval evaluation: ``make eval-kb`` (``python -m helpdesk.evaluation.kb``).

Two sets, each a KB folder and a question file (``{"id", "lang", "query", "expected": [article ids],
"tags"}``; ``expected`` empty for an off-topic question):

- ``dev``: the shipped KB (``kb/articles``) and ``eval/kb/queries.jsonl``: the development set, the only
  one used to choose the ranking and the rejection rule; also run on its English-only part
  (cross-lingual), on ``dev-prose``, the default-language articles rewritten as plain prose without
  front matter, tags or numbered steps, and on ``dev-guides``, the same merged per category into
  long guides with one section per article (stand-ins for a customer KB, derived from the dev set);
- ``dev-customer``: ``eval/kb_customer_dev``, a second development KB in a customer's style (other
  products, prose, FAQ, HTML, long guides, some articles only in Dutch or French) with questions in every
  language and IT-adjacent off-topic questions the KB does not answer; written apart from the sealed set;
- ``external``: ``eval/kb_external`` (sealed): a customer-style KB written apart, never used to tune.

For each set, a throw-away index is built with the configured encoder (the import and the learned
threshold exactly as ``helpdesk kb build`` does them) and printed per question language:
R@1, R@3 and MRR (with the "no good answer" rule applied: a rejected question is a miss), the
questions with no hit, and the off-topic rejection rate, for the dense encoder alone, BM25 alone and
the product's ranking. Each method gets its own threshold, learned the product's way from the
off-topic calibration questions (:mod:`kb_index.rejection`). ``--explore`` (dev sets only) prints
the alternatives the product's choice was made from.
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
from kb_index.embedders import get_embedder
from kb_index.importer import import_kb
from kb_index.index import build_index, load_index
from kb_index.rejection import (MARGIN, QUANTILE, calibration_questions, calibration_sets, threshold_from,
                                thresholds_per_language)
from kb_index.search import DEFAULT_WEIGHTS, KbSearcher, RankingWeights, Signals

DEFAULT_QUERIES = PROJECT_ROOT / "eval" / "kb" / "queries.jsonl"
EXTERNAL = PROJECT_ROOT / "eval" / "kb_external"
CUSTOMER_DEV = PROJECT_ROOT / "eval" / "kb_customer_dev"


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
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        queries.append(Query(str(item["id"]), item["lang"], item["query"], tuple(item.get("expected") or ()),
                             tuple(item.get("tags") or ())))
    return queries


@dataclass
class Prepared:
    """One encoder on one KB: the searcher, the signals of every question and of every off-topic
    calibration question (computed once)."""

    encoder: str
    searcher: KbSearcher
    queries: list[Query]
    signals: list[Signals]
    calibration: list[Signals]
    calibration_langs: list[str]
    build_seconds: float
    skipped: int = 0


def _signals(searcher: KbSearcher, texts: list[str]) -> list[Signals]:
    vecs = searcher.embedder.encode(texts) if texts else []
    return [searcher.signals(t, np.asarray(vecs[i], dtype=np.float32)) for i, t in enumerate(texts)]


def prepare(encoder: str, queries: list[Query], kb_dir: Path, kb_langs: tuple[str, ...] | None = None,
            languages: list[str] | None = None) -> Prepared:
    embedder = get_embedder(encoder)
    result = import_kb(kb_dir, languages)
    articles = [a for a in result.articles if not kb_langs or a.lang in kb_langs]
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        start = time.perf_counter()
        build_index(articles, embedder, Path(tmp))
        seconds = time.perf_counter() - start
        searcher = KbSearcher(load_index(Path(tmp), embedder.name), embedder)
    sets = calibration_sets()
    return Prepared(encoder, searcher, queries, _signals(searcher, [q.text for q in queries]),
                    _signals(searcher, [q for qs in sets.values() for q in qs]),
                    [lang for lang, qs in sets.items() for _ in qs], seconds, len(result.skipped))


def prose_kb(kb_dir: Path, target: Path, lang: str, languages: list[str] | None = None) -> Path:
    """The ``lang`` articles of ``kb_dir`` rewritten as a customer would: ``# title`` then plain prose
    paragraphs (the steps as sentences), no front matter, no tags, no summary, no numbered list."""
    target.mkdir(parents=True, exist_ok=True)
    for a in import_kb(kb_dir, languages).articles:
        if a.lang != lang:
            continue
        sentences = [s if s.endswith((".", "!", "?")) else s + "." for s in a.steps]
        half = max(1, len(sentences) // 2)
        body = "\n\n".join(p for p in (a.intro, " ".join(sentences[:half]), " ".join(sentences[half:])) if p)
        (target / f"{a.id}.md").write_text(f"# {a.title}\n\n{body}\n", encoding="utf-8")
    return target


def guides_kb(kb_dir: Path, target: Path, lang: str, languages: list[str] | None = None) -> tuple[Path, dict[str, str]]:
    """The ``lang`` articles of ``kb_dir`` merged per category into long guides, one ``## section``
    per article (its title, then its text as prose), no front matter; and the map article id -> the
    id of the file that now holds it (to re-target the questions)."""
    target.mkdir(parents=True, exist_ok=True)
    by_category: dict[str, list] = {}
    for a in import_kb(kb_dir, languages).articles:
        if a.lang == lang:
            by_category.setdefault(a.category, []).append(a)
    moved = {}
    for category, articles in by_category.items():
        def prose(a) -> str:
            return " ".join([a.intro] + [s if s.endswith((".", "!", "?")) else s + "." for s in a.steps]).strip()
        if len(articles) == 1:
            a = articles[0]
            (target / f"{a.id}.md").write_text(f"# {a.title}\n\n{prose(a)}\n", encoding="utf-8")
            moved[a.id] = a.id
            continue
        guide = f"{category}-guide"
        parts = [f"# {category.replace('_', ' ').capitalize()}: {len(articles)} topics\n"]
        parts += [f"## {a.title}\n\n{prose(a)}\n" for a in articles]
        (target / f"{guide}.md").write_text("\n".join(parts), encoding="utf-8")
        moved.update({a.id: guide for a in articles})
    return target, moved


def retarget(queries: list[Query], moved: dict[str, str]) -> list[Query]:
    return [replace(q, expected=tuple(dict.fromkeys(moved.get(e, e) for e in q.expected))) for q in queries]


METHODS = {  # the backends alone: plain cosine, plain BM25
    "dense": RankingWeights(dense=1.0, lexical=0.0, code_boost=0.0, generality=0.0, title=0.0, margin=0.0, sentence=0.0),
    "bm25": RankingWeights(dense=0.0, lexical=1.0, code_boost=0.0, generality=0.0, title=0.0, margin=0.0, sentence=0.0),
}


def rankings(p: Prepared, weights: RankingWeights, depth: int = 10) -> list[tuple[list[str], float]]:
    """Per question: the ranked article ids and the best confidence (what the threshold applies to)."""
    out = []
    for s in p.signals:
        fused = p.searcher.fuse(s, weights)
        ranked = p.searcher.rank_articles(s, fused, depth)
        out.append(([a for a, _ in ranked], p.searcher.best_confidence(s, fused, weights)))
    return out


PER_LANGUAGE = True  # one threshold per question language (else one for all)


def learned_threshold(p: Prepared, weights: RankingWeights, quantile: float = QUANTILE, margin: float = MARGIN,
                      per_language: bool | None = None) -> dict[str, float]:
    """The thresholds the product's rule learns for ``weights`` on this index: per question language,
    and under ``"all"`` the one over all languages."""
    tops = np.array([p.searcher.best_confidence(s, p.searcher.fuse(s, weights), weights) for s in p.calibration])
    langs = np.array(p.calibration_langs)
    out = {"all": threshold_from(tops, quantile, margin)}
    if PER_LANGUAGE if per_language is None else per_language:
        out.update(thresholds_per_language({lang: tops[langs == lang] for lang in dict.fromkeys(p.calibration_langs)},
                                           quantile, margin))
    return out


def _threshold(min_score, lang: str) -> float | None:
    if isinstance(min_score, dict):
        return min_score.get(lang, min_score.get("all"))
    return min_score


def metrics(queries: list[Query], ranked: list[tuple[list[str], float]], min_score: float | None = None) -> dict:
    """R@1, R@3, MRR over the in-scope questions (a question under ``min_score`` has no hit: a miss),
    the number with no hit, the off-topic rejection rate, and R@1 / R@3 without the threshold."""
    rr, r1, r3, raw1, raw3 = [], [], [], [], []
    rejected = off = no_hit = accepted = accepted_correct = inscope = 0
    for q, (ids, top) in zip(queries, ranked):
        threshold = _threshold(min_score, q.lang)
        shown = ids if threshold is None or top >= threshold else []
        if q.off_topic:
            off += 1
            rejected += not shown
            continue
        inscope += 1
        no_hit += not shown
        raw = next((i for i, a in enumerate(ids, 1) if a in q.expected), None)
        raw1.append(raw == 1)
        raw3.append(raw is not None and raw <= 3)
        rank = raw if shown else None
        rr.append(1 / rank if rank else 0.0)
        r1.append(rank == 1)
        r3.append(rank is not None and rank <= 3)
        if shown:
            accepted += 1
            accepted_correct += rank == 1
    return {"n": inscope, "r1": float(np.mean(r1)) if r1 else 0.0, "r3": float(np.mean(r3)) if r3 else 0.0,
            "mrr": float(np.mean(rr)) if rr else 0.0, "no_hit": no_hit,
            "r1_unfiltered": float(np.mean(raw1)) if raw1 else 0.0, "r3_unfiltered": float(np.mean(raw3)) if raw3 else 0.0, "off_topic": off,
            "rejection": rejected / off if off else 1.0, "acceptance": accepted / inscope if inscope else 1.0,
            "accepted_correct": accepted_correct / inscope if inscope else 1.0}


def by_language(queries: list[Query], ranked, min_score=None, languages: list[str] | None = None) -> dict[str, dict]:
    languages = languages or sorted({q.lang for q in queries})
    out = {}
    for lang in list(languages) + ["all"]:
        keep = [i for i, q in enumerate(queries) if lang == "all" or q.lang == lang]
        if keep:
            out[lang] = metrics([queries[i] for i in keep], [ranked[i] for i in keep], min_score)
    return out


def evaluate(p: Prepared, methods: dict[str, RankingWeights], languages: list[str], quantile: float = QUANTILE,
             margin: float = MARGIN, per_language: bool | None = None) -> dict[str, dict]:
    """Per method: its learned thresholds and the figures per language."""
    out = {}
    for name, weights in methods.items():
        threshold = learned_threshold(p, weights, quantile, margin, per_language)
        out[name] = {"threshold": threshold,
                     "langs": by_language(p.queries, rankings(p, weights), threshold, languages)}
    return out


def print_table(title: str, rows: dict[str, dict], out=sys.stdout) -> None:
    print(f"\n{title}", file=out)
    print(f"  {'method':<8} {'lang':<4} {'n':>4}  {'R@1':>5} {'R@3':>5} {'MRR':>5} {'no hit':>6}  "
          f"{'off-topic rejected':>18}  threshold   (without the rule: R@1 R@3)", file=out)
    for method, row in rows.items():
        for lang, m in row["langs"].items():
            print(f"  {method:<8} {lang:<4} {m['n']:>4}  {m['r1']:.3f} {m['r3']:.3f} {m['mrr']:.3f} {m['no_hit']:>6}  "
                  f"{m['rejection']:>10.3f} of {m['off_topic']:>3}  {_threshold(row['threshold'], lang):>9.3f}   "
                  f"{m['r1_unfiltered']:>19.3f} {m['r3_unfiltered']:.3f}", file=out)


def print_misses(p: Prepared, weights: RankingWeights, threshold: float, out=sys.stdout) -> None:
    for q, (ids, top) in zip(p.queries, rankings(p, weights)):
        shown = ids if top >= _threshold(threshold, q.lang) else []
        if (q.off_topic and shown) or (not q.off_topic and (not shown or shown[0] not in q.expected)):
            print(f"    {q.id} {q.text!r} -> {shown[:3] or 'no hit'} (top {top:.3f}; expected {list(q.expected) or 'none'})",
                  file=out)


EXPLORE_WEIGHTS = {
    "dense-g": replace(DEFAULT_WEIGHTS, lexical=0.0, code_boost=0.0),
    "lex.25": replace(DEFAULT_WEIGHTS, lexical=0.25),
    "lex.5": replace(DEFAULT_WEIGHTS, lexical=0.5),
    "lex.25-g0": replace(DEFAULT_WEIGHTS, lexical=0.25, generality=0.0),
    "lex.5-g0": replace(DEFAULT_WEIGHTS, lexical=0.5, generality=0.0),
    "lex.25-g.5": replace(DEFAULT_WEIGHTS, lexical=0.25, generality=0.5),
    "no-title": replace(DEFAULT_WEIGHTS, title=0.0),
    "no-sent": replace(DEFAULT_WEIGHTS, sentence=0.0),
    "no-t-s": replace(DEFAULT_WEIGHTS, title=0.0, sentence=0.0),
    "margin.5": replace(DEFAULT_WEIGHTS, margin=0.5),
    "sent.5": replace(DEFAULT_WEIGHTS, sentence=0.5),
}
EXPLORE_QUANTILES = (0.9, 0.95, 0.975, 1.0)


def explore(p: Prepared, languages: list[str], out=sys.stdout) -> None:
    """Dev only: worst-language R@1 / R@3, no-hit and rejection for each alternative, with one
    threshold per question language and with one for all."""
    print("  alternatives (worst language R@1, worst R@3, no hit, worst off-topic rejection):", file=out)
    for (name, w), per_language in itertools.product({**METHODS, **EXPLORE_WEIGHTS}.items(), (True, False)):
        cells = []
        for q in EXPLORE_QUANTILES:
            rows = evaluate(p, {name: w}, languages, q, per_language=per_language)[name]["langs"]
            langs = [lang for lang in rows if lang != "all"]
            cells.append(f"q{q}: {min(rows[l]['r1'] for l in langs):.3f}/{min(rows[l]['r3'] for l in langs):.3f}/"
                         f"{rows['all']['no_hit']}/{min(rows[l]['rejection'] for l in langs):.2f}")
        print(f"    {name:<10} {'per-lang' if per_language else 'one    '} " + "  ".join(cells), file=out)


def _guides(encoder: str, queries: list[Query], kb_dir: Path, target: Path, lang: str,
            languages: list[str]) -> Prepared:
    folder, moved = guides_kb(kb_dir, target, lang, languages)
    return prepare(encoder, retarget(queries, moved), folder, languages=languages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpdesk.evaluation.kb", description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", help="encoder name (default: kb.encoder)")
    parser.add_argument("--set", action="append", choices=("dev", "dev-en", "dev-prose", "dev-guides", "dev-customer", "external"),
                        help="which sets (repeatable; default: all)")
    parser.add_argument("--explore", action="store_true", help="print the alternatives on the dev sets")
    parser.add_argument("--misses", action="store_true", help="list the product's misses (dev sets only)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    settings = load_settings()
    encoder = args.encoder or settings.kb.encoder
    languages = list(settings.languages)
    kb_dir = settings.path(settings.kb.articles_dir)
    dev_queries = load_queries(DEFAULT_QUERIES)
    sets = args.set or ["dev", "dev-en", "dev-prose", "dev-guides", "dev-customer", "external"]
    methods = {**METHODS, "product": DEFAULT_WEIGHTS}
    print(f"encoder {encoder}; product ranking {DEFAULT_WEIGHTS}; no-answer threshold: quantile {QUANTILE} "
          f"of the off-topic calibration scores on each index (+{MARGIN}); "
          f"{len(calibration_questions())} calibration questions")
    results = {}
    with tempfile.TemporaryDirectory(prefix="kb-eval-prose-") as tmp:
        runs = {
            "dev": lambda: prepare(encoder, dev_queries, kb_dir, languages=languages),
            "dev-en": lambda: prepare(encoder, dev_queries, kb_dir, (settings.default_language,), languages),
            "dev-prose": lambda: prepare(encoder, dev_queries,
                                         prose_kb(kb_dir, Path(tmp) / "prose", settings.default_language, languages),
                                         languages=languages),
            "dev-guides": lambda: _guides(encoder, dev_queries, kb_dir, Path(tmp) / "guides",
                                          settings.default_language, languages),
            "dev-customer": lambda: prepare(encoder, load_queries(CUSTOMER_DEV / "queries.jsonl"),
                                            CUSTOMER_DEV / "articles", languages=languages),
            "external": lambda: prepare(encoder, load_queries(EXTERNAL / "queries.jsonl"), EXTERNAL / "articles",
                                        languages=languages),
        }
        titles = {"dev": "DEV: shipped KB, all languages (eval/kb/queries.jsonl)",
                  "dev-en": f"DEV: shipped KB, only its '{settings.default_language}' variants (cross-lingual)",
                  "dev-prose": f"DEV: shipped '{settings.default_language}' articles rewritten as prose "
                               "(no front matter, tags, summary or steps)",
                  "dev-guides": f"DEV: shipped '{settings.default_language}' articles merged per category into "
                                "long guides, one section per article (questions re-targeted to the guide)",
                  "dev-customer": "DEV: eval/kb_customer_dev (a second KB in a customer's style; IT-adjacent off-topic questions)",
                  "external": "SEALED: eval/kb_external (customer-style KB written apart; never used to tune)"}
        for name in sets:
            p = runs[name]()
            rows = evaluate(p, methods, languages)
            results[name] = rows
            print_table(f"{titles[name]}: {len(p.searcher.index.docs)} passages, {p.skipped} files skipped, "
                        f"index built in {p.build_seconds:.2f} s", rows)
            if args.explore and name != "external":
                explore(p, languages)
            if args.misses and name != "external":
                print("  product misses:")
                print_misses(p, DEFAULT_WEIGHTS, rows["product"]["threshold"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
