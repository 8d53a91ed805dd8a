"""End to end in Chromium: a user in the web chat and agents in the console, with the three real
services. The user asks for a person, an agent takes the chat (a second agent is refused), messages go
both ways live (HTML shown as text on both sides), a canned response and a private note, the agent
resolves, the user answers the satisfaction survey and the bot is back; then a hand back. Everything
is checked on the ticket too. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from escalation.tickets.sqlite_store import SqliteTicketStore
from helpdesk_service.handoff.rasa import RasaClient
from helpdesk_service.handoff.store import HandoffStore
from tests.e2e.test_teams import microsoft, teams_rasa, teams_services  # noqa: F401 - fixtures: the Bot Connector stand-in, a Teams Rasa
from tests.e2e.test_teams import aad_id
from tests.e2e.test_teams import say as teams_say
from tests.e2e.test_teams import texts as teams_texts
from tests.e2e.test_webchat import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT, bot_message, open_chat, say)

pytestmark = pytest.mark.e2e
from playwright import sync_api as playwright_api  # noqa: E402 - pinned in requirements/app.lock
expect = playwright_api.expect

PASSWORD = "a long agent password"
AGENTS = ("ana", "ben")


@pytest.fixture(scope="module")
def agents(stack, e2e_env):
    """The agents' accounts, made with the CLI as the README says; set away afterwards, so the other
    e2e tests' escalations are not handed to a console nobody watches."""
    env = {**os.environ, **e2e_env}
    for user in AGENTS:
        done = subprocess.run([sys.executable, "-m", "helpdesk.cli", "accounts", "create", "--role", "agent",
                               "--user", user], input=PASSWORD + "\n", text=True, capture_output=True, env=env)
        assert done.returncode == 0, done.stderr
    yield AGENTS
    presence = HandoffStore(stack.data_path / "handoff.db")
    for user in AGENTS:
        presence.set_presence(user, "away", 3)


def new_page(browser, errors: list[str]):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def sign_in(page, stack, user: str) -> None:
    page.goto(f"{stack.helpdesk_url}/console")
    expect(page).to_have_url(re.compile(r"/console/login\?next=/console$"))       # no session: the login page
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me")).to_contain_text(user)
    page.get_by_label("Status").select_option("available")
    expect(page.get_by_label("Status")).to_have_value("available")
    page.wait_for_timeout(500)                                                       # the presence is saved


