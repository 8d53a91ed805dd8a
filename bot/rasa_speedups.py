"""Speed-ups of the Rasa 3.6 server process, applied when Rasa loads our tracker store.

Rasa checks every action server response with ``jsonschema.validate(response, schema)``. That call
first validates the *schema itself* against the JSON Schema meta-schema (Draft 2020-12, with all its
``$dynamicRef`` resolution), on every call: 55-60 % of the Rasa process's CPU per chat turn in our
profile (docs/performance.md). :func:`apply` makes ``RemoteAction._validate_action_result`` use one
validator built once from the same schema: the same responses pass and fail, with the same error
message; the meta-schema check runs once per process instead of several times per turn.

Like bot/components and bot/tracker_store.py, this module runs inside Rasa (``.venv-rasa``).
"""

from __future__ import annotations

from typing import Any

_applied = False


def apply() -> None:
    """Install the cached validator (idempotent)."""
    global _applied
    if _applied:
        return
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)          # once, as jsonschema.validate would on every call
    validator = cls(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        from jsonschema.exceptions import best_match

        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (". Failed to validate Action server response from API, make sure your response from "
                          "the Action endpoint is valid. For more information about the format visit "
                          f"{DOCS_BASE_URL}/custom-actions")
        raise error

    RemoteAction._validate_action_result = _validate_action_result
    _applied = True
