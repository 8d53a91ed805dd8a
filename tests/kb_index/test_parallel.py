"""Embedding in forked worker processes gives the same vectors, in order, and only for fork-safe encoders."""

import os

import numpy as np
import pytest

from kb_index import parallel
from tests.conftest import FakeEmbedder


class ForkSafeFake(FakeEmbedder):
    """The fake encoder, declared fork-safe; column 0 carries the id of the process that embedded the text."""

    fork_safe = True

    def encode(self, texts):
        out = super().encode(texts)
        out[:, 0] = os.getpid()
        return out


def _texts(n):
    return [f"text {i} about printer {i % 7} and vpn {i % 5}" for i in range(n)]


@pytest.mark.parametrize("n", [1, 63, 64, 200])
def test_vectors_match_one_process_in_order(n):
    embedder = ForkSafeFake()
    seen = []
    got = parallel.encode_all(embedder, _texts(n), workers=2, progress=lambda done, total: seen.append((done, total)))
    want = FakeEmbedder().encode(_texts(n))
    assert got.shape == want.shape
    np.testing.assert_allclose(got[:, 1:], want[:, 1:], rtol=1e-6)
    assert seen[-1] == (n, n) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    pids = set(got[:, 0].astype(int))
    if n >= parallel.MIN_TEXTS:
        assert len(pids - {os.getpid()}) >= 1  # workers did embed
    else:
        assert pids == {os.getpid()}


def test_encoders_that_are_not_fork_safe_stay_in_this_process(monkeypatch):
    embedder = FakeEmbedder()
    got = parallel.encode_all(embedder, _texts(200), workers=2)
    assert embedder.calls == 200  # all of them here, none in a worker
    np.testing.assert_allclose(got, FakeEmbedder().encode(_texts(200)), rtol=1e-6)


def test_one_worker_or_no_text():
    embedder = ForkSafeFake()
    assert set(parallel.encode_all(embedder, _texts(100), workers=1)[:, 0].astype(int)) == {os.getpid()}
    assert parallel.encode_all(embedder, [], workers=2).shape == (0, embedder.dimension)


def test_use_runs_in_workers_with_the_same_vectors():
    from kb_index.embedders import get_embedder

    use = get_embedder("use-multilingual-v3")
    assert use.fork_safe
    texts = _texts(parallel.MIN_TEXTS)
    np.testing.assert_allclose(parallel.encode_all(use, texts, workers=2), use.encode(texts), atol=1e-5)