def open_waiting(agent, subject_part: str) -> None:
    agent.get_by_role("tab", name=re.compile("Waiting")).click()
    item = agent.locator("#queue button", has_text=subject_part).first
    expect(item).to_be_visible(timeout=TIMEOUT)
    item.click()
    expect(agent.locator("#card summary").first).to_contain_text("ticket #")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def test_an_agent_takes_over_a_chat_live_and_the_user_rates_the_help(browser, stack, agents):
    errors: list[str] = []
    stranger = new_page(browser, errors)
    stranger.context.add_cookies([{"name": "helpdesk_staff", "value": "forged", "url": stack.helpdesk_url}])
    stranger.goto(f"{stack.helpdesk_url}/console")
    expect(stranger).to_have_url(re.compile("/console/login"))                      # a forged session: login page

    ana, ben, user = new_page(browser, errors), new_page(browser, errors), new_page(browser, errors)
    sign_in(ana, stack, "ana")
    sign_in(ben, stack, "ben")
    open_chat(user, stack)
    say(user, "I want to talk to a person")
    joining = bot_message(user, "A helpdesk colleague is joining this chat")
    ticket_id = re.search(r"I've created ticket #(\d+)", user.locator("#chat-log li.msg-bot").filter(
        has_text="I've created ticket").last.inner_text()).group(1)
    assert joining.is_visible()
    evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> are you there?'
    say(user, evil)

    open_waiting(ben, "talk to a person")                 # ben looks at it too...
    open_waiting(ana, "talk to a person")
    ana.get_by_role("button", name="Take").click()        # ...but ana takes it
    expect(ana.locator("#chat-state")).to_contain_text("active · ana")
    csrf = ben.locator("meta[name=csrf-token]").get_attribute("content")
    chat_id = HandoffStore(stack.data_path / "handoff.db").queue("mine", "ana")[0]["id"]
    second = ben.evaluate("""([id, csrf]) => fetch('/console/api/chats/' + id + '/take',
        {method: 'POST', headers: {'X-CSRF-Token': csrf}}).then(r => r.json().then(b => [r.status, b.detail]))""",
                          [chat_id, csrf])
    assert second == [409, "this chat is already taken by ana"]
    expect(ben.locator("#chat-state")).to_contain_text("active · ana")
    expect(ben.get_by_role("button", name="Take")).to_be_hidden()

    bot_message(user, "ana from the helpdesk has joined the chat.")
    card = ana.locator("#card")
    expect(card).to_contain_text("Reason")
    expect(card).to_contain_text("requested_human")
    line = ana.locator("#log li.msg-user", has_text="are you there?")
    expect(line).to_be_visible(timeout=TIMEOUT)                                     # the user's message, live
    expect(line.locator(".text")).to_have_text(evil)                                # as text
    assert ana.locator("#log img, #log script").count() == 0 and ana.evaluate("window.__xss") is None

    ana.get_by_label("Canned response").select_option(label="Greeting")
    expect(ana.get_by_label("Reply to the user")).to_have_value(re.compile("^Hello, I have your request"))
    ana.get_by_role("button", name="Send").click()
    bot_message(user, "Hello, I have your request")
    reply = 'Please restart Outlook. <b>not bold</b><img src=x onerror="window.__xss=3">'
    ana.get_by_label("Reply to the user").fill(reply)
    ana.get_by_role("button", name="Send").click()
    expect(user.locator("#chat-log li.msg-bot .msg-text").filter(has_text="Please restart Outlook").last).to_have_text(reply)
    assert user.locator("#chat-log img, #chat-log b").count() == 0 and user.evaluate("window.__xss") is None
    ana.get_by_label("Private note (not shown to the user)").fill("probably the OST file <i>again</i>")
    ana.get_by_role("button", name="Add note").click()
    expect(ana.locator("#log li.msg-note")).to_contain_text("probably the OST file <i>again</i>")
    say(user, "it works now, thanks")
    expect(ana.locator("#log li.msg-user", has_text="it works now")).to_be_visible(timeout=TIMEOUT)
    shot(ana, "agent-chat")
    assert user.locator("#chat-log", has_text="OST file").count() == 0              # the note stays private

    ana.get_by_role("button", name="Resolve").click()
    bot_message(user, "How satisfied are you with the help you got?")
    user.locator("#chat-log .quick-replies button", has_text="4").click()
    bot_message(user, "Would you like to add a comment?")
    say(user, "quick and friendly")
    bot_message(user, "Thank you for your feedback.")
    shot(user, "user-survey")
    ana.get_by_role("tab", name="Resolved").click()
    expect(ana.locator("#queue button").first).to_contain_text("satisfaction 4/5")

    say(user, "hello")                                                               # the bot is back
    bot_message(user, "I'm the IT helpdesk assistant")

    ticket = SqliteTicketStore(stack.path(stack.tickets.sqlite_path)).get(ticket_id)
    comments = [c.text for c in ticket.comments]
    assert ticket.status == "resolved"
    for expected in (evil, "ana took the chat.", f"[ana] {reply}", "[private note, ana] probably the OST file <i>again</i>",
                     "it works now, thanks", "Satisfaction: 4/5 - quick and friendly"):
        assert expected in comments, (expected, comments)

    # a second request in the same chat: ana takes it and hands it back to the bot
    say(user, "I want to talk to a person")
    bot_message(user, "A helpdesk colleague is joining this chat")
    ana.get_by_role("tab", name=re.compile("Waiting")).click()
    open_waiting(ana, "talk to a person")
    ana.get_by_role("button", name="Take").click()
    expect(ana.locator("#chat-state")).to_contain_text("active · ana")
    ana.get_by_role("button", name="Hand back to the bot").click()
    bot_message(user, "How satisfied are you")
    user.locator("#chat-log .quick-replies button", has_text="5").last.click()
    user.locator("#chat-log .quick-replies button", has_text="No comment").last.click()
    bot_message(user, "You are talking to the virtual assistant again")
    shot(user, "user-handed-back")
    assert errors == []


