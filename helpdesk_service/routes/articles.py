"""Read-only articles: the HTML pages the bot links to (escaped), and the same as JSON for the bot."""

from __future__ import annotations

import html
import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from helpdesk_service.deps import KbDep, SettingsDep
from kb_index.languages import technical_heading

router = APIRouter(tags=["kb"])

_CODE = re.compile(r"`([^`]+)`")


def article_url(settings, article_id: str, lang: str) -> str:
    """The link the bot sends: the article page in one language."""
    return f"{settings.service.public_url.rstrip('/')}/kb/{article_id}?lang={lang}"


def _variant(kb: KbDep, article_id: str, lang: str | None) -> dict:
    doc = kb.searcher().article(article_id, lang)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"article {article_id!r} not found")
    return doc


def _code_html(text: str) -> str:
    """``text`` HTML-escaped, with `backtick` spans shown as <code>."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


@router.get("/api/kb/articles/{article_id}", summary="One article in the requested language (or the best available)")
def article_json(article_id: str, kb: KbDep, settings: SettingsDep, lang: str | None = None) -> dict:
    doc = _variant(kb, article_id, lang)
    return {"article_id": doc["id"], "lang": doc["lang"], "title": doc["title"], "summary": doc["summary"],
            "category": doc["category"], "steps": doc["steps"],
            "technical_steps": list(doc.get("technical_steps", ())),  # absent in indexes built before the field
            "sections": [{"title": s["title"], "text": s["text"]} for s in doc.get("sections", ())],
            "fallback_language": bool(lang) and doc["lang"] != lang,
            "url": article_url(settings, doc["id"], doc["lang"])}


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{_code_html(line)}</p>" for line in text.splitlines() if line.strip())


@router.get("/kb/{article_id}", response_class=HTMLResponse)
def article_page(article_id: str, kb: KbDep, settings: SettingsDep, lang: str | None = None) -> str:
    doc = _variant(kb, article_id, lang)
    steps = "".join(f"<li>{html.escape(s)}</li>" for s in doc["steps"])
    steps = f"<ol>{steps}</ol>" if steps else ""
    sections = "".join(f"<section id=\"s{i}\"><h2>{html.escape(s['title'])}</h2>{_paragraphs(s['text'])}</section>"
                       for i, s in enumerate(doc.get("sections", ())))
    technical = "".join(f"<li>{_code_html(s)}</li>" for s in doc.get("technical_steps", ()))
    if technical:
        heading = technical_heading(doc["lang"], settings.default_language)
        technical = f"<h2>{html.escape(heading)}</h2><ul>{technical}</ul>"
    intro = _paragraphs(doc["intro"]) if doc["intro"] else f"<p>{html.escape(doc['summary'])}</p>"
    return (
        f'<!doctype html><html lang="{html.escape(doc["lang"])}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(doc["title"])}</title></head>'
        f'<body><main><h1>{html.escape(doc["title"])}</h1>{intro}'
        f"{steps}{sections}{technical}</main></body></html>"
    )
