"""A customer-style KB: short prose and FAQ articles without numbered steps, tags or front matter,
mostly in English, built with the real encoder and searched in every language; the "no good answer"
threshold is learned from the off-topic calibration questions and keeps unrelated questions out."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kb_index.embedders import get_embedder
from kb_index.importer import import_kb
from kb_index.index import build_index, load_index, read_manifest
from kb_index.rejection import QUANTILE, calibration_sets, threshold_from
from kb_index.search import KbSearcher

ARTICLES = {
    "anyconnect-vpn.en.md": "# Cisco AnyConnect will not connect\n\nWhen you work from home and AnyConnect says "
    "the connection failed, check that your internet works, quit AnyConnect and start it again, and approve the "
    "Duo push on your phone.",
    "gmail-signature.en.md": "# Change your Gmail signature\n\nOpen Gmail settings with the gear icon, choose See "
    "all settings, scroll to Signature, edit the text and save the changes at the bottom of the page.",
    "shared-drive.en.md": "# Access to a shared drive in Google Drive\n\nA shared drive is only visible once its "
    "manager adds you as a member. Ask the owner of the shared drive to add your address.",
    "laptop-fan.en.md": "# The laptop fan is loud and the laptop is hot\n\nA loud fan means the processor is busy "
    "or the air vents are blocked. Put the laptop on a hard surface and close programs you do not use.",
    "badge.nl.md": "# Badge werkt niet aan de deur\n\nWerkt je toegangsbadge niet meer aan de ingang, laat hem "
    "dan opnieuw activeren aan het onthaal; een badge die lang niet gebruikt werd, wordt automatisch geblokkeerd.",
    "zoom-faq.en.md": "# Zoom FAQ\n\n**How do I share my screen in Zoom?**\nClick Share Screen in the meeting "
    "toolbar and choose the window.\n\n**Why can nobody hear me in Zoom?**\nCheck that you are not muted and "
    "that the right microphone is selected under the arrow next to Mute.",
    "imprimante.fr.html": "<h1>Imprimer avec son badge</h1><p>Envoyez le document à l'imprimante Follow-Me, puis "
    "présentez votre badge sur n'importe quel copieur pour libérer l'impression.</p>",
}

IN_SCOPE = [
    ("mijn vpn anyconnect maakt geen verbinding thuis", "nl", "anyconnect-vpn"),
    ("AnyConnect ne se connecte pas depuis la maison", "fr", "anyconnect-vpn"),
    ("how do I change my email signature in gmail", "en", "gmail-signature"),
    ("hoe pas ik mijn handtekening aan in gmail", "nl", "gmail-signature"),
    ("je ne vois pas le drive partagé de mon équipe", "fr", "shared-drive"),
    ("my laptop is very hot and the fan makes a lot of noise", "en", "laptop-fan"),
    ("de ventilator van mijn laptop maakt veel lawaai", "nl", "laptop-fan"),
    ("my access badge does not open the door anymore", "en", "badge"),
    ("mon badge n'ouvre plus la porte d'entrée", "fr", "badge"),
    ("hoe deel ik mijn scherm in zoom", "nl", "zoom-faq"),
    ("comment partager mon écran dans zoom", "fr", "zoom-faq"),
    ("how do I release my print job with my badge", "en", "imprimante"),
]

OFF_TOPIC = [
    ("wie betaalt de fietsvergoeding uit", "nl"),
    ("où est-ce que je peux garer mon vélo", "fr"),
    ("can you recommend a good pizza place near the office", "en"),
    ("hoeveel dagen thuiswerk mag ik per week doen", "nl"),
]


@pytest.fixture(scope="module")
def prose_kb(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prose")
    (folder / "kb").mkdir()
    for name, text in ARTICLES.items():
        (folder / "kb" / name).write_text(text, encoding="utf-8")
    result = import_kb(folder / "kb", ("nl", "fr", "en"))
    assert not result.skipped and len(result.articles) == len(ARTICLES)
    embedder = get_embedder("use-multilingual-v3")
    build_index(result.articles, embedder, folder / "index")
    return folder / "index", KbSearcher(load_index(folder / "index", embedder.name), embedder)


@pytest.mark.parametrize("query, lang, expected", IN_SCOPE)
def test_prose_articles_without_steps_or_tags_are_found_across_languages(prose_kb, query, lang, expected):
    _, searcher = prose_kb
    hits = searcher.search(query, lang=lang, top_k=3)  # the threshold learned for this index
    assert hits and hits[0].article_id == expected, [(h.article_id, h.score) for h in hits]


@pytest.mark.parametrize("query, lang", OFF_TOPIC)
def test_off_topic_questions_get_no_article(prose_kb, query, lang):
    _, searcher = prose_kb
    assert searcher.search(query, lang=lang, top_k=3) == []


def test_the_faq_answer_that_matched_is_the_hit_section(prose_kb):
    _, searcher = prose_kb
    hit = searcher.search("nobody can hear me in my zoom meeting", lang="en", top_k=1)[0]
    assert hit.article_id == "zoom-faq" and hit.section == "Why can nobody hear me in Zoom?"
    assert hit.steps == ()


def test_the_threshold_is_learned_per_question_language_from_the_calibration_questions(prose_kb):
    index_dir, searcher = prose_kb
    rejection = read_manifest(index_dir)["rejection"]
    sets = calibration_sets()
    assert set(rejection["thresholds"]) == set(sets) and rejection["questions"] == sum(map(len, sets.values()))
    scores = {lang: np.array([max(h.confidence for h in searcher.search(q, lang=lang, top_k=3, min_score=-10.0))
                              for q in questions]) for lang, questions in sets.items()}
    # each language's median, plus the quantile of every score above its own language's median
    above = sorted(x - float(np.median(s)) for s in scores.values() for x in s)
    tail = threshold_from(np.array(above), QUANTILE)
    rejected = 0
    for lang, s in scores.items():
        assert rejection["thresholds"][lang] == pytest.approx(float(np.median(s)) + tail, abs=2e-3), lang
        rejected += int(np.sum(s < rejection["thresholds"][lang]))
    assert rejected / sum(map(len, scores.values())) >= QUANTILE - 0.02
    assert json.dumps(rejection)  # stored as plain JSON in the manifest
