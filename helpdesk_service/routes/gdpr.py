"""GDPR over HTTP (admin, token): export or erase one user's data across every store; run retention now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from helpdesk_service.deps import Authenticated, ContainerDep

router = APIRouter(prefix="/api/gdpr", tags=["gdpr"], dependencies=[Authenticated])
ERRORS = {401: {"description": "missing or wrong API token"}}
UserId = Annotated[str, Path(min_length=1, max_length=200, description="the sender id / requester id")]


@router.get("/users/{user_id}", summary="Export everything kept about one user", responses=ERRORS)
def export(user_id: UserId, container: ContainerDep) -> dict[str, list[dict]]:
    return container.personal_data.export(user_id)


@router.delete("/users/{user_id}", summary="Erase one user's data from every store", responses=ERRORS)
def erase(user_id: UserId, container: ContainerDep) -> dict[str, int]:
    """Rows removed per store; with the RT backend, the user's tickets are shredded in RT too (503 when RT
    cannot be reached or its rt-shredder is not on this machine: the local stores are erased, call again)."""
    return container.personal_data.delete(user_id)


@router.post("/retention", summary="Apply the retention periods now (also done at start and daily)",
             responses=ERRORS)
def retention(container: ContainerDep) -> dict[str, int]:
    return container.personal_data.purge()
