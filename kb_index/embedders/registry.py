"""Maps an encoder name from the settings to an embedder instance (one instance per name)."""

from __future__ import annotations

from functools import lru_cache

from kb_index.embedders.base import Embedder
from kb_index.errors import UnknownEncoderError

ST_PREFIX = "sentence-transformers:"


@lru_cache(maxsize=4)
def get_embedder(name: str) -> Embedder:
    """``use-multilingual-v3`` (default) or ``sentence-transformers:<model>``."""
    if name == "use-multilingual-v3":
        from kb_index.embedders.use import UseEmbedder

        return UseEmbedder()
    if name.startswith(ST_PREFIX):
        from kb_index.embedders.sentence_transformers import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(name[len(ST_PREFIX) :])
    raise UnknownEncoderError(f"unknown encoder {name!r}; use 'use-multilingual-v3' or '{ST_PREFIX}<model>'")
