"""Record-and-list routes: complaints told to the bot (for the service desk's follow-up) and messages
it did not understand (for the KB editors' review). The bot POSTs, staff GET the newest first."""


from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from escalation.complaints import Complaint, StoredComplaint
from escalation.review import StoredUnclearMessage, UnclearMessage
from helpdesk_service.deps import Authenticated, ComplaintsDep, UnclearDep

router = APIRouter(dependencies=[Authenticated])


def _routes(path: str, tag: str, item: type[BaseModel], stored: type[BaseModel], store_dep: Any) -> None:
    @router.post(path, status_code=201, tags=[tag], response_model=stored, name=f"record_{tag}")
    def record(body: item, store: store_dep):  # type: ignore[valid-type]
        return store.record(body)

    @router.get(path, tags=[tag], response_model=list[stored], name=f"list_{tag}")
    def latest(store: store_dep, limit: Annotated[int, Query(ge=1, le=500)] = 50):  # type: ignore[valid-type]
        return store.latest(limit)


_routes("/api/complaints", "complaints", Complaint, StoredComplaint, ComplaintsDep)
_routes("/api/review/unclear", "review", UnclearMessage, StoredUnclearMessage, UnclearDep)
