"""Small helpers to send domain responses (whose language variant Rasa picks from the slot)."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

INPUT_ISSUE_RESPONSES = {
    "empty": "utter_empty_message",
    "no_words": "utter_no_words",
    "unsupported_language": "utter_unsupported_language",
}


def reply_to_input_issue(dispatcher: CollectingDispatcher, issue: str | None) -> bool:
    """Answer an unusable message; True when it did (the caller then stops)."""
    response = INPUT_ISSUE_RESPONSES.get(issue or "")
    if response:
        dispatcher.utter_message(response=response)
        return True
    return False


def format_steps(steps: list[str]) -> str:
    return "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
