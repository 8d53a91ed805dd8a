"""The user-facing texts the service itself sends in a handed-off chat (``texts.yml``) and the
agents' canned responses (``canned.yml``): every text in nl, fr and en, picked by the chat's language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def _load(name: str) -> dict:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8")) or {}


def text(key: str, language: str, **values: object) -> str:
    """The text ``key`` in ``language`` (the chat's language, one of settings.languages)."""
    template = _load("texts.yml")[key][language]
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def canned(language: str, default_language: str) -> list[dict]:
    """[{id, title, text}] with each text in ``language`` (``default_language`` when it lacks one)."""
    return [{"id": c["id"], "title": c["title"], "text": c.get(language) or c[default_language]}
            for c in _load("canned.yml")["responses"]]
