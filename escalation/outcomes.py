"""Self-service outcomes (an article solved it, or did not), for the deflection rate."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from core.clock import utcnow
from core.storage import connect


class Outcome(BaseModel):
    conversation_id: str = Field(min_length=1, max_length=200)
    article_id: str = Field(min_length=1, max_length=200)
    language: str = Field(min_length=2, max_length=8)
    outcome: Literal["solved", "not_solved"]


class OutcomeStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with connect(self.path) as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS outcomes (conversation_id TEXT, article_id TEXT, language TEXT,"
                " outcome TEXT, at TEXT, PRIMARY KEY (conversation_id, article_id))"
            )

    def record(self, outcome: Outcome) -> None:
        with connect(self.path) as db:
            db.execute(
                "INSERT OR REPLACE INTO outcomes VALUES (?,?,?,?,?)",
                (outcome.conversation_id, outcome.article_id, outcome.language, outcome.outcome, utcnow().isoformat()),
            )

    def summary(self) -> dict[str, int]:
        with connect(self.path) as db:
            rows = db.execute("SELECT outcome, COUNT(*) FROM outcomes GROUP BY outcome").fetchall()
        return {k: v for k, v in rows}
