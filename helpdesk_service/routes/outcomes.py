"""Self-service outcomes recorded by the bot."""

from fastapi import APIRouter

from helpdesk_service.deps import Authenticated, OutcomesDep
from escalation.outcomes import Outcome

router = APIRouter(prefix="/api/outcomes", tags=["analytics"], dependencies=[Authenticated])


@router.post("", status_code=204)
def record(outcome: Outcome, outcomes: OutcomesDep) -> None:
    outcomes.record(outcome)


@router.get("/summary")
def summary(outcomes: OutcomesDep) -> dict:
    return outcomes.summary()
