"""End to end: Rasa (REST channel) + action server + helpdesk service, real model and real KB."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from escalation.tickets.sqlite_store import SqliteTicketStore

pytestmark = pytest.mark.e2e

CONVERSATIONS = {
    "nl": dict(greet="hallo", problem="mijn VPN werkt niet meer sinds vanmorgen", no="nee",
               greet_reply="Ik ben de IT-helpdeskassistent", article="Dit artikel kan je helpen",
               ticket=r"Ik heb ticket #(\d+) aangemaakt", article_id="vpn-"),
    "fr": dict(greet="bonjour", problem="mon imprimante n'imprime plus", no="non",
               greet_reply="Je suis l'assistant du helpdesk", article="Cet article devrait vous aider",
               ticket=r"J'ai créé le ticket n° (\d+)", article_id="printer-"),
    "en": dict(greet="hi there", problem="Outlook stopped syncing", no="no, that did not help",
               greet_reply="I'm the IT helpdesk assistant", article="This article should help",
               ticket=r"I've created ticket #(\d+)", article_id="outlook-"),
}


REMOTE_CONSENT_ASKED = ("op afstand overnemen", "prendre le contrôle de votre ordinateur", "take over your computer")


def escalate(conversation, message: str) -> str:
    """Send ``message`` (which escalates); agree to remote control if the bot asks first."""
    text = conversation.text(message)
    if any(question in text for question in REMOTE_CONSENT_ASKED):
        text = conversation.text("/affirm")
    return text


def store(settings) -> SqliteTicketStore:
    return SqliteTicketStore(settings.path(settings.tickets.sqlite_path))


@pytest.mark.parametrize("lang", ["nl", "fr", "en"])
def test_first_conversation_from_problem_to_article_to_ticket(stack, chat, lang):
    c = CONVERSATIONS[lang]
    conversation = chat(f"first-{lang}")
    assert c["greet_reply"] in conversation.text(c["greet"])

    reply = conversation.through_triage(c["problem"])
    text = "\n".join(m.get("text", "") for m in reply)
    assert c["article"] in text
    assert re.search(r"^1\. ", text, re.M), text          # the steps are shown
    assert f"/kb/{c['article_id']}" in text and f"lang={lang}" in text
    assert [b["payload"] for b in reply[-1]["buttons"]] == ["/affirm", "/deny", "/walk_through"]

    text = escalate(conversation, c["no"])
    ticket_id = re.search(c["ticket"], text).group(1)
    ticket = store(stack).get(ticket_id)
    assert ticket.language == lang
    assert ticket.requester.id == f"first-{lang}" and ticket.requester.channel == "rest"
    assert ticket.transcript[0].text == c["greet"]
    assert any(line.text == c["problem"] for line in ticket.transcript)
    assert ticket.suggested_articles[0].article_id.startswith(c["article_id"])
    assert ticket.suggested_articles[0].outcome == "not_solved"


def test_article_that_solves_it_ends_as_self_service(stack, chat):
    conversation = chat("solved-nl")
    conversation.through_triage("mijn printer drukt niet af")
    assert "fijn dat het weer werkt" in conversation.text("ja")
    assert store(stack).list(requester_id="solved-nl") == []


@pytest.mark.parametrize("message, expected", [
    ("ik wil iemand van de helpdesk spreken", r"Ik heb ticket #(\d+)"),
    ("je veux parler à un humain", r"J'ai créé le ticket n° (\d+)"),
    ("can I talk to a real person please", r"I've created ticket #(\d+)"),
])
def test_asking_for_a_human_creates_the_ticket(stack, chat, message, expected):
    text = chat().text(message)
    ticket_id = re.search(expected, text).group(1)
    assert store(stack).get(ticket_id).reason == "requested_human"


def test_language_switch_on_request(stack, chat):
    conversation = chat("switch")
    assert "Ik ben" in conversation.text("hallo")
    assert "continue in English" in conversation.text("can we speak English please?")
    reply = conversation.through_triage("my laptop is very slow")
    assert "This article should help" in "\n".join(m.get("text", "") for m in reply)


@pytest.mark.parametrize("message, expected", [
    ("", "seems to be empty"),
    ("😀😀😀", "only read text"),
    ("Mein Drucker druckt nicht mehr seit gestern, was soll ich tun?", "English, Dutch (Nederlands) or French"),
    ("Il mio computer non si accende più da stamattina, aiuto", "English, Dutch (Nederlands) or French"),
])
def test_unusable_messages_get_a_clear_answer(stack, chat, message, expected):
    assert expected in chat().text(message)


def test_huge_and_html_messages_are_handled(stack, chat):
    reply = chat("huge").through_triage("mon ordinateur est très lent " * 360)
    assert "Cet article devrait vous aider" in "\n".join(m.get("text", "") for m in reply)
    reply = chat("html").through_triage("<script>alert(1)</script> mijn printer doet het niet")
    assert "Dit artikel kan je helpen" in "\n".join(m.get("text", "") for m in reply)


@pytest.mark.parametrize("body", [b"{not json", b'{"sender": "x", "message": "\xff\xfe"}'])
def test_invalid_payloads_to_rasa_get_400(stack, body):
    url = f"http://127.0.0.1:{stack.rasa.port}/webhooks/rest/webhook"
    response = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "json" in response.text.lower()


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00"])
def test_invalid_payloads_to_helpdesk_get_a_clear_error(stack, body):
    response = httpx.post(f"{stack.helpdesk_url}/api/tickets", content=body,
                          headers={"Content-Type": "application/json", "Authorization": f"Bearer {stack.api_token()}"})
    assert response.status_code in (400, 422) and response.json()["detail"]


def test_versions_rasa_3_6_with_rasa_sdk_3_11_action_server(stack):
    """Rasa 3.6.21 talks to the rasa-sdk 3.11 action server (Python 3.11): the conversations above
    only work through it; here the versions and the registered actions are checked."""
    version = httpx.get(f"http://127.0.0.1:{stack.rasa.port}/version").json()
    assert version["version"] == "3.6.21"
    # Rasa's HTTP API wants its token (the chat channels do not)
    status = f"http://127.0.0.1:{stack.rasa.port}/status"
    assert httpx.get(status).status_code == 401
    assert httpx.get(status, params={"token": stack.rasa_token()}).status_code == 200
    actions = {a["name"] for a in httpx.get(f"http://127.0.0.1:{stack.rasa.actions_port}/actions").json()}
    assert {"action_confirm_facts", "validate_triage_form", "action_escalate", "action_validate_slot_mappings"} <= actions
    import rasa_sdk

    assert rasa_sdk.__version__.startswith("3.11")
    assert json.loads(httpx.get(f"{stack.helpdesk_url}/health").text)["kb_articles"] >= 120


def test_walk_through_the_steps_one_at_a_time_then_escalate(stack, chat):
    conversation = chat("walk-fr")
    conversation.through_triage("mon imprimante n'imprime plus")
    first = conversation.say("pas à pas svp")
    assert first[0]["text"].startswith("Étape 1 sur ")
    assert [b["payload"] for b in first[0]["buttons"]] == ["/next_step", "/affirm", "/deny"]
    assert conversation.say("/next_step")[0]["text"].startswith("Étape 2 sur ")
    assert conversation.say("suivant")[0]["text"].startswith("Étape 3 sur ")
    ticket_id = re.search(r"J'ai créé le ticket n° (\d+)", conversation.text("/deny")).group(1)
    assert store(stack).get(ticket_id).suggested_articles[0].article_id.startswith("printer-")


def test_other_suggestions_can_be_chosen_and_are_not_suggested_again(stack, chat):
    conversation = chat("choose-en")
    reply = conversation.through_triage("my laptop is very slow since this morning")
    choices = [b for m in reply for b in m.get("buttons", []) if b["payload"].startswith("/choose_article")]
    assert 1 <= len(choices) <= 2
    chosen = json.loads(choices[0]["payload"][len("/choose_article"):])["article_id"]
    shown = conversation.text(choices[0]["payload"])
    assert "This article should help" in shown and f"/kb/{chosen}?lang=en" in shown
    assert "works again" in conversation.text("yes")


@pytest.mark.parametrize("sender, message, advice, ticket", [
    ("sec-nl", "ik heb op een link in een verdachte mail geklikt en mijn gegevens ingevuld", "Klik niet op links",
     r"Ik heb ticket #(\d+)"),
    ("sec-fr", "on m'a volé mon laptop dans le train", "portez plainte", r"J'ai créé le ticket n° (\d+)"),
])
def test_security_incidents_get_advice_first_and_an_urgent_ticket(stack, chat, sender, message, advice, ticket):
    text = chat(sender).text(message)
    assert advice in text
    ticket_id = re.search(ticket, text).group(1)
    assert store(stack).get(ticket_id).reason == "security"


def test_a_typed_password_is_refused_and_masked(stack, chat):
    conversation = chat("pwd-en")
    text = conversation.text("my password is Sunflower77 and outlook keeps asking for it")
    assert "never share your password" in text
    ticket_id = re.search(r"I've created ticket #(\d+)", escalate(conversation, "I want to talk to a person")).group(1)
    stored = store(stack).get(ticket_id).model_dump_json()
    assert "Sunflower77" not in stored and "[hidden]" in stored
    # nor in the conversation Rasa keeps (bot/tracker_store.py)
    # the database file and its write-ahead log (bot/tracker_store.py: WAL mode)
    tracker_db = b"".join(path.read_bytes() for path in stack.data_path.glob("rasa_tracker.db*"))
    assert b"Sunflower77" not in tracker_db and b"outlook keeps asking" in tracker_db


def test_ticket_follow_up_status_add_info_and_close(stack, chat):
    conversation = chat("follow-en")
    text = conversation.text("can I talk to a real person please")
    ticket_id = re.search(r"I've created ticket #(\d+)", text).group(1)
    assert re.search(r"will respond (today|tomorrow|on \S+) before \d\d:\d\d \(CES?T\)", text) and "Priority P" in text
    assert f"Ticket #{ticket_id}" in conversation.text(f"what is the status of ticket {ticket_id}?")
    assert "What would you like to add" in conversation.text("I want to add something to my ticket")
    assert f"added that to ticket #{ticket_id}" in conversation.text("the dock is a Dell WD19, serial 12345")
    assert f"closed ticket #{ticket_id}" in conversation.text("it works again, you can close my ticket")
    ticket = store(stack).get(ticket_id)
    assert ticket.status == "resolved" and "Dell WD19" in ticket.comments[-2].text
    assert ticket.comments[-1].text == "Closed by the requester: it works again, you can close my ticket"
    other = chat("follow-other")
    assert "can't find ticket" in other.text(f"what is the status of ticket {ticket_id}")


def test_a_declared_outage_links_the_user_instead_of_a_new_ticket(stack, chat):
    api = httpx.Client(base_url=stack.helpdesk_url, headers={"Authorization": f"Bearer {stack.api_token()}"})
    problem = api.post("/api/problems", json={"category": "onedrive", "title": "OneDrive sync outage"}).json()
    try:
        conversation = chat("outage-nl")
        conversation.through_triage("mijn OneDrive synchroniseert niet meer")
        text = escalate(conversation, "nee")
        assert "gekend probleem: OneDrive sync outage" in text
        ticket_id = re.search(r"ticket #(\w+)", text).group(1)
        assert ticket_id in api.get(f"/api/problems/{problem['id']}/incidents").json() or \
            store(stack).get(ticket_id).problem_id == problem["id"]
    finally:
        api.patch(f"/api/problems/{problem['id']}", json={"status": "resolved"})
