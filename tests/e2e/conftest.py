"""Starts the three services as `make run` does (own ports and data folder) for the e2e tests."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright import sync_api as playwright_api

from helpdesk.launcher import Services, build_kb
from core.settings import load_settings


@pytest.fixture(scope="session")
def stack(e2e_env, trained_settings):
    """The three services, started as `make run` does; the environment is only theirs (not the
    other tests')."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in e2e_env.items():
            mp.setenv(key, value)
        settings = load_settings()
        build_kb(settings)
        services = Services(settings)  # takes a copy of the environment
    services.start()
    try:
        yield settings
    finally:
        services.stop()


# how the paraphrase starts in each language (bot/domain/triage.yml, utter_paraphrase)
PARAPHRASE_STARTS = ("Even samenvatten:", "Si j'ai bien compris :", "So, if I understood well:")
MAX_TRIAGE_QUESTIONS = 12


class Chat:
    def __init__(self, settings, sender: str) -> None:
        self.url = f"http://{settings.rasa.host}:{settings.rasa.port}/webhooks/rest/webhook"
        self.sender = sender
        self.headers = {"Authorization": f"Bearer {settings.rest_token()}"}

    def say(self, message: str) -> list[dict]:
        response = httpx.post(self.url, json={"sender": self.sender, "message": message}, headers=self.headers,
                              timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def collect(self) -> list[dict]:
        """A call without a message: only what waits for the user (an agent's replies)."""
        response = httpx.post(self.url, json={"sender": self.sender}, headers=self.headers, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def text(self, message: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(message))

    def through_triage(self, problem: str, describe: str = "it does not work at all") -> list[dict]:
        """Report ``problem``, answer every triage question with its first button (or ``describe``
        when it has none), confirm the paraphrase; return the replies that follow the confirmation."""
        reply = self.say(problem)
        for _ in range(MAX_TRIAGE_QUESTIONS):
            last = reply[-1] if reply else {}
            if any(last.get("text", "").startswith(start) for start in PARAPHRASE_STARTS):
                return self.say("/affirm")
            buttons = last.get("buttons") or []
            reply = self.say(buttons[0]["payload"] if buttons else describe)
        raise AssertionError(f"no paraphrase after {MAX_TRIAGE_QUESTIONS} answers: {reply}")


@pytest.fixture
def chat(stack, request):
    return lambda sender=None: Chat(stack, sender or f"{request.node.name}")


# Debian's Chromium (scripts/install-browser), driven by Playwright; never a downloaded browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: run scripts/install-browser")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
