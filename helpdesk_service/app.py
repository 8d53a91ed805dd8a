"""The application factory of the helpdesk service: ``create_app(settings)``.

The service's objects are built in one place (:mod:`helpdesk_service.container`); errors of the
packages below are translated to HTTP answers once (:mod:`helpdesk_service.errors`).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from core.settings import Settings
from escalation.tickets.base import TicketBackend
from helpdesk_service import errors
from helpdesk_service.container import build_container
from helpdesk_service.middleware import SecurityMiddleware
from helpdesk_service.routes import (articles, channels, console, console_api, console_handoffs, console_problems,
                                     editor, editor_api, gdpr, health, kb, outcomes, page_texts, problems, records,
                                     session, sla, webchat)
from helpdesk_service.routes import tickets as ticket_routes


def create_app(settings: Settings, tickets: TicketBackend | None = None) -> FastAPI:
    container = build_container(settings, tickets)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        container.outbox_worker.start()   # retries pending escalations on a timer
        container.handoff_worker.start()  # live chats: the user's messages, timeouts
        container.retention_worker.start()  # retention periods: at start, then daily
        if container.event_feed:            # scaled setup: Rasa's events from RabbitMQ
            container.event_feed.start()
        try:
            yield
        finally:
            if container.event_feed:
                container.event_feed.stop()
            container.retention_worker.stop()
            container.handoff_worker.stop()
            container.outbox_worker.stop()

    app = FastAPI(title="Helpdesk service", version="0.1.0", lifespan=lifespan,
                  description="KB search, tickets and self-service outcomes for the helpdesk assistant.")
    app.state.container = container
    for module in (health, kb, ticket_routes, outcomes, articles, problems, sla, records, webchat, page_texts, session,
                   gdpr, console, console_api, console_handoffs, console_problems, editor, editor_api, channels):
        app.include_router(module.router)
    errors.install(app)
    # browsers: only pages of the configured public URL may call the API (docs/security.md)
    app.add_middleware(CORSMiddleware, allow_origins=settings.public_origins, allow_credentials=False,
                       allow_methods=["GET", "POST", "PATCH", "DELETE"], allow_headers=["Authorization", "Content-Type"])
    editor_bodies = settings.limits.max_article_body_bytes      # three article variants of up to 200 kB each
    app.add_middleware(SecurityMiddleware, max_body_bytes=settings.limits.max_body_bytes,
                       larger_bodies={"/editor/api/articles/": editor_bodies, "/editor/api/preview": editor_bodies})
    return app
