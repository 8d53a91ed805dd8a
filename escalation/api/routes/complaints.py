"""Complaints told to the bot (POST by the bot, GET for the service desk's follow-up)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from escalation.api.deps import Authenticated
from escalation.complaints import Complaint, ComplaintStore, StoredComplaint

router = APIRouter(prefix="/api/complaints", tags=["complaints"], dependencies=[Authenticated])


def get_complaints(request: Request) -> ComplaintStore:
    return request.app.state.complaints


ComplaintsDep = Annotated[ComplaintStore, Depends(get_complaints)]


@router.post("", status_code=201)
def record_complaint(complaint: Complaint, store: ComplaintsDep) -> StoredComplaint:
    return store.record(complaint)


@router.get("")
def list_complaints(store: ComplaintsDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[StoredComplaint]:
    return store.latest(limit)
