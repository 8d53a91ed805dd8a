"""KB benchmark: ``make bench-kb`` (``python -m helpdesk.evaluation.kb_bench``). Figures, not pass/fail.

1. Build: the shipped KB indexed from scratch with the configured encoder (variants per second;
   the encoder is loaded and warmed up first, its load time is printed apart), plus a build of
   ``--build-docs`` synthetic articles (title, summary, tags and intro of different shipped
   articles recombined, so their embedding texts are as long as real ones).
2. Search on the shipped KB: single-query latency p50/p95 (query embedding included) and queries
   per second, one thread; the eval queries are cycled.
3. Scale: synthetic KBs of ``--sizes`` variants (default 1,000, 10,000 and 100,000). Their vectors
   are shipped-article vectors plus noise (embedding 100,000 texts would take minutes and measures
   nothing new) and their texts recombine real words; indexes above ``kb.hnsw_threshold`` are HNSW.
   Latency includes the real query embedding, BM25 and fusion. Peak memory (max RSS) after each.
4. HTTP: POST /api/kb/search through the FastAPI app in-process (Starlette TestClient), p50/p95.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from core.settings import load_settings
from kb_index.articles import Article
from kb_index.importer import load_articles
from kb_index.embedders import get_embedder
from helpdesk.evaluation.kb import DEFAULT_QUERIES, load_queries
from kb_index.index import LoadedIndex, build_index, faiss_index_for, load_index
from kb_index.search import KbSearcher


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def time_searches(searcher: KbSearcher, queries: list[str], n: int, min_score: float) -> dict:
    for q in queries[:5]:  # warm-up
        searcher.search(q, top_k=3, min_score=min_score)
    samples = []
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        searcher.search(queries[i % len(queries)], top_k=3, min_score=min_score)
        samples.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - start
    p50, p95 = percentiles(samples)
    return {"n": n, "p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "qps": round(n / total, 1)}


def synthetic_articles(articles: list[Article], n: int, seed: int = 1) -> list[Article]:
    """``n`` articles whose title, summary, tags and intro come from four different shipped ones."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, b, c, d = rng.sample(articles, 4)
        out.append(replace(a, id=f"syn{i}", summary=b.summary, tags=c.tags, intro=d.intro,
                           checksum=hashlib.sha256(f"syn{i}".encode()).hexdigest()))
    return out


