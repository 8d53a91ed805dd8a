"""Content health: articles nobody was shown lately, articles that often did not help, articles often
followed by an escalation, and articles missing a language. Computed from the self-service outcomes
(each one says an article was shown in a conversation, and whether it helped) and the stored events."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from core.clock import utcnow
from core.storage import connect


def content_health(articles: list[dict], outcomes_db: Path, escalated: set[str], days: int,
                   min_shown: int = 3, bad_rate: float = 0.5) -> dict:
    shown, not_helped, escalations, recent = Counter(), Counter(), Counter(), set()
    since = (utcnow() - timedelta(days=days)).isoformat()
    if Path(outcomes_db).is_file():
        with connect(outcomes_db) as db:
            for r in db.execute("SELECT conversation_id, article_id, outcome, at FROM outcomes"):
                shown[r["article_id"]] += 1
                not_helped[r["article_id"]] += r["outcome"] == "not_solved"
                escalations[r["article_id"]] += r["conversation_id"] in escalated
                if r["at"] >= since:
                    recent.add(r["article_id"])

    def figures(article_id: str) -> dict:
        n = shown[article_id]
        return {"shown": n, "not_helped": not_helped[article_id], "escalated": escalations[article_id],
                "not_helped_rate": round(not_helped[article_id] / n, 3) if n else None,
                "escalation_rate": round(escalations[article_id] / n, 3) if n else None}

    rows = [{**a, **figures(a["id"])} for a in articles]
    return {
        "days": days,
        "never_shown": [r for r in rows if r["id"] not in recent],
        "not_helping": sorted([r for r in rows if r["shown"] >= min_shown and r["not_helped_rate"] >= bad_rate],
                              key=lambda r: -r["not_helped_rate"]),
        "escalating": sorted([r for r in rows if r["shown"] >= min_shown and r["escalation_rate"] >= bad_rate],
                             key=lambda r: -r["escalation_rate"]),
        "missing_language": [r for r in rows if r["missing"]],
    }
