"""Read-only article pages (the links the bot sends), HTML-escaped."""

from __future__ import annotations

import html

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from escalation.api.deps import KbDep

router = APIRouter(tags=["kb"])


@router.get("/kb/{article_id}", response_class=HTMLResponse)
def article_page(article_id: str, kb: KbDep, lang: str | None = None) -> str:
    docs = [d for d in kb.searcher().index.docs if d["id"] == article_id]
    if not docs:
        raise HTTPException(status_code=404, detail=f"article {article_id!r} not found")
    doc = next((d for d in docs if d["lang"] == lang), None) or next((d for d in docs if d["lang"] == "en"), docs[0])
    steps = "".join(f"<li>{html.escape(s)}</li>" for s in doc["steps"])
    return (
        f'<!doctype html><html lang="{html.escape(doc["lang"])}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(doc["title"])}</title></head>'
        f'<body><main><h1>{html.escape(doc["title"])}</h1><p>{html.escape(doc["intro"] or doc["summary"])}</p>'
        f"<ol>{steps}</ol></main></body></html>"
    )
