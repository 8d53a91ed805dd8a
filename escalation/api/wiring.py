"""Wires the escalation parts onto the app: outbox, known problems, the service and the outbox worker.

``install(app, settings)`` is called by :func:`escalation.api.app.create_app` after
``app.state.tickets`` is set; the worker runs for the lifetime of the app (its lifespan).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from escalation.outbox import Outbox, OutboxWorker
from escalation.problems import ProblemStore
from escalation.service import EscalationService
from helpdesk.settings import Settings
from kb_index.embedders import get_embedder


def install(app: FastAPI, settings: Settings) -> None:
    backend = app.state.tickets
    t = settings.tickets
    outbox_path = settings.path(t.outbox_path or settings.data_path / "outbox.db")
    problems_path = settings.path(settings.problems.path or settings.data_path / "problems.db")
    outbox = Outbox(outbox_path, backend, retry_initial=t.retry_initial_seconds, retry_max=t.retry_max_seconds)
    problems = ProblemStore(problems_path, settings.problems, lambda: get_embedder(settings.kb.encoder))
    app.state.outbox = outbox
    app.state.problems = problems
    app.state.escalations = EscalationService(settings, backend, outbox, problems)
    worker = app.state.outbox_worker = OutboxWorker(outbox, t.worker_poll_seconds)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a):
        worker.start()
        try:
            async with inner(a) as state:
                yield state
        finally:
            worker.stop()

    app.router.lifespan_context = lifespan
