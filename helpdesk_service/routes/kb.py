"""KB search, used by the bot's custom actions and by people."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from helpdesk_service.deps import KbDep, SettingsDep
from helpdesk_service.routes.articles import article_url

router = APIRouter(prefix="/api/kb", tags=["kb"])


class SearchRequest(BaseModel):
    query: str = Field(max_length=10_000)
    lang: str | None = Field(default=None, max_length=8)
    top_k: int | None = Field(default=None, ge=1, le=20)
    min_score: float | None = None
    exclude: list[str] = Field(default_factory=list, max_length=100)
    category: str | None = Field(default=None, max_length=50,
                                 description="problem category recognised by the NLU; lifts its articles")


class HitOut(BaseModel):
    article_id: str
    lang: str
    score: float
    title: str
    summary: str
    category: str
    steps: list[str]
    technical_steps: list[str] = Field(default_factory=list, description="concise steps for IT-savvy users")
    section: str = Field(default="", description="heading of the section that matched ('' for the whole article)")
    section_text: str = Field(default="", description="the text of that section, shown first")
    fallback_language: bool
    available_languages: list[str]
    url: str


@router.post("/search")
def search(body: SearchRequest, kb: KbDep, settings: SettingsDep) -> dict:
    hits = kb.search(
        body.query[:2000],
        top_k=body.top_k or settings.kb.top_k,
        lang=body.lang,
        min_score=settings.kb.min_score if body.min_score is None else body.min_score,  # None: learned per index
        exclude=set(body.exclude),
        category=body.category,
    )
    return {
        "hits": [
            HitOut(**{**h.__dict__, "steps": list(h.steps), "available_languages": list(h.available_languages),
                      "technical_steps": list(h.technical_steps)},
                   url=article_url(settings, h.article_id, h.lang)).model_dump()
            for h in hits
        ]
    }


@router.get("/search")
def search_get(kb: KbDep, settings: SettingsDep, q: Annotated[str, Query(max_length=2000)],
               lang: str | None = None, top_k: Annotated[int, Query(ge=1, le=20)] = 3) -> dict:
    return search(SearchRequest(query=q, lang=lang, top_k=top_k), kb, settings)
