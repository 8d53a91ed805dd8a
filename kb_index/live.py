"""A searcher that follows the index folder: it swaps to a new build as soon as ``CURRENT`` changes.

Readers keep using the old searcher until the new one is fully loaded, so a rebuild never makes a
search fail.
"""

from __future__ import annotations

import threading
from pathlib import Path

from kb_index.embedders import get_embedder
from kb_index.index import CURRENT, load_index
from kb_index.search import Hit, KbSearcher


class LiveKbSearcher:
    def __init__(self, index_dir: Path, encoder: str) -> None:
        self.index_dir = Path(index_dir)
        self.encoder = encoder
        self._lock = threading.Lock()
        self._marker: str | None = None
        self._searcher: KbSearcher | None = None

    def _current_marker(self) -> str | None:
        try:
            return (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None

    def searcher(self) -> KbSearcher:
        """The searcher of the live build (loads or swaps it when needed)."""
        marker = self._current_marker()
        if self._searcher is None or marker != self._marker:
            with self._lock:
                if self._searcher is None or marker != self._marker:
                    index = load_index(self.index_dir, self.encoder)
                    self._searcher = KbSearcher(index, get_embedder(self.encoder))
                    self._marker = index.build.name
        return self._searcher

    def search(self, query: str, **kwargs) -> list[Hit]:
        return self.searcher().search(query, **kwargs)
