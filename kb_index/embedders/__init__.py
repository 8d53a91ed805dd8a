"""Sentence encoders behind one interface; :func:`get_embedder` picks one by its settings name."""

from kb_index.embedders.base import Embedder
from kb_index.embedders.registry import get_embedder

__all__ = ["Embedder", "get_embedder"]
