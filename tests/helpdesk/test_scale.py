"""The scaled setup's launcher (helpdesk/scale.py) and the Rasa-side pieces it relies on
(bot/rasa_speedups.py, bot/tracker_store.py in WAL mode, bot/channels/socketio_redis.py), the latter
run in .venv-rasa as Rasa runs them. HAProxy must be installed (scripts/install-haproxy)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import textwrap

import pytest

from core.settings import PROJECT_ROOT
from helpdesk.launcher import LaunchError, start_timeout
from helpdesk.scale import (check_backing_services, haproxy_config, haproxy_executable, pool_connections,
                            rasa_command, rasa_ports, scale_environment)

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"


def run_in_rasa_venv(code: str, tmp_path) -> str:
    result = subprocess.run([str(RASA_PYTHON), "-c", textwrap.dedent(code)], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=240, env={"PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                                                         "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_haproxy_accepts_the_generated_configuration(settings, tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(settings, rasa_ports(settings, 3)))
    result = subprocess.run([haproxy_executable(), "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    text = config.read_text()
    assert len(re.findall(r"server rasa\d 127.0.0.1:\d+ check", text)) == 6     # three processes in both backends
    assert len(re.findall(r"server rasa\d-unchecked 127.0.0.1:\d+ backup", text)) == 6
    assert f"bind {settings.rasa.host}:{settings.rasa.port}" in text


def test_the_rasa_pools_stay_under_postgresqls_connection_limit(settings):
    env = scale_environment(settings)
    assert int(env["SQL_POOL_SIZE"]) < 50 and int(env["SQL_MAX_OVERFLOW"]) < 100   # not Rasa's defaults
    assert pool_connections(settings) < 100
    assert int(env["TICKET_LOCK_LIFETIME"]) > 60                                     # longer than Rasa's default


def test_each_rasa_process_gets_its_port_and_the_scaled_endpoints(settings, tmp_path):
    settings.scale.rasa_processes = 3
    ports = rasa_ports(settings)
    assert len(set(ports)) == 3 and settings.rasa.port not in ports
    cmd = rasa_command(settings, ports[1], tmp_path / "credentials-scale.yml")
    assert cmd[cmd.index("--port") + 1] == str(ports[1])
    assert cmd[cmd.index("--endpoints") + 1].endswith("bot/endpoints.scale.yml")
    assert start_timeout("rasa-2") == start_timeout("rasa")


def test_a_missing_backing_service_is_named(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]             # bound, not listening: connections are refused
        settings.scale.rabbitmq_port = closed
        with pytest.raises(LaunchError, match=f"RabbitMQ at 127.0.0.1:{closed}"):
            check_backing_services(settings)


def test_rasa_validates_action_responses_as_before_with_a_cached_validator(tmp_path):
    out = run_in_rasa_venv("""
        import jsonschema
        from rasa.core.actions.action import RemoteAction
        import bot.tracker_store   # applies bot.rasa_speedups
        action = RemoteAction("x", None)
        ok = {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "hi"}]}
        print(action._validate_action_result(ok))
        for bad in ({"events": [{"event": "no such event"}]}, {"events": "x"}, {"responses": [1]}):
            try:
                action._validate_action_result(bad)
                print("accepted", bad)
            except jsonschema.ValidationError as exc:
                assert "Failed to validate Action server response" in exc.message
                print("refused")
    """, tmp_path)
    assert out.split() == ["True", "refused", "refused", "refused"]


def test_the_sqlite_tracker_store_keeps_connections_in_wal_mode_and_still_masks(tmp_path):
    out = run_in_rasa_venv(f"""
        import asyncio, sqlite3
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import ActionExecuted, UserUttered
        from rasa.shared.core.trackers import DialogueStateTracker
        from bot.tracker_store import MaskingSQLTrackerStore

        db = "{tmp_path / 'tracker.db'}"
        store = MaskingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=db)
        async def main():
            tracker = DialogueStateTracker("s", [])
            tracker.update(UserUttered("my password is Sunflower77"))
            await store.save(tracker)
            for _ in range(3):
                tracker.update(ActionExecuted("action_listen"))
                await store.save(tracker)
            again = await store.retrieve("s")
            print(len(again.events), again.events[0].text)
        asyncio.run(main())
        print(sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0])
    """, tmp_path)
    assert out.split("\n")[:2] == ["4 my password is [hidden]", "wal"]


def test_the_socketio_channel_delivers_through_redis_when_configured(tmp_path):
    secret = tmp_path / "chat_session_secret"
    secret.write_text("a-chat-session-key-of-the-tests")
    out = run_in_rasa_venv(f"""
        from socketio import AsyncRedisManager
        from bot.channels.socketio_redis import RedisSocketIOInput

        async def on_message(message):
            pass
        signed = {{"session_secret_file": "{secret}", "allowed_origins": "http://127.0.0.1:8000"}}
        channel = RedisSocketIOInput.from_credentials({{"session_persistence": True, "redis_url": "redis://127.0.0.1:6379/2",
                                                       **signed}})
        channel.blueprint(on_message)
        print(RedisSocketIOInput.name(), type(channel.sio.manager).__name__, channel.session_persistence)
        plain = RedisSocketIOInput.from_credentials(signed)
        plain.blueprint(on_message)
        print(type(plain.sio.manager).__name__)
        # the scaled web chat checks signed sessions and origins like the unscaled one
        print(channel.origin_allowed({{"HTTP_ORIGIN": "https://evil.example"}}), channel.origin_allowed({{"HTTP_ORIGIN": "http://127.0.0.1:8000"}}))
        try:
            RedisSocketIOInput.from_credentials({{"redis_url": "redis://127.0.0.1:6379/2"}})
        except ValueError as exc:
            print(exc)
    """, tmp_path)
    assert out.split("\n")[:4] == ["socketio AsyncRedisManager True", "AsyncManager", "False True",
                                   "socketio channel: session_secret_file is not set"]


@pytest.mark.parametrize("argv, processes, scaled", [(["run"], None, False), (["run", "--scale"], 2, True),
                                                     (["run", "--scale", "3"], 3, True)])
def test_helpdesk_run_scale_starts_the_scaled_services(monkeypatch, argv, processes, scaled):
    import helpdesk.launcher
    from helpdesk.cli import main
    from helpdesk.scale import ScaledServices

    seen = {}

    def fake_run(settings, train=True, services_factory=None):
        seen.update(factory=services_factory, processes=settings.scale.rasa_processes)
        return 0

    monkeypatch.setattr(helpdesk.launcher, "run", fake_run)
    assert main(argv) == 0
    assert (seen["factory"] is ScaledServices) is scaled
    if scaled:
        assert seen["processes"] == processes


@pytest.mark.parametrize("rest", [False, True])
def test_scaled_channels_are_the_signed_web_chat_and_rest_only_when_on(tmp_path, rest):
    import os
    import yaml

    from core.settings import load_settings
    from helpdesk.scale import scaled_credentials

    settings = load_settings(data_dir=tmp_path / "data", chat={"rest_channel": rest})
    path = scaled_credentials(settings, {})
    channels = yaml.safe_load(path.read_text())
    assert channels["bot.channels.socketio_redis.RedisSocketIOInput"]["session_secret_file"] == "${HELPDESK_CHAT_SECRET_FILE}"
    assert channels["bot.channels.socketio_redis.RedisSocketIOInput"]["allowed_origins"] == "${HELPDESK_ALLOWED_ORIGINS}"
    assert ("bot.channels.rest.TokenRestInput" in channels) is rest and "rest" not in channels
    assert not any("botframework" in k for k in channels)          # no Teams secrets set
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_the_lock_store_rides_out_a_redis_connection_lost_mid_command(tmp_path):
    """Through a proxy to this machine's Redis that hangs up on the first connection once it has read its
    first command (as a Redis restart does to a command in flight): Rasa's own lock store fails the message
    (LockError), ours retries on a new connection and gets the lock."""
    out = run_in_rasa_venv("""
        import asyncio, socket, threading
        from rasa.core.lock_store import RedisLockStore
        from rasa.utils.endpoints import EndpointConfig
        from bot.lock_store import RetryingRedisLockStore

        def proxy():
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen()
            def pipe(a, b):
                try:
                    while (data := a.recv(65536)):
                        b.sendall(data)
                except OSError:
                    pass
                finally:
                    for end in (a, b):
                        try:
                            end.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
            def serve():
                first = True
                while True:
                    client, _ = server.accept()
                    if first:                      # the handshake (SELECT) goes through; the next command is lost
                        first = False
                        with socket.create_connection(("127.0.0.1", 6379)) as redis:
                            redis.sendall(client.recv(65536))
                            client.sendall(redis.recv(65536))
                        client.recv(65536)
                        client.close()
                        continue
                    redis = socket.create_connection(("127.0.0.1", 6379))
                    threading.Thread(target=pipe, args=(client, redis), daemon=True).start()
                    threading.Thread(target=pipe, args=(redis, client), daemon=True).start()
            threading.Thread(target=serve, daemon=True).start()
            return server.getsockname()[1]

        async def lock_once(store):
            async with store.lock("c1", lock_lifetime=5, wait_time_in_seconds=0.05):
                return "locked"

        for make in (lambda port: RedisLockStore(host="127.0.0.1", port=port, db=1, key_prefix="locktest"),
                     lambda port: RetryingRedisLockStore(EndpointConfig(url="127.0.0.1", port=port, db=1,
                                                                        key_prefix="locktest"))):
            try:
                print(asyncio.run(lock_once(make(proxy()))))
            except Exception as exc:
                print(type(exc).__name__)
    """, tmp_path)
    assert out.split("\n")[:2] == ["LockError", "locked"]


def test_chat_rate_limits_are_counted_once_for_all_rasa_processes(tmp_path):
    """Two guards (two Rasa processes) sharing this machine's Redis: 3 messages a minute in all."""
    import uuid

    sender = f"rate-{uuid.uuid4().hex[:8]}"
    out = run_in_rasa_venv(f"""
        import os
        os.environ["HELPDESK_RATE_LIMIT_REDIS_URL"] = "redis://127.0.0.1:6379/1"
        from bot.channels.guard import MessageGuard
        first, second = (MessageGuard(max_chars=100, per_minute=3, per_minute_per_ip=100) for _ in range(2))
        print([g.check("hi", "{sender}", None).allowed for g in (first, second, first, second, first)])
        os.environ["HELPDESK_RATE_LIMIT_REDIS_URL"] = "redis://127.0.0.1:1/1"          # Redis unreachable
        print(MessageGuard(max_chars=100, per_minute=1).check("hi", "{sender}", None).allowed)
    """, tmp_path)
    assert out.split("\n")[:2] == ["[True, True, True, False, False]", "True"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_tracker_store_loads_and_counts_events_as_rasas_own_does(dialect, settings, tmp_path):
    """MaskingSQLTrackerStore reads the events' JSON only and knows how many of a tracker's events are
    stored: a conversation played as Rasa's processor does (loaded before each turn, saved after it)
    gives the same events through it and through Rasa's SQLTrackerStore, across a session restart, in
    the latest session and in the full tracker. A tracker saved again without being loaded again
    has each event stored once (Rasa's own count, which starts at the latest session's first event,
    stores the session's first action a second time)."""
    s = settings.scale
    db = (f'db="{tmp_path / "tracker.db"}"' if dialect == "sqlite" else
          f'host="{s.postgres_host}", port={s.postgres_port}, username="{s.postgres_user}", '
          f'password="{s.postgres_password}", db="{s.postgres_login_db}", login_db="{s.postgres_login_db}"')
    out = run_in_rasa_venv(f"""
        import asyncio, json, uuid
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
        from rasa.shared.core.trackers import DialogueStateTracker
        from bot.tracker_store import MaskingSQLTrackerStore

        domain = Domain.from_dict({{"slots": {{"device": {{"type": "text", "mappings": [{{"type": "custom"}}]}}}}}})
        TURNS = [[ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
                 [UserUttered("hello"), SlotSet("device", "laptop"), ActionExecuted("action_listen")],
                 [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
                 [UserUttered("again"), SlotSet("device", "printer")]]
        def names(tracker):
            return [(e.type_name, getattr(e, "text", None)) for e in tracker.events]
        async def play(store, sender, reload):
            tracker = DialogueStateTracker(sender, domain.slots)
            for turn, events in enumerate(TURNS):
                if reload and turn:
                    tracker = await store.retrieve(sender)
                for event in events:
                    tracker.update(event)
                await store.save(tracker)
            latest, full = await store.retrieve(sender), await store.retrieve_full_tracker(sender)
            return names(latest), names(full), latest.get_slot("device"), await store.retrieve("nobody-" + sender)
        def stores():
            return (MaskingSQLTrackerStore(domain=domain, dialect="{dialect}", {db}),
                    SQLTrackerStore(domain=domain, dialect="{dialect}", {db}))
        ours, rasas = stores()
        run = uuid.uuid4().hex         # PostgreSQL keeps the conversations of earlier runs
        played = [(e.type_name, getattr(e, "text", None)) for turn in TURNS for e in turn]
        same = [asyncio.run(play(ours, "ours-" + run, True)), asyncio.run(play(rasas, "rasa-" + run, True))]
        kept = asyncio.run(play(ours, "kept-" + run, False))
        print(json.dumps([same, kept, played]))
    """, tmp_path)
    (ours, rasas), kept, played = json.loads(out.strip().splitlines()[-1])
    assert ours == rasas
    latest, full, device, nobody = ours
    assert ["user", "again"] in latest and ["user", "hello"] not in latest and device == "printer"
    assert len(full) > len(latest) and ["user", "hello"] in full and nobody is None
    assert kept[1] == played and kept[2] == "printer"


def test_a_saved_tracker_is_kept_only_while_loading_it_again_would_give_the_same(tmp_path):
    """The next message of a conversation gets the tracker saved after the last one, unless another
    process stored events since, events were added after the save, something in it was masked, a
    new session started in it, or a new model's domain was set."""
    out = run_in_rasa_venv(f"""
        import asyncio, json
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
        from rasa.shared.core.trackers import DialogueStateTracker
        from bot.tracker_store import MaskingSQLTrackerStore

        domain = Domain.from_dict({{"slots": {{"device": {{"type": "text", "mappings": [{{"type": "custom"}}]}}}}}})
        db = "{tmp_path / 'tracker.db'}"
        one, other = (MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=db) for _ in range(2))
        async def turn(store, sender, *events):
            tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
            for event in events:
                tracker.update(event)
            await store.save(tracker)
            return tracker
        async def main():
            out = {{}}
            first = await turn(one, "a", SessionStarted(), ActionExecuted("action_listen"), UserUttered("hi"))
            out["same object"] = (await one.retrieve("a")) is first
            out["handed over once"] = (await one.retrieve("a")) is not first
            second = await turn(one, "a", SlotSet("device", "laptop"))
            await turn(other, "a", SlotSet("device", "printer"))          # another Rasa process
            again = await one.retrieve("a")
            out["other process seen"] = (again is not second, again.get_slot("device"), len(again.events))
            third = await turn(one, "a", ActionExecuted("action_listen"))
            third.update(UserUttered("unsaved"))
            out["unsaved event dropped"] = [e.text for e in (await one.retrieve("a")).events if e.type_name == "user"]
            secret = await turn(one, "b", SessionStarted(), SlotSet("device", "my password is Sunflower77"))
            got = await one.retrieve("b")
            out["masked not kept"] = (got is not secret, got.get_slot("device"))
            restarted = await turn(one, "c", SessionStarted(), ActionExecuted("action_listen"), SessionStarted())
            out["new session not kept"] = (await one.retrieve("c")) is not restarted
            kept = await turn(one, "d", SessionStarted(), UserUttered("x"))
            one.domain = Domain.from_dict(domain.as_dict())
            out["new domain"] = (await one.retrieve("d")) is not kept
            return out
        print(json.dumps(asyncio.run(main())))
    """, tmp_path)
    out = json.loads(out.strip().splitlines()[-1])
    assert out["same object"] and out["handed over once"]
    assert out["other process seen"] == [True, "printer", 5]
    assert out["unsaved event dropped"] == ["hi"]
    assert out["masked not kept"][0] and "Sunflower77" not in out["masked not kept"][1]
    assert out["new session not kept"] and out["new domain"]


def test_events_are_resolved_to_the_same_classes_with_the_remembered_lookup(tmp_path):
    out = run_in_rasa_venv("""
        from rasa.shared.core.events import Event, SlotSet, UserUttered
        from rasa.shared.utils.common import all_subclasses
        names = sorted({cls.type_name for cls in all_subclasses(Event)})
        before = [Event.resolve_by_type(n).__name__ for n in names]
        import bot.tracker_store   # applies bot.rasa_speedups
        after = [Event.resolve_by_type(n).__name__ for n in names] + [Event.resolve_by_type(n).__name__ for n in names]
        print(len(names) > 20, after == before + before, Event.resolve_by_type("no such", default=SlotSet).__name__,
              Event.resolve_by_type("topic"), type(Event.from_parameters({"event": "action", "name": "action_listen"})).__name__)
        try:
            Event.resolve_by_type("no such event")
        except ValueError as exc:
            print("refused")
    """, tmp_path)
    assert out.split() == ["True", "True", "SlotSet", "None", "ActionExecuted", "refused"]
