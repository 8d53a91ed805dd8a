"""Shared fixtures: a fake embedder for unit tests, the project root, isolated settings."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from helpdesk.settings import PROJECT_ROOT, load_settings


class FakeEmbedder:
    """Deterministic bag-of-words hashing embedder (unit tests only)."""

    name = "fake-bow"
    dimension = 64

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts):
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return out / norms


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data",
                         kb={"articles_dir": PROJECT_ROOT / "kb" / "articles", "index_dir": tmp_path / "kb_index"},
                         tickets={"backend": "sqlite", "sqlite_path": tmp_path / "tickets.db"})


def write_article(folder: Path, article_id: str, lang: str, title: str, steps=("Do this.", "Then that."),
                  tags="[a, b]", category="test") -> Path:
    body = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    path = folder / f"{article_id}.{lang}.md"
    path.write_text(f"---\nid: {article_id}\nlang: {lang}\ntitle: {title}\ncategory: {category}\n"
                    f"tags: {tags}\nsummary: {title} summary\n---\nIntro.\n\n{body}\n", encoding="utf-8")
    return path
