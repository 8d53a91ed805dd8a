"""BM25 on an inverted index gives exactly rank_bm25's scores; error codes are recognised."""

import random

import numpy as np
from rank_bm25 import BM25Okapi

from kb_index.lexical import Bm25, error_codes, tokenize


def test_bm25_matches_rank_bm25_reference():
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(40)] + ["vpn", "outlook", "0x800ccc0e"]
    corpus = [[rng.choice(vocab) for _ in range(rng.randint(1, 30))] for _ in range(120)]
    ours, reference = Bm25(corpus), BM25Okapi(corpus)
    for _ in range(30):
        query = [rng.choice(vocab + ["unknown"]) for _ in range(rng.randint(1, 6))]
        assert np.allclose(ours.scores(query), reference.get_scores(query), atol=1e-4)
    assert set(ours.documents_with("vpn")) == {i for i, d in enumerate(corpus) if "vpn" in d}
    assert len(ours.documents_with("absent")) == 0


def test_tokens_and_error_codes():
    tokens = tokenize("Outlook: fout 0x800CCC0E, BSOD CRITICAL_PROCESS_DIED, FortiClient -7200, Win11, 365")
    assert "0x800ccc0e" in tokens and "forticlient" in tokens
    assert error_codes(tokens) == {"0x800ccc0e", "critical_process_died", "7200", "win11"}
    assert error_codes(tokenize("mijn printer drukt niet af")) == set()
