import json

import numpy as np
import pytest

from kb_index.articles import load_articles
from kb_index.errors import EncoderMismatchError, IndexMissingError
from kb_index.index import build_index, current_build, load_index
from tests.conftest import write_article


def test_rebuild_reembeds_only_changed_articles(tmp_path, fake_embedder):
    kb, index_dir = tmp_path / "kb", tmp_path / "index"
    kb.mkdir()
    for i in range(5):
        write_article(kb, f"a{i}", "en", f"Article {i}")
    first = build_index(load_articles(kb), fake_embedder, index_dir)
    assert (first.embedded, first.reused) == (5, 0)
    write_article(kb, "a2", "en", "Article two changed")
    second = build_index(load_articles(kb), fake_embedder, index_dir)
    assert (second.embedded, second.reused) == (1, 4)
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
