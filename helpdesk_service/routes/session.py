"""The web chat's signed session: ``POST /api/chat/session`` (public, for the chat page).

Without a body (or with a token that is not valid) it issues a session for a new, random user id;
with a valid token it renews that user's session. The token is what the page presents to Rasa's
socket.io channel (``bot/channels/socketio.py``), which checks the signature and uses the user id as
the conversation's sender: the browser never chooses who it is. Origins other than the configured
public URL are refused (403).

``POST /api/chat/session/identified`` (API token: a server of a site that signed its user in, never a
browser) issues an *identified* session, carrying the user's e-mail address and name: the tickets of
that conversation get them as requester (Request Tracker records the person). The site hands the
token to the chat page as ``/chat#session=<token>``; renewing keeps the identity.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from core.chat_session import InvalidSession, issue, verify
from helpdesk_service.deps import Authenticated, ContainerDep

router = APIRouter(prefix="/api/chat", tags=["web chat"])


class SessionIn(BaseModel):
    token: str | None = Field(default=None, max_length=200, description="the current session, to renew it")


class SessionOut(BaseModel):
    token: str
    user_id: str
    expires_at: datetime


class IdentityIn(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", description="the user's e-mail address")
    name: str | None = Field(default=None, max_length=200, description="the user's display name")


class IdentifiedSessionOut(SessionOut):
    chat_url: str = Field(description="the chat page opening with this session")


def _out(session) -> SessionOut:
    return SessionOut(token=session.token, user_id=session.user_id,
                      expires_at=datetime.fromtimestamp(session.expires, tz=timezone.utc))


@router.post("/session", response_model=SessionOut, summary="Issue or renew a web chat session",
             responses={403: {"description": "request from another origin than the public URL"},
                        429: {"description": "too many sessions from this address"}})
def chat_session(request: Request, container: ContainerDep, body: SessionIn | None = None) -> SessionOut:
    settings = container.settings
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/").lower() not in settings.public_origins:
        raise HTTPException(status_code=403, detail="this origin may not open chat sessions")
    secret = container.chat_secret
    current = None
    if body and body.token:
        try:
            current = verify(secret, body.token)
        except InvalidSession:
            current = None
    if current is None:
        container.limits.session(request.client.host if request.client else None)
    session = issue(secret, current.user_id if current else None, lifetime_seconds=settings.chat.session_days * 86400,
                    identity=(current.identity() or None) if current else None)
    return _out(session)


@router.post("/session/identified", response_model=IdentifiedSessionOut, dependencies=[Authenticated],
             summary="Issue a web chat session for a user the calling site has signed in",
             responses={401: {"description": "missing or wrong API token"}})
def identified_session(body: IdentityIn, container: ContainerDep) -> IdentifiedSessionOut:
    identity = {"email": body.email.strip(), **({"name": body.name.strip()} if body.name and body.name.strip() else {})}
    try:
        session = issue(container.chat_secret, identity=identity,
                        lifetime_seconds=container.settings.chat.session_days * 86400)
    except InvalidSession as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    out = _out(session)
    return IdentifiedSessionOut(**out.model_dump(), chat_url=f"{container.settings.service.public_url}/chat#session={session.token}")
