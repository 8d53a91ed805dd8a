"""bot/triage.yml: facts per category, urgency/impact, skill and correction detection."""

from __future__ import annotations

import yaml

from bot.actions.triage_data import TRIAGE_FILE, triage_data
from tests.bot.conftest import load_domain


def test_every_category_of_the_catalogue_has_its_facts_declared():
    catalogue = yaml.safe_load((TRIAGE_FILE.parents[1] / "nlu_data" / "catalogue.yml").read_text())
    categories = {i["category"] for i in catalogue["intents"] if i.get("category")}
    data = triage_data()
    triaged = categories - {"security", "lost_device"}      # those take the urgent security path
    assert triaged <= set(data.facts), triaged - set(data.facts)


def test_every_fact_is_a_slot_with_a_question_an_explanation_and_a_phrase_in_each_language():
    domain = load_domain()
    data = triage_data()
    asked = set(data.default_facts).union(*data.facts.values())
    assert asked <= set(data.paraphrase_order)
    for fact in data.paraphrase_order:
        assert fact in domain["slots"], fact
        assert fact in domain["forms"]["triage_form"]["required_slots"], fact
        for prefix in ("utter_fact_", "utter_label_"):
            variants = domain["responses"][prefix + fact]
            langs = {next((c["value"] for c in v.get("condition", []) if c["name"] == "language"), "en")
                     for v in variants}
            assert langs == {"nl", "fr", "en"}, (prefix + fact, langs)
    for fact in asked:
        assert f"utter_ask_{fact}" in domain["responses"], fact


def test_facts_for_an_unknown_category_are_the_default_ones():
    data = triage_data()
    assert data.facts_for(None) == data.default_facts
    assert data.facts_for("printer")[0] == "symptom"


def test_urgency_comes_from_whether_work_is_blocked():
    data = triage_data()
    assert data.urgency_for({"work_blocked": "yes"}) == "high"
    assert data.urgency_for({"work_blocked": "no"}) == "low"
    assert data.urgency_for({"work_blocked": "only this afternoon"}) is None
    assert data.urgency_for({}) is None


def test_impact_from_a_button_value_or_words_in_any_language():
    data = triage_data()
    assert data.impact_for("just_me") == "low"
    assert data.impact_for("many") == "high"
    assert data.impact_for("heel de afdeling") == "medium"
    assert data.impact_for("tout le monde au bureau") == "high"
    assert data.impact_for("only me") == "low"
    assert data.impact_for("hmm not sure") is None
    assert data.impact_for(None) is None


def test_skill_from_vocabulary_needs_several_technical_terms():
    data = triage_data()
    assert data.skill_from_text(["ipconfig shows no DNS server, gateway pings fine"]) == "it_savvy"
    assert data.skill_from_text(["my printer does not print, the driver maybe"]) == "end_user"
    assert data.skill_from_text(["mijn pc is traag"]) == "end_user"


def test_a_correction_starts_with_a_marker_of_the_conversation_language():
    from bot.actions.facts import is_correction

    assert is_correction("no, since yesterday", "en")
    assert is_correction("Nee, sinds gisteren", "nl")
    assert is_correction("non, c'est sur mon GSM", "fr")
    assert is_correction("en fait c'est depuis lundi", "fr")
    assert not is_correction("nothing yet", "en")
    assert not is_correction("I restarted my laptop", "en")
    assert not is_correction("nonsense", "en")
    assert not is_correction("nee", "nl", strong_only=True) and is_correction("nee wacht, vrijdag", "nl", strong_only=True)
