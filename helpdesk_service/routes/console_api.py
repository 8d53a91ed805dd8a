"""The JSON API of the agent console (session cookie + CSRF header, see :mod:`helpdesk_service.auth`).

Agents (and admins): presence, the queue views, a chat's messages and context card, take, reply, private
note, transfer, hand back, resolve, canned responses, KB suggestions. Admins: accounts.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from helpdesk_service.accounts import ROLES, InvalidAccount
from helpdesk_service.auth import AdminApi, AgentApi, StaffApi
from helpdesk_service.container import Container
from helpdesk_service.deps import container
from helpdesk_service.handoff import texts
from helpdesk_service.routes.articles import article_url

router = APIRouter(prefix="/console/api", tags=["console"])
C = Annotated[Container, Depends(container)]


class Presence(BaseModel):
    status: Literal["available", "away"]
    capacity: int = Field(default=3, ge=1, le=50)


class Text(BaseModel):
    text: str = Field(max_length=10_000)


class Transfer(BaseModel):
    to_agent: str | None = Field(default=None, max_length=100)
    queue: str | None = Field(default=None, max_length=100)


class NewAccount(BaseModel):
    username: str = Field(max_length=100)
    role: Literal[ROLES]  # type: ignore[valid-type]
    password: str = Field(max_length=1024)


class NewPassword(BaseModel):
    password: str = Field(max_length=1024)


def _presence(c: Container, username: str) -> dict:
    presence = c.handoffs.store.presence(username)
    return presence or {"username": username, "status": "away", "capacity": c.settings.handoff.default_capacity}


@router.get("/me")
def me(session: StaffApi, c: C) -> dict:
    return {"username": session.account.username, "role": session.account.role,
            "presence": _presence(c, session.account.username)}


@router.post("/presence")
def set_presence(body: Presence, session: AgentApi, c: C) -> dict:
    return c.handoffs.store.set_presence(session.account.username, body.status, body.capacity)


@router.get("/queue")
def queue(session: AgentApi, c: C, view: Literal["waiting", "mine", "resolved"] = "waiting") -> dict:
    """One view of the queue, sorted by priority then response due time; polling it keeps the agent online."""
    me = session.account.username
    c.handoffs.store.seen(me)
    counts = {v: len(c.handoffs.store.queue(v, me)) for v in ("waiting", "mine")}
    return {"view": view, "items": c.handoffs.store.queue(view, me), "counts": counts,
            "presence": _presence(c, me), "open": c.handoffs.is_open()}


@router.get("/chats/{handoff_id}")
def chat(handoff_id: int, session: AgentApi, c: C, after: int = Query(default=0, ge=0)) -> dict:
    c.handoffs.store.seen(session.account.username)
    return {"handoff": c.handoffs.get(handoff_id), "messages": c.handoffs.store.messages(handoff_id, after)}


@router.get("/chats/{handoff_id}/context")
def context(handoff_id: int, session: AgentApi, c: C) -> dict:
    return c.handoffs.context(handoff_id)


@router.post("/chats/{handoff_id}/take")
def take(handoff_id: int, session: AgentApi, c: C) -> dict:
    return c.handoffs.take(handoff_id, session.account.username)


@router.post("/chats/{handoff_id}/reply")
def reply(handoff_id: int, body: Text, session: AgentApi, c: C) -> dict:
    return c.handoffs.reply(handoff_id, session.account.username, body.text)


@router.post("/chats/{handoff_id}/note")
def note(handoff_id: int, body: Text, session: AgentApi, c: C) -> dict:
    return c.handoffs.note(handoff_id, session.account.username, body.text)


@router.post("/chats/{handoff_id}/transfer")
def transfer(handoff_id: int, body: Transfer, session: AgentApi, c: C) -> dict:
    return c.handoffs.transfer(handoff_id, session.account.username, body.to_agent, body.queue)


@router.post("/chats/{handoff_id}/handback")
def hand_back(handoff_id: int, session: AgentApi, c: C) -> dict:
    return c.handoffs.hand_back(handoff_id, session.account.username)


@router.post("/chats/{handoff_id}/resolve")
def resolve(handoff_id: int, session: AgentApi, c: C) -> dict:
    return c.handoffs.resolve(handoff_id, session.account.username)


@router.get("/chats/{handoff_id}/suggestions")
def suggestions(handoff_id: int, session: AgentApi, c: C) -> list[dict]:
    """KB articles for the user's latest messages (or the confirmed problem), in the chat's language."""
    handoff = c.handoffs.get(handoff_id)
    said = [m["text"] for m in c.handoffs.store.messages(handoff_id) if m["sender"] == "user"][-3:]
    query = " ".join(said) or handoff["subject"] or ""
    hits = c.kb.search(query, top_k=3, lang=handoff["language"], min_score=c.settings.kb.min_score)
    return [{"article_id": h.article_id, "lang": h.lang, "title": h.title, "summary": h.summary,
             "url": article_url(c.settings, h.article_id, h.lang)} for h in hits]


@router.get("/canned")
def canned(session: AgentApi, c: C, lang: str | None = Query(default=None, max_length=8)) -> list[dict]:
    return texts.canned(lang or c.settings.default_language, c.settings.default_language)


@router.get("/agents")
def agents(session: AgentApi, c: C) -> dict:
    """Who a chat can be transferred to, and the queues."""
    return {"agents": [a["username"] for a in c.handoffs.online_agents() if a["username"] != session.account.username],
            "queues": list(c.settings.routing.queues)}


# -- accounts (admin) ------------------------------------------------------------------------------
@router.get("/accounts")
def list_accounts(session: AdminApi, c: C) -> list[dict]:
    return [a.public() for a in c.accounts.list()]


@router.post("/accounts", status_code=201)
def create_account(body: NewAccount, session: AdminApi, c: C) -> dict:
    return c.accounts.create(body.username, body.role, body.password).public()


@router.post("/accounts/{username}/disable")
def disable_account(username: str, session: AdminApi, c: C) -> dict:
    if username == session.account.username:
        raise InvalidAccount("you cannot disable your own account")
    return c.accounts.set_disabled(username, True).public()


@router.post("/accounts/{username}/enable")
def enable_account(username: str, session: AdminApi, c: C) -> dict:
    return c.accounts.set_disabled(username, False).public()


@router.post("/accounts/{username}/password")
def reset_password(username: str, body: NewPassword, session: AdminApi, c: C) -> dict:
    return c.accounts.set_password(username, body.password).public()
