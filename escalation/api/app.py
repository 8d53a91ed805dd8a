"""The application factory of the helpdesk service: ``create_app(settings)``.

Errors of the packages below are translated to HTTP answers here, once.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from escalation.api import wiring
from escalation.api.routes import articles, complaints, health, kb, outcomes, review
from escalation.api.routes import problems as problem_routes
from escalation.api.routes import sla as sla_routes
from escalation.api.routes import tickets as ticket_routes
from escalation.api.routes import webchat
from escalation.errors import BackendUnavailable, InvalidTicket, TicketNotFound
from escalation.outcomes import OutcomeStore
from escalation.complaints import ComplaintStore
from escalation.review import UnclearStore
from escalation.tickets.base import TicketBackend
from escalation.tickets.factory import build_backend
from helpdesk.settings import Settings
from kb_index.errors import IndexMissingError, KbError
from kb_index.live import LiveKbSearcher

log = logging.getLogger(__name__)


def create_app(settings: Settings, tickets: TicketBackend | None = None) -> FastAPI:
    app = FastAPI(title="Helpdesk service", version="0.1.0",
                  description="KB search, tickets and self-service outcomes for the helpdesk assistant.")
    app.state.settings = settings
    app.state.api_token = settings.api_token()
    app.state.tickets = tickets or build_backend(settings)
    wiring.install(app, settings)  # outbox, known problems, escalation service, outbox worker
    app.state.kb = LiveKbSearcher(settings.path(settings.kb.index_dir), settings.kb.encoder)
    app.state.outcomes = OutcomeStore(settings.data_path / "analytics.db")
    app.state.unclear = UnclearStore(settings.data_path / "review.db")   # messages the NLU did not understand
    app.state.complaints = ComplaintStore(settings.data_path / "complaints.db", settings.privacy.mask_personal_data)
    for module in (health, kb, ticket_routes, outcomes, articles, problem_routes, sla_routes, review, complaints):
        app.include_router(module.router)
    app.include_router(webchat.router)  # GET /chat: the web chat page (issue 7)

    @app.exception_handler(TicketNotFound)
    async def _not_found(_: Request, exc: TicketNotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(InvalidTicket)
    async def _invalid(_: Request, exc: InvalidTicket) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(BackendUnavailable)
    async def _unavailable(_: Request, exc: BackendUnavailable) -> JSONResponse:
        log.warning("ticket backend unavailable: %s", exc)
        return JSONResponse({"detail": "the ticket system is unavailable, try again later"}, status_code=503)

    @app.exception_handler(IndexMissingError)
    async def _no_index(_: Request, exc: IndexMissingError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(KbError)
    async def _kb_error(_: Request, exc: KbError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where or 'body'}: {err.get('msg')}")
        return JSONResponse({"detail": "invalid request: " + "; ".join(problems)}, status_code=422)

    return app

