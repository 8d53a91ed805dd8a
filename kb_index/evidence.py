"""Evidence kept beside the passages: the heading of every passage and the sentences of every article
variant, embedded at build time (``evidence.npy``, ``evidence.json``).

- A passage's heading is its article's title, or its section's heading (a FAQ question, a chapter of a
  long guide). A query's cosine with it (with the title: its mean cosine with the title of every language
  variant) is added to the passage's score (``RankingWeights.title``): a short heading says what an
  article is about more sharply than a long passage does.
- The best cosine of a query with one sentence of an article is part of that article's confidence
  (``RankingWeights.sentence``, :meth:`kb_index.search.KbSearcher.confidences`): a question the article
  answers usually matches one of its sentences closely, a question that only shares its vocabulary
  (an IT question the KB does not cover) matches none.

A rebuild embeds only the texts it has not embedded before (same text, same encoder: same vector).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from kb_index.articles import Article
from kb_index.embedders.base import Embedder
from kb_index.parallel import encode_all

EVIDENCE_JSON = "evidence.json"
EVIDENCE_NPY = "evidence.npy"
HEADING = "heading"
SENTENCE = "sentence"


@dataclass
class Evidence:
    """Rows of ``vectors``: ``rows[i]`` is ``{"id", "kind", "checksum"}``."""

    rows: list[dict] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32))

    def save(self, folder: Path) -> None:
        np.save(Path(folder) / EVIDENCE_NPY, self.vectors)
        (Path(folder) / EVIDENCE_JSON).write_text(json.dumps(self.rows), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Evidence | None":
        folder = Path(folder)
        if not (folder / EVIDENCE_JSON).is_file() or not (folder / EVIDENCE_NPY).is_file():
            return None
        return cls(json.loads((folder / EVIDENCE_JSON).read_text(encoding="utf-8")), np.load(folder / EVIDENCE_NPY))


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def evidence_texts(articles: Sequence[Article], docs: list[dict]) -> tuple[list[dict], list[str]]:
    """The evidence rows and their texts; sets ``heading_row`` on every document of ``docs``
    (their ``heading`` text, see :func:`kb_index.index.passage_docs`)."""
    rows, texts, seen = [], [], {}

    def add(article_id: str, kind: str, text: str) -> int:
        key = (article_id, kind, text)
        if key not in seen:
            seen[key] = len(rows)
            rows.append({"id": article_id, "kind": kind, "checksum": _checksum(text)})
            texts.append(text)
        return seen[key]

    for doc in docs:
        doc["heading_row"] = add(doc["id"], HEADING, doc["heading"]) if doc.get("heading") else -1
    for a in articles:
        for sentence in a.sentences():
            add(a.id, SENTENCE, sentence)
    return rows, texts


def build_evidence(articles: Sequence[Article], docs: list[dict], embedder: Embedder,
                   previous: Evidence | None = None,
                   progress: Callable[[int, int], None] | None = None) -> Evidence:
    """Embed the evidence of ``articles`` (reusing ``previous`` vectors of the same texts)."""
    rows, texts = evidence_texts(articles, docs)
    known = {} if previous is None else {r["checksum"]: previous.vectors[i] for i, r in enumerate(previous.rows)}
    vectors = np.zeros((len(rows), embedder.dimension), dtype=np.float32)
    todo = []
    for i, row in enumerate(rows):
        if row["checksum"] in known:
            vectors[i] = known[row["checksum"]]
        else:
            todo.append(i)
    if todo:
        vectors[todo] = encode_all(embedder, [texts[i] for i in todo], progress=progress)
    return Evidence(rows, vectors)
