"""End to end in a real browser: the web chat page (helpdesk service) talking to Rasa's socket.io
channel, driven by Playwright for Python in Debian's chromium (scripts/install-browser installs it;
never `playwright install`). Screenshots go to test-artifacts/ (not committed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from escalation.tickets.sqlite_store import SqliteTicketStore
from core.settings import PROJECT_ROOT
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 - re-exported to the other page tests

pytestmark = pytest.mark.e2e
from playwright import sync_api as playwright_api  # noqa: E402 - pinned in requirements/app.lock
expect = playwright_api.expect

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}
TIMEOUT = 90_000  # ms; the first turns of a freshly started Rasa are slow on 2 shared cores

CONVERSATIONS = {
    "nl": dict(problem="mijn VPN werkt niet meer", article="Dit artikel kan je helpen", article_id="vpn-",
               yes="Ja", no="Nee", ticket=r"Ik heb ticket #(\d+) aangemaakt"),
    "fr": dict(problem="mon imprimante n'imprime plus", article="Cet article devrait vous aider",
               article_id="printer-", yes="Oui", no="Non", ticket=r"J'ai créé le ticket n° (\d+)"),
    "en": dict(problem="Outlook stopped syncing", article="This article should help", article_id="outlook-",
               yes="Yes", no="No", ticket=r"I've created ticket #(\d+)"),
}


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.chat_errors = errors
    yield page
    context.close()


def chat_url(settings) -> str:
    return f"{settings.helpdesk_url}/chat"


def open_chat(page, settings):
    page.goto(chat_url(settings))
    expect(page.locator("#chat-status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT)


def say(page, text: str) -> None:
    page.get_by_label(re.compile("Your message|Je bericht|Votre message")).fill(text)
    page.keyboard.press("Enter")


PARAPHRASE_STARTS = ("Even samenvatten:", "Si j'ai bien compris :", "So, if I understood well:")
REMOTE_CONSENT_ASKED = re.compile("op afstand overnemen|prendre le contrôle de votre ordinateur|take over your computer")
MAX_TRIAGE_QUESTIONS = 12


def settle(page, bots_before: int) -> None:
    """Wait for the bot's answer to the last action (its lines arrive one by one)."""
    page.wait_for_function("n => document.querySelectorAll('#chat-log li.msg-bot').length > n", arg=bots_before)
    page.wait_for_timeout(700)


def through_triage(page, problem: str, describe: str = "it does not work at all") -> None:
    """Report ``problem``, answer each triage question with its first quick reply (or ``describe``),
    then confirm the paraphrase with its first quick reply ("Yes, that's right")."""
    bots = page.locator("#chat-log li.msg-bot")
    count = bots.count()
    say(page, problem)
    for _ in range(MAX_TRIAGE_QUESTIONS):
        settle(page, count)
        count = bots.count()
        paraphrase = bots.last.locator(".msg-text").inner_text().startswith(PARAPHRASE_STARTS)
        buttons = page.locator("#chat-log .quick-replies button")
        if buttons.count():
            buttons.first.click()
        else:
            say(page, describe)
        if paraphrase:
            return
    raise AssertionError("the triage never ended with a paraphrase: "
                         + " | ".join(page.locator("#chat-log li").all_inner_texts()))


def bot_message(page, text: str):
    locator = page.locator("#chat-log li.msg-bot", has_text=text).last
    expect(locator).to_be_visible(timeout=TIMEOUT)
    return locator


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"webchat-{name}.png"), full_page=True)


def store(settings) -> SqliteTicketStore:
    return SqliteTicketStore(settings.path(settings.tickets.sqlite_path))


