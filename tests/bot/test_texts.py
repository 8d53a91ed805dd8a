from bot.actions.texts import has_response, render

DOMAIN = {"responses": {
    "utter_x": [
        {"condition": [{"type": "slot", "name": "language", "value": "nl"}], "text": "Hallo {name}"},
        {"condition": [{"type": "slot", "name": "language", "value": "fr"}], "text": "Bonjour {name}"},
        {"channel": "botframework", "custom": {"text": "card"}},
        {"text": "Hello {name}"},
    ]}}


def test_the_variant_of_the_language_is_rendered():
    assert render(DOMAIN, "utter_x", "nl", name="An") == "Hallo An"
    assert render(DOMAIN, "utter_x", "fr", name="An") == "Bonjour An"


def test_the_english_default_for_an_unknown_language_and_none_for_a_missing_response():
    assert render(DOMAIN, "utter_x", "de", name="An") == "Hello An"
    assert render(DOMAIN, "utter_x", None, name="{braces}") == "Hello {braces}"
    assert render(DOMAIN, "utter_missing", "nl") is None
    assert has_response(DOMAIN, "utter_x") and not has_response(DOMAIN, "utter_missing")