def synthetic_index(base: LoadedIndex, size: int, hnsw_threshold: int, seed: int = 3) -> tuple[LoadedIndex, float]:
    """``size`` variants: real vectors plus noise, docs with recombined real words."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(base.docs), size)
    vectors = base.vectors[picks] + rng.normal(0, 0.03, (size, base.vectors.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    words = [w for d in base.docs for w in (d["title"] + " " + d["summary"]).split()]
    docs = []
    for i, p in enumerate(picks):
        src = base.docs[p]
        body = " ".join(words[j] for j in rng.integers(0, len(words), 25))
        docs.append({"id": f"syn{i // 3}", "lang": src["lang"], "title": src["title"], "summary": src["summary"],
                     "tags": src["tags"], "body": body, "steps": src["steps"], "category": src["category"]})
    start = time.perf_counter()
    index = faiss_index_for(vectors.astype(np.float32), hnsw_threshold)
    seconds = time.perf_counter() - start
    manifest = {"encoder": base.manifest["encoder"], "index_type": type(index).__name__, "count": size}
    return LoadedIndex(base.build, manifest, docs, vectors.astype(np.float32), index), seconds


def bench_http(settings, index_dir: Path, queries: list[str], n: int) -> dict:
    lang = settings.languages[0]
    from fastapi.testclient import TestClient

    from helpdesk_service.app import create_app

    with tempfile.TemporaryDirectory(prefix="kb-bench-http-") as tmp:
        app_settings = settings.model_copy(update={
            "data_dir": Path(tmp),
            "kb": settings.kb.model_copy(update={"index_dir": index_dir}),
            "tickets": settings.tickets.model_copy(update={"sqlite_path": Path(tmp) / "tickets.db"}),
        })
        with TestClient(create_app(app_settings)) as client:
            for q in queries[:5]:
                client.post("/api/kb/search", json={"query": q}).raise_for_status()
            samples = []
            for i in range(n):
                t = time.perf_counter()
                client.post("/api/kb/search", json={"query": queries[i % len(queries)], "lang": lang}).raise_for_status()
                samples.append((time.perf_counter() - t) * 1000)
    p50, p95 = percentiles(samples)
    return {"n": n, "p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpdesk.evaluation.kb_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", help="encoder name (default: kb.encoder)")
    parser.add_argument("--sizes", default="1000,10000,100000", help="synthetic KB sizes (variants), comma-separated")
    parser.add_argument("--searches", type=int, default=300, help="timed searches per measurement")
    parser.add_argument("--build-docs", type=int, default=1000, help="synthetic texts embedded for the build rate")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    settings = load_settings()
    encoder = args.encoder or settings.kb.encoder
    min_score = settings.kb.min_score  # None: the threshold each index learned
    queries = [q.text for q in load_queries(DEFAULT_QUERIES)]
    results: dict = {"encoder": encoder, "hnsw_threshold": settings.kb.hnsw_threshold}
    print(f"encoder {encoder}; kb.hnsw_threshold {settings.kb.hnsw_threshold}; kb.min_score {min_score}; "
          f"load average {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")

    t = time.perf_counter()
    embedder = get_embedder(encoder)
    embedder.encode(["warm-up"])  # loads the weights (USE loads them lazily)
    print(f"encoder load: {time.perf_counter() - t:.2f} s")
    articles = load_articles(settings.path(settings.kb.articles_dir))
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        index_dir = Path(tmp) / "index"
        t = time.perf_counter()
        build_index(articles, embedder, index_dir)
        seconds = time.perf_counter() - t
        results["build_shipped"] = {"variants": len(articles), "seconds": round(seconds, 2),
                                    "per_second": round(len(articles) / seconds, 1)}
        print(f"build, shipped KB: {len(articles)} variants in {seconds:.2f} s = {len(articles) / seconds:.0f} variants/s")
        if args.build_docs:
            synthetic = synthetic_articles(articles, args.build_docs)
            t = time.perf_counter()
            build_index(synthetic, embedder, Path(tmp) / "synthetic")
            seconds = time.perf_counter() - t
            results["build_synthetic"] = {"articles": len(synthetic), "seconds": round(seconds, 2),
                                          "per_second": round(len(synthetic) / seconds, 1)}
            print(f"build, {len(synthetic)} synthetic articles: {seconds:.2f} s = {len(synthetic) / seconds:.0f} articles/s")

        base = load_index(index_dir, embedder.name)
        searcher = KbSearcher(base, embedder)
        r = time_searches(searcher, queries, args.searches, min_score)
        results["search_shipped"] = r
        print(f"search, shipped KB ({len(articles)} variants, {base.manifest['index_type']}): "
              f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, {r['qps']} queries/s (1 thread, embedding included)")
        t = time.perf_counter()
        for q in queries:
            embedder.encode([q])
        print(f"  of which query embedding alone: {(time.perf_counter() - t) * 1000 / len(queries):.2f} ms/query")

        for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
            index, seconds = synthetic_index(base, size, settings.kb.hnsw_threshold)
            big = KbSearcher(index, embedder)
            r = time_searches(big, queries, args.searches, min_score)
            r.update(index_type=index.manifest["index_type"], faiss_build_s=round(seconds, 2),
                     peak_rss_mb=round(peak_rss_mb()))
            results[f"search_{size}"] = r
            print(f"search, synthetic {size:>7} variants ({r['index_type']}, faiss build {seconds:.1f} s): "
                  f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, {r['qps']} queries/s; peak RSS {r['peak_rss_mb']} MB")
            del big, index

        if not args.no_http:
            try:
                r = bench_http(settings, index_dir, queries, args.searches)
                results["http"] = r
                print(f"HTTP POST /api/kb/search (in-process TestClient): p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms")
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
                print(f"HTTP benchmark failed: {type(exc).__name__}: {exc}")
    results["peak_rss_mb"] = round(peak_rss_mb())
    print(f"peak RSS {results['peak_rss_mb']} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
