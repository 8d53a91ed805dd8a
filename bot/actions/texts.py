"""Render a domain response in the action server, when a reply is assembled from several phrases.

Rasa renders the responses an action sends; a paraphrase, though, is one message built from the
phrases of several responses (``utter_fact_<fact>``). The domain Rasa sends with every action call
holds the responses; this picks the variant whose ``language`` slot condition matches, exactly as
Rasa does, so languages stay data.
"""

from __future__ import annotations

from typing import Any


def _variant(domain: dict[str, Any], name: str, language: str | None) -> dict | None:
    variants = [v for v in (domain.get("responses") or {}).get(name) or [] if not v.get("channel")]
    for variant in variants:
        conditions = variant.get("condition") or []
        if conditions and all(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return variant
    return next((v for v in variants if not v.get("condition")), None)


def has_response(domain: dict[str, Any], name: str) -> bool:
    return bool((domain.get("responses") or {}).get(name))


def render(domain: dict[str, Any], response: str, language: str | None, /, **values: Any) -> str | None:
    """The text of ``response`` in ``language`` with ``{placeholders}`` filled; None if absent."""
    variant = _variant(domain, response, language)
    if variant is None:
        return None
    text = str(variant.get("text") or "")
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text
