"""A searcher that follows the index folder: it swaps to a new build as soon as ``CURRENT`` changes.

Readers keep using the old searcher while one thread loads the new build, and the swap is a single
attribute assignment, so a rebuild never makes a search fail or wait. A loaded build is held in
memory entirely (faiss index, vectors, documents), so pruning its folder later does not disturb it.
When the new build cannot be loaded (deleted under our feet, or built with another encoder) the old
one keeps serving and the load is retried after ``RETRY_SECONDS``; the first load's errors
(:class:`~kb_index.errors.IndexMissingError`, :class:`~kb_index.errors.EncoderMismatchError`) are raised.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from kb_index.embedders import get_embedder
from kb_index.errors import KbError
from kb_index.index import CURRENT, load_index
from kb_index.search import DEFAULT_WEIGHTS, Hit, KbSearcher, RankingWeights

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0


class LiveKbSearcher:
    def __init__(self, index_dir: Path, encoder: str, weights: RankingWeights = DEFAULT_WEIGHTS,
                 fallback_languages: tuple[str, ...] = ()) -> None:
        self.index_dir = Path(index_dir)
        self.encoder = encoder
        self.fallback_languages = tuple(fallback_languages)
        self.weights = weights
        self._lock = threading.Lock()
        self._marker: str | None = None
        self._searcher: KbSearcher | None = None
        self._failed: tuple[str | None, float] | None = None
        self.reloads = 0

    def _current_marker(self) -> str | None:
        try:
            return (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def _load(self) -> None:
        index = load_index(self.index_dir, self.encoder)
        searcher = KbSearcher(index, get_embedder(self.encoder), self.fallback_languages, weights=self.weights)
        self._searcher, self._marker = searcher, index.build.name  # the swap
        self._failed = None
        self.reloads += 1

    def searcher(self) -> KbSearcher:
        """The searcher of the live build (loads it, or swaps to a newer build, when needed)."""
        current = self._searcher
        if current is None:
            with self._lock:
                if self._searcher is None:
                    self._load()
                return self._searcher
        marker = self._current_marker()
        if marker is None or marker == self._marker:
            return current
        if self._failed and self._failed[0] == marker and time.monotonic() - self._failed[1] < RETRY_SECONDS:
            return current
        if not self._lock.acquire(blocking=False):
            return current  # another thread is loading the new build; keep serving the old one
        try:
            if self._current_marker() != self._marker:
                self._load()
        except (KbError, OSError, ValueError) as exc:
            log.warning("KB index %s: keeping build %s, cannot load the new one: %s", self.index_dir, self._marker, exc)
            self._failed = (marker, time.monotonic())
        finally:
            self._lock.release()
        return self._searcher

    def search(self, query: str, **kwargs) -> list[Hit]:
        return self.searcher().search(query, **kwargs)
