"""Rasa's events from this machine's RabbitMQ (the scaled setup's broker) into the local events table,
in the shape the conversation readers know; acknowledged only once written, written once."""

from __future__ import annotations

import json
import uuid

import pika
import pytest

from core.settings import load_settings
from core.storage import connect
from helpdesk_service.editor.tracker import read_events
from helpdesk_service.event_feed import EXCHANGE, EventStore, RabbitEventFeed

USER = {"event": "user", "timestamp": 1767000000.5, "text": "mijn vpn werkt niet", "input_channel": "rest",
        "parse_data": {"intent": {"name": "vpn_problem", "confidence": 0.97}, "entities": []}}
SLOT = {"event": "slot", "timestamp": 1767000000.6, "name": "language", "value": "nl"}
ACTION = {"event": "action", "timestamp": 1767000000.7, "name": "action_escalate"}


@pytest.fixture
def rabbit():
    s = load_settings().scale
    queue = f"helpdesk-test-{uuid.uuid4().hex[:8]}"
    try:
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            s.rabbitmq_host, s.rabbitmq_port, credentials=pika.PlainCredentials(s.rabbitmq_user, s.rabbitmq_password)))
    except pika.exceptions.AMQPError as exc:
        pytest.fail(f"RabbitMQ on {s.rabbitmq_host}:{s.rabbitmq_port} is needed for this test: {exc!r}")
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, exchange_type="fanout")
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, EXCHANGE, routing_key="")
    yield s, queue, lambda body: channel.basic_publish(EXCHANGE, "", json.dumps(body).encode())
    channel.queue_delete(queue)
    connection.close()


def test_published_events_land_in_the_events_table_once(rabbit, tmp_path):
    s, queue, publish = rabbit
    sender = f"feed-{uuid.uuid4().hex[:6]}"
    for event in (USER, SLOT, ACTION):
        publish({"sender_id": sender, **event})
    publish({"sender_id": sender, **USER})              # delivered again: written once
    publish({"no": "sender"})                           # not an event: dropped, acknowledged
    store = EventStore(tmp_path / "rasa_events.db")
    feed = RabbitEventFeed(store, s.rabbitmq_host, s.rabbitmq_port, s.rabbitmq_user, s.rabbitmq_password, queue)
    try:
        assert feed.drain() == 3
        assert feed.drain() == 0                        # acknowledged: not delivered again
    finally:
        feed.stop()
    events = [e for e in read_events(tmp_path / "rasa_events.db") if e.sender == sender]
    assert [(e.type, e.intent, e.action) for e in events] == [("user", "vpn_problem", None), ("slot", None, "language"),
                                                              ("action", None, "action_escalate")]
    assert events[0].text == "mijn vpn werkt niet" and events[0].channel == "rest" and events[0].confidence == 0.97
    with connect(tmp_path / "rasa_events.db") as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 3


def test_a_broker_that_is_down_is_retried_quietly(tmp_path):
    store = EventStore(tmp_path / "rasa_events.db")
    feed = RabbitEventFeed(store, "127.0.0.1", 1, "guest", "guest", "nowhere")     # nothing listens on port 1
    assert feed.drain() == 0 and feed.drain() == 0
