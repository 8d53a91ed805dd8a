"""Facts read from free text in every language (bot/actions/facts.py, bot/facts/*.yml)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.actions.facts import canonical, extract, is_correction, says, since_in
from bot.actions.security_check import clear_signal

NOW = datetime(2026, 12, 1, 10, 30)   # a Tuesday
LANGUAGES = ["nl", "fr", "en"]


def facts(text, language):
    return extract(text, language, NOW, [language] + [l for l in LANGUAGES if l != language])


def test_a_dutch_first_message_gives_every_fact_it_states():
    found = facts("Sinds vanmorgen krijg ik in Outlook op mijn laptop geen nieuwe mails meer binnen, "
                  "foutcode 0x800CCC0E. Ik heb al herstart.", "nl")
    assert found["since"] == "sinds vanmorgen" and found["error_code"] == "0x800CCC0E"
    assert found["application"] == "Outlook" and found["device"] == "laptop"
    assert canonical("tried", found["tried"], LANGUAGES) == "restart"


def test_location_error_scope_and_blocked_are_read_too():
    found = facts("De VPN maakt vanaf thuis geen verbinding meer, ik krijg fout -14, al sinds maandag. "
                  "Heel de afdeling heeft het en we kunnen niet werken.", "nl")
    assert canonical("location", found["location"], LANGUAGES) == "home"
    assert found["error_code"] == "-14" and "maandag" in found["since"]
    assert canonical("scope", found["scope"], LANGUAGES) == "department" and found["work_blocked"] == "yes"


def test_an_implicit_check_fills_the_check_and_the_impact():
    found = facts("Depuis ce matin l'imprimante du 2e étage affiche un bourrage papier et n'imprime plus, "
                  "personne du service ne peut imprimer, nous sommes bloqués.", "fr")
    assert found["check_others_can_print"] == "no" and found["check_printer_display"] == "yes"
    assert canonical("scope", found["scope"], LANGUAGES) == "department" and found["work_blocked"] == "yes"


@pytest.mark.parametrize("text,language", [("I rebooted", "en"), ("j'ai redémarré", "fr"), ("al herstart", "nl")])
def test_what_was_tried_in_every_language(text, language):
    assert canonical("tried", facts(text, language)["tried"], LANGUAGES) == "restart"


@pytest.mark.parametrize("text,language", [("dat weet ik niet", "nl"), ("geen idee", "nl"),
                                          ("aucune idée", "fr"), ("I don't know", "en")])
def test_i_dont_know_is_recognised(text, language):
    assert says(text, language, "dont_know")


def test_since_is_never_later_than_the_message_and_needs_a_time_word():
    assert since_in("no wait, it started last Friday actually", "en", NOW).endswith("friday")
    assert since_in("the printer on the 2nd floor", "en", NOW) is None
    assert since_in("u kan me bellen", "nl", NOW) is None


def test_corrections_and_button_values():
    assert is_correction("non, c'est sur mon GSM", "fr")
    assert canonical("device", facts("non, c'est sur mon GSM", "fr")["device"], LANGUAGES) == "smartphone"
    assert canonical("scope", "just_me", LANGUAGES) == "just_me"


def test_network_vocabulary_is_no_security_signal_but_phishing_and_theft_are():
    assert not clear_signal("my laptop gets a DHCP lease but DNS resolution fails, nslookup times out")
    assert not clear_signal("het certificaat van de firewall is verlopen")
    assert clear_signal("I clicked a link in a phishing mail")
    assert clear_signal("on m'a volé mon portable dans le train")
    assert clear_signal("/phishing_security")


def test_a_negated_device_is_not_the_fact():
    assert facts("non, c'est sur mon PC fixe, pas le portable", "fr")["device"] == "pc fixe"
    assert canonical("device", facts("not my laptop, my phone", "en")["device"], LANGUAGES) == "smartphone"
    found = facts("we are not blocked, only me", "en")
    assert found["work_blocked"] == "no" and found["scope"] == "only me"


def test_a_network_message_read_as_security_is_triaged_as_the_next_problem(domain):
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.escalation import ActionSecurityIncident

    text = "my laptop on the office wired network gets a DHCP lease but DNS resolution fails"
    ranking = [{"name": "phishing_security", "confidence": 0.6}, {"name": "network_problem", "confidence": 0.3}]
    tracker = Tracker("u1", {"language": "en", "category": "security"},
                      {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": []},
                      [{"event": "user", "text": text}], False, None, None, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSecurityIncident().run(dispatcher, tracker, domain))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["category"] == "network" and slots["device"] == "laptop"
    assert events[-1] == {"event": "followup", "name": "triage_form", "timestamp": None}
    assert not any("security_advice" in str(m.get("response")) for m in dispatcher.messages)
