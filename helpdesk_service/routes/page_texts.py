"""The texts of the web pages (the web chat, the sign-in, console, accounts and editor pages) in every
configured language, and the small script that puts them in a page.

One JSON file per language, ``helpdesk_service/web/i18n/<language>.json`` (the languages of settings.yml),
flat keys namespaced per page (``console.take``, ``chat.send``, ``errors.handoff_conflict``). The markup
names its texts with ``data-i18n`` attributes, the scripts with ``I18n.t(key)``; ``i18n.js`` loads the
file of the chosen language. Every file is served from here, never from a CDN.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from core.settings import Settings
from helpdesk_service.deps import SettingsDep

router = APIRouter(tags=["page texts"])

TEXTS_DIR = Path(__file__).resolve().parents[1] / "web" / "i18n"
SCRIPT = "i18n.js"


def text_file(language: str) -> Path:
    return TEXTS_DIR / f"{language}.json"


def page_languages(settings: Settings) -> dict[str, str]:
    """The placeholders every page's ``<html>`` element fills in for ``i18n.js``: the languages and the
    default one."""
    return {"LANGUAGES": " ".join(settings.languages), "DEFAULT_LANGUAGE": settings.default_language}


def fill(text: str, **values: str) -> str:
    """A page with its ``{{NAME}}`` placeholders replaced by the values, HTML-escaped."""
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return text


@router.get("/i18n/{name}", include_in_schema=False)
def page_texts(name: str, settings: SettingsDep) -> FileResponse:
    files = {text_file(language).name: "application/json; charset=utf-8" for language in settings.languages}
    files[SCRIPT] = "text/javascript; charset=utf-8"
    if name not in files:
        raise HTTPException(status_code=404, detail=f"{name!r} not found")
    return FileResponse(TEXTS_DIR / name, media_type=files[name],
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})
