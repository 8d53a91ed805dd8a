"""What every request to the helpdesk service goes through: a body size limit and security headers.

- Bodies over ``limits.max_body_bytes`` are refused with 413 and a JSON error before anything parses
  them (by ``Content-Length``, and by counting when the body is streamed without one).
- Every answer carries ``X-Content-Type-Options``, ``Referrer-Policy``, ``X-Frame-Options`` and a
  default Content-Security-Policy (pages that need another, like /chat, set their own).
Pure ASGI (no BaseHTTPMiddleware), so streamed answers stay streamed.
"""

from __future__ import annotations

import json

SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"SAMEORIGIN",
    b"cross-origin-opener-policy": b"same-origin",
}
DEFAULT_CSP = (b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
# the OpenAPI pages (/docs, /redoc) load FastAPI's bundled Swagger UI from its CDN and run an inline script
DOCS_CSP = (b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
            b"connect-src 'self'; base-uri 'none'; frame-ancestors 'self'")
DOCS_PATHS = ("/docs", "/redoc")


def _json(status: int, detail: str) -> tuple[dict, dict]:
    body = json.dumps({"detail": detail}).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         *SECURITY_HEADERS.items(), (b"content-security-policy", DEFAULT_CSP)]}
    return start, {"type": "http.response.body", "body": body}


class SecurityMiddleware:
    def __init__(self, app, max_body_bytes: int, larger_bodies: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_max_body_bytes = max_body_bytes
        self.larger_bodies = dict(larger_bodies or {})   # path prefix -> its own limit (the article editor)

    def _limit(self, path: str) -> int:
        return next((n for prefix, n in self.larger_bodies.items() if path.startswith(prefix)), self.default_max_body_bytes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_body_bytes = self._limit(scope.get("path", ""))
        too_large = f"the request body is larger than {max_body_bytes} bytes"
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0 or declared > max_body_bytes:
                start, body = _json(413 if declared > 0 else 400,
                                    too_large if declared > 0 else "invalid Content-Length")
                await send(start)
                return await send(body)

        received = 0
        started = False
        rejected = False

        async def limited_receive():
            nonlocal received, rejected, started
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body_bytes:
                    # answer 413 now; the app sees a client that went away, and what it sends is dropped
                    if not started:
                        start, body = _json(413, too_large)
                        await send(start)
                        await send(body)
                    started = rejected = True
                    return {"type": "http.disconnect"}
            return message

        csp = DOCS_CSP if scope.get("path", "").startswith(DOCS_PATHS) else DEFAULT_CSP

        async def send_with_headers(message):
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS.items() if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", csp))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            if not rejected:
                raise
