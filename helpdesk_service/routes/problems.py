"""Known problems (outages) over HTTP: agents declare and resolve them; the bot reads them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from helpdesk_service.deps import Authenticated, ProblemsDep
from escalation.problems import Problem, ProblemIn, ProblemUpdate

router = APIRouter(prefix="/api/problems", tags=["problems"], dependencies=[Authenticated])
ProblemId = Annotated[int, Path(ge=1, le=2**62)]
ERRORS = {401: {"description": "missing or wrong API token"}, 404: {"description": "unknown problem"},
          422: {"description": "invalid request; `detail` names the field"}}


@router.post("", status_code=201, response_model=Problem, summary="Declare an outage", responses=ERRORS)
def declare(body: ProblemIn, problems: ProblemsDep) -> Problem:
    """While it is open, every new ticket of this category is linked to it and the answer to
    `POST /api/tickets` carries it in `problem` (with `messages[language]` if given)."""
    return problems.declare(body)


@router.get("", response_model=list[Problem], summary="Known problems, newest first", responses=ERRORS)
def list_problems(problems: ProblemsDep, status: Literal["open", "resolved"] | None = None,
                  category: Annotated[str | None, Query(max_length=50)] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[Problem]:
    return problems.list(status=status, category=category, limit=limit)


@router.get("/{problem_id}", response_model=Problem, summary="One problem", responses=ERRORS)
def get_problem(problem_id: ProblemId, problems: ProblemsDep) -> Problem:
    return problems.get(problem_id)


@router.get("/{problem_id}/incidents", response_model=list[str], summary="References of the linked incidents",
            responses=ERRORS)
def incidents(problem_id: ProblemId, problems: ProblemsDep) -> list[str]:
    problems.get(problem_id)
    return problems.references(problem_id)


@router.patch("/{problem_id}", response_model=Problem, summary="Resolve, reopen or reword a problem",
              responses=ERRORS)
def update(problem_id: ProblemId, body: ProblemUpdate, problems: ProblemsDep) -> Problem:
    return problems.update(problem_id, body)
