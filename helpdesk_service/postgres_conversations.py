"""Rasa's PostgreSQL tracker store (the scaled setup), for GDPR: one user's stored events exported and
erased, and the retention period applied, in the table Rasa writes (``events``: sender_id, type_name,
timestamp, intent_name, action_name, data). Connection settings: ``scale.postgres_*``.

A database that cannot be reached is ``BackendUnavailable`` (503 on the API, after the other stores;
the call can be repeated). A database Rasa has not created yet holds nothing.
"""

from __future__ import annotations

import json
from typing import Any

from core.settings import ScaleSettings
from escalation.errors import BackendUnavailable


class PostgresConversations:
    def __init__(self, scale: ScaleSettings) -> None:
        self.conninfo = {"host": scale.postgres_host, "port": scale.postgres_port, "dbname": scale.postgres_db,
                         "user": scale.postgres_user, "password": scale.postgres_password or None,
                         "connect_timeout": 5}

    def _run(self, sql: str, args: tuple) -> tuple[list[tuple], int]:
        import psycopg

        try:
            with psycopg.connect(**self.conninfo) as db, db.cursor() as cursor:
                exists = cursor.execute("SELECT to_regclass('public.events')").fetchone()[0]
                if exists is None:
                    return [], 0
                cursor.execute(sql, args)
                rows = cursor.fetchall() if cursor.description else []
                return rows, cursor.rowcount
        except psycopg.OperationalError as exc:
            if "does not exist" in str(exc):          # Rasa has not created its database yet
                return [], 0
            raise BackendUnavailable(f"PostgreSQL conversation store: {exc.__class__.__name__}") from exc

    def export(self, user_id: str) -> list[dict[str, Any]]:
        rows, _ = self._run("SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events"
                            " WHERE sender_id = %s ORDER BY id", (user_id,))
        out = []
        for row in rows:
            item = dict(zip(("id", "sender_id", "type_name", "timestamp", "intent_name", "action_name", "data"), row))
            try:
                item["data"] = json.loads(item["data"] or "null")
            except ValueError:
                pass
            out.append(item)
        return out

    def erase(self, user_id: str) -> int:
        return self._run("DELETE FROM events WHERE sender_id = %s", (user_id,))[1]

    def purge(self, before_timestamp: float) -> int:
        return self._run("DELETE FROM events WHERE timestamp < %s", (before_timestamp,))[1]
