"""The staff pages of the helpdesk service: sign-in, the agent console and the accounts page.

Pages are plain HTML with our own script and style (``helpdesk_service/web/console/``), served with a
strict Content-Security-Policy (no inline script, nothing from another origin). Everything the page
shows comes from the JSON API (:mod:`.console_api`) and is put in the page as text, never as HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from helpdesk_service import auth
from core.settings import Settings
from helpdesk_service.accounts import Session
from helpdesk_service.auth import AdminPage, AgentPage
from helpdesk_service.container import Container
from helpdesk_service.deps import SettingsDep, container
from helpdesk_service.routes.page_texts import fill, page_languages

router = APIRouter(tags=["console"])

WEB_DIR = Path(__file__).resolve().parents[1] / "web" / "console"
STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8",
          "login.js": "text/javascript; charset=utf-8", "accounts.js": "text/javascript; charset=utf-8"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-store"}


def page(path: Path, settings: Settings, session: Session | None = None) -> HTMLResponse:
    """A staff page with its placeholders filled in: the languages, and the signed-in user's."""
    values = page_languages(settings)
    if session is not None:
        values.update(CSRF=session.csrf, USER=session.account.username, ROLE=session.account.role)
    return HTMLResponse(fill(path.read_text(encoding="utf-8"), **values), headers=HEADERS)


@router.get("/console/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(settings: SettingsDep) -> HTMLResponse:
    return page(WEB_DIR / "login.html", settings)


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
def console_page(session: AgentPage, settings: SettingsDep) -> HTMLResponse:
    return page(WEB_DIR / "console.html", settings, session)


@router.get("/console/accounts", response_class=HTMLResponse, include_in_schema=False)
def accounts_page(session: AdminPage, settings: SettingsDep) -> HTMLResponse:
    return page(WEB_DIR / "accounts.html", settings, session)


@router.get("/console/static/{name}", include_in_schema=False)
def console_static(name: str) -> FileResponse:
    if name not in STATIC:
        raise HTTPException(status_code=404, detail=f"{name!r} not found")
    return FileResponse(WEB_DIR / name, media_type=STATIC[name],
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


@router.post("/console/api/login", tags=["console"])
def login(body: Login, request: Request, response: Response,
          c: Annotated[Container, Depends(container)]) -> dict:
    """Sign in; sets the session cookie. JSON only (a cross-site form cannot send it)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise HTTPException(status_code=415, detail="send JSON")
    account = c.accounts.authenticate(body.username, body.password)
    if account is None:
        raise HTTPException(status_code=401, detail="wrong user name or password, or the account is disabled")
    token, session = c.accounts.open_session(account)
    response.set_cookie(auth.COOKIE, token, max_age=int(c.accounts.session_lifetime.total_seconds()),
                        httponly=True, samesite="strict", path="/",
                        secure=c.settings.service.public_url.startswith("https://"))
    home = "/editor" if account.role == "editor" else "/console"
    return {"username": account.username, "role": account.role, "home": home}


@router.post("/console/api/logout", tags=["console"])
def logout(request: Request, session: auth.StaffApi, c: Annotated[Container, Depends(container)]) -> Response:
    c.accounts.close_session(request.cookies.get(auth.COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


@router.get("/console/logout", include_in_schema=False)
def logout_redirect() -> RedirectResponse:
    return RedirectResponse("/console/login", status_code=303)
