"""Hot reload: searches running in threads while the index is rebuilt never fail, and new articles appear."""

import threading
import time

import pytest

from kb_index.importer import load_articles
from kb_index.errors import EncoderMismatchError, IndexMissingError
from kb_index.index import build_index
from kb_index.live import LiveKbSearcher
from tests.conftest import FakeEmbedder, write_article


@pytest.fixture
def live(tmp_path, fake_embedder, monkeypatch):
    monkeypatch.setattr("kb_index.live.get_embedder", lambda name: fake_embedder)
    kb = tmp_path / "kb"
    kb.mkdir()
    for i in range(20):
        write_article(kb, f"base{i}", "en", f"Base article number {i}", tags=f"[base, topic{i}]")
    build_index(load_articles(kb), fake_embedder, tmp_path / "index")
    return kb, tmp_path / "index", LiveKbSearcher(tmp_path / "index", fake_embedder.name)


def test_searches_never_fail_while_the_index_is_rebuilt(live, fake_embedder):
    kb, index_dir, searcher = live
    stop = threading.Event()
    results: list[int] = []
    failures: list[BaseException] = []
    seen_new: set[str] = set()

    def reader(query: str) -> None:
        while not stop.is_set():
            try:
                hits = searcher.search(query, top_k=5, min_score=0.0)
                results.append(len(hits))
                seen_new.update(h.article_id for h in hits if h.article_id.startswith("new"))
            except BaseException as exc:  # noqa: BLE001 - every failure is what we are counting
                failures.append(exc)

    threads = [threading.Thread(target=reader, args=(q,)) for q in ("base article", "brandnew topic zebra")]
    for t in threads:
        t.start()
    builder = FakeEmbedder()  # a separate instance, same name: only the encoder name must match
    rounds = 6
    for n in range(rounds):
        write_article(kb, f"new{n}", "en", f"Brandnew topic zebra {n}", tags=f"[zebra, new{n}]")
        if n % 2:
            (kb / f"base{n}.en.md").unlink()  # removed articles disappear too
        build_index(load_articles(kb), builder, index_dir)
        time.sleep(0.05)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and searcher.searcher().index.manifest["count"] != 20 + rounds - rounds // 2:
        time.sleep(0.01)
    time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=10)

    assert not failures, failures[:3]
    assert len(results) > 50 and all(r > 0 for r in results)
    final = searcher.search("brandnew topic zebra", top_k=rounds)
    assert {h.article_id for h in final} == {f"new{n}" for n in range(rounds)}
    assert seen_new
    assert searcher.reloads >= 2
    assert all(h.article_id != "base1" for h in searcher.search("base article number 1 topic1", top_k=10))


def test_a_build_that_cannot_be_loaded_keeps_the_old_one_serving(live, tmp_path):
    kb, index_dir, searcher = live
    assert searcher.search("base article", top_k=1)
    other = FakeEmbedder()
    other.name = "another-encoder"
    build_index(load_articles(kb), other, index_dir)
    assert searcher.search("base article", top_k=1)  # still the previous build
    fresh = LiveKbSearcher(index_dir, "fake-bow")
    with pytest.raises(EncoderMismatchError):
        fresh.search("base article")


def test_missing_index_is_reported(tmp_path):
    with pytest.raises(IndexMissingError, match="helpdesk kb build"):
        LiveKbSearcher(tmp_path / "nothing", "fake-bow").search("vpn")
