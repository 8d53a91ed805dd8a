"""How the bot shows an article that is not a numbered-steps article (real service, fake encoder):
a prose article as its summary and link, a long one with the section that matched first."""

from __future__ import annotations

from kb_index.importer import load_articles
from kb_index.index import build_index
from tests.bot.test_actions import run, tracker
from bot.actions.confirmation import ActionConfirmFacts
from bot.actions.self_service import ActionShowArticle


def _kb(helpdesk, files: dict[str, str]) -> None:
    """Replace the test KB with these files (name -> text) and rebuild the index."""
    helpdesk.kb_dir.mkdir(parents=True, exist_ok=True)
    for old in helpdesk.kb_dir.glob("*.md"):
        old.unlink()
    for name, text in files.items():
        (helpdesk.kb_dir / name).write_text(text, encoding="utf-8")
    build_index(load_articles(helpdesk.kb_dir, languages=helpdesk.settings.languages), helpdesk.embedder,
                helpdesk.settings.path(helpdesk.settings.kb.index_dir))


PROSE = ("# VPN verbinding valt weg\n\nDe VPN verbinding valt weg na een uur. Meld je opnieuw aan en laat de "
         "client open staan.\n")
GUIDE = ("# Laptop gids\n\nAlles over je laptop.\n\n## Batterij laadt niet\nControleer de adapter en de "
         "kabel, en laat de batterij een nacht laden.\n\n## Scherm blijft zwart\nDruk tien seconden op de aan-knop "
         "en sluit een extern scherm aan.\n")


def test_an_article_without_steps_is_shown_as_summary_and_link(helpdesk):
    _kb(helpdesk, {"vpn-drops.nl.md": PROSE})
    messages, slots = run(ActionConfirmFacts(), tracker(slots={"symptom": "mijn VPN verbinding valt weg"}))
    assert [m["response"] for m in messages] == ["utter_article_summary", "utter_ask_solved_no_steps"]
    shown = messages[0]
    assert shown["title"] == "VPN verbinding valt weg"
    assert shown["summary"] == "De VPN verbinding valt weg na een uur."
    assert shown["url"].endswith("/kb/vpn-drops?lang=nl")
    assert slots["current_article"] == "vpn-drops" and slots["current_steps"] == []


def test_the_section_that_matched_is_shown_first(helpdesk):
    _kb(helpdesk, {"laptop-guide.nl.md": GUIDE})
    messages, slots = run(ActionConfirmFacts(), tracker(slots={"symptom": "scherm blijft zwart aan knop"}))
    assert messages[0]["response"] == "utter_article_section"
    assert messages[0]["section"] == "Scherm blijft zwart"
    assert messages[0]["text"].startswith("Druk tien seconden op de aan-knop")
    assert messages[0]["url"].endswith("/kb/laptop-guide?lang=nl")
    assert slots["current_article"] == "laptop-guide"


def test_a_chosen_article_without_steps_is_shown_as_summary_and_link(helpdesk):
    _kb(helpdesk, {"vpn-drops.nl.md": PROSE})
    t = tracker(text="/choose_article", intent="choose_article",
                entities=[{"entity": "article_id", "value": "vpn-drops"}])
    messages, _ = run(ActionShowArticle(), t)
    assert [m["response"] for m in messages] == ["utter_article_summary", "utter_ask_solved_no_steps"]
