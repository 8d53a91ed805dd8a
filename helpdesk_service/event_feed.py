"""Rasa's events from its RabbitMQ event broker into a local events table (the scaled setup).

With several Rasa processes the conversations live in PostgreSQL, and every event is also published on
RabbitMQ (Rasa's ``pika`` broker: fanout exchange ``rasa-exchange``, queue ``scale.rabbitmq_queue``;
``bot/endpoints.scale.yml``). This feed takes them off the queue and appends them to an SQLite file in
the shape of Rasa's own SQL tracker store (table ``events``: sender_id, type_name, timestamp,
intent_name, action_name, data), so the readers of conversations (the live handoff feed, the editors'
inbox and analytics) read the same table whichever setup runs. A message is acknowledged only once its
event is written: nothing is lost when the service stops; a redelivered one is written once (the
events' own ids are not unique, so the row key is the message's body digest).

The events arrive masked: Rasa publishes them from our tracker store's ``save``, after masking.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from core.periodic import PeriodicTask
from core.storage import connect

log = logging.getLogger(__name__)
EXCHANGE = "rasa-exchange"
BATCH = 500

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, sender_id TEXT NOT NULL,
  type_name TEXT NOT NULL, timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT, digest TEXT UNIQUE);
CREATE INDEX IF NOT EXISTS events_sender ON events (sender_id, id);
"""


def event_row(body: dict[str, Any]) -> tuple | None:
    """The events-table row of one published event (as Rasa's SQL tracker store writes it), or None."""
    sender = body.get("sender_id")
    kind = body.get("event")
    if not isinstance(sender, str) or not isinstance(kind, str):
        return None
    data = {k: v for k, v in body.items() if k != "sender_id"}
    parse = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
    intent = (parse.get("intent") or {}).get("name") if isinstance(parse.get("intent"), dict) else None
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(f"{sender}\n{text}".encode()).hexdigest()
    return sender, kind, data.get("timestamp"), intent, data.get("name"), text, digest


class EventStore:
    """The local events table."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with connect(self.path) as db:
            db.executescript(SCHEMA)

    def append(self, bodies: list[dict[str, Any]]) -> int:
        rows = [r for r in (event_row(b) for b in bodies) if r is not None]
        with connect(self.path) as db:
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO events (sender_id, type_name, timestamp, intent_name, action_name,"
                           " data, digest) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            return db.total_changes - before


class RabbitEventFeed:
    """Drains the queue into the store every ``interval`` seconds (a daemon thread); reconnects after
    a lost connection at the next round."""

    def __init__(self, store: EventStore, host: str, port: int, user: str, password: str, queue: str,
                 interval: float = 0.5) -> None:
        self.store = store
        self.params = (host, int(port), user, password)
        self.queue = queue
        self._connection = None
        self._channel = None
        self.task = PeriodicTask("rasa event feed", self.drain, interval)

    def start(self) -> None:
        self.task.start()

    def stop(self) -> None:
        self.task.stop()
        self._close()

    def _open(self):
        import pika

        host, port, user, password = self.params
        self._connection = pika.BlockingConnection(pika.ConnectionParameters(
            host=host, port=port, credentials=pika.PlainCredentials(user, password),
            connection_attempts=1, socket_timeout=5, blocked_connection_timeout=10))
        channel = self._connection.channel()
        # as Rasa declares them (a fanout exchange, a durable queue bound to it): whoever starts first
        channel.exchange_declare(EXCHANGE, exchange_type="fanout")       # not durable, as aio-pika declares it
        channel.queue_declare(self.queue, durable=True)
        channel.queue_bind(self.queue, EXCHANGE, routing_key="")
        self._channel = channel
        return channel

    def _close(self) -> None:
        try:
            if self._connection is not None and self._connection.is_open:
                self._connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass
        self._connection = self._channel = None

    def drain(self) -> int:
        """Write what is on the queue now (acknowledged once written); the number of new events."""
        try:
            channel = self._channel if self._channel is not None and self._channel.is_open else self._open()
            bodies, last_tag = [], None
            while len(bodies) < BATCH:
                method, _props, body = channel.basic_get(self.queue, auto_ack=False)
                if method is None:
                    break
                last_tag = method.delivery_tag
                try:
                    bodies.append(json.loads(body))
                except ValueError:
                    log.warning("event feed: a message that is not JSON was dropped")
            if last_tag is None:
                return 0
            added = self.store.append([b for b in bodies if isinstance(b, dict)])
            channel.basic_ack(last_tag, multiple=True)
            return added
        except Exception as exc:  # noqa: BLE001 - the broker may be down: the next round reconnects
            log.warning("event feed: RabbitMQ not reachable now (%s); retrying", exc.__class__.__name__)
            self._close()
            return 0