def test_an_admin_creates_disables_and_resets_accounts_on_the_page(browser, stack, e2e_env):
    env = {**os.environ, **e2e_env}
    done = subprocess.run([sys.executable, "-m", "helpdesk.cli", "accounts", "create", "--role", "admin",
                           "--user", "root-admin"], input=PASSWORD + "\n", text=True, capture_output=True, env=env)
    assert done.returncode == 0, done.stderr
    errors: list[str] = []
    page = new_page(browser, errors)
    page.goto(f"{stack.helpdesk_url}/console/accounts")
    page.get_by_label("User name").fill("root-admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_contain_text("wrong user name or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"^http://[^/?]+/console/accounts$"))
    expect(page.locator("#accounts tr", has_text="root-admin")).to_contain_text("admin")

    page.get_by_label("User name").fill("cara")
    page.get_by_label("Role").select_option("editor")
    page.get_by_label("Password (at least 10 characters)").fill("short")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#accounts-error")).to_contain_text("at least 10 characters")
    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    page.get_by_role("button", name="Create").click()
    row = page.locator("#accounts tr", has_text="cara")
    expect(row).to_contain_text("editor")
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Disable").click()
    expect(row).to_contain_text("disabled")
    page.once("dialog", lambda dialog: dialog.accept("another long password"))
    row.get_by_role("button", name="Reset password").click()
    expect(page.locator("#accounts-error")).to_have_text("Password of cara changed.")
    shot(page, "accounts")
    assert errors == []


def test_a_teams_user_gets_the_agents_reply_as_a_proactive_message(teams_rasa, microsoft, stack):
    """Teams: the chat is handed over and paused as on the web; the agent's reply, sent to Rasa's API as
    the service sends it, reaches the user through the Bot Connector by the stored conversation reference."""
    handoffs = HandoffStore(stack.data_path / "handoff.db")
    handoffs.set_presence("teams-agent", "available", 3)
    user = aad_id("teams-handoff")          # the conversation is the user's Azure AD object id
    try:
        replies = teams_say(teams_rasa, microsoft, "teams-handoff", "I want to talk to a person", locale="en-GB")
        assert "A helpdesk colleague is joining this chat" in teams_texts(replies)
        handoff = handoffs.live_for(user)
        assert handoff["channel"] == "botframework" and handoff["state"] == "waiting"
        assert teams_say(teams_rasa, microsoft, "teams-handoff", "are you there?") == []   # the bot is paused

        rasa = RasaClient(f"http://127.0.0.1:{teams_rasa.rasa.port}", teams_rasa.rasa_token())
        rasa.send(user, "Hello, ana here. <b>Restart Outlook</b>")
        sent = microsoft.take()
        assert [a["path"] for a in sent] == ["/v3/conversations/a:teams-handoff-conversation/activities"]
        assert sent[0]["body"]["text"] == "Hello, ana here. <b>Restart Outlook</b>"
        assert sent[0]["body"]["recipient"]["id"] == "29:teams-handoff"    # addressed to the Teams user
    finally:
        handoffs.set_presence("teams-agent", "away", 3)
        if handoffs.live_for(user):
            handoffs.update(handoffs.live_for(user)["id"], state="timed_out")


def test_an_agent_words_and_resolves_a_known_problem_in_the_console(browser, stack, agents):
    api = {"Authorization": f"Bearer {stack.api_token()}"}
    declared = httpx.post(f"{stack.helpdesk_url}/api/problems", headers=api, timeout=30,
                          json={"category": "printer", "title": "Printers on floor 2 <b>down</b>"})
    assert declared.status_code == 201, declared.text
    problem_id = declared.json()["id"]
    errors: list[str] = []
    agent = new_page(browser, errors)
    sign_in(agent, stack, agents[0])
    item = agent.locator(f'#problems li[data-id="{problem_id}"]')
    expect(item).to_contain_text("Printers on floor 2 <b>down</b>")          # as text, never markup
    item.get_by_label("What users are told (Nederlands)").fill("De printers op verdieping 2 liggen plat; we werken eraan.")
    item.get_by_role("button", name="Save the messages").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stored = httpx.get(f"{stack.helpdesk_url}/api/problems/{problem_id}", headers=api, timeout=30).json()
        if stored["messages"].get("nl"):
            break
        time.sleep(0.5)
    assert stored["messages"]["nl"] == "De printers op verdieping 2 liggen plat; we werken eraan." and stored["confirmed"]
    shot(agent, "problems")
    agent.locator(f'#problems li[data-id="{problem_id}"]').get_by_role("button", name="Resolved").click()
    expect(agent.locator(f'#problems li[data-id="{problem_id}"]')).to_have_count(0)
    assert httpx.get(f"{stack.helpdesk_url}/api/problems/{problem_id}", headers=api, timeout=30).json()["status"] == "resolved"
    assert not errors, errors
    agent.context.close()


