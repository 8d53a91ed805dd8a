"""End to end: a small sample of the DEV conversation set (eval/conversations/dev) played over
the REST channel by the simulated user of ``make eval-conversations``; the ticket is read back.

The sealed test set is only run by ``make eval-conversations`` (figures, not pass/fail)."""

from __future__ import annotations

import pytest
import yaml

from helpdesk.evaluation.conversations import USER_FILE, Stack, load_set, play

pytestmark = pytest.mark.e2e

SAMPLE = ["nl-d04", "nl-d06", "fr-d04", "fr-d06", "en-d03", "en-d08"]   # 2 per language, several categories


@pytest.fixture(scope="module")
def conversations(stack):
    by_id = {c["id"]: c for c in load_set("dev", list(stack.languages))}
    return Stack(stack), by_id, yaml.safe_load(USER_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("conversation_id", SAMPLE)
def test_a_dev_conversation_reaches_its_outcome_without_asking_a_given_fact(conversations, conversation_id):
    stack, by_id, user = conversations
    conversation = by_id[conversation_id]
    result = play(stack, conversation, user)
    assert result.error is None and result.outcome_reached(), result.turns[-1]
    assert result.asked_again == []
    assert (result.ticket or {}).get("category", result.category) == conversation["category"]
    assert all(language == conversation["language"] for language in result.languages)
    assert result.copied_run() < 6, result.paraphrase
    if conversation.get("priority"):
        assert result.ticket["priority"] == conversation["priority"]
