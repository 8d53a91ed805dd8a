"""Any SentenceTransformer model on disk (or an installed model package), loaded offline."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from kb_index.embedders.base import normalise
from kb_index.errors import UnknownEncoderError


class SentenceTransformerEmbedder:
    """``sentence-transformers:<model name or path>``; needs the optional ``st`` extra."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise UnknownEncoderError(
                "sentence-transformers is not installed: pip install -e '.[st]'"
            ) from exc
        self._model = SentenceTransformer(model, device="cpu")
        self.name = f"sentence-transformers:{model}"
        self.dimension = int(self._model.get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalise(self._model.encode(list(texts), convert_to_numpy=True, show_progress_bar=False))
