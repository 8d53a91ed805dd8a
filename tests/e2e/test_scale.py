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
import time

import httpx
import pytest

from core.settings import load_settings
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
        async with httpx.AsyncClient(timeout=240, limits=limits) as client:
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
        url, json={"sender": sender, "message": "hello"}, timeout=120).json())
    victim = scaled.service("rasa-1")
    os.killpg(victim.process.pid, signal.SIGKILL)
    victim.process.wait(timeout=30)
    try:
        reply = httpx.post(url, json={"sender": sender, "message": HUMAN["en"]}, timeout=120)
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
        reply = httpx.post(rasa_url(scaled), json={"sender": sender, "message": HUMAN["en"]}, timeout=120)
        assert reply.status_code == 200, reply.text
        text = "".join(m.get("text", "") for m in reply.json())
        assert re.search(r"\bR-[\w-]+", text), text             # the outbox reference, said to the user
    finally:
        scaled.restart("helpdesk")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not tickets(scaled).list(requester_id=sender):
        time.sleep(1)
    assert len(tickets(scaled).list(requester_id=sender)) == 1
