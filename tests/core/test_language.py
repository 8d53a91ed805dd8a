import pytest

from core.language import Detection, LanguageDetector, decide_conversation_language
from core.settings import PROJECT_ROOT, load_settings

LANGS = load_settings().languages   # the configured languages (settings.yml)


@pytest.fixture(scope="module")
def detector():
    return LanguageDetector.from_nlu_dir(PROJECT_ROOT / "nlu_data", LANGS)


@pytest.mark.parametrize("text, lang", [
    ("mijn VPN werkt niet meer sinds vanmorgen", "nl"),
    ("allee mijn pc is traag", "nl"),
    ("hallo", "nl"),
    ("neen", "nl"),
    ("mon imprimante n'imprime plus", "fr"),
    ("bonjour", "fr"),
    ("mon PC rame", "fr"),
    ("Outlook stopped syncing", "en"),
    ("hello", "en"),
    ("thanks", "en"),
])
def test_detects_short_chat_messages(detector, text, lang):
    assert detector.detect(text).lang == lang


@pytest.mark.parametrize("text", ["Mein Drucker druckt nicht mehr seit gestern",
                                  "Il mio computer non si accende più da stamattina"])
def test_flags_other_languages(detector, text):
    assert not detector.detect(text).supported


def test_emoji_only_has_no_words(detector):
    assert detector.detect("😀😀😀").words == 0


def decide(current, lang, words, confidence=1.0, **kw):
    return decide_conversation_language(current, Detection(lang, confidence, words), supported=LANGS, **kw)


def test_language_is_sticky_for_short_messages():
    assert decide(None, "fr", 1) == "fr"
    assert decide("nl", "fr", 1) == "nl"          # "merci" does not switch
    assert decide("nl", "en", 2) == "nl"          # "ok thanks" neither
    assert decide("nl", "fr", 6, 0.99) == "fr"    # a real French sentence does
    assert decide("nl", "fr", 6, 0.5) == "nl"     # unless unsure


def test_explicit_request_wins_and_unsupported_changes_nothing():
    assert decide("nl", "nl", 4, requested="en") == "en"
    assert decide("nl", "nl", 4, requested="de") == "nl"
    unsupported = Detection("nl", 1.0, 7, supported=False, other_lang="de")
    assert decide_conversation_language("fr", unsupported, supported=LANGS) == "fr"


@pytest.mark.parametrize("text, lang", [
    ("wachtwoort vergeten", "nl"),          # typo
    ("amai zo traag", "nl"),                # Flemish
    ("forticlient verbindt niet", "nl"),    # product name inside a sentence
    ("mon GSM bug", "fr"),                  # Belgian French
    ("je sais pas imprimer", "fr"),
    ("outlok not working", "en"),
    ("can't log in", "en"),
])
def test_detects_chat_style(detector, text, lang):
    assert detector.detect(text).lang == lang


@pytest.mark.parametrize("text", ["la impresora no imprime nada", "ho dimenticato la password",
                                  "ich kann mich nicht anmelden"])
def test_flags_short_messages_in_other_languages(detector, text):
    detection = detector.detect(text)
    assert not detection.supported and detection.other_lang


@pytest.mark.parametrize("text", ["printer not printing", "imprimante hors ligne", "printer staat offline",
                                  "Outlook non", "ok"])
def test_supported_or_too_short_messages_are_not_flagged(detector, text):
    assert detector.detect(text).supported


def test_confidence_is_a_probability(detector):
    d = detector.detect("mijn laptop start niet meer op")
    assert d.lang == "nl" and 0.9 <= d.confidence <= 1.0 and d.words == 6


def test_chat_set_accuracy_meets_the_target(detector):
    from helpdesk.evaluation.langid import evaluate, load_chat

    assert evaluate(lambda text: detector.detect(text).lang, load_chat()).overall >= 0.99


def test_word_frequencies_weigh_names_less():
    from core.language import frequencies

    assert frequencies.tokens("mijn Outlook VPN") == [("mijn", 1.0), ("outlook", 0.3), ("vpn", 0.3)]
    scores = frequencies.log_likelihoods("werkt niet", ("nl", "fr", "en"))
    assert scores["nl"] == 0.0 and scores["fr"] < -5 and scores["en"] < -5
