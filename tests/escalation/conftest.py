"""Fixtures of the escalation tests: a real RT for the session (see rt_server.py), set up by the code of
``helpdesk rt setup`` (queues, custom fields, the assistant's RT user, RT's service levels)."""

from __future__ import annotations

import time

import pytest

from escalation.tickets.rt import RtTicketBackend
from escalation.tickets.rt_setup import setup, write_site_config
from core.settings import load_settings
from tests.escalation.rt_server import RtServer, _pick_port, install_rt


@pytest.fixture(scope="session")
def rt_server(tmp_path_factory):
    started = time.monotonic()
    install_rt()
    installed = time.monotonic() - started
    server = RtServer(_pick_port(), tmp_path_factory.mktemp("rt") / "rt-server.log")
    helpdesk = load_settings(data_dir=tmp_path_factory.mktemp("rt-data"))
    write_site_config(helpdesk)      # RT reads its service levels when it starts
    ready = server.start()
    helpdesk.rt.url, helpdesk.rt.password = server.url, server.password
    admin = RtTicketBackend(server.settings(), helpdesk.default_language)
    try:
        setup(admin, helpdesk)
    except Exception as exc:  # noqa: BLE001 - fail loudly with the reason
        server.stop()
        pytest.fail(f"RT: setup failed: {exc}", pytrace=False)
    finally:
        admin.close()
    server.helpdesk_settings = helpdesk   # rt.*, rt_agent.* (the assistant's password file) for the tests
    print(f"\nRT: install check {installed:.1f} s, rt-server ready in {ready:.1f} s on port {server.port}")
    yield server
    server.stop()


@pytest.fixture
def rt_backend(rt_server):
    """The backend as the service builds it: the assistant's own RT user."""
    backend = RtTicketBackend.from_settings(rt_server.helpdesk_settings)
    assert backend.user == rt_server.helpdesk_settings.rt_agent.bot_user
    yield backend
    backend.close()


@pytest.fixture
def rt_admin(rt_server):
    backend = RtTicketBackend(rt_server.settings(), rt_server.helpdesk_settings.default_language)
    yield backend
    backend.close()
