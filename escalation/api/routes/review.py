"""Unclear messages kept for the KB editors' review (POST by the bot, GET to list them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from escalation.api.deps import Authenticated
from escalation.review import StoredUnclearMessage, UnclearMessage, UnclearStore

router = APIRouter(prefix="/api/review", tags=["review"], dependencies=[Authenticated])


def get_unclear(request: Request) -> UnclearStore:
    return request.app.state.unclear


UnclearDep = Annotated[UnclearStore, Depends(get_unclear)]


@router.post("/unclear", status_code=201)
def record_unclear(message: UnclearMessage, store: UnclearDep) -> StoredUnclearMessage:
    return store.record(message)


@router.get("/unclear")
def list_unclear(store: UnclearDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[StoredUnclearMessage]:
    return store.latest(limit)