class ConsoleApi:
    """An agent signed in to the console's JSON API, as the console page calls it."""

    def __init__(self, stack, user: str) -> None:
        self.http = httpx.Client(base_url=stack.helpdesk_url, timeout=60)
        assert self.http.post("/console/api/login", json={"username": user, "password": PASSWORD}).status_code == 200
        csrf = self.http.get("/console").text.split('name="csrf-token" content="')[1].split('"')[0]
        self.http.headers["X-CSRF-Token"] = csrf

    def wait_for_user(self, chat_id: int, text: str, polls: int = 120) -> None:
        """Until the user's message shows in the chat (the service reads it from Rasa's tracker store)."""
        for _ in range(polls):
            messages = self.http.get(f"/console/api/chats/{chat_id}").json()["messages"]
            if any(m["sender"] == "user" and m["text"] == text for m in messages):
                return
            time.sleep(0.5)
        raise AssertionError(f"{text!r} never reached the console")

    def post(self, path: str, **kwargs) -> dict:
        response = self.http.post(f"/console/api{path}", **kwargs)
        assert response.status_code == 200, response.text
        return response.json()


def collect_until(user, until: str, deadline_polls: int = 120) -> list[dict]:
    """Call the REST channel without a message (as an integrator polls) until a message containing
    ``until`` arrives; every message handed out on the way."""
    seen: list[dict] = []
    for _ in range(deadline_polls):
        seen += user.collect()
        if any(until in (m.get("text") or "") for m in seen):
            return seen
        time.sleep(0.5)                 # the service's worker reads the user's answer from Rasa's tracker
    raise AssertionError(f"{until!r} never arrived: {seen}")


def test_a_rest_user_gets_the_agents_replies_with_their_next_call(stack, chat, agents):
    """REST: the agent's replies are queued in the service's database and handed out, in order and
    once, at the start of the answer to the user's next call (or to a call without a message)."""
    handoffs = HandoffStore(stack.data_path / "handoff.db")
    ana = ConsoleApi(stack, "ana")
    ana.post("/presence", json={"status": "available", "capacity": 3})
    user = chat(f"rest-handoff-{uuid.uuid4().hex[:6]}")
    try:
        text = user.text("I want to talk to a person")
        assert "A helpdesk colleague is joining this chat" in text
        ticket_id = re.search(r"I've created ticket #(\d+)", text).group(1)
        handoff = handoffs.live_for(user.sender)
        assert (handoff["channel"], handoff["state"]) == ("rest", "waiting")

        ana.post(f"/chats/{handoff['id']}/take")
        reply = "Please restart Outlook. <b>not bold</b>"
        ana.post(f"/chats/{handoff['id']}/reply", json={"text": reply})
        # handed out with the user's next message, first (the bot is paused: nothing else)
        answer = user.say("it works now, thanks")
        assert [m["text"] for m in answer] == ["ana from the helpdesk has joined the chat.", reply]
        assert user.collect() == []                                          # handed out once
        ana.wait_for_user(handoff["id"], "it works now, thanks")
        ana.post(f"/chats/{handoff['id']}/reply", json={"text": "Great!"})
        ana.post(f"/chats/{handoff['id']}/resolve")
        answer = user.collect()
        assert [m["text"] for m in answer][0] == "Great!"
        assert answer[1]["text"].startswith("How satisfied are you")
        assert [b["payload"] for b in answer[1]["buttons"]] == ["1", "2", "3", "4", "5"]
        assert user.say("4") == []
        comment = collect_until(user, "Would you like to add a comment?")[-1]
        assert comment["buttons"][0]["title"] == "No comment"
        user.say(comment["buttons"][0]["payload"])
        collect_until(user, "Thank you for your feedback.")
        api = {"token": stack.rasa_token()}
        for _ in range(120):                                               # the service resumes the bot
            if not httpx.get(f"{stack.rasa_url}/conversations/{user.sender}/tracker", params=api,
                             timeout=30).json()["paused"]:
                break
            time.sleep(0.5)
        assert "I'm the IT helpdesk assistant" in user.text("hello")       # the bot is back

        ticket = SqliteTicketStore(stack.path(stack.tickets.sqlite_path)).get(ticket_id)
        comments = [c.text for c in ticket.comments]
        for expected in ("ana took the chat.", f"[ana] {reply}", "it works now, thanks", "[ana] Great!",
                         "Satisfaction: 4/5"):
            assert expected in comments, (expected, comments)
        assert ticket.status == "resolved"
    finally:
        ana.post("/presence", json={"status": "away", "capacity": 3})
        if handoffs.live_for(user.sender):
            handoffs.update(handoffs.live_for(user.sender)["id"], state="timed_out")
