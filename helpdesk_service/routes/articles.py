"""Read-only articles: the HTML pages the bot links to (escaped), and the same as JSON for the bot."""

from __future__ import annotations

import html
import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from helpdesk_service.deps import KbDep, SettingsDep

router = APIRouter(tags=["kb"])

# The technical section's heading on the article page, per language (the Markdown files use the same).
TECHNICAL_HEADING = {"nl": "Technische stappen", "fr": "Étapes techniques", "en": "Technical steps"}
_CODE = re.compile(r"`([^`]+)`")
_by_variant: tuple[object, dict[tuple[str, str], dict]] = (None, {})  # (docs list, (id, lang) -> doc)


def article_url(settings, article_id: str, lang: str) -> str:
    """The link the bot sends: the article page in one language."""
    return f"{settings.service.public_url.rstrip('/')}/kb/{article_id}?lang={lang}"


def _variant(kb: KbDep, article_id: str, lang: str | None) -> dict:
    docs = [d for d in kb.searcher().index.docs if d["id"] == article_id]
    if not docs:
        raise HTTPException(status_code=404, detail=f"article {article_id!r} not found")
    return next((d for d in docs if d["lang"] == lang), None) or next((d for d in docs if d["lang"] == "en"), docs[0])


def technical_steps(kb: KbDep, article_id: str, lang: str) -> list[str]:
    """The technical steps of one variant of the live index (``[]`` when it has none or is unknown)."""
    global _by_variant
    docs = kb.searcher().index.docs
    cached_docs, lookup = _by_variant
    if cached_docs is not docs:  # a new build was loaded: index it once, not on every search
        lookup = {(d["id"], d["lang"]): d for d in docs}
        _by_variant = (docs, lookup)
    return list(lookup.get((article_id, lang), {}).get("technical_steps", ()))


def _code_html(text: str) -> str:
    """``text`` HTML-escaped, with `backtick` spans shown as <code>."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


@router.get("/api/kb/articles/{article_id}", summary="One article in the requested language (or the best available)")
def article_json(article_id: str, kb: KbDep, settings: SettingsDep, lang: str | None = None) -> dict:
    doc = _variant(kb, article_id, lang)
    return {"article_id": doc["id"], "lang": doc["lang"], "title": doc["title"], "summary": doc["summary"],
            "category": doc["category"], "steps": doc["steps"],
            "technical_steps": list(doc.get("technical_steps", ())),  # absent in indexes built before the field
            "fallback_language": bool(lang) and doc["lang"] != lang,
            "url": article_url(settings, doc["id"], doc["lang"])}


@router.get("/kb/{article_id}", response_class=HTMLResponse)
def article_page(article_id: str, kb: KbDep, lang: str | None = None) -> str:
    doc = _variant(kb, article_id, lang)
    steps = "".join(f"<li>{html.escape(s)}</li>" for s in doc["steps"])
    technical = "".join(f"<li>{_code_html(s)}</li>" for s in doc.get("technical_steps", ()))
    if technical:
        heading = TECHNICAL_HEADING.get(doc["lang"], TECHNICAL_HEADING["en"])
        technical = f"<h2>{html.escape(heading)}</h2><ul>{technical}</ul>"
    return (
        f'<!doctype html><html lang="{html.escape(doc["lang"])}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(doc["title"])}</title></head>'
        f'<body><main><h1>{html.escape(doc["title"])}</h1><p>{html.escape(doc["intro"] or doc["summary"])}</p>'
        f"<ol>{steps}</ol>{technical}</main></body></html>"
    )
