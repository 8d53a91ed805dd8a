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


# --- messages written for issue 12 (not from any evaluation set): facts said in passing ---------

def answer(text, language, requested):
    return extract(text, language, NOW, [language] + [l for l in LANGUAGES if l != language], requested)


@pytest.mark.parametrize("text,language,scope", [
    ("niemand op de verdieping kan nog iets printen", "nl", "floor"),
    ("wij zitten allemaal stil", "nl", "team"),
    ("personne à l'étage n'arrive à imprimer", "fr", "floor"),
    ("on est tous coincés depuis ce matin", "fr", "team"),
    ("we're all stuck since lunch", "en", "team"),
    ("same here for my colleagues too", "en", "team"),
    ("nee, niet alleen ik, ook de buren", "nl", "team"),
    ("non, pas seulement moi", "fr", "team"),
    ("the entire support team is locked out", "en", "team"),
    ("ons team kan niet meer in de gedeelde map", "nl", "team"),
    ("my team can't open the shared mailbox", "en", "team"),
    ("onze afdeling kan niet meer printen", "nl", "department"),
    ("notre service ne peut plus imprimer", "fr", "department"),
])
def test_an_implicit_impact_and_block_are_read(text, language, scope):
    found = facts(text, language)
    assert canonical("scope", found["scope"], LANGUAGES) == scope
    if "stil" in text or "coincés" in text or "stuck" in text:
        assert found["work_blocked"] == "yes"


@pytest.mark.parametrize("text,language", [
    ("de printer op de derde verdieping trekt geen papier meer in", "nl"),
    ("Mijn collega's zien mijn scherm niet als ik deel in Teams", "nl"),
    ("l'imprimante du 1er étage ne sort plus rien", "fr"),
    ("mes collègues ne me voient pas dans Teams", "fr"),
    ("the printer on the 4th floor keeps jamming", "en"),
    ("my team can't see my shared screen in Teams", "en"),
    ("Teams kan niet starten en heeft een update nodig", "nl"),
    ("Teams is very slow today", "en"),
])
def test_a_floor_or_colleagues_named_in_passing_are_not_who_is_affected(text, language):
    assert "scope" not in facts(text, language)


def test_group_words_are_who_is_affected_as_the_answer_to_that_question():
    assert canonical("scope", answer("afdeling", "nl", "scope")["scope"], LANGUAGES) == "department"
    assert canonical("scope", answer("l'étage", "fr", "scope")["scope"], LANGUAGES) == "floor"
    assert canonical("scope", answer("my colleagues", "en", "scope")["scope"], LANGUAGES) == "team"
    # the first one said: "only me, the others are fine"
    assert canonical("scope", answer("only me, my colleagues are fine", "en", "scope")["scope"], LANGUAGES) == "just_me"


@pytest.mark.parametrize("text,language,value", [
    ("ik kan zo echt niet werken", "nl", "yes"),
    ("ik kan helemaal niks doen", "nl", "yes"),
    ("gaat nog, het kan wachten", "nl", "no"),
    ("je ne peux vraiment pas travailler", "fr", "yes"),
    ("personne ne peut travailler ici", "fr", "yes"),
    ("pas vraiment, je peux avancer sur d'autres dossiers", "fr", "no"),
    ("I really can't work like this", "en", "yes"),
    ("it can wait, I can work on something else", "en", "no"),
])
def test_whether_work_is_blocked_in_other_words(text, language, value):
    assert facts(text, language)["work_blocked"] == value


@pytest.mark.parametrize("text,language,day", [
    ("sinds het weekend", "nl", 28), ("depuis le week-end", "fr", 28), ("since the weekend", "en", 28),
    ("sinds een dag of drie", "nl", 28), ("depuis deux ou trois jours", "fr", 28), ("2 or 3 days ago", "en", 28),
    ("al een week of twee", "nl", 17), ("al heel de week", "nl", 30), ("depuis toute la semaine", "fr", 30),
])
def test_since_when_in_many_forms(text, language, day):
    from core.language.time_expressions import parse

    assert parse(facts(text, language)["since"], language, now=NOW).value.day == day


@pytest.mark.parametrize("text,language", [
    ("excel openen duurt minuten", "nl"), ("ouvrir un fichier prend une minute", "fr"),
    ("the login takes 5 minutes", "en"),
])
def test_a_duration_that_is_no_since_when(text, language):
    assert "since" not in facts(text, language)


def test_a_bare_duration_answers_since_when_and_a_lead_makes_it_one():
    assert answer("een paar dagen", "nl", "since")["since"] == "een paar dagen"
    assert facts("ça fait une semaine que ça plante", "fr")["since"] == "une semaine"
    assert facts("it's been broken for 3 days", "en")["since"] == "3 days"


