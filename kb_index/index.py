"""Build, save and load the KB index.

An index folder holds versioned builds ``v<n>/`` and a ``CURRENT`` file naming the live one, so a
rebuild never disturbs a reader (the helpdesk service hot-reloads when ``CURRENT`` changes).
Each build has ``manifest.json`` (encoder, dimension, index type, a checksum per article variant, the
learned rejection threshold), ``docs.json``, ``vectors.npy``, ``index.faiss`` and the embedded headings
and sentences (:mod:`kb_index.evidence`).

The index holds passages (:meth:`Article.passages`): every article variant's whole-article passage
(its document carries the article: title, summary, steps, technical steps, sections), then one passage
per section or part of a long section (a light document naming the article, the section and its text
for BM25). A rebuild re-embeds only passages whose text changed. At the end of a build the off-topic
calibration questions are run against the new index and the "no good answer" threshold is learned
from their scores (:mod:`kb_index.rejection`), so it follows whatever KB is indexed.

Index type, chosen automatically: exact ``IndexFlatIP`` up to ``hnsw_threshold`` variants (the
setting ``kb.hnsw_threshold``, default ``HNSW_THRESHOLD``), ``IndexHNSWFlat`` above it (inner product
on L2-normalised vectors = cosine similarity). Exact search over 20,000 variants costs about 2 ms on
two cores; above that HNSW keeps the dense part of a query well under a millisecond.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from kb_index.articles import Article
from kb_index.embedders.base import Embedder
from kb_index.errors import EncoderMismatchError, IndexMissingError
from kb_index.evidence import Evidence, build_evidence
from kb_index.parallel import encode_all
from kb_index.rejection import calibration_sets, learn_threshold, questions_checksum

HNSW_THRESHOLD = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
MANIFEST = "manifest.json"
CURRENT = "CURRENT"
KEEP_BUILDS = 2


@dataclass(frozen=True)
class BuildReport:
    path: Path
    total: int        # passages
    embedded: int
    reused: int
    index_type: str
    articles: int = 0
    threshold: float | None = None


def faiss_index_for(vectors: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD):
    import faiss

    dim = vectors.shape[1]
    if len(vectors) > hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def current_build(index_dir: Path) -> Path:
    """The folder of the live build; raise :class:`IndexMissingError` when there is none."""
    marker = Path(index_dir) / CURRENT
    if not marker.is_file():
        raise IndexMissingError(f"{index_dir}: no KB index here; build it with `helpdesk kb build --index {index_dir}`")
    build = Path(index_dir) / marker.read_text(encoding="utf-8").strip()
    if not (build / MANIFEST).is_file():
        raise IndexMissingError(f"{build}: the index build is incomplete; rebuild it")
    return build


def read_manifest(index_dir: Path) -> dict:
    return json.loads((current_build(index_dir) / MANIFEST).read_text(encoding="utf-8"))


def _previous_vectors(index_dir: Path, encoder: str) -> dict[str, tuple[str, np.ndarray]]:
    """checksum and vector per article key of the live build, if it used the same encoder."""
    try:
        build = current_build(index_dir)
    except IndexMissingError:
        return {}
    manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("encoder") != encoder:
        return {}
    docs = json.loads((build / "docs.json").read_text(encoding="utf-8"))
    vectors = np.load(build / "vectors.npy")
    return {d["key"]: (d.get("text_checksum", ""), vectors[i]) for i, d in enumerate(docs)}


def _previous_evidence(index_dir: Path, encoder: str) -> Evidence | None:
    """The evidence of the live build when it used the same encoder (its vectors are reused)."""
    try:
        build = current_build(index_dir)
        if json.loads((build / MANIFEST).read_text(encoding="utf-8")).get("encoder") == encoder:
            return Evidence.load(build)
    except (IndexMissingError, OSError, ValueError):
        pass
    return None


def _previous_calibration(index_dir: Path, checksum: str) -> np.ndarray | None:
    """The calibration questions' embeddings of the live build when they are the same questions
    embedded by the same encoder (``checksum``), so a rebuild does not embed them again."""
    try:
        build = current_build(index_dir)
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("rejection", {}).get("checksum") == checksum:
            return np.load(build / "calibration.npy")
    except (IndexMissingError, OSError, ValueError):
        pass
    return None


def _text_checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def passage_docs(articles: Sequence[Article]) -> tuple[list[dict], list[str]]:
    """The index documents and the text embedded for each: per variant, the whole-article document
    (the article's fields, ``section`` -1) and then one light document per further passage."""
    docs, texts = [], []
    for a in articles:
        for n, (section, text) in enumerate(a.passages()):
            sec = a.sections[section] if section >= 0 else None
            if n == 0:
                doc = asdict(a)
                doc.pop("warnings", None)
                doc.update(key=a.key, section=-1)
            else:
                lexical = " ".join(p for p in (a.title, sec.title if sec else "", text) if p)
                doc = {"id": a.id, "lang": a.lang, "category": a.category, "key": f"{a.key}#{n}",
                       "section": section, "lexical": lexical}
            doc["heading"] = (sec.title if sec and sec.title else "") or a.title
            doc["text_checksum"] = _text_checksum(text)
            docs.append(doc)
            texts.append(text)
    return docs, texts


def build_index(
    articles: Sequence[Article],
    embedder: Embedder,
    index_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    hnsw_threshold: int = HNSW_THRESHOLD,
    calibration: dict[str, Sequence[str]] | None = None,
) -> BuildReport:
    """Embed the articles' passages (only new or changed ones, on every core: kb_index/parallel.py),
    learn the rejection threshold from the off-topic ``calibration`` questions (default: the shipped
    set per language, :func:`kb_index.rejection.calibration_sets`) and publish a new build atomically.

    The index is exact (``IndexFlatIP``) up to ``hnsw_threshold`` passages and HNSW above it.
    """
    import faiss

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    previous = _previous_vectors(index_dir, embedder.name)
    docs, texts = passage_docs(articles)
    vectors = np.zeros((len(docs), embedder.dimension), dtype=np.float32)
    todo: list[int] = []
    for i, doc in enumerate(docs):
        old = previous.get(doc["key"])
        if old and old[0] == doc["text_checksum"]:
            vectors[i] = old[1]
        else:
            todo.append(i)
    if todo:
        vectors[todo] = encode_all(embedder, [texts[i] for i in todo], progress=progress)
    elif progress:
        progress(0, 0)

    evidence = build_evidence(articles, docs, embedder, _previous_evidence(index_dir, embedder.name))

    build_name = _new_build_name(index_dir)
    tmp = index_dir / f".{build_name}.tmp"
    tmp.mkdir()
    index = faiss_index_for(vectors, hnsw_threshold)
    faiss.write_index(index, str(tmp / "index.faiss"))
    np.save(tmp / "vectors.npy", vectors)
    evidence.save(tmp)
    (tmp / "docs.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    manifest = {
        "encoder": embedder.name,
        "dimension": embedder.dimension,
        "index_type": type(index).__name__,
        "hnsw_threshold": hnsw_threshold,
        "count": len(docs),
        "articles": len(articles),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "checksums": {a.key: a.checksum for a in articles},
    }
    questions = calibration_sets() if calibration is None else calibration
    checksum = questions_checksum(embedder.name, questions)
    loaded = LoadedIndex(tmp, manifest, docs, vectors, index, evidence=evidence)
    manifest["rejection"] = learn_threshold(loaded, embedder, questions,  # sets loaded.generality
                                            question_vectors=_previous_calibration(index_dir, checksum))
    np.save(tmp / "generality.npy", loaded.generality)
    if loaded.question_vectors is not None:
        np.save(tmp / "calibration.npy", loaded.question_vectors)
        manifest["rejection"]["checksum"] = checksum
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    tmp.rename(index_dir / build_name)
    marker_tmp = index_dir / f".{CURRENT}.tmp"
    marker_tmp.write_text(build_name, encoding="utf-8")
    os.replace(marker_tmp, index_dir / CURRENT)
    _prune(index_dir, keep=build_name)
    return BuildReport(index_dir / build_name, len(docs), len(todo), len(docs) - len(todo), manifest["index_type"],
                       len(articles), manifest["rejection"].get("threshold"))


def _new_build_name(index_dir: Path) -> str:
    """``v<nanoseconds>``, strictly after every existing build (names sort in build order)."""
    latest = max((int(p.name[1:]) for p in index_dir.glob("v*") if p.name[1:].isdigit()), default=0)
    return f"v{max(time.time_ns(), latest + 1)}"


def _prune(index_dir: Path, keep: str) -> None:
    builds = sorted((p for p in index_dir.glob("v*") if p.is_dir()), key=lambda p: p.name)
    for old in builds[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


@dataclass
class LoadedIndex:
    build: Path
    manifest: dict
    docs: list[dict]
    vectors: np.ndarray
    faiss_index: object
    generality: np.ndarray | None = None  # per passage: how close it comes to off-topic questions (rejection.py)
    question_vectors: np.ndarray | None = None  # the calibration questions' embeddings (at build time only)
    evidence: Evidence | None = None  # headings and sentences (kb_index/evidence.py); None for an older build


def load_index(index_dir: Path, encoder_name: str) -> LoadedIndex:
    """Load the live build; refuse it when it was built with another encoder."""
    import faiss

    build = current_build(index_dir)
    manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    if manifest["encoder"] != encoder_name:
        raise EncoderMismatchError(
            f"{index_dir}: built with encoder {manifest['encoder']!r} but {encoder_name!r} is configured; "
            "rebuild it with `helpdesk kb build`"
        )
    docs = json.loads((build / "docs.json").read_text(encoding="utf-8"))
    vectors = np.load(build / "vectors.npy")
    index = faiss.read_index(str(build / "index.faiss"))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    generality = np.load(build / "generality.npy") if (build / "generality.npy").is_file() else None
    return LoadedIndex(build, manifest, docs, vectors, index, generality, evidence=Evidence.load(build))
