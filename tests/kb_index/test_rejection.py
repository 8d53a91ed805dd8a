import numpy as np
import pytest

from kb_index.rejection import thresholds_per_language
from kb_index.search import FALLBACK_THRESHOLD


def test_each_language_keeps_its_level_and_shares_the_tail():
    rng = np.random.default_rng(0)
    base = rng.normal(0.0, 0.05, 400)
    scores = {"xx": 0.30 + base[:200], "yy": 0.45 + base[200:]}  # same spread, another level
    got = thresholds_per_language(scores, quantile=0.95)
    shifted = np.concatenate([s - np.median(s) for s in scores.values()])
    tail = np.sort(shifted)[int(0.95 * (len(shifted) - 1))]
    assert got["xx"] == pytest.approx(np.median(scores["xx"]) + tail, abs=2e-3)
    assert got["yy"] - got["xx"] == pytest.approx(np.median(scores["yy"]) - np.median(scores["xx"]))
    for lang, s in scores.items():
        assert 0.9 <= np.mean(s < got[lang]) <= 1.0


def test_a_language_without_scores_gets_the_fallback():
    got = thresholds_per_language({"xx": np.array([0.2, 0.3, 0.4]), "yy": np.array([-np.inf])}, quantile=1.0)
    assert got == {"xx": pytest.approx(0.4), "yy": FALLBACK_THRESHOLD}
