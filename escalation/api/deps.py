"""FastAPI dependencies: the settings, backends and token check, taken from ``app.state``."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from escalation.outbox import Outbox
from escalation.outcomes import OutcomeStore
from escalation.problems import ProblemStore
from escalation.service import EscalationService
from escalation.tickets.base import TicketBackend
from helpdesk.settings import Settings
from kb_index.live import LiveKbSearcher


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_tickets(request: Request) -> TicketBackend:
    return request.app.state.tickets


def get_escalations(request: Request) -> EscalationService:
    return request.app.state.escalations


def get_outbox(request: Request) -> Outbox:
    return request.app.state.outbox


def get_problems(request: Request) -> ProblemStore:
    return request.app.state.problems


def get_kb(request: Request) -> LiveKbSearcher:
    return request.app.state.kb


def get_outcomes(request: Request) -> OutcomeStore:
    return request.app.state.outcomes


def require_token(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    expected = request.app.state.api_token
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="missing or wrong API token", headers={"WWW-Authenticate": "Bearer"})


SettingsDep = Annotated[Settings, Depends(get_settings)]
TicketsDep = Annotated[TicketBackend, Depends(get_tickets)]
KbDep = Annotated[LiveKbSearcher, Depends(get_kb)]
OutcomesDep = Annotated[OutcomeStore, Depends(get_outcomes)]
EscalationsDep = Annotated[EscalationService, Depends(get_escalations)]
OutboxDep = Annotated[Outbox, Depends(get_outbox)]
ProblemsDep = Annotated[ProblemStore, Depends(get_problems)]
Authenticated = Depends(require_token)
