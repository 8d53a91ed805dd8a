"""Fixtures of the escalation tests: a real RT for the session (see rt_server.py)."""

from __future__ import annotations

import time

import pytest

from escalation.tickets.rt import RtTicketBackend
from escalation.tickets.rt_setup import setup
from core.settings import load_settings
from tests.escalation.rt_server import RtServer, _pick_port, install_rt


@pytest.fixture(scope="session")
def rt_server(tmp_path_factory):
    started = time.monotonic()
    install_rt()
    installed = time.monotonic() - started
    server = RtServer(_pick_port(), tmp_path_factory.mktemp("rt") / "rt-server.log")
    ready = server.start()
    settings = load_settings()
    backend = RtTicketBackend(server.settings())
    try:
        setup(backend, settings)
    except Exception as exc:  # noqa: BLE001 - fail loudly with the reason
        server.stop()
        pytest.fail(f"RT: setup failed: {exc}", pytrace=False)
    finally:
        backend.close()
    print(f"\nRT: install check {installed:.1f} s, rt-server ready in {ready:.1f} s on port {server.port}")
    yield server
    server.stop()


@pytest.fixture
def rt_backend(rt_server):
    backend = RtTicketBackend(rt_server.settings())
    yield backend
    backend.close()
