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


def text(key: str, language: str, default_language: str = "en", **values: object) -> str:
    variants = _load("texts.yml")[key]
    template = variants.get(language) or variants[default_language]
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def canned(language: str | None = None) -> list[dict]:
    """[{id, title, text}] in ``language`` (or every language when None: {id, title, nl, fr, en})."""
    items = _load("canned.yml")["responses"]
    if language is None:
        return items
    return [{"id": c["id"], "title": c["title"], "text": c.get(language) or c["en"]} for c in items]
