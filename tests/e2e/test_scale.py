"""End to end, the scaled setup (helpdesk/scale.py): two Rasa processes behind HAProxy with the Redis
lock store, the PostgreSQL tracker store and the RabbitMQ broker on this machine (127.0.0.1).

Correctness under load: 50 concurrent conversations and bursts of 5 messages at once from the same
sender sent to both Rasa processes directly (RedisLockStore across replicas): no lost or duplicated
user events, turns handled one after the other, every escalation exactly one ticket. Faults: a Rasa
process killed mid-conversation (the conversation goes on through the other), the helpdesk service
down during an escalation (the user gets a reference, the ticket arrives when it is back).
Redis, PostgreSQL and RabbitMQ must be running: the setup fails loudly when one is not.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import time

import httpx
import pytest
import yaml

from core.settings import PROJECT_ROOT, load_settings
from escalation.tickets.sqlite_store import SqliteTicketStore
from helpdesk.launcher import build_kb
from helpdesk.scale import ScaledServices, drop_run_resources, free_port, free_port_range

pytestmark = pytest.mark.e2e

HUMAN = {"en": "can I talk to a real person please", "nl": "ik wil iemand van de helpdesk spreken",
         "fr": "je veux parler à un humain"}
TICKET = re.compile(r"(?:ticket #|ticket n° )(\d+)")


@pytest.fixture(scope="module")
def scaled(e2e_env, trained_settings, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scaled")
    service_port = free_port()
    env = {**e2e_env,
           "HELPDESK_DATA_DIR": str(tmp / "data"), "HELPDESK_KB__INDEX_DIR": str(tmp / "kb_index"),
           "HELPDESK_TICKETS__SQLITE_PATH": str(tmp / "data" / "tickets.db"),
           "HELPDESK_SERVICE__PORT": str(service_port), "HELPDESK_SERVICE__PUBLIC_URL": f"http://127.0.0.1:{service_port}",
           "HELPDESK_RASA__PORT": str(free_port()), "HELPDESK_RASA__ACTIONS_PORT": str(free_port()),
           "HELPDESK_SCALE__RASA_PROCESSES": "2", "HELPDESK_SCALE__FIRST_RASA_PORT": str(free_port_range(2)),
           "HELPDESK_SCALE__POSTGRES_DB": f"helpdesk_test_{os.getpid()}_{int(time.time())}",
           "HELPDESK_SCALE__RABBITMQ_QUEUE": f"helpdesk-test-{os.getpid()}-{int(time.time())}"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        settings = load_settings()
        build_kb(settings)
        services = ScaledServices(settings)   # LaunchError (test error) when Redis, PostgreSQL or RabbitMQ is down
    try:
        services.start()
        yield services
    finally:
        services.stop()
        drop_run_resources(settings)


def rasa_url(services, name: str | None = None) -> str:
    if name is None:
        return services.chat_url()
    port = services.ports[int(name.split("-")[1]) - 1]
    return f"http://127.0.0.1:{port}/webhooks/rest/webhook"


def tracker(services, sender: str) -> dict:
    """The stored conversation, through HAProxy (whichever Rasa process is up reads PostgreSQL)."""
    s = services.settings
    response = httpx.get(f"http://{s.rasa.host}:{s.rasa.port}/conversations/{sender}/tracker",
                         params={"token": s.rasa_token()}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def user_texts(events: list[dict]) -> list[str]:
    return [e["text"] for e in events if e["event"] == "user"]


def turns_are_serial(events: list[dict]) -> bool:
    """Each user message is answered (its turn ends with action_listen) before the next one starts."""
    listening = True
    for event in events:
        if event["event"] == "user":
            if not listening:
                return False
            listening = False
        elif event["event"] == "action" and event.get("name") == "action_listen":
            listening = True
    return True


async def say(client: httpx.AsyncClient, url: str, sender: str, text: str) -> list[dict]:
    response = await client.post(url, json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    return response.json()


def auth(services) -> dict[str, str]:
    """The REST channel's token (the scaled setup has the tokened channel when chat.rest_channel is on)."""
    return {"Authorization": f"Bearer {services.settings.rest_token()}"}


def tickets(services):
    return SqliteTicketStore(services.settings.path(services.settings.tickets.sqlite_path))


