import pytest

from kb_index.articles import parse_article
from kb_index.importer import load_articles
from kb_index.errors import ArticleFormatError
from tests.conftest import write_article

GOOD = """---
id: vpn-x
lang: en
title: VPN
category: vpn
tags: [vpn, "0x800ccc0e"]
summary: Fix the VPN.
---
Intro line.

1. First.
2. Second.
"""


def test_parse_reads_front_matter_and_steps():
    article = parse_article(GOOD, "x.md")
    assert (article.id, article.lang, article.category) == ("vpn-x", "en", "vpn")
    assert article.tags == ("vpn", "0x800ccc0e")
    assert article.steps == ("First.", "Second.")
    assert article.intro == "Intro line."
    assert article.key == "vpn-x.en"


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("  \n\n", "empty file"),
    ("---\nid: a\nlang: en\ntitle: A\n---\n", "no article text after the front matter"),
    ("---\n: [\n---\n1. a", "invalid YAML"),
    ("# Only a title\n\n## And a heading\n", "only headings"),
])
def test_parse_refuses_only_unusable_files_with_a_clear_message(text, message):
    with pytest.raises(ArticleFormatError, match=message):
        parse_article(text, "bad.md", default_id="bad", default_lang="en")


def test_what_is_only_less_good_is_derived_with_a_warning_not_refused():
    no_title = parse_article(GOOD.replace("title: VPN\n", ""), "vpn-x.en.md")
    assert no_title.title == "Vpn x" and "title" in no_title.derived and no_title.warnings
    prose = parse_article(GOOD.replace("1. First.\n2. Second.\n", "Just restart it. Then try again."), "x.md")
    assert prose.steps == () and "Just restart it. Then try again." in prose.intro
    unquoted = parse_article(GOOD.replace('"0x800ccc0e"', "0x800ccc0e"), "x.md")
    assert unquoted.tags == ("vpn",) and "quote codes" in unquoted.warnings[0]
    no_tags = parse_article(GOOD.replace('tags: [vpn, "0x800ccc0e"]\n', "tags: []\n"), "x.md")
    assert no_tags.tags == ("vpn",) and "tags" in no_tags.derived
    loose = parse_article("---\ntitle: Disk C: full\n---\nFree some space.", "x.md", default_id="x", default_lang="en")
    assert loose.title == "Disk C: full" and "not valid YAML" in loose.warnings[0]


def test_a_plain_markdown_file_gets_everything_from_its_text():
    text = "# VPN keeps dropping\n\nThe connection drops after an hour. Sign in again and keep the client open.\n"
    article = parse_article(text, "vpn.md", default_id="vpn", default_lang="en")
    assert (article.id, article.lang, article.title, article.category) == ("vpn", "en", "VPN keeps dropping", "general")
    assert article.summary == "The connection drops after an hour."
    assert article.steps == () and article.sections == ()
    assert set(article.derived) >= {"summary", "tags", "category"}


def test_load_finds_articles_recursively_and_refuses_duplicates(tmp_path):
    (tmp_path / "sub").mkdir()
    write_article(tmp_path, "a", "en", "A")
    write_article(tmp_path / "sub", "b", "nl", "B")
    (tmp_path / "README.md").write_text("not an article")
    assert sorted(a.key for a in load_articles(tmp_path)) == ["a.en", "b.nl"]
    write_article(tmp_path / "sub", "a", "en", "A again")
    with pytest.raises(ArticleFormatError, match="duplicate"):
        load_articles(tmp_path)


def test_shipped_kb_has_40_articles_each_in_three_languages(project_root):
    articles = load_articles(project_root / "kb" / "articles")
    by_id: dict[str, set[str]] = {}
    for a in articles:
        by_id.setdefault(a.id, set()).add(a.lang)
        assert len(a.steps) >= 3, a.path
        assert a.summary and "\n" not in a.summary
    assert len(by_id) >= 40
    assert all(langs == {"nl", "fr", "en"} for langs in by_id.values()), by_id
    categories = {a.category for a in articles}
    assert {"vpn", "printer", "email", "password", "security", "lost_device"} <= categories


@pytest.mark.parametrize("heading", ["## Technische stappen", "## Étapes techniques", "## Technical steps",
                                     "##  technical STEPS:"])
def test_technical_section_is_parsed_in_each_language(heading):
    text = (GOOD + f"\nStill stuck? Ask.\n\n{heading}\n"
            "- `ipconfig /flushdns`, then reconnect.\n* Check `Get-VpnConnection`.\n")
    article = parse_article(text, "x.md")
    assert article.technical_steps == ("`ipconfig /flushdns`, then reconnect.", "Check `Get-VpnConnection`.")
    assert article.steps == ("First.", "Second.")


def test_numbered_steps_stop_at_the_technical_heading():
    text = GOOD + "\n## Technical steps\n1. Not a step.\n- `netsh winsock reset`\n2. Neither.\n"
    article = parse_article(text, "x.md")
    assert article.steps == ("First.", "Second.")
    assert article.technical_steps == ("`netsh winsock reset`",)


def test_technical_section_is_kept_out_of_the_search_texts():
    plain = parse_article(GOOD, "x.md")
    article = parse_article(GOOD + "\n## Technical steps\n- `zzkeyword /flush` for admins.\n", "x.md")
    assert article.body == plain.body and "zzkeyword" not in article.body
    assert article.embedding_text() == plain.embedding_text()
    assert article.lexical_text() == plain.lexical_text()
    assert "zzkeyword" not in article.embedding_text() + article.lexical_text()


def test_article_without_technical_section_has_none():
    article = parse_article(GOOD + "\n## Other notes\n- a bullet that is not technical\n", "x.md")
    assert article.technical_steps == ()
    assert "## Other notes" in article.body


def test_empty_technical_section_is_a_warning():
    article = parse_article(GOOD + "\n## Technical steps\nJust prose.\n", "x.md")
    assert article.technical_steps == () and "no bullet lines" in article.warnings[0]
    assert article.steps == ("First.", "Second.")


def test_shipped_kb_has_technical_steps_with_the_same_commands_in_every_language(project_root):
    import re

    articles = load_articles(project_root / "kb" / "articles")
    commands: dict[str, set[tuple[str, ...]]] = {}
    for a in articles:
        assert 1 <= len(a.technical_steps) <= 4, a.path
        commands.setdefault(a.id, set()).add(tuple(sorted(re.findall(r"`([^`]+)`", " ".join(a.technical_steps)))))
    assert all(len(variants) == 1 for variants in commands.values()), commands
