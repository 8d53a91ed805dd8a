"""The KB editors' page (``/editor``): inbox, map of problems, articles, content health, analytics.

Same sign-in, session, CSRF and Content-Security-Policy as the agent console (roles editor, admin).
The page's script puts every message and article field in the page as text; the article preview is
HTML rendered by the server from Markdown with raw HTML disabled (escaped) and unsafe links refused.
The chart library (Chart.js from npm, ``scripts/install-web``) is served from ``web/vendor``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from helpdesk_service.auth import EditorPage
from helpdesk_service.deps import SettingsDep
from helpdesk_service.routes.console import page

router = APIRouter(tags=["editor"])

WEB = Path(__file__).resolve().parents[1] / "web"
STATIC = {"editor.js": "text/javascript; charset=utf-8", "editor.css": "text/css; charset=utf-8"}
VENDOR = {"chart.umd.js": "text/javascript; charset=utf-8"}


@router.get("/editor", response_class=HTMLResponse, include_in_schema=False)
def editor_page(session: EditorPage, settings: SettingsDep) -> HTMLResponse:
    return page(WEB / "editor" / "editor.html", settings, session)


@router.get("/editor/static/{name}", include_in_schema=False)
def editor_static(name: str) -> FileResponse:
    if name in STATIC:
        path = WEB / "editor" / name
        media = STATIC[name]
    elif name in VENDOR:
        path = WEB / "vendor" / name
        media = VENDOR[name]
        if not path.is_file():
            raise HTTPException(status_code=404, detail=f"{name} is not installed: run scripts/install-web")
    else:
        raise HTTPException(status_code=404, detail=f"{name!r} not found")
    return FileResponse(path, media_type=media, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})
