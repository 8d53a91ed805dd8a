"""FastAPI dependencies: the settings, the service's objects and the token check, from the container."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from core.records import RecordStore
from core.settings import Settings
from escalation.outbox import Outbox
from escalation.outcomes import OutcomeStore
from escalation.problems import ProblemStore
from escalation.service import EscalationService
from escalation.tickets.base import TicketBackend
from helpdesk_service.container import Container
from kb_index.live import LiveKbSearcher


def container(request: Request) -> Container:
    return request.app.state.container


def part(name: str):
    """A dependency that returns one named part of the container."""
    def get(request: Request):
        return getattr(request.app.state.container, name)
    get.__name__ = f"get_{name}"
    return Depends(get)


def require_token(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    expected = request.app.state.container.api_token
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if (scheme.lower() != "bearer" or len(expected) < 16 or not token
            or not secrets.compare_digest(token.encode(), expected.encode())):
        raise HTTPException(status_code=401, detail="missing or wrong API token", headers={"WWW-Authenticate": "Bearer"})


ContainerDep = Annotated[Container, Depends(container)]
SettingsDep = Annotated[Settings, part("settings")]
TicketsDep = Annotated[TicketBackend, part("tickets")]
KbDep = Annotated[LiveKbSearcher, part("kb")]
OutcomesDep = Annotated[OutcomeStore, part("outcomes")]
EscalationsDep = Annotated[EscalationService, part("escalations")]
OutboxDep = Annotated[Outbox, part("outbox")]
ProblemsDep = Annotated[ProblemStore, part("problems")]
ComplaintsDep = Annotated[RecordStore, part("complaints")]
UnclearDep = Annotated[RecordStore, part("unclear")]
Authenticated = Depends(require_token)
