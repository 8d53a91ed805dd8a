"""Errors of the packages below, translated to HTTP answers once: one table, one handler.

Every error answer is JSON ``{"detail": "...", "code": "..."}``: ``detail`` says what went wrong in
English, ``code`` names the kind of error, stable, for the web pages to show a text in the reader's
language (``errors.<code>`` in helpdesk_service/web/i18n/). 503s are logged (the backend or index is down).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError

from escalation.errors import BackendUnavailable, InvalidTicket, TicketNotFound
from helpdesk_service.limits import RateLimited
from helpdesk_service.accounts import AccountExists, AccountNotFound, InvalidAccount
from helpdesk_service.auth import LoginRequired
from helpdesk_service.editor.articles import ArticleError, ArticleNotFound
from helpdesk_service.editor.inbox import ItemNotFound
from helpdesk_service.editor.training import TrainingError
from helpdesk_service.handoff.errors import (DeliveryFailed, HandoffConflict, HandoffForbidden, HandoffNotFound,
                                             InvalidHandoff)
from kb_index.errors import KbError

log = logging.getLogger(__name__)

# exception class -> (HTTP status, code, fixed message or None to use str(exc)); first match wins (subclasses first)
STATUS: list[tuple[type[Exception], int, str, str | None]] = [
    (TicketNotFound, 404, "ticket_not_found", None),
    (InvalidTicket, 422, "invalid_ticket", None),
    (BackendUnavailable, 503, "backend_unavailable", "the ticket system is unavailable, try again later"),
    (KbError, 503, "kb_unavailable", None),                     # IndexMissingError and the other KB errors
    (AccountNotFound, 404, "account_not_found", None),
    (AccountExists, 409, "account_exists", None),
    (InvalidAccount, 422, "invalid_account", None),
    (HandoffNotFound, 404, "handoff_not_found", None),
    (HandoffConflict, 409, "handoff_conflict", None),
    (HandoffForbidden, 403, "handoff_forbidden", None),
    (InvalidHandoff, 422, "invalid_handoff", None),
    (ItemNotFound, 404, "item_not_found", None),
    (ArticleNotFound, 404, "article_not_found", None),
    (ArticleError, 422, "article_error", None),
    (TrainingError, 422, "training_error", None),
    (DeliveryFailed, 502, "delivery_failed", "the message could not be delivered: the chat server cannot be reached"),
]


def _answer(exc: Exception) -> JSONResponse:
    for cls, status, code, message in STATUS:
        if isinstance(exc, cls):
            if status >= 500:
                log.warning("%s: %s", cls.__name__, exc)
            return JSONResponse({"detail": message or str(exc), "code": code}, status_code=status)
    raise exc  # not ours: the framework's 500


def _validation(exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        problems.append(f"{where or 'body'}: {err.get('msg')}")
    return JSONResponse({"detail": "invalid request: " + "; ".join(problems), "code": "invalid_request"},
                        status_code=422)


def _rate_limited(exc: RateLimited) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "code": "rate_limited", "retry_after": exc.retry_after}, status_code=429,
                        headers={"Retry-After": str(exc.retry_after)})


def install(app: FastAPI) -> None:
    async def handle_rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        return _rate_limited(exc)

    app.add_exception_handler(RateLimited, handle_rate_limited)

    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return _answer(exc)

    for cls, *_ in STATUS:
        app.add_exception_handler(cls, handle)

    async def handle_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation(exc)

    app.add_exception_handler(RequestValidationError, handle_validation)

    async def handle_model_validation(_: Request, exc: ValidationError) -> JSONResponse:
        # a model built inside a route from query parameters (e.g. GET /api/kb/search): the caller's fault
        return _validation(RequestValidationError(exc.errors()))

    app.add_exception_handler(ValidationError, handle_model_validation)
    async def handle_login(_: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(exc.location, status_code=303)

    app.add_exception_handler(LoginRequired, handle_login)
