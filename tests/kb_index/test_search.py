import numpy as np
import pytest

from kb_index.articles import load_articles
from kb_index.embedders import get_embedder
from kb_index.index import build_index, load_index
from kb_index.search import KbSearcher
from tests.conftest import write_article


@pytest.fixture
def small_kb(tmp_path, fake_embedder):
    kb = tmp_path / "kb"
    kb.mkdir()
    write_article(kb, "printer", "en", "Printer does not print", tags="[printer, queue]")
    write_article(kb, "printer", "nl", "Printer drukt niet af", tags="[printer, wachtrij]")
    write_article(kb, "vpn", "en", "VPN does not connect", tags="[vpn, forticlient]")
    write_article(kb, "outlook", "fr", "Outlook ne synchronise pas", tags='[outlook, "0x800ccc0e"]')
    build_index(load_articles(kb), fake_embedder, tmp_path / "index")
    return KbSearcher(load_index(tmp_path / "index", fake_embedder.name), fake_embedder)


def test_dense_ranking_matches_brute_force(small_kb, fake_embedder):
    query = "printer does not print anymore"
    q = fake_embedder.encode([query])[0]
    brute = {}
    for i, doc in enumerate(small_kb.index.docs):
        brute[doc["id"]] = max(brute.get(doc["id"], -1), float(small_kb.index.vectors[i] @ q))
    hits = small_kb.search(query, top_k=3)
    assert hits[0].article_id == max(brute, key=brute.get)
    assert [h.dense for h in hits] == sorted((h.dense for h in hits), reverse=True) or hits[0].lexical > 0


def test_hit_comes_in_requested_language_or_says_it_falls_back(small_kb):
    assert small_kb.search("printer", lang="nl")[0].lang == "nl"
    hit = small_kb.search("vpn forticlient", lang="fr")[0]
    assert hit.article_id == "vpn" and hit.lang == "en" and hit.fallback_language


def test_exact_error_code_ranks_its_article_first(small_kb):
    assert small_kb.search("0x800CCC0E", top_k=2)[0].article_id == "outlook"


def test_threshold_exclude_and_empty_query(small_kb):
    assert small_kb.search("printer", min_score=5.0) == []
    assert all(h.article_id != "printer" for h in small_kb.search("printer", exclude={"printer"}))
    assert small_kb.search("   ") == []


@pytest.mark.parametrize("query, lang, expected", [
    ("mijn VPN werkt niet meer sinds vanmorgen", "nl", "vpn-"),
    ("mon imprimante n'imprime plus", "fr", "printer-"),
    ("Outlook stopped syncing", "en", "outlook-not-syncing"),
    ("BSOD 0x0000007B", "en", "blue-screen-crash"),
])
def test_real_encoder_finds_articles_across_languages(tmp_path, project_root, query, lang, expected):
    embedder = get_embedder("use-multilingual-v3")
    build_index(load_articles(project_root / "kb" / "articles"), embedder, tmp_path / "index")
    searcher = KbSearcher(load_index(tmp_path / "index", embedder.name), embedder)
    hit = searcher.search(query, lang=lang, top_k=1, min_score=0.4)[0]
    assert hit.article_id.startswith(expected) and hit.lang == lang


def test_real_encoder_has_no_article_for_off_topic_questions(tmp_path, project_root, settings):
    embedder = get_embedder("use-multilingual-v3")
    build_index(load_articles(project_root / "kb" / "articles"), embedder, tmp_path / "index")
    searcher = KbSearcher(load_index(tmp_path / "index", embedder.name), embedder)
    assert searcher.search("ik wil een pizza bestellen", min_score=settings.kb.min_score) == []
