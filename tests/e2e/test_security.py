"""The running product read as an attacker on the same network would: the three processes started as
`make run` does (tests/e2e/conftest.py), probed from outside."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import uuid

import httpx
import pytest

from core.chat_session import issue
from escalation.tickets.sqlite_store import SqliteTicketStore

pytestmark = pytest.mark.e2e


def rasa_url(stack) -> str:
    return f"http://{stack.rasa.host}:{stack.rasa.port}"


def test_action_server_refuses_calls_without_rasas_secret(stack):
    url = f"http://{stack.rasa.host}:{stack.rasa.actions_port}"
    forged = {"next_action": "action_ticket_status", "sender_id": "victim", "tracker": {"sender_id": "victim"},
              "domain": {}, "version": "3.6.21"}
    for headers in ({}, {"X-Helpdesk-Action-Token": ""}, {"X-Helpdesk-Action-Token": "x" * 43}):
        response = httpx.post(f"{url}/webhook", json=forged, headers=headers, timeout=10)
        assert response.status_code == 401 and response.json()["error"]
    assert httpx.get(f"{url}/actions", timeout=10).status_code == 401
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200


def test_rest_channel_needs_its_token(stack):
    url = f"{rasa_url(stack)}/webhooks/rest/webhook"
    for headers in ({}, {"Authorization": "Basic eDp5"}, {"Authorization": f"Bearer {stack.api_token()}"}):
        response = httpx.post(url, json={"sender": "x", "message": "hallo"}, headers=headers, timeout=30)
        assert response.status_code == 401


def test_listeners_bind_the_configured_host_and_tokens_stay_off_command_lines(stack):
    out = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True).stdout
    for port in (stack.service.port, stack.rasa.port, stack.rasa.actions_port):
        listening = [line.split()[3] for line in out.splitlines() if line.split()[3].endswith(f":{port}")]
        assert listening and all(addr.startswith("127.0.0.1:") for addr in listening), (port, listening)
    secrets = [stack.rasa_token(), stack.api_token(), stack.actions_token(), stack.rest_token(),
               stack.chat_session_secret()]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        assert not any(secret in cmdline for secret in secrets), cmdline[:200]


def test_data_folder_and_everything_in_it_is_private(stack):
    data = stack.data_path
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    checked = 0
    for path in data.rglob("*"):
        if "kb_index" in path.parts:
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))
        checked += 1
    assert checked >= 8   # tokens, logs, databases


def ticket_of(chat, name: str) -> tuple[object, str]:
    """A user with a ticket (asked for a person: a ticket right away); the conversation and the id."""
    owner = chat(f"{name}-{uuid.uuid4().hex[:6]}")
    text = owner.text("can I talk to a real person please")
    return owner, re.search(r"I've created ticket #(\d+)", text).group(1)


def test_another_users_ticket_cannot_be_read_or_closed_over_rest(stack, chat):
    owner, ticket_id = ticket_of(chat, "owner")
    assert f"Ticket #{ticket_id}" in owner.text(f"what is the status of ticket {ticket_id}?")   # the owner can
    thief = chat(f"thief-{uuid.uuid4().hex[:6]}")
    answer = thief.text(f"what is the status of ticket {ticket_id}?")
    assert "can't find ticket" in answer and f"Ticket #{ticket_id}" not in answer
    thief.text(f"it works again, you can close ticket {ticket_id}")
    ticket = SqliteTicketStore(stack.path(stack.tickets.sqlite_path)).get(ticket_id)
    assert ticket.status != "resolved" and ticket.requester.id == owner.sender


def test_long_messages_are_cut_with_a_notice_in_the_users_language(stack):
    limit = stack.limits.max_message_chars
    url = f"{rasa_url(stack)}/webhooks/rest/webhook"
    body = {"sender": f"long-{uuid.uuid4().hex[:6]}", "message": "mon imprimante n'imprime plus " * (limit // 10),
            "metadata": {"locale": "fr-BE"}}
    reply = httpx.post(url, json=body, headers={"Authorization": f"Bearer {stack.rest_token()}"}, timeout=120).json()
    assert reply[0]["text"] == f"Votre message était trop long : je n'en ai lu que les {limit} premiers caractères."
    assert len(reply) > 1                                      # and the cut message was answered


def test_body_limit_on_rasa(stack):
    body = json.dumps({"sender": "big", "message": "x" * (stack.limits.max_body_bytes * 2)})
    response = httpx.post(f"{rasa_url(stack)}/webhooks/rest/webhook", content=body, timeout=30,
                          headers={"Authorization": f"Bearer {stack.rest_token()}", "Content-Type": "application/json"})
    assert response.status_code == 413


class RawSocket:
    """Socket.IO over Engine.IO v4 long-polling, by hand (no client library in .venv)."""

    def __init__(self, stack, origin: str | None) -> None:
        self.url = f"{rasa_url(stack)}/socket.io/"
        self.headers = {"Origin": origin} if origin else {}
        handshake = httpx.get(self.url, params={"EIO": 4, "transport": "polling"}, headers=self.headers, timeout=10)
        self.sid = json.loads(handshake.text[1:])["sid"]
        self.send("40")

    def send(self, packet: str) -> None:
        httpx.post(self.url, params={"EIO": 4, "transport": "polling", "sid": self.sid}, content=packet,
                   headers=self.headers, timeout=10)

    def emit(self, event: str, data) -> None:
        self.send("42" + json.dumps([event, data]))

    def receive(self, until, rounds: int = 40) -> list:
        packets = []
        for _ in range(rounds):
            text = httpx.get(self.url, params={"EIO": 4, "transport": "polling", "sid": self.sid},
                             headers=self.headers, timeout=90).text
            for packet in text.split("\x1e"):
                if packet == "2":
                    self.send("3")                      # pong
                    continue
                packets.append(packet)
                if until(packet):
                    return packets
        raise AssertionError(f"not received; got {packets}")


def test_socketio_refuses_other_origins(stack):
    socket = RawSocket(stack, "http://evil.example")
    assert socket.receive(lambda p: p.startswith("4"))[-1].startswith("44")      # connect refused


def test_socketio_needs_a_signed_session_and_ignores_the_claimed_id(stack):
    socket = RawSocket(stack, stack.service.public_url)
    assert socket.receive(lambda p: p.startswith("40"))
    socket.emit("session_request", {"session_id": "victim", "token": issue("y" * 32, None).token})
    assert '"session_refused"' in socket.receive(lambda p: "session_refused" in p)[-1]
    socket.emit("user_uttered", {"session_id": "victim", "message": "what is the status of my ticket?"})
    refused = socket.receive(lambda p: "bot_uttered" in p)[-1]
    assert "session" in refused.lower()


def test_another_users_ticket_cannot_be_read_over_socketio(stack, chat):
    owner, ticket_id = ticket_of(chat, "sio-owner")
    socket = RawSocket(stack, stack.service.public_url)
    socket.receive(lambda p: p.startswith("40"))
    session = issue(stack.chat_session_secret(), None)
    socket.emit("session_request", {"token": session.token, "session_id": owner.sender})
    confirm = socket.receive(lambda p: "session_confirm" in p)[-1]
    assert session.user_id in confirm and owner.sender not in confirm
    socket.emit("user_uttered", {"session_id": owner.sender, "message": f"what is the status of ticket {ticket_id}?",
                                 "metadata": {"locale": "en"}})
    answer = "".join(socket.receive(lambda p: "can't find ticket" in p or f"Ticket #{ticket_id}" in p))
    assert "can't find ticket" in answer and f"Ticket #{ticket_id}" not in answer


SECRETS = {"mijn wachtwoord is nu Fietsbel#2026": "Fietsbel#2026",
           "my new password is: Tr0ub4dor&3": "Tr0ub4dor&3",
           "pw: Kx7#pLm2q": "Kx7#pLm2q"}


def test_a_pasted_secret_is_in_no_store_and_no_log(stack, chat):
    user = chat(f"secret-{uuid.uuid4().hex[:6]}")
    user.say("mijn outlook synchroniseert niet meer")
    for line in SECRETS:
        user.say(line)
    user.say("ik wil met een medewerker spreken")
    user.say("/affirm")
    files = [p for p in stack.data_path.rglob("*") if p.is_file() and "kb_index" not in p.parts]
    stores = {p.name for p in files}
    assert {"rasa_tracker.db", "tickets.db", "outbox.db", "rasa.log", "actions.log", "helpdesk.log"} <= stores
    for path in files:
        content = path.read_bytes()
        for secret in SECRETS.values():
            assert secret.encode() not in content, f"{secret} in {path}"


def test_fuzzing_the_message_path_gives_no_5xx_and_no_crash(stack):
    import random
    import time

    rnd = random.Random(14)
    url = f"{rasa_url(stack)}/webhooks/rest/webhook"
    auth = {"Authorization": f"Bearer {stack.rest_token()}", "Content-Type": "application/json"}
    alphabets = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x600, 0x6FF), (0x4E00, 0x4FFF), (0x1F300, 0x1F64F)]

    def random_text(n):
        out = []
        for _ in range(n):
            lo, hi = rnd.choice(alphabets)
            out.append(chr(rnd.randint(lo, hi)))
        return "".join(out)

    bodies = [b"{not json", b"\xff\xfe\x00", b"[]", b"null", b'{"sender": 5, "message": []}',
              b'{"sender": "", "message": "x"}', b'{"sender": "x"}', b'{"sender": "x", "message": null}',
              json.dumps({"sender": "big", "message": "x" * 1_000_000}).encode(),
              json.dumps({"sender": "meta", "message": "hi", "metadata": "{not"}).encode()]
    statuses = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = rnd.choice(bodies) if rnd.random() < 0.3 else json.dumps(
            {"sender": f"fuzz-{rnd.randint(0, 5)}", "message": random_text(rnd.choice([1, 10, 300, 3000]))}).encode()
        response = httpx.post(url, content=body, headers=auth, timeout=120)
        statuses.append(response.status_code)
        assert response.status_code < 500, (body[:100], response.status_code, response.text[:200])
    socket = RawSocket(stack, stack.service.public_url)
    for frame in ["42[broken", "42" + "[" * 5000, '42["user_uttered", {"message": "' + "y" * 300_000 + '"}]',
                  '42["session_request", 7]', "4" * 100]:
        socket.send(frame)
    assert len(statuses) >= 5 and {200, 400, 413} & set(statuses)
    assert httpx.get(f"{rasa_url(stack)}/status", params={"token": stack.rasa_token()}, timeout=10).status_code == 200
    assert httpx.get(f"{stack.helpdesk_url}/health", timeout=10).status_code == 200
    reply = httpx.post(url, json={"sender": f"after-{uuid.uuid4().hex[:6]}", "message": "hallo"}, headers=auth,
                       timeout=120)
    assert reply.status_code == 200 and reply.json()
