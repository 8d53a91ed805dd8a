import json

import numpy as np
import pytest

from kb_index.importer import load_articles
from kb_index.errors import EncoderMismatchError, IndexMissingError
from kb_index.index import build_index, current_build, load_index, read_manifest
from tests.conftest import write_article


def test_rebuild_reembeds_only_changed_articles(tmp_path, fake_embedder):
    kb, index_dir = tmp_path / "kb", tmp_path / "index"
    kb.mkdir()
    for i in range(5):
        write_article(kb, f"a{i}", "en", f"Article {i}")
    first = build_index(load_articles(kb), fake_embedder, index_dir)
    assert (first.embedded, first.reused) == (5, 0)
    write_article(kb, "a2", "en", "Article two changed")
    calls = fake_embedder.calls
    second = build_index(load_articles(kb), fake_embedder, index_dir)
    assert (second.embedded, second.reused) == (1, 4)
    # the changed passage and its new heading; the calibration questions and the rest are not embedded again
    assert fake_embedder.calls == calls + 2
    manifest = json.loads((current_build(index_dir) / "manifest.json").read_text())
    assert manifest["encoder"] == "fake-bow" and manifest["count"] == 5
    assert manifest["index_type"] == "IndexFlatIP"
    loaded = load_index(index_dir, "fake-bow")
    expected = fake_embedder.encode(["Article two changed. Article two changed summary. a b. Intro."])[0]
    row = [d["key"] for d in loaded.docs].index("a2.en")
    assert np.allclose(loaded.vectors[row], expected, atol=1e-6)


def test_mismatched_encoder_is_refused(tmp_path, fake_embedder):
    write_article(tmp_path, "a", "en", "A")
    build_index(load_articles(tmp_path), fake_embedder, tmp_path / "index")
    with pytest.raises(EncoderMismatchError, match="rebuild"):
        load_index(tmp_path / "index", "use-multilingual-v3")


def test_missing_index_is_reported(tmp_path):
    with pytest.raises(IndexMissingError, match="kb build"):
        load_index(tmp_path / "nothing", "fake-bow")


def _synthetic_kb(folder, n: int, seed: int = 7) -> list[str]:
    """``n`` articles made of random words from a small vocabulary; returns a few queries."""
    import random

    rng = random.Random(seed)
    vocab = [f"term{i}" for i in range(300)]
    queries = []
    for i in range(n):
        words = rng.sample(vocab, 6)
        write_article(folder, f"syn{i}", "en", " ".join(words), tags=f"[{words[0]}, {words[1]}]")
        if i % 5 == 0:
            queries.append(" ".join(words[:4]))
    return queries


def test_index_type_follows_the_threshold_and_hnsw_agrees_with_exact_search(tmp_path, fake_embedder):
    from kb_index.search import KbSearcher

    kb = tmp_path / "kb"
    kb.mkdir()
    queries = _synthetic_kb(kb, 400)
    articles = load_articles(kb)
    exact_report = build_index(articles, fake_embedder, tmp_path / "exact", hnsw_threshold=10_000)
    hnsw_report = build_index(articles, fake_embedder, tmp_path / "hnsw", hnsw_threshold=100)
    assert (exact_report.index_type, hnsw_report.index_type) == ("IndexFlatIP", "IndexHNSWFlat")
    assert read_manifest(tmp_path / "hnsw")["hnsw_threshold"] == 100
    exact = KbSearcher(load_index(tmp_path / "exact", "fake-bow"), fake_embedder)
    approx = KbSearcher(load_index(tmp_path / "hnsw", "fake-bow"), fake_embedder)
    same_top1 = same_top3 = 0
    for q in queries:
        e, a = exact.search(q, top_k=3), approx.search(q, top_k=3)
        same_top1 += e[0].article_id == a[0].article_id
        same_top3 += {h.article_id for h in e} == {h.article_id for h in a}
        assert e[0].score == pytest.approx(a[0].score, abs=1e-4) or e[0].article_id != a[0].article_id
    assert same_top1 >= 0.95 * len(queries) and same_top3 >= 0.9 * len(queries), (same_top1, same_top3, len(queries))


def test_hnsw_dense_neighbours_match_brute_force(tmp_path, fake_embedder):
    kb = tmp_path / "kb"
    kb.mkdir()
    queries = _synthetic_kb(kb, 300, seed=11)
    build_index(load_articles(kb), fake_embedder, tmp_path / "index", hnsw_threshold=50)
    loaded = load_index(tmp_path / "index", "fake-bow")
    recall = []
    for q in queries:
        qvec = fake_embedder.encode([q])
        kth = np.sort(loaded.vectors @ qvec[0])[-10]  # ties are common with the fake embedder: compare scores
        scores, _ = loaded.faiss_index.search(qvec, 10)
        recall.append(np.mean(scores[0] >= kth - 1e-5))
    assert np.mean(recall) >= 0.95


def test_hnsw_threshold_is_a_setting(monkeypatch):
    from core.settings import load_settings

    assert load_settings().kb.hnsw_threshold == 20_000
    monkeypatch.setenv("HELPDESK_KB__HNSW_THRESHOLD", "500")
    assert load_settings().kb.hnsw_threshold == 500


def test_manifest_has_a_checksum_per_article_and_the_encoder(tmp_path, fake_embedder):
    write_article(tmp_path, "a", "en", "A")
    write_article(tmp_path, "a", "nl", "A nl")
    articles = load_articles(tmp_path)
    build_index(articles, fake_embedder, tmp_path / "index")
    manifest = read_manifest(tmp_path / "index")
    assert manifest["checksums"] == {a.key: a.checksum for a in articles}
    assert (manifest["encoder"], manifest["dimension"]) == ("fake-bow", 64)


def test_headings_and_sentences_are_kept_as_evidence(tmp_path, fake_embedder):
    from kb_index.evidence import HEADING, SENTENCE

    write_article(tmp_path, "spooler", "en", "Printing stops",
                  steps=("Restart the print spooler service.", "Clear the print queue in settings."))
    build_index(load_articles(tmp_path), fake_embedder, tmp_path / "index")
    loaded = load_index(tmp_path / "index", "fake-bow")
    rows = loaded.evidence.rows
    assert [rows[d["heading_row"]]["kind"] for d in loaded.docs] == [HEADING] * len(loaded.docs)
    sentences = [i for i, r in enumerate(rows) if r["kind"] == SENTENCE]
    assert len(sentences) == 2 and all(rows[i]["id"] == "spooler" for i in sentences)
    expected = fake_embedder.encode(["Clear the print queue in settings."])[0]
    assert any(np.allclose(loaded.evidence.vectors[i], expected, atol=1e-6) for i in sentences)
    heading = fake_embedder.encode(["Printing stops"])[0]
    assert np.allclose(loaded.evidence.vectors[loaded.docs[0]["heading_row"]], heading, atol=1e-6)
