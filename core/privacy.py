"""Masking of secrets (always) and personal data (when the settings say so) in stored text."""

from __future__ import annotations

import re

MASK = "[hidden]"

# "password is X", "mijn wachtwoord: X", "mot de passe = X", "pwd X", "code PIN 1234"
_SECRET = re.compile(
    r"(?P<label>\b(?:pass(?:word|wd)?|pwd|wachtwoord|paswoord|mot\s+de\s+passe|mdp|pin(?:\s*code)?|code\s+pin|secret)\b"
    r"(?:\s+(?:is|était|est|was|are|c'est|luidt)|\s*[:=])\s*)(?P<value>\S+)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_PHONE = re.compile(r"(?<!\w)(?:\+|00)?\d[\d /.-]{7,}\d\b")


def contains_secret(text: str) -> bool:
    return bool(_SECRET.search(text or ""))


def mask_secrets(text: str) -> str:
    """Replace what follows a password-like label with a mask."""
    return _SECRET.sub(lambda m: m.group("label") + MASK, text or "")


def mask_personal_data(text: str) -> str:
    return _PHONE.sub(MASK, _EMAIL.sub(MASK, text or ""))


def mask(text: str, personal_data: bool = False) -> str:
    text = mask_secrets(text)
    return mask_personal_data(text) if personal_data else text
