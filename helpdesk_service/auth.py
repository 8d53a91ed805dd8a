"""Staff sign-in for the console pages: the session cookie, role checks and CSRF protection.

A session is server-side (:class:`helpdesk_service.accounts.AccountStore`); the browser holds its
random token in an HttpOnly, SameSite=Strict cookie. Every state-changing request must also send the
session's CSRF token in the ``X-CSRF-Token`` header (the pages read it from a ``<meta>`` element), so
a forged cross-site request fails even if a browser sent the cookie. A missing, forged or expired
session is a 401 for the API and a redirect to the login page for pages.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request

from helpdesk_service.accounts import AccountStore, Session

COOKIE = "helpdesk_staff"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """A page was asked without a valid session: the answer is a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.location = "/console/login?next=" + quote(next_path, safe="/")


def accounts(request: Request) -> AccountStore:
    return request.app.state.container.accounts


def current_session(request: Request) -> Session | None:
    return accounts(request).session(request.cookies.get(COOKIE))


def check_csrf(request: Request, session: Session) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not secrets.compare_digest(sent.encode(), session.csrf.encode()):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token: reload the page")


def api_role(*roles: str):
    """A dependency for JSON routes: the session (401 without one), one of ``roles`` (403), CSRF (403)."""
    def dependency(request: Request) -> Session:
        session = current_session(request)
        if session is None:
            raise HTTPException(status_code=401, detail="not signed in, or the session expired: sign in again")
        if session.account.role not in roles:
            raise HTTPException(status_code=403, detail=f"this needs the role {' or '.join(roles)}")
        check_csrf(request, session)
        return session
    return Depends(dependency)


def page_role(*roles: str):
    """A dependency for pages: redirect to the login page without a session; 403 for another role."""
    def dependency(request: Request) -> Session:
        session = current_session(request)
        if session is None:
            raise LoginRequired(request.url.path)
        if session.account.role not in roles:
            raise HTTPException(status_code=403, detail=f"this page needs the role {' or '.join(roles)}")
        return session
    return Depends(dependency)


AgentApi = Annotated[Session, api_role("agent", "admin")]
AdminApi = Annotated[Session, api_role("admin")]
StaffApi = Annotated[Session, api_role("agent", "editor", "admin")]
AgentPage = Annotated[Session, page_role("agent", "admin")]
AdminPage = Annotated[Session, page_role("admin")]
EditorApi = Annotated[Session, api_role("editor", "admin")]
EditorPage = Annotated[Session, page_role("editor", "admin")]
