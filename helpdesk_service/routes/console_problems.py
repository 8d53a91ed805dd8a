"""Known problems in the agent console (session cookie + CSRF header): the list, and an agent's
confirmation, wording and resolution of a problem. A detected problem is shown to users only once an
agent has confirmed it here (or through ``PATCH /api/problems/{id}`` with the API token)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path

from escalation.problems import Problem, ProblemUpdate
from helpdesk_service.auth import AgentApi
from helpdesk_service.container import Container
from helpdesk_service.deps import container

router = APIRouter(prefix="/console/api/problems", tags=["console"])
C = Annotated[Container, Depends(container)]
ProblemId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("", response_model=list[Problem])
def problems(_: AgentApi, c: C, status: Literal["open", "resolved"] | None = "open") -> list[Problem]:
    return c.problems.list(status=status)


@router.patch("/{problem_id}", response_model=Problem)
def update(problem_id: ProblemId, body: ProblemUpdate, _: AgentApi, c: C) -> Problem:
    """Confirm (users linked to it are then told), reword per language, resolve or reopen."""
    return c.problems.update(problem_id, body)