@pytest.mark.parametrize("lang", ["nl", "fr", "en"])
def test_from_problem_to_article_to_ticket_in_the_browser(page, stack, lang):
    c = CONVERSATIONS[lang]
    open_chat(page, stack)
    through_triage(page, c["problem"])
    expect(page.locator("#chat-log li.msg-user").first).to_have_text(re.compile(re.escape(c["problem"])))

    heading = bot_message(page, c["article"])
    title = heading.locator("strong")
    expect(title).to_have_count(1)
    assert len(title.inner_text().strip()) > 3                       # **title** shown bold, without asterisks
    assert "**" not in heading.inner_text()
    link = page.locator("#chat-log li.msg-bot a[href*='/kb/']").last   # Rasa sends each paragraph apart
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert f"lang={lang}" in href and link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    article_id = re.search(r"/kb/([\w-]+)", href).group(1)
    # the last group of quick replies is the yes/no question (other articles may come as buttons before it)
    # (the messages arrive one by one: wait for the group that holds the "no" answer)
    replies = page.get_by_role("group", name=re.compile("Suggested replies|Voorgestelde|Réponses suggérées")).filter(
        has=page.get_by_role("button", name=c["no"], exact=True)).last
    expect(replies).to_be_visible(timeout=TIMEOUT)
    titles = replies.get_by_role("button").all_inner_texts()
    assert titles[0].startswith(c["yes"]) and c["no"] in titles, titles
    shot(page, f"{lang}-article")

    if lang == "nl":   # the conversation survives a reload: same lines, same buttons, same Rasa session
        session = page.evaluate("localStorage.getItem('helpdesk-chat:session')")
        before = page.locator("#chat-log li").all_inner_texts()
        page.reload()
        expect(page.locator("#chat-status")).to_have_attribute("data-state", "connected")
        assert page.locator("#chat-log li").all_inner_texts() == before
        assert page.evaluate("localStorage.getItem('helpdesk-chat:session')") == session
        shot(page, "nl-after-reload")

    bots = page.locator("#chat-log li.msg-bot").count()
    replies.get_by_role("button", name=c["no"], exact=True).click()
    expect(page.locator("#chat-log .quick-replies")).to_have_count(0)      # answered: buttons gone
    expect(page.get_by_label(re.compile("Your message|Je bericht|Votre message"))).to_be_focused()
    settle(page, bots)
    if REMOTE_CONSENT_ASKED.search(page.locator("#chat-log li.msg-bot .msg-text").last.inner_text()):
        page.locator("#chat-log .quick-replies button").first.click()     # "Yes, I agree"
    ticket_line = page.locator("#chat-log li.msg-bot").filter(has_text=re.compile(c["ticket"])).last
    expect(ticket_line).to_be_visible(timeout=TIMEOUT)
    ticket_id = re.search(c["ticket"], ticket_line.inner_text()).group(1)
    shot(page, f"{lang}-ticket")

    ticket = store(stack).get(ticket_id)
    assert ticket.language == lang and ticket.requester.channel == "socketio"
    assert ticket.requester.id == json.loads(page.evaluate("localStorage.getItem('helpdesk-chat:session')"))
    assert any(line.text == c["problem"] for line in ticket.transcript)
    assert ticket.suggested_articles[0].article_id == article_id
    assert c["article_id"] in article_id or lang == "en"   # en: Outlook vs OneDrive sync is the KB's call
    assert page.chat_errors == []


