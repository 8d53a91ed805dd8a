"""Importing a KB as it exists: Markdown or HTML, front matter optional, language from the file name or
detected, sections, and a clear report for bad input (nothing else skipped, the index still built)."""

from __future__ import annotations

import pytest

from kb_index.articles import MAX_PASSAGE_WORDS, parse_article
from kb_index.importer import MAX_FILE_BYTES, import_kb
from kb_index.index import build_index, load_index
from kb_index.search import KbSearcher
from tests.conftest import write_article

LANGUAGES = ("nl", "fr", "en")

HTML = """<html><head><title>Printer page</title><style>p {color: red}</style></head><body>
<h1>Printer jams</h1><p>Paper gets stuck in <b>tray 2</b>.<p>Open the side door
<ul><li>Remove the sheet<li>Close the door</ul>
<h2>Still jammed</h2><p>Call the facilities desk.</p></body>"""

FAQ = """# Questions fréquentes sur la messagerie

**Comment récupérer un message supprimé ?**
Ouvrez le dossier Éléments supprimés et choisissez Restaurer.

**Pourquoi ma boîte est-elle pleine ?**
Les pièces jointes prennent de la place : videz la corbeille.
"""


def test_html_and_faq_pages_are_read_with_their_sections():
    page = parse_article(HTML, "printer.en.html", default_id="printer", default_lang="en")
    assert page.title == "Printer jams"
    assert "Paper gets stuck in tray 2." in page.intro and "Remove the sheet" in page.intro
    assert [s.title for s in page.sections] == ["Still jammed"]
    assert "color" not in page.body
    faq = parse_article(FAQ, "mail-faq.fr.md", default_id="mail-faq", default_lang="fr")
    assert [s.title for s in faq.sections] == ["Comment récupérer un message supprimé ?",
                                               "Pourquoi ma boîte est-elle pleine ?"]
    assert faq.sections[1].text == "Les pièces jointes prennent de la place : videz la corbeille."
    assert faq.summary == "Ouvrez le dossier Éléments supprimés et choisissez Restaurer."


def test_a_long_section_is_indexed_in_parts_and_each_part_names_its_section():
    sentence = "The docking station needs its own power adapter and a firmware update from the vendor site. "
    text = "# Docking guide\n\nShort intro.\n\n## Firmware\n" + sentence * 30 + "\n\n## Cables\nUse the USB-C cable.\n"
    article = parse_article(text, "dock.en.md", default_id="dock", default_lang="en")
    passages = article.passages()
    assert passages[0][0] == -1 and "Docking guide" in passages[0][1] and "Firmware. Cables" in passages[0][1]
    firmware = [p for s, p in passages if s == 0]
    assert len(firmware) >= 3 and all(len(p.split()) <= MAX_PASSAGE_WORDS + 10 for p in firmware)
    assert all(p.startswith("Docking guide. Firmware. ") for p in firmware)
    assert [p for s, p in passages if s == 1] == ["Docking guide. Cables. Use the USB-C cable."]


def test_language_comes_from_the_front_matter_the_file_name_or_the_text(tmp_path):
    (tmp_path / "a.nl.md").write_text("# A\n\nText.", encoding="utf-8")
    (tmp_path / "b.md").write_text("---\nlang: fr\n---\n# B\n\nText.", encoding="utf-8")
    (tmp_path / "c.md").write_text("# Wachtwoord vergeten\n\nJe kan je wachtwoord zelf opnieuw instellen via de "
                                   "portaalsite van het bedrijf, met je telefoon bij de hand.", encoding="utf-8")
    (tmp_path / "d.md").write_text("# Mot de passe oublié\n\nVous pouvez réinitialiser vous-même votre mot de "
                                   "passe sur le portail de l'entreprise, avec votre téléphone.", encoding="utf-8")
    result = import_kb(tmp_path, LANGUAGES)
    assert sorted(a.key for a in result.articles) == ["a.nl", "b.fr", "c.nl", "d.fr"]
    assert "lang" in next(a for a in result.articles if a.id == "c").derived


def test_bad_input_gets_one_clear_line_each_and_the_rest_is_indexed(tmp_path, fake_embedder):
    kb = tmp_path / "kb"
    kb.mkdir()
    write_article(kb, "good", "en", "Good article")
    (kb / "good2.en.md").write_text("# Another good one\n\nJust prose here.", encoding="utf-8")
    (kb / "empty.en.md").write_text("", encoding="utf-8")
    (kb / "front-only.en.md").write_text("---\ntitle: Nothing else\n---\n", encoding="utf-8")
    (kb / "huge.en.md").write_text("# Huge\n\n" + "word " * (MAX_FILE_BYTES // 5 + 10), encoding="utf-8")
    (kb / "binary.en.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (kb / "broken.en.html").write_text("<html><body><h1>Broken page<p>Text without <b>closing tags",
                                       encoding="utf-8")
    (kb / "sub").mkdir()
    write_article(kb / "sub", "good", "en", "Same id elsewhere")
    result = import_kb(kb, LANGUAGES)
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in result.skipped}
    assert set(reasons) == {"empty.en.md", "front-only.en.md", "huge.en.md", "binary.en.md", "good.en.md"}
    assert reasons["empty.en.md"] == "empty file"
    assert reasons["front-only.en.md"] == "no article text after the front matter"
    assert reasons["huge.en.md"].startswith("too large (1.0 MB; the limit is 1 MB)")
    assert reasons["binary.en.md"].startswith("not a text file")
    assert reasons["good.en.md"].startswith("duplicate article good.en (also ")
    assert sorted(a.key for a in result.articles) == ["broken.en", "good.en", "good2.en"]
    broken = next(a for a in result.articles if a.id == "broken")
    assert broken.title == "Broken page" and "Text without closing tags" in broken.intro
    lines = result.report_lines()
    assert lines[0].startswith("3 article variants indexed") and "5 files skipped" in lines[0]
    assert sum(line.startswith("  skipped ") for line in lines) == 5
    report = build_index(result.articles, fake_embedder, tmp_path / "index")
    assert report.articles == 3 and load_index(tmp_path / "index", fake_embedder.name).docs


def test_hits_carry_technical_steps_and_the_matching_section(tmp_path, fake_embedder):
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "guide.en.md").write_text(
        "# Laptop guide\n\nAll about laptops.\n\n## Battery zebra\nCharge zebra overnight.\n\n"
        "## Screen\nClean it.\n\n## Technical steps\n- `powercfg /batteryreport`\n", encoding="utf-8")
    build_index(import_kb(tmp_path / "kb", LANGUAGES).articles, fake_embedder, tmp_path / "index")
    searcher = KbSearcher(load_index(tmp_path / "index", fake_embedder.name), fake_embedder)
    hit = searcher.search("battery zebra charge", min_score=0.0)[0]
    assert hit.article_id == "guide" and hit.section == "Battery zebra"
    assert hit.section_text == "Charge zebra overnight."
    assert hit.technical_steps == ("`powercfg /batteryreport`",)


@pytest.mark.parametrize("name", ["README.md", "readme.html", ".hidden.en.md"])
def test_readme_and_hidden_files_are_not_articles(tmp_path, name):
    (tmp_path / name).write_text("# Not an article\n\nText.", encoding="utf-8")
    result = import_kb(tmp_path, LANGUAGES)
    assert result.articles == [] and result.skipped == []
