"""The scaled setup: several Rasa processes behind HAProxy, sharing a Redis lock store, a PostgreSQL
tracker store and a RabbitMQ event broker (``helpdesk run --scale N``)."""

from __future__ import annotations

import socket
from pathlib import Path

from core.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_environment(tmp: Path, scale: int = 0) -> dict[str, str]:
    """HELPDESK_* settings for a benchmark or test run: free ports, its own data folder under
    ``tmp``, the project's trained model."""
    service_port = free_port()
    return {
        "HELPDESK_SERVICE__PORT": str(service_port),
        "HELPDESK_SERVICE__PUBLIC_URL": f"http://127.0.0.1:{service_port}",
        "HELPDESK_RASA__PORT": str(free_port()),
        "HELPDESK_RASA__ACTIONS_PORT": str(free_port()),
        "HELPDESK_RASA__MODEL_DIR": str(PROJECT_ROOT / "models"),
        "HELPDESK_DATA_DIR": str(tmp / "data"),
        "HELPDESK_KB__INDEX_DIR": str(tmp / "kb_index"),
        "HELPDESK_TICKETS__SQLITE_PATH": str(tmp / "data" / "tickets.db"),
        "HELPDESK_PROBLEMS__MIN_SIMILAR": "100000",
    }
