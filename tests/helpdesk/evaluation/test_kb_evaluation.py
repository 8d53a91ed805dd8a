"""The committed eval set is well-formed, and the configured encoder + weights + threshold meet the targets."""

import pytest

from helpdesk.evaluation import kb as ev

LANGS = ("nl", "fr", "en")


@pytest.fixture(scope="module")
def queries():
    return ev.load_queries(ev.DEFAULT_QUERIES)


def test_eval_set_covers_every_language_with_valid_article_ids(queries, project_root):
    from kb_index.articles import load_articles

    ids = {a.id for a in load_articles(project_root / "kb" / "articles")}
    assert len({q.id for q in queries}) == len(queries)
    for lang in LANGS:
        mine = [q for q in queries if q.lang == lang]
        assert sum(not q.off_topic for q in mine) >= 50
        assert sum(q.off_topic for q in mine) >= 15
        assert sum("code" in q.tags for q in mine) >= 3 and sum("product" in q.tags for q in mine) >= 10
    assert all(set(q.expected) <= ids for q in queries)


def test_metrics_on_a_hand_made_ranking():
    qs = [ev.Query("a", "en", "x", ("p",), ()), ev.Query("b", "en", "y", ("q",), ()), ev.Query("c", "en", "z", (), ())]
    ranked = [(["p", "q"], 0.9), (["p", "r", "q"], 0.5), (["p"], 0.3)]
    m = ev.metrics(qs, ranked, min_score=0.4)
    assert (m["r1"], m["r3"]) == (0.5, 1.0)
    assert m["mrr"] == pytest.approx((1 + 1 / 3) / 2)
    assert (m["rejection"], m["acceptance"], m["accepted_correct"]) == (1.0, 1.0, 0.5)


def test_configured_search_meets_the_targets(queries, settings, project_root):
    p = ev.prepare(settings.kb.encoder, queries, project_root / "kb" / "articles")
    per_lang = ev.by_language(queries, ev.rankings(p, ev.DEFAULT_WEIGHTS), settings.kb.min_score)
    dense = ev.by_language(queries, ev.rankings(p, ev.METHODS["dense"]))
    bm25 = ev.by_language(queries, ev.rankings(p, ev.METHODS["bm25"]))
    for lang in LANGS:
        m = per_lang[lang]
        assert m["r1"] >= 0.90 and m["r3"] >= 0.98, (lang, m)
        assert m["r1"] > max(dense[lang]["r1"], bm25[lang]["r1"]), (lang, m["r1"], dense[lang]["r1"], bm25[lang]["r1"])
        assert m["rejection"] == 1.0 and m["acceptance"] >= 0.95, (lang, m)


def test_shipped_weights_are_the_calibrated_ones(queries, settings, project_root):
    """kb_index/search.py's DEFAULT_WEIGHTS are what `--calibrate` picks (the code boost ties: see docs/kb.md)."""
    p = ev.prepare(settings.kb.encoder, queries, project_root / "kb" / "articles")
    (gain, worst, *_), w = ev.best_weights([p])
    assert (w.lexical, w.bm25_saturation) == (ev.DEFAULT_WEIGHTS.lexical, ev.DEFAULT_WEIGHTS.bm25_saturation)
    assert gain > 0 and worst >= 0.90
    single = ev.best_single(p, list(range(len(queries))))
    assert ev.calibration_key([p], ev.DEFAULT_WEIGHTS, single=single)[0] == gain
