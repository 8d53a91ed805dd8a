"""Liveness and readiness."""

from fastapi import APIRouter

from helpdesk_service.deps import KbDep, TicketsDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(kb: KbDep, tickets: TicketsDep) -> dict:
    manifest = kb.searcher().index.manifest
    return {"status": "ok", "kb_articles": manifest["count"], "encoder": manifest["encoder"], "tickets": tickets.name}
