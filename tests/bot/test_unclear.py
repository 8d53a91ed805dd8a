"""The NLU fallback: a clarifying question with the likeliest topics, and the review record."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import runtime
from bot.actions.dialogue import ActionHandleUnclear
from bot.actions.texts import render
from bot.actions.helpdesk_client import HelpdeskClient
from core.settings import PROJECT_ROOT

DOMAIN = {"responses": yaml.safe_load((PROJECT_ROOT / "bot" / "domain" / "fallback.yml").read_text())["responses"]}
RANKING = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "vpn_problem", "confidence": 0.31},
           {"name": "greet", "confidence": 0.2}, {"name": "network_problem", "confidence": 0.18},
           {"name": "request_human", "confidence": 0.1}, {"name": "slow_computer", "confidence": 0.06},
           {"name": "disk_full", "confidence": 0.01}]


class FailingReview:
    """A review service that is down or answers with an error (failure modes only)."""

    def __init__(self, status=201, down=False):
        self.status, self.down = status, down
        self.posted: list[dict] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("down")
        assert request.url.path == "/api/review/unclear" and request.method == "POST"
        assert request.headers["Authorization"] == "Bearer " + "t" * 20
        self.posted.append(json.loads(request.content))
        return httpx.Response(self.status, json={"id": 1} if self.status < 400 else {"detail": "boom"})


class ReviewQueue:
    """What the real service (tests/bot/conftest.py) was sent for its review queue."""

    def __init__(self, harness) -> None:
        self.harness = harness

    @property
    def posted(self) -> list[dict]:
        return [json.loads(r.content) for r in self.harness.requests
                if r.url.path == "/api/review/unclear" and r.method == "POST"]


@pytest.fixture
def review(helpdesk):
    return ReviewQueue(helpdesk)


def tracker(text="euh het ding doet raar", language="nl", ranking=RANKING, issue=None, sender="u7"):
    latest = {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.4}, "intent_ranking": ranking,
              "entities": []}
    return Tracker(sender, {"language": language, "input_issue": issue}, latest,
                   [{"event": "user", "text": text, "timestamp": 1714989600.0}], False, None, None, "rest")


def run(t, domain=DOMAIN):
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandleUnclear().run(dispatcher, t, domain))
    return dispatcher.messages


@pytest.mark.parametrize("language,titles", [
    ("nl", ["VPN", "Netwerk of wifi", "Met een medewerker praten"]),
    ("fr", ["VPN", "Réseau ou wifi", "Parler à quelqu'un"]),
    ("en", ["VPN", "Network or Wi-Fi", "Talk to a person"]),
    (None, ["VPN", "Network or Wi-Fi", "Talk to a person"]),
])
def test_asks_to_clarify_with_the_three_likeliest_topics_in_the_users_language(review, language, titles):
    messages = run(tracker(language=language))
    assert [m["response"] for m in messages] == ["utter_clarify"]
    assert [b["title"] for b in messages[0]["buttons"]] == titles       # greet is not a topic
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/vpn_problem", "/network_problem", "/request_human"]


def test_unlikely_intents_are_not_offered(review):
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "printer_problem", "confidence": 0.35},
               {"name": "thanks", "confidence": 0.3}, {"name": "disk_full", "confidence": 0.04}]
    buttons = run(tracker(ranking=ranking))[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/printer_problem"]


def test_without_a_likely_topic_it_asks_to_rephrase(review):
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "greet", "confidence": 0.38},
               {"name": "affirm", "confidence": 0.3}]
    assert [m["response"] for m in run(tracker(ranking=ranking))] == ["utter_please_rephrase"]
    assert [m["response"] for m in run(tracker(ranking=[]))] == ["utter_please_rephrase"]


@pytest.mark.parametrize("issue,response", [("empty", "utter_empty_message"), ("no_words", "utter_no_words"),
                                            ("unsupported_language", "utter_unsupported_language")])
def test_input_issues_keep_their_explanation(review, issue, response):
    assert [m["response"] for m in run(tracker(issue=issue))] == [response]


def test_topic_labels_come_from_the_fallback_domain_file_when_rasa_sends_no_responses(review):
    messages = run(tracker(language="fr"), domain={})
    assert messages[0]["buttons"][0] == {"title": "VPN", "payload": "/vpn_problem"}
    assert messages[0]["buttons"][1]["title"] == "Réseau ou wifi"


def test_every_topic_is_an_intent_and_has_all_languages():
    intents = set(yaml.safe_load((PROJECT_ROOT / "bot" / "domain" / "intents.yml").read_text())["intents"])
    for name, variants in DOMAIN["responses"].items():
        if name.startswith("utter_topic_"):
            assert name.removeprefix("utter_topic_") in intents
            assert {render(DOMAIN, name, lang) for lang in ("nl", "fr", "en")} - {None}


def test_the_message_is_recorded_masked_with_its_ranking(review):
    run(tracker(text="mijn wachtwoord: Geheim123 werkt niet, mail jan@example.com", language="nl"))
    [posted] = review.posted
    assert "Geheim123" not in posted["text"] and "jan@example.com" not in posted["text"]
    assert posted["language"] == "nl" and posted["sender_id"] == "u7" and posted["issue"] is None
    assert posted["top_intents"] == [{"intent": "vpn_problem", "confidence": 0.31},
                                     {"intent": "greet", "confidence": 0.2},
                                     {"intent": "network_problem", "confidence": 0.18}]
    assert posted["at"].startswith("2024-05-06T10:00")


def test_other_language_messages_are_recorded_too_but_not_empty_ones(review):
    run(tracker(text="wo ist der Drucker", issue="unsupported_language"))
    run(tracker(text="   ", issue="empty"))
    assert [p["issue"] for p in review.posted] == ["unsupported_language"]


@pytest.mark.parametrize("fake", [FailingReview(down=True), FailingReview(status=500), FailingReview(status=422)])
def test_a_failing_review_service_never_breaks_the_conversation(monkeypatch, tmp_path, caplog, fake):
    client = HelpdeskClient("http://helpdesk", "t" * 20, transport=httpx.MockTransport(fake.handler))
    monkeypatch.setattr(runtime, "helpdesk", lambda: client)
    messages = run(tracker(language="en"))
    assert messages[0]["response"] == "utter_clarify"
    assert "could not record the unclear message" in caplog.text
