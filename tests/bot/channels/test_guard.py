"""What the chat channels check before the dialogue (bot/channels/guard.py): length and rate, with
notices in the user's language. (The channels themselves run inside Rasa: tests/e2e/test_security.py.)"""

from __future__ import annotations

import re
from pathlib import Path

from bot.channels.guard import NOTICES, MessageGuard, notice
from core.settings import PROJECT_ROOT, load_settings


def test_every_notice_exists_in_every_language_with_the_same_placeholders():
    languages = set(load_settings().languages)
    for name, texts in NOTICES.items():
        assert set(texts) == languages, name
        assert len({tuple(re.findall(r"{\w+}", t)) for t in texts.values()}) == 1, name


def test_long_messages_are_cut_with_a_notice_in_the_locales_language():
    guard = MessageGuard(max_chars=100, per_minute=100, per_minute_per_ip=100)
    checked = guard.check("x" * 1_000_000, "jan", "10.0.0.1", {"locale": "fr-BE"})
    assert checked.allowed and checked.text == "x" * 100
    assert checked.notices == [NOTICES["message_cut"]["fr"].format(max=100)]
    assert guard.check("hallo", "jan", "10.0.0.1", {"locale": "nl"}).notices == []


def test_rate_limits_per_sender_and_per_address(monkeypatch):
    monkeypatch.setenv("HELPDESK_DEFAULT_LANGUAGE", "nl")
    guard = MessageGuard(max_chars=100, per_minute=3, per_minute_per_ip=5)
    assert all(guard.check("hi", "a", "ip1").allowed for _ in range(3))
    refused = guard.check("hi", "a", "ip1")
    assert not refused.allowed and refused.notices == [NOTICES["rate_limited"]["nl"]]   # no locale: default
    assert guard.check("hi", "b", "ip1").allowed and guard.check("hi", "c", "ip1").allowed
    assert not guard.check("hi", "d", "ip1").allowed              # the address spent its 5
    assert guard.check("hi", "e", "ip2").allowed


def test_unknown_locale_falls_back_to_the_default_language(monkeypatch):
    monkeypatch.setenv("HELPDESK_DEFAULT_LANGUAGE", "en")
    assert notice("session_invalid", "de-DE") == NOTICES["session_invalid"]["en"]


def test_languages_are_data_not_code():
    """No literal language code in the masking and channel modules (languages live in their YAML)."""
    for module in ["core/privacy.py", "bot/channels/guard.py", "bot/channels/socketio.py", "bot/channels/rest.py"]:
        source = (PROJECT_ROOT / module).read_text(encoding="utf-8")
        assert not re.search(r"[\"'](?:nl|fr|en)[\"']", source), module


class Output:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text_message(self, recipient: str, text: str) -> None:
        self.sent.append((recipient, text))


class Message:   # the attributes of Rasa's UserMessage that deliver uses
    def __init__(self) -> None:
        self.sender_id, self.input_channel, self.output_channel = "jan", "rest", Output()


def test_a_failing_dialogue_is_told_to_the_user_in_the_locales_language(caplog):
    import asyncio

    from bot.channels.guard import deliver

    async def store_down(message):
        raise ConnectionError("could not connect to server: Connection refused")

    async def fine(message):
        await message.output_channel.send_text_message(message.sender_id, "hello")

    failed = Message()
    assert asyncio.run(deliver(store_down, failed, "fr-BE")) is False
    assert failed.output_channel.sent == [("jan", NOTICES["unavailable"]["fr"])]
    assert "ConnectionError" in caplog.text
    ok = Message()
    assert asyncio.run(deliver(fine, ok, "fr-BE")) is True and ok.output_channel.sent == [("jan", "hello")]
