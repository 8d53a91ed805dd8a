"""The KB editors' JSON API (``/editor/api``): inbox and its actions, cluster map, articles (drafts,
publish with a version check, history, preview, try a question), content health, analytics and CSV.
Roles editor or admin; every change needs the session's CSRF token (:mod:`helpdesk_service.auth`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from markdown_it import MarkdownIt
from pydantic import BaseModel, Field

from helpdesk_service.auth import EditorApi
from helpdesk_service.container import Container
from helpdesk_service.deps import container
from helpdesk_service.editor import analytics
from helpdesk_service.editor.articles import ArticleConflict, MAX_ARTICLE_BYTES

router = APIRouter(prefix="/editor/api", tags=["editor"])
C = Annotated[Container, Depends(container)]
MARKDOWN = MarkdownIt("commonmark", {"html": False})   # raw HTML in an article is shown as text


def _item(item) -> dict:
    return {k: v for k, v in asdict(item).items()}


@router.get("/inbox")
def inbox(_: EditorApi, c: C, status: str = "open", language: str | None = None, channel: str | None = None,
          kind: str | None = None, intent: str | None = None, since: str | None = None, until: str | None = None,
          max_confidence: Annotated[float | None, Query(ge=0, le=1)] = None, cluster: int | None = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict:
    c.editor.refresh()
    items = c.editor.inbox.list(status=status or None, language=language, channel=channel, kind=kind, intent=intent,
                                since=since, until=until, max_confidence=max_confidence, cluster=cluster, limit=limit)
    return {"items": [_item(i) for i in items], "counts": c.editor.inbox.counts(),
            "intents": c.editor.nlu.intents(), "languages": c.settings.languages,
            "retrain": c.editor.retrainer.status}


class Decision(BaseModel):
    status: Literal["fine", "discarded", "open"]


@router.post("/inbox/{item_id}/status")
def decide(item_id: int, body: Decision, session: EditorApi, c: C) -> dict:
    return _item(c.editor.inbox.set_status(item_id, body.status, by=session.account.username))


class Example(BaseModel):
    intent: str = Field(min_length=1, max_length=100)
    language: str | None = Field(default=None, max_length=8)
    text: str | None = Field(default=None, max_length=500)


@router.post("/inbox/{item_id}/example")
def add_example(item_id: int, body: Example, _: EditorApi, c: C) -> dict:
    return c.editor.add_example(item_id, body.intent, body.language, body.text)


class Link(BaseModel):
    article_id: str = Field(min_length=1, max_length=100)


@router.post("/inbox/{item_id}/link")
def link(item_id: int, body: Link, session: EditorApi, c: C) -> dict:
    return c.editor.link(item_id, body.article_id, session.account.username)


@router.get("/retrain")
def retrain_status(_: EditorApi, c: C) -> dict:
    return c.editor.retrainer.status


@router.post("/retrain", status_code=202, summary="Train and load a new model now, in the background")
def retrain_now(_: EditorApi, c: C) -> dict:
    """For helpdesks that collect examples first (``editor.retrain: false``) and train when they choose."""
    return c.editor.retrainer.request()


@router.get("/clusters")
def clusters(_: EditorApi, c: C) -> dict:
    c.editor.refresh()
    found, noise = c.editor.clusters.refresh()
    return {"clusters": [asdict(x) for x in found], "noise": [_item(i) for i in noise[:100]],
            "noise_count": len(noise)}


@router.get("/articles")
def articles(_: EditorApi, c: C) -> dict:
    return {"articles": c.editor.articles.list(), "languages": c.settings.languages}


@router.get("/articles/{article_id}")
def article(article_id: str, _: EditorApi, c: C) -> dict:
    return {**c.editor.articles.get(article_id), "history": c.editor.articles.history(article_id)}


@router.get("/history/{entry_id}")
def history_entry(entry_id: int, _: EditorApi, c: C) -> dict:
    return {"text": c.editor.articles.history_text(entry_id)}


class Fields(BaseModel):
    title: str = Field(default="", max_length=300)
    category: str = Field(default="", max_length=60)
    tags: list[str] = Field(default_factory=list, max_length=100)
    summary: str = Field(default="", max_length=1000)


class Variant(BaseModel):
    fields: Fields = Field(default_factory=Fields)
    body: str = Field(default="", max_length=MAX_ARTICLE_BYTES * 40)   # the size limit is checked with a clear message
    base_version: str = Field(default="", max_length=64)


class Publish(BaseModel):
    variants: dict[str, Variant] = Field(max_length=20)
    new: bool = False


def _variants(body: Publish) -> dict:
    return {lang: {"fields": v.fields.model_dump(), "body": v.body, "base_version": v.base_version}
            for lang, v in body.variants.items()}


@router.post("/articles/{article_id}/publish")
def publish(article_id: str, body: Publish, session: EditorApi, c: C):
    try:
        done = c.editor.articles.publish(article_id, _variants(body), session.account.username, new=body.new)
    except ArticleConflict as exc:
        return JSONResponse({"detail": str(exc), "code": "article_conflict", "current": exc.current}, status_code=409)
    return asdict(done)


@router.post("/articles/{article_id}/draft")
def draft(article_id: str, body: Publish, session: EditorApi, c: C) -> dict:
    return {lang: c.editor.articles.save_draft(article_id, lang, v["fields"], v["body"], v["base_version"],
                                               session.account.username)
            for lang, v in _variants(body).items()}


class Preview(BaseModel):
    body: str = Field(max_length=MAX_ARTICLE_BYTES * 40)


@router.post("/preview")
def preview(body: Preview, _: EditorApi) -> dict:
    if len(body.body.encode("utf-8")) > MAX_ARTICLE_BYTES:
        return {"html": "", "detail": f"the text is larger than {MAX_ARTICLE_BYTES // 1000} kB"}
    return {"html": MARKDOWN.render(body.body)}


class Try(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    variants: dict[str, Variant] = Field(default_factory=dict, max_length=20)
    lang: str | None = Field(default=None, max_length=8)


@router.post("/articles/{article_id}/try")
def try_question(article_id: str, body: Try, _: EditorApi, c: C) -> dict:
    variants = {lang: {"fields": v.fields.model_dump(), "body": v.body} for lang, v in body.variants.items()}
    return {"hits": c.editor.articles.try_question(body.question, article_id, variants, lang=body.lang)}


@router.get("/health")
def health(_: EditorApi, c: C, days: Annotated[int | None, Query(ge=1, le=3650)] = None) -> dict:
    return c.editor.health(days)


@router.get("/analytics")
def analytics_figures(_: EditorApi, c: C, since: str | None = None, until: str | None = None) -> dict:
    c.editor.refresh()
    return c.editor.summary(since, until)


@router.get("/analytics.csv")
def analytics_csv(_: EditorApi, c: C, since: str | None = None, until: str | None = None) -> Response:
    rows, _convs = c.editor.analytics(since, until)
    return Response(analytics.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="helpdesk-analytics.csv"'})
