"""The web chat's signed session: ``POST /api/chat/session`` (public, for the chat page).

Without a body (or with a token that is not valid) it issues a session for a new, random user id;
with a valid token it renews that user's session. The token is what the page presents to Rasa's
socket.io channel (``bot/channels/socketio.py``), which checks the signature and uses the user id as
the conversation's sender: the browser never chooses who it is. Origins other than the configured
public URL are refused (403).
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from core.chat_session import InvalidSession, issue, verify
from helpdesk_service.deps import ContainerDep

router = APIRouter(prefix="/api/chat", tags=["web chat"])


class SessionIn(BaseModel):
    token: str | None = Field(default=None, max_length=200, description="the current session, to renew it")


class SessionOut(BaseModel):
    token: str
    user_id: str
    expires_at: datetime


@router.post("/session", response_model=SessionOut, summary="Issue or renew a web chat session",
             responses={403: {"description": "request from another origin than the public URL"},
                        429: {"description": "too many sessions from this address"}})
def chat_session(request: Request, container: ContainerDep, body: SessionIn | None = None) -> SessionOut:
    settings = container.settings
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/").lower() not in settings.public_origins:
        raise HTTPException(status_code=403, detail="this origin may not open chat sessions")
    secret = container.chat_secret
    user_id = None
    if body and body.token:
        try:
            user_id = verify(secret, body.token).user_id
        except InvalidSession:
            user_id = None
    if user_id is None:
        container.limits.session(request.client.host if request.client else None)
    session = issue(secret, user_id, lifetime_seconds=settings.chat.session_days * 86400)
    return SessionOut(token=session.token, user_id=session.user_id,
                      expires_at=datetime.fromtimestamp(session.expires, tz=timezone.utc))
