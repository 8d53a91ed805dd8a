"""The web chat page (``GET /chat``) and its static files, for end users.

The page is a small widget of our own (``helpdesk_service/web/``) that talks to Rasa's socket.io channel
directly from the browser. Its settings (where Rasa listens, the languages) are injected as JSON
into the page; the socket.io client comes from npm at install time (``scripts/install-web``) and is
served from here, never from a CDN. The page forbids inline scripts (Content-Security-Policy), so
even a message that slipped through as HTML could not run.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from helpdesk_service.deps import SettingsDep
from helpdesk_service.routes.page_texts import fill, page_languages
from core.settings import Settings

router = APIRouter(tags=["web chat"])

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
STATIC_FILES = {  # the only files served under /chat/static/: name -> media type
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
    "vendor/socket.io.min.js": "text/javascript; charset=utf-8",
}
ANY_HOST = {"", "0.0.0.0", "::", "[::]"}


def chat_config(settings: Settings) -> dict:
    """What the page needs to know. ``rasaHost`` is null when Rasa listens on all interfaces:
    the page then uses the host name it was loaded from."""
    host = settings.rasa.host
    return {
        "rasaHost": None if host in ANY_HOST else host,
        "rasaPort": settings.rasa.port,
        "socketPath": "/socket.io/",
        "languages": list(settings.languages),
        "defaultLanguage": settings.default_language,
    }


def content_security_policy(config: dict) -> str:
    host = config["rasaHost"] or "*"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    rasa = f"http://{host}:{config['rasaPort']} ws://{host}:{config['rasaPort']}"
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {rasa}; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


def script_safe_json(value: dict) -> str:
    """JSON that cannot close the <script> element it is embedded in."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@router.get("/chat", response_class=HTMLResponse)
def chat_page(settings: SettingsDep) -> HTMLResponse:
    config = chat_config(settings)
    page = fill((WEB_DIR / "chat.html").read_text(encoding="utf-8"), **page_languages(settings))
    page = page.replace("{{CONFIG_JSON}}", script_safe_json(config))
    return HTMLResponse(page, headers={
        "Content-Security-Policy": content_security_policy(config),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    })


@router.get("/chat/static/{name:path}", include_in_schema=False)
def chat_static(name: str) -> FileResponse:
    media_type = STATIC_FILES.get(name)
    path = WEB_DIR / name
    if media_type is None or not path.is_file():
        detail = f"{name!r} not found"
        if name.startswith("vendor/"):
            detail += ": run scripts/install-web (it installs the socket.io client from npm)"
        raise HTTPException(status_code=404, detail=detail)
    return FileResponse(path, media_type=media_type,
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})