def test_load_and_same_sender_bursts_across_two_rasa_processes(scaled):
    run = f"load{int(time.time())}"
    langs = list(HUMAN)

    async def conversation(client, i: int) -> None:
        sender, lang = f"{run}-c{i}", langs[i % 3]
        await say(client, rasa_url(scaled), sender, {"en": "hello", "nl": "hallo", "fr": "bonjour"}[lang])
        await say(client, rasa_url(scaled), sender, HUMAN[lang])

    async def burst(client, i: int) -> None:
        # five messages at once, alternately to each Rasa process directly: only the Redis lock
        # store keeps them from running at the same time on one conversation
        sender = f"{run}-b{i}"
        urls = [rasa_url(scaled, "rasa-1"), rasa_url(scaled, "rasa-2")]
        await asyncio.gather(*(say(client, urls[k % 2], sender, f"message {k} from burst {i}") for k in range(5)))

    async def main():
        limits = httpx.Limits(max_connections=80)
        async with httpx.AsyncClient(timeout=240, limits=limits, headers=auth(scaled)) as client:
            await asyncio.gather(*(conversation(client, i) for i in range(50)), *(burst(client, i) for i in range(4)))

    asyncio.run(main())

    for i in range(50):
        events = tracker(scaled, f"{run}-c{i}")["events"]
        texts = user_texts(events)
        assert len(texts) == 2 and len(set(e.get("message_id") for e in events if e["event"] == "user")) == 2, texts
        assert turns_are_serial(events), f"{run}-c{i}"
        assert len(tickets(scaled).list(requester_id=f"{run}-c{i}")) == 1, f"{run}-c{i}: not exactly one ticket"
    for i in range(4):
        events = tracker(scaled, f"{run}-b{i}")["events"]
        texts = user_texts(events)
        assert sorted(texts) == sorted(f"message {k} from burst {i}" for k in range(5)), texts   # none lost, none twice
        assert turns_are_serial(events), [(e["event"], e.get("name") or e.get("text")) for e in events]


def test_a_killed_rasa_process_leaves_the_conversation_to_the_other(scaled):
    sender = f"kill{int(time.time())}"
    url = rasa_url(scaled)
    assert "I'm the IT helpdesk assistant" in "".join(m.get("text", "") for m in httpx.post(
        url, json={"sender": sender, "message": "hello"}, timeout=120, headers=auth(scaled)).json())
    victim = scaled.service("rasa-1")
    os.killpg(victim.process.pid, signal.SIGKILL)
    victim.process.wait(timeout=30)
    try:
        reply = httpx.post(url, json={"sender": sender, "message": HUMAN["en"]}, timeout=120, headers=auth(scaled))
        assert reply.status_code == 200, reply.text
        text = "".join(m.get("text", "") for m in reply.json())
        ticket_id = TICKET.search(text).group(1)
        assert tickets(scaled).get(ticket_id).requester.id == sender
        events = tracker(scaled, sender)["events"]          # served by rasa-2 from PostgreSQL
        assert user_texts(events) == ["hello", HUMAN["en"]]
    finally:
        scaled.restart("rasa-1")


def test_an_escalation_while_the_helpdesk_service_is_down_arrives_after_its_restart(scaled):
    sender = f"down{int(time.time())}"
    helpdesk = scaled.service("helpdesk")
    os.killpg(helpdesk.process.pid, signal.SIGTERM)
    helpdesk.process.wait(timeout=30)
    try:
        reply = httpx.post(rasa_url(scaled), json={"sender": sender, "message": HUMAN["en"]}, timeout=120,
                           headers=auth(scaled))
        assert reply.status_code == 200, reply.text
        text = "".join(m.get("text", "") for m in reply.json())
        assert re.search(r"\bR-[\w-]+", text), text             # the outbox reference, said to the user
    finally:
        scaled.restart("helpdesk")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not tickets(scaled).list(requester_id=sender):
        time.sleep(1)
    assert len(tickets(scaled).list(requester_id=sender)) == 1


# --- the shared stores down for a few seconds ------------------------------------------------------
UNAVAILABLE = yaml.safe_load((PROJECT_ROOT / "bot" / "channels" / "notices.yml").read_text(encoding="utf-8"))["unavailable"]


