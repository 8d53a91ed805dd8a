"""Routing: problem category -> queue (team); a category that is not configured goes to first line."""

from __future__ import annotations

from core.settings import RoutingSettings


def queue_for(routing: RoutingSettings, category: str | None) -> str:
    """The queue of a category (``routing.categories``), else ``routing.default_queue``."""
    if category:
        return routing.categories.get(category.strip().lower(), routing.default_queue)
    return routing.default_queue


def queues(routing: RoutingSettings) -> dict[str, str]:
    """Every queue name with its description (what ``helpdesk rt setup`` creates)."""
    return {name: q.description for name, q in routing.queues.items()}
