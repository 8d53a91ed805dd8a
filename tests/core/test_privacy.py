import pytest

from core.privacy import MASK, contains_secret, mask


@pytest.mark.parametrize("text", ["my password is Hunter2!", "mijn wachtwoord: geheim123",
                                  "mon mot de passe est azerty", "pwd=abc123"])
def test_passwords_are_masked(text):
    assert contains_secret(text)
    masked = mask(text)
    assert MASK in masked and not any(s in masked for s in ("Hunter2", "geheim123", "azerty", "abc123"))


def test_ordinary_sentences_are_left_alone():
    text = "I reset my password yesterday and Outlook still asks for it"
    assert not contains_secret(text) and mask(text) == text


def test_personal_data_only_when_asked():
    text = "mail jan.peeters@example.com or call +32 475 12 34 56"
    assert mask(text) == text
    assert "example.com" not in mask(text, personal_data=True) and "475" not in mask(text, personal_data=True)