def test_a_time_in_the_answer_to_another_question_is_since_when_only_when_it_says_so():
    assert "since" not in answer("ja, vanmorgen nog", "nl", "check_restarted_today")
    assert "since" not in answer("yes this morning", "en", "check_restarted_today")
    assert "since" not in answer("non, pas aujourd'hui", "fr", "check_restarted_today")
    assert answer("oh en het is sinds gisteren trouwens", "nl", "location")["since"] == "sinds gisteren"
    assert answer("nee wacht, vrijdag al", "nl", "tried")["since"].endswith("vrijdag")
    assert answer("ah, ça a commencé mardi", "fr", "scope")["since"].endswith("mardi")


def test_what_was_tried_in_other_words_and_i_dont_know_is_not_nothing():
    assert canonical("tried", facts("laptop uit en terug aan gezet", "nl")["tried"], LANGUAGES) == "restart"
    assert canonical("tried", facts("signed out and back in", "en")["tried"], LANGUAGES) == "logout"
    assert canonical("tried", facts("j'ai débranché et rebranché le dock", "fr")["tried"], LANGUAGES) == "other_cable"
    assert "tried" not in facts("j'en sais rien", "fr")


def test_an_error_message_in_single_quotes_but_not_an_apostrophe():
    assert facts("er staat 'server niet gevonden' in beeld", "nl")["error_code"] == "server niet gevonden"
    assert "error_code" not in facts("l'imprimante d'en haut n'imprime plus", "fr")


def test_a_place_word_said_as_a_place_and_the_first_device_of_an_answer():
    assert canonical("location", facts("VPN KO depuis la maison", "fr")["location"], LANGUAGES) == "home"
    assert canonical("device", "op mijn laptop met een headset", LANGUAGES) == "laptop"


def test_a_dutch_compound_names_the_device_and_more_places():
    assert canonical("device", facts("mijn werklaptop start niet meer op", "nl")["device"], LANGUAGES) == "laptop"
    assert canonical("device", facts("de dienstgsm krijgt geen mails", "nl")["device"], LANGUAGES) == "smartphone"
    assert canonical("location", facts("ik zit vandaag op het hoofdkantoor", "nl")["location"], LANGUAGES) == "office"
    assert canonical("location", facts("je travaille depuis le siège", "fr")["location"], LANGUAGES) == "office"
    assert canonical("location", facts("I'm abroad this week", "en")["location"], LANGUAGES) == "elsewhere"


@pytest.mark.parametrize("text,language,scope,impact", [
    ("heel wat mensen", "nl", "many", "high"), ("pas mal de monde", "fr", "many", "high"),
    ("lots of people", "en", "many", "high"), ("de boekhouding", "nl", "department", "medium"),
    ("een paar mensen", "nl", "team", "medium"),
])
def test_who_is_affected_in_the_users_words_gives_the_impact(text, language, scope, impact):
    from bot.actions.triage_data import triage_data

    value = answer(text, language, "scope")["scope"]
    assert canonical("scope", value, LANGUAGES) == scope
    assert triage_data().impact_for(value, None, LANGUAGES) == impact


def test_an_account_or_an_app_that_is_blocked_is_not_the_user_blocked_but_the_answer_is():
    for text, language in [("mijn account is geblokkeerd", "nl"), ("OneDrive est bloqué sur la synchro", "fr"),
                           ("my print job is stuck", "en"), ("het papier zit vast", "nl")]:
        assert "work_blocked" not in facts(text, language)
    assert answer("geblokkeerd", "nl", "work_blocked")["work_blocked"] == "yes"
    assert answer("je suis coincé", "fr", "work_blocked")["work_blocked"] == "yes"


def test_a_windows_stop_code_is_an_error_code():
    assert facts("blauw scherm met KERNEL_SECURITY_CHECK_FAILURE", "nl")["error_code"] == "KERNEL_SECURITY_CHECK_FAILURE"


@pytest.mark.parametrize("text,language,expected", [
    ("sinds gistren", "nl", "sinds gisteren"), ("al sins maandg", "nl", "maandag"),
    ("depuis lundii", "fr", "depuis lundi"), ("since yesterady", "en", "since yesterday"),
])
def test_a_time_word_with_one_typo_is_read(text, language, expected):
    assert facts(text, language)["since"] == expected


def test_an_ordinary_word_near_a_time_word_is_no_time():
    assert "since" not in facts("ik wil weten waarom de printer niet werkt", "nl")
    assert "since" not in facts("I work from my house", "en")