def test_language_picker_switches_the_conversation_and_the_page(page, stack):
    open_chat(page, stack)
    page.get_by_label("Language").select_option("fr")
    bot_message(page, "continuons en français")
    expect(page.get_by_role("button", name="Envoyer")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "fr"
    through_triage(page, "Outlook ne synchronise plus")
    bot_message(page, "Cet article devrait vous aider")
    page.get_by_label("Langue").select_option("nl")
    bot_message(page, "verder in het Nederlands")
    shot(page, "language-picker")


def test_a_greeting_in_another_language_than_the_browsers_switches_the_reply_and_the_page(page, stack):
    open_chat(page, stack)                                 # the browser is English (en-GB)
    say(page, "bonjour")
    bot_message(page, "Bonjour")
    expect(page.get_by_role("button", name="Envoyer")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.get_by_label("Langue").input_value() == "fr"
    assert page.chat_errors == []


def test_html_and_script_typed_by_the_user_are_shown_as_text(page, stack):
    open_chat(page, stack)
    evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>vet</b> mijn printer doet het niet'
    say(page, evil)
    user_line = page.locator("#chat-log li.msg-user").last
    expect(user_line.locator(".msg-text")).to_have_text(evil)
    bot_message(page, "Waar ben je nu")                     # the triage's first question (printer: where?)
    assert page.locator("#chat-log img, #chat-log script, #chat-log b").count() == 0
    assert page.evaluate("window.__xss") is None
    shot(page, "html-as-text")


def fake_rasa(ws, bot_message: dict) -> None:
    """A stand-in for Rasa's socket.io server (Engine.IO v4 over WebSocket) that answers every
    user message with ``bot_message``."""
    ws.send("0" + json.dumps({"sid": "fake", "upgrades": [], "pingInterval": 25000, "pingTimeout": 60000,
                              "maxPayload": 1000000}))

    def on_message(frame):
        if frame == "40":
            ws.send('40{"sid":"fake-socket"}')
        elif frame.startswith('42["session_request"'):
            ws.send('42["session_confirm","fake-session"]')
        elif frame.startswith('42["user_uttered"'):
            ws.send("42" + json.dumps(["bot_uttered", bot_message]))

    ws.on_message(on_message)


def test_bot_messages_render_bold_lines_and_links_but_never_html(page, stack):
    evil = {
        "text": '**Vet** <img src=x onerror="window.__xss=1"><script>window.__xss=2</script>\n'
                "tweede regel https://kb.example.org/kb/a?lang=nl. javascript:window.__xss=3 **open",
        "quick_replies": [{"title": "<b>Ja</b>", "payload": "/affirm"}, {"title": 5, "payload": None}],
    }
    page.route_web_socket(re.compile(r"/socket\.io/"), lambda ws: fake_rasa(ws, evil))
    open_chat(page, stack)
    say(page, "hallo")
    line = page.locator("#chat-log li.msg-bot").last
    expect(line.locator("strong")).to_have_text("Vet")
    expect(line.locator("br")).to_have_count(1)
    expect(line.locator("a")).to_have_count(1)
    assert line.locator("a").get_attribute("href") == "https://kb.example.org/kb/a?lang=nl"
    text = line.locator(".msg-text").inner_text()
    assert '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>' in text
    assert "javascript:window.__xss=3 **open" in text
    assert line.locator("img, script").count() == 0
    expect(line.get_by_role("button")).to_have_text(["<b>Ja</b>"])    # the malformed button is dropped
    assert page.evaluate("window.__xss") is None
    shot(page, "bot-html-as-text")


def test_garbage_and_disconnects_on_socket_io_do_not_hurt_rasa(page, stack):
    rasa = f"http://{stack.rasa.host}:{stack.rasa.port}"
    open_chat(page, stack)
    page.evaluate("""(url) => new Promise((resolve) => {
        const s = window.io(url, {transports: ["websocket"], reconnection: false});
        s.on("connect", () => {
            s.emit("session_request", 42);
            s.emit("session_request", "not an object");
            s.emit("user_uttered", "garbage");
            s.emit("user_uttered", null);
            s.emit("user_uttered", {session_id: {"$ne": 1}, message: ["not", "text"]});
            s.emit("user_uttered", {session_id: "garbage-x", message: "x".repeat(100000)});
            s.emit("user_uttered", {session_id: "garbage-y", message: "mijn VPN werkt niet", metadata: "{not json"});
            s.emit("no_such_event", {a: 1});
            s.emit("user_uttered", {session_id: "garbage-z", message: "mijn printer doet het niet"});
            s.disconnect();                       // gone before the bot answers
            resolve(true);
        });
    })""", rasa)
    # raw Engine.IO frames that are not Socket.IO at all
    handshake = httpx.get(f"{rasa}/socket.io/", params={"EIO": 4, "transport": "polling"}, timeout=10)
    sid = json.loads(handshake.text[1:])["sid"]
    for frame in [b"42[broken", b"\xff\xfe\x00", b"9", b"42" + b"[" * 5000]:
        httpx.post(f"{rasa}/socket.io/", params={"EIO": 4, "transport": "polling", "sid": sid}, content=frame,
                   timeout=10)
    assert httpx.get(f"{rasa}/status", params={"token": stack.rasa_token()}, timeout=10).status_code == 200
    # and the page still holds a conversation
    say(page, "Outlook stopped syncing")
    bot_message(page, "What exactly happens")      # the triage's first question


def test_a_user_the_site_signed_in_is_the_requester_of_their_tickets(page, stack):
    """An intranet that signed its user in gets an identified session from the service (API token) and
    opens the chat with it: the ticket carries that e-mail address and name, whatever the page claims."""
    answer = httpx.post(f"{stack.helpdesk_url}/api/chat/session/identified", timeout=30,
                        headers={"Authorization": f"Bearer {stack.api_token()}"},
                        json={"email": "an.peeters@example.org", "name": "An Peeters"})
    assert answer.status_code == 200, answer.text
    identified = answer.json()
    page.add_init_script("""(() => {              // a page script that claims another identity: ignored
      const emit = window.WebSocket.prototype.send;
      window.WebSocket.prototype.send = function (data) {
        if (typeof data === "string" && data.includes("user_uttered"))
          data = data.replace('"metadata":{', '"metadata":{"email":"evil@example.org","name":"Mallory",');
        return emit.call(this, data);
      };
    })();""")
    page.goto(identified["chat_url"].replace(stack.service.public_url, stack.helpdesk_url))
    expect(page.locator("#chat-status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT)
    assert "#session=" not in page.url                        # the token leaves the address bar
    say(page, "I want to talk to a person")
    bot_message(page, "ticket #")
    [ticket] = store(stack).list(requester_id=identified["user_id"])
    assert (ticket.requester.email, ticket.requester.name) == ("an.peeters@example.org", "An Peeters")
    assert not page.chat_errors, page.chat_errors
