"""The KB evaluation sets are well-formed, the figures are computed right, and on the development
set the product's ranking with its learned threshold beats the dense encoder alone."""

import pytest

from helpdesk.evaluation import kb as ev


@pytest.fixture(scope="module")
def queries():
    return ev.load_queries(ev.DEFAULT_QUERIES)


def test_dev_set_covers_every_language_with_valid_article_ids(queries, project_root, settings):
    from kb_index.importer import load_articles

    ids = {a.id for a in load_articles(project_root / "kb" / "articles")}
    assert len({q.id for q in queries}) == len(queries)
    for lang in settings.languages:
        mine = [q for q in queries if q.lang == lang]
        assert sum(not q.off_topic for q in mine) >= 50
        assert sum(q.off_topic for q in mine) >= 15
        assert sum("code" in q.tags for q in mine) >= 3 and sum("product" in q.tags for q in mine) >= 10
    assert all(set(q.expected) <= ids for q in queries)


def test_sealed_set_is_readable_and_its_expected_articles_are_imported(settings):
    """Only that it can be read: the sealed set is never used to choose anything."""
    from kb_index.importer import import_kb

    result = import_kb(ev.EXTERNAL / "articles", settings.languages)
    queries = ev.load_queries(ev.EXTERNAL / "queries.jsonl")
    assert not result.skipped, result.report_lines()
    ids = {a.id for a in result.articles}
    assert len(ids) >= 40 and all(set(q.expected) <= ids for q in queries)
    for lang in settings.languages:
        assert sum(q.lang == lang and not q.off_topic for q in queries) >= 40
    assert sum(q.off_topic for q in queries) >= 30


def test_metrics_on_a_hand_made_ranking():
    qs = [ev.Query("a", "en", "x", ("p",), ()), ev.Query("b", "en", "y", ("q",), ()),
          ev.Query("c", "en", "z", (), ()), ev.Query("d", "nl", "w", ("p",), ())]
    ranked = [(["p", "q"], 0.9), (["p", "r", "q"], 0.5), (["p"], 0.3), (["p"], 0.35)]
    m = ev.metrics(qs, ranked, min_score={"en": 0.4, "all": 0.2})
    assert (m["r1"], m["r3"]) == (2 / 3, 1.0) and m["mrr"] == pytest.approx((1 + 1 / 3 + 1) / 3)
    assert (m["rejection"], m["no_hit"]) == (1.0, 0)
    strict = ev.metrics(qs, ranked, min_score=0.6)
    assert (strict["r1"], strict["r3"], strict["no_hit"], strict["rejection"]) == (1 / 3, 1 / 3, 2, 1.0)
    assert (strict["r1_unfiltered"], strict["r3_unfiltered"]) == (2 / 3, 1.0)


def test_product_ranking_meets_the_dev_targets_and_beats_the_dense_encoder(queries, settings, project_root):
    p = ev.prepare(settings.kb.encoder, queries, project_root / "kb" / "articles", languages=settings.languages)
    rows = ev.evaluate(p, {**ev.METHODS, "product": ev.DEFAULT_WEIGHTS}, settings.languages)
    for lang in settings.languages:
        m = rows["product"]["langs"][lang]
        assert m["r1"] >= 0.93 and m["r3"] >= 0.96 and m["rejection"] == 1.0, (lang, m)
        assert m["r1"] >= rows["dense"]["langs"][lang]["r1"], lang
    assert rows["product"]["langs"]["all"]["r1"] > rows["dense"]["langs"]["all"]["r1"]


def test_prose_rewrite_of_the_dev_kb_is_read_without_front_matter(tmp_path, project_root, settings):
    folder = ev.prose_kb(project_root / "kb" / "articles", tmp_path / "prose", settings.default_language,
                         settings.languages)
    from kb_index.importer import import_kb

    result = import_kb(folder, settings.languages)
    assert len(result.articles) >= 40 and not result.skipped
    assert all(a.steps == () and "tags" in a.derived and a.lang == settings.default_language for a in result.articles)


def test_guides_rewrite_merges_articles_into_sections_and_retargets_the_questions(tmp_path, project_root, settings):
    from kb_index.importer import import_kb

    folder, moved = ev.guides_kb(project_root / "kb" / "articles", tmp_path / "guides", settings.default_language,
                                 settings.languages)
    articles = {a.id: a for a in import_kb(folder, settings.languages).articles}
    assert any(len(a.sections) >= 2 for a in articles.values())
    assert set(moved.values()) == set(articles)
    for article_id, holder in moved.items():
        if holder != article_id:
            assert len(articles[holder].sections) >= 2
    q = ev.Query("x", "en", "t", (next(iter(moved)),), ())
    assert ev.retarget([q], moved)[0].expected == (moved[q.expected[0]],)