def psql(settings, sql: str) -> None:
    s = settings.scale
    done = subprocess.run(["psql", "-h", s.postgres_host, "-p", str(s.postgres_port), "-U", s.postgres_user,
                           "-d", s.postgres_login_db, "-v", "ON_ERROR_STOP=1", "-qc", sql],
                          env={**os.environ, "PGPASSWORD": s.postgres_password}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


def redis(settings, *args: str) -> bytes:
    """One command in Redis's protocol (RESP), without a client library."""
    s = settings.scale
    command = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection((s.redis_host, s.redis_port), timeout=10) as conn:
        conn.sendall(command.encode())
        return conn.recv(1024)


def chat(services, sender: str, text: str, locale: str = "en-GB") -> str:
    reply = httpx.post(rasa_url(services), json={"sender": sender, "message": text, "metadata": {"locale": locale}},
                       timeout=120, headers=auth(services))
    assert reply.status_code == 200, reply.text
    return "\n".join(m.get("text", "") for m in reply.json())


def test_postgresql_down_for_a_few_seconds_the_user_is_told_and_the_conversation_goes_on(scaled):
    """Our tracker database refuses connections and drops the open ones for a few seconds (as a
    PostgreSQL restart does): the user is told, in their language, to send the message again; then the
    conversation goes on with everything said before it."""
    s, sender = scaled.settings, f"pg{int(time.time())}"
    assert "I'm the IT helpdesk assistant" in chat(scaled, sender, "hello")
    db = s.scale.postgres_db
    psql(s, f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS false')
    try:
        psql(s, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'")
        assert chat(scaled, sender, "mijn printer drukt niet meer af", "nl-BE") == UNAVAILABLE["nl"]
        time.sleep(3)
    finally:
        psql(s, f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS true')
    again = chat(scaled, sender, "my printer does not print any more")
    assert again and again != UNAVAILABLE["en"]
    assert user_texts(tracker(scaled, sender)["events"]) == ["hello", "my printer does not print any more"]


def test_redis_unresponsive_for_a_few_seconds_delays_replies_and_loses_nothing(scaled):
    """Redis (lock store, socket.io) stops answering for 4 s and drops its clients: messages sent
    meanwhile are answered once it is back, in order, none lost or doubled."""
    s, sender, url = scaled.settings, f"redis{int(time.time())}", rasa_url(scaled)
    assert "I'm the IT helpdesk assistant" in chat(scaled, sender, "hello")
    assert redis(s, "CLIENT", "PAUSE", "4000", "ALL").startswith(b"+OK")

    async def meanwhile():
        async with httpx.AsyncClient(timeout=120, headers=auth(scaled)) as client:
            # the KILL waits for the pause to end, then drops every client's connection (Rasa's pools)
            killed, reply = await asyncio.gather(asyncio.to_thread(redis, s, "CLIENT", "KILL", "TYPE", "normal"),
                                                 say(client, url, sender, "my vpn is broken"))
            return killed, reply

    killed, reply = asyncio.run(meanwhile())
    assert killed.startswith(b":"), killed
    text = "\n".join(m.get("text", "") for m in reply)
    assert text and UNAVAILABLE["en"] not in text, text
    assert chat(scaled, sender, "since this morning")
    events = tracker(scaled, sender)["events"]
    assert user_texts(events) == ["hello", "my vpn is broken", "since this morning"] and turns_are_serial(events)


def test_the_helpdesk_service_reads_the_conversations_from_rabbitmq(scaled):
    """The conversations are in PostgreSQL; the helpdesk service (live handoff, editors' pages, GDPR)
    reads them from the events Rasa publishes on RabbitMQ (helpdesk_service/event_feed.py)."""
    from helpdesk_service.editor.tracker import read_events

    sender = f"feed{int(time.time())}"
    chat(scaled, sender, "hello")
    chat(scaled, sender, "my printer does not print any more")
    events_db = scaled.settings.data_path / "rasa_events.db"
    deadline, texts = time.monotonic() + 60, []
    while time.monotonic() < deadline:
        if events_db.is_file():
            texts = [e.text for e in read_events(events_db) if e.sender == sender and e.type == "user"]
            if len(texts) == 2:
                break
        time.sleep(0.5)
    assert texts == ["hello", "my printer does not print any more"]
