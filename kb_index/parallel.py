"""Embedding many texts on every core: worker processes forked from the caller share its loaded encoder.

Used by the index build. Only for embedders that declare ``fork_safe = True`` (no OpenMP or torch
thread pools, which do not survive a fork) and for batches of at least ``MIN_TEXTS`` texts (below
that the fork costs more than it saves); otherwise the texts are embedded here, in order.
Measured on the 2-core machines (docs/kb.md): the shipped KB embeds at about 350 articles/s with two
workers instead of 235/s in one process, and, unlike two BLAS threads, no slower than one process
when another job keeps a core busy.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator, Sequence

import numpy as np

from kb_index.embedders.base import Embedder

MIN_TEXTS = 64
CHUNK = 16

_embedder: Embedder | None = None  # the encoder the forked workers inherit


def _encode(texts: Sequence[str]) -> np.ndarray:
    assert _embedder is not None
    return _embedder.encode(texts)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def encode_chunks(embedder: Embedder, texts: Sequence[str], workers: int | None = None,
                  chunk: int = CHUNK) -> Iterator[tuple[int, np.ndarray]]:
    """``(end, vectors)`` per chunk of ``chunk`` texts, in order; in ``workers`` processes when worth it."""
    global _embedder
    chunks = [list(texts[i : i + chunk]) for i in range(0, len(texts), chunk)]
    workers = default_workers() if workers is None else workers
    if workers < 2 or len(texts) < MIN_TEXTS or not getattr(embedder, "fork_safe", False):
        end = 0
        for part in chunks:
            end += len(part)
            yield end, embedder.encode(part)
        return
    # the first chunk here: it loads a lazily loaded encoder once, before the workers inherit it
    end = len(chunks[0])
    yield end, embedder.encode(chunks[0])
    _embedder = embedder
    try:
        with ProcessPoolExecutor(min(workers, len(chunks) - 1), mp_context=multiprocessing.get_context("fork")) as pool:
            for part, vectors in zip(chunks[1:], pool.map(_encode, chunks[1:])):
                end += len(part)
                yield end, vectors
    finally:
        _embedder = None


def encode_all(embedder: Embedder, texts: Sequence[str], workers: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """All vectors, shape ``(len(texts), embedder.dimension)``; ``progress(done, total)`` per chunk."""
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    start = 0
    for end, vectors in encode_chunks(embedder, texts, workers):
        out[start:end] = vectors
        start = end
        if progress:
            progress(end, len(texts))
    return out
