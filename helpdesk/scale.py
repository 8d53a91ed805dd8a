"""The scaled setup on one machine: ``helpdesk run --scale N``.

N Rasa processes behind HAProxy on ``rasa.port`` (the URL clients already use), sharing

- the Redis lock store (one conversation handled by one process at a time),
- the PostgreSQL tracker store (``bot/endpoints.scale.yml``, masked like the SQLite one),
- the RabbitMQ event broker (Rasa's ``pika`` broker; every event to ``scale.rabbitmq_queue``),
- socket.io delivery through Redis (``bot/channels/socketio_redis.py``),

with one action server and one helpdesk service (both stateless, one URL each). Settings:
``settings.yml`` ``scale:``; the default (``make run``) stays SQLite and one process of each.

HAProxy (Debian's, ``scripts/install-haproxy``) routes REST messages by a hash of the sender (the
same conversation goes to the same process while it is up: RedisLockStore's ticket handling is not
atomic across replicas, Rasa issue 9213) and socket.io by an inserted cookie (long-polling needs
stickiness; ``timeout tunnel`` keeps websockets open); health checks take a dead process out and a
refused connection is retried on another. The same variables drive deploy/ (Compose, Kubernetes).
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings
from helpdesk.launcher import (LaunchError, Service, Services, is_rest_channel, model_path, rasa_executable,
                               read_channels, write_channels)

HAPROXY_TIMEOUTS = {"connect": "5s", "client": "120s", "server": "120s", "tunnel": "1h",
                    "http-request": "10s", "queue": "30s",
                    # a busy Rasa answers its health check late (one event loop, CPU-bound turns):
                    # the check's own timeout would otherwise be `inter` (2 s) and mark it down
                    "check": "20s"}
# health checks: every 3 s, down after 3 failures, up after 2 successes
HEALTH_CHECK = "check inter 3s fall 3 rise 2"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_range(count: int, attempts: int = 50) -> int:
    """A port such that it and the ``count - 1`` ports after it are free (for rasa-1 .. rasa-N)."""
    from helpdesk.launcher import port_in_use

    for _ in range(attempts):
        first = free_port()
        if first + count < 65536 and not any(port_in_use(first + i) for i in range(1, count)):
            return first
    raise LaunchError(f"no {count} consecutive free ports found")


def bench_environment(tmp: Path, scale: int = 0) -> dict[str, str]:
    """HELPDESK_* settings for a benchmark or test run: free ports, its own data folder under
    ``tmp``, the project's trained model; scaled: its own PostgreSQL database and Redis key space."""
    service_port = free_port()
    env = {
        "HELPDESK_SERVICE__PORT": str(service_port),
        "HELPDESK_SERVICE__PUBLIC_URL": f"http://127.0.0.1:{service_port}",
        "HELPDESK_RASA__PORT": str(free_port()),
        "HELPDESK_RASA__ACTIONS_PORT": str(free_port()),
        "HELPDESK_RASA__MODEL_DIR": str(PROJECT_ROOT / "models"),
        "HELPDESK_DATA_DIR": str(tmp / "data"),
        "HELPDESK_KB__INDEX_DIR": str(tmp / "kb_index"),
        "HELPDESK_TICKETS__SQLITE_PATH": str(tmp / "data" / "tickets.db"),
        "HELPDESK_PROBLEMS__MIN_SIMILAR": "100000",
        # the load comes over the REST channel (behind its token) from one address: limits off the path
        "HELPDESK_CHAT__REST_CHANNEL": "true",
        "HELPDESK_LIMITS__CHAT_MESSAGES_PER_MINUTE": "100000",
        "HELPDESK_LIMITS__CHAT_MESSAGES_PER_MINUTE_PER_IP": "100000",
        "HELPDESK_LIMITS__TICKETS_PER_HOUR_PER_IP": "100000",
    }
    if scale:
        env.update({
            "HELPDESK_SCALE__RASA_PROCESSES": str(scale),
            "HELPDESK_SCALE__FIRST_RASA_PORT": str(free_port_range(scale)),
            "HELPDESK_SCALE__POSTGRES_DB": f"helpdesk_{tmp.name.replace('-', '_').lower()}"[:60],
            "HELPDESK_SCALE__RABBITMQ_QUEUE": f"helpdesk-{tmp.name}",
        })
    return env


def drop_run_resources(settings: Settings) -> None:
    """After a benchmark or test run on this machine: drop its PostgreSQL database and its RabbitMQ
    queue (nobody consumes it), with the command-line tools of the local servers; best effort."""
    import subprocess

    s = settings.scale
    commands = [["psql", "-h", s.postgres_host, "-p", str(s.postgres_port), "-U", s.postgres_user, "-d",
                 s.postgres_login_db, "-c", f'DROP DATABASE IF EXISTS "{s.postgres_db}"'],
                ["rabbitmqctl", "delete_queue", s.rabbitmq_queue]]
    for cmd in commands:
        try:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
                           env={**os.environ, "PGPASSWORD": s.postgres_password})
        except (OSError, subprocess.TimeoutExpired):
            pass


def rasa_ports(settings: Settings, processes: int | None = None) -> list[int]:
    n = processes or settings.scale.rasa_processes
    first = settings.scale.first_rasa_port
    return [first + i for i in range(n)]


def scale_environment(settings: Settings) -> dict[str, str]:
    """What bot/endpoints.scale.yml and bot/credentials.scale.yml read, and Rasa's own variables
    for the pool and the lock lifetime (the same names in deploy/compose.yml and deploy/k8s/)."""
    s = settings.scale
    return {
        "HELPDESK_POSTGRES_HOST": s.postgres_host,
        "HELPDESK_POSTGRES_PORT": str(s.postgres_port),
        "HELPDESK_POSTGRES_DB": s.postgres_db,
        "HELPDESK_POSTGRES_LOGIN_DB": s.postgres_login_db,
        "HELPDESK_POSTGRES_USER": s.postgres_user,
        "HELPDESK_POSTGRES_PASSWORD": s.postgres_password,
        "HELPDESK_REDIS_HOST": s.redis_host,
        "HELPDESK_REDIS_PORT": str(s.redis_port),
        "HELPDESK_REDIS_LOCK_DB": str(s.redis_lock_db),
        "HELPDESK_SOCKETIO_REDIS_URL": f"redis://{s.redis_host}:{s.redis_port}/{s.redis_socketio_db}",
        # the chat rate limits, counted once for all Rasa processes (bot/channels/shared_rate_limit.py)
        "HELPDESK_RATE_LIMIT_REDIS_URL": f"redis://{s.redis_host}:{s.redis_port}/{s.redis_lock_db}",
        "HELPDESK_RABBITMQ_HOST": s.rabbitmq_host,
        "HELPDESK_RABBITMQ_PORT": str(s.rabbitmq_port),
        "HELPDESK_RABBITMQ_USER": s.rabbitmq_user,
        "HELPDESK_RABBITMQ_PASSWORD": s.rabbitmq_password,
        "HELPDESK_RABBITMQ_QUEUE": s.rabbitmq_queue,
        "SQL_POOL_SIZE": str(s.sql_pool_size),
        "SQL_MAX_OVERFLOW": str(s.sql_max_overflow),
        "TICKET_LOCK_LIFETIME": str(s.lock_lifetime_seconds),
    }


def check_backing_services(settings: Settings, timeout: float = 3.0) -> None:
    """Redis, PostgreSQL and RabbitMQ must answer before Rasa starts (with RabbitMQ down Rasa's pika
    broker fails its start; with PostgreSQL down it retries forever): say which one is not there."""
    s = settings.scale
    missing = []
    for name, host, port in (("Redis", s.redis_host, s.redis_port), ("PostgreSQL", s.postgres_host, s.postgres_port),
                             ("RabbitMQ", s.rabbitmq_host, s.rabbitmq_port)):
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as exc:
            missing.append(f"{name} at {host}:{port} ({exc.strerror or exc})")
    if missing:
        raise LaunchError("the scaled setup needs " + ", ".join(missing) + "; start it or change settings.yml scale:")


def pool_connections(settings: Settings) -> int:
    """PostgreSQL connections the Rasa processes may open at most."""
    s = settings.scale
    return s.rasa_processes * (s.sql_pool_size + s.sql_max_overflow)


def haproxy_config(settings: Settings, ports: list[int]) -> str:
    """HAProxy in front of the Rasa processes (on ``rasa.host:rasa.port``)."""
    r = settings.rasa
    timeouts = "\n".join(f"    timeout {name} {value}" for name, value in HAPROXY_TIMEOUTS.items())
    def servers(cookie: bool) -> str:
        lines = [f"    server rasa{i} 127.0.0.1:{port} {HEALTH_CHECK}" + (f" cookie rasa{i}" if cookie else "")
                 for i, port in enumerate(ports, 1)]
        # when every check fails at once (all processes busy, not dead), try them anyway rather than 503
        lines += [f"    server rasa{i}-unchecked 127.0.0.1:{port} backup" for i, port in enumerate(ports, 1)]
        return "\n".join(lines)
    stats = (f"\nlisten stats\n    bind {r.host}:{settings.scale.haproxy_stats_port}\n    stats enable\n"
             "    stats uri /\n" if settings.scale.haproxy_stats_port else "")
    return f"""# generated by helpdesk run --scale (helpdesk/scale.py); do not edit
global
    maxconn 4096

defaults
    mode http
    option redispatch            # a request for a dead process goes to another
    retries 2
    retry-on conn-failure        # only what never reached a process is retried (no duplicate messages)
{timeouts}

frontend chat
    bind {r.host}:{r.port}
    option http-buffer-request   # the sender is read from the JSON body
    use_backend rasa_rest if {{ path_beg /webhooks/rest/ }}
    default_backend rasa_sticky

# REST: the same sender to the same process while it is up (consistent hash of "sender")
backend rasa_rest
    balance hash req.body,json_query('$.sender')
    hash-type consistent
    option httpchk GET /
    http-check expect status 200
{servers(False)}

# socket.io (long-polling needs every request of a session on one process) and the HTTP API
backend rasa_sticky
    balance roundrobin
    cookie HELPDESK_RASA insert indirect nocache httponly
    option httpchk GET /
    http-check expect status 200
{servers(True)}
{stats}"""


def haproxy_executable() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if not found:
        raise LaunchError("haproxy not found: run scripts/install-haproxy (apt-get install haproxy)")
    return found


def scaled_credentials(settings: Settings, env: dict[str, str]) -> Path:
    """bot/credentials.scale.yml as Rasa starts with it: Teams only when its secrets are set, and the
    tokened REST channel of bot/credentials.yml only when ``chat.rest_channel`` is on (as unscaled)."""
    channels = read_channels(settings, "credentials.scale.yml")
    if settings.chat.rest_channel:
        channels.update({k: v for k, v in read_channels(settings, "credentials.yml").items() if is_rest_channel(k)})
    return write_channels(settings, channels, env, "credentials-scale.yml")


def rasa_command(settings: Settings, port: int, credentials: Path, interface: str = "127.0.0.1") -> list[str]:
    """One Rasa process of the scaled setup (deploy/ runs the same with its own paths and token)."""
    return [str(rasa_executable(settings)), "run", "--enable-api", "--cors", "*",
            "--auth-token", settings.rasa_token(), "--interface", interface, "--port", str(port),
            "--model", str(model_path(settings)), "--credentials", str(credentials),
            "--endpoints", str(settings.project_root / "bot" / "endpoints.scale.yml")]


class ScaledServices(Services):
    """The helpdesk service, the action server, N Rasa processes and HAProxy; as :class:`Services`."""

    def __init__(self, settings: Settings, processes: int | None = None) -> None:
        if processes:
            settings.scale.rasa_processes = processes
        super().__init__(settings)
        check_backing_services(settings)
        self.env.update(scale_environment(settings))
        self.env["HELPDESK_SCALE__FEED_EVENTS"] = "true"      # the helpdesk service reads Rasa's events from RabbitMQ
        r = settings.rasa
        others = [s for s in self.services if s.name != "rasa"]     # the helpdesk service, the action server
        credentials = scaled_credentials(settings, self.env)
        logs = settings.data_path / "logs"
        self.ports = rasa_ports(settings)
        rasas = []
        for i, port in enumerate(self.ports, 1):
            cmd = rasa_command(settings, port, credentials)
            rasas.append(Service(f"rasa-{i}", cmd, f"http://127.0.0.1:{port}/status?token={settings.rasa_token()}",
                                 log_path=logs / f"rasa-{i}.log"))
        config = settings.data_path / "haproxy.cfg"
        config.write_text(haproxy_config(settings, self.ports))
        proxy = Service("haproxy", [haproxy_executable(), "-db", "-f", str(config)], f"http://{r.host}:{r.port}/",
                        log_path=logs / "haproxy.log")
        self.services = others + rasas + [proxy]

    def chat_url(self) -> str:
        r = self.settings.rasa
        return f"http://{r.host}:{r.port}/webhooks/rest/webhook"

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def restart(self, name: str) -> None:
        """Start one stopped (or killed) service again and wait until it answers."""
        service = self.service(name)
        if service.process is not None and service.process.poll() is None:
            return
        self._start(service)
        self._wait_healthy(service)


def describe(settings: Settings) -> str:
    s = settings.scale
    return (f"{s.rasa_processes} Rasa processes (ports {', '.join(map(str, rasa_ports(settings)))}) behind HAProxy; "
            f"Redis {s.redis_host}:{s.redis_port}, PostgreSQL {s.postgres_host}:{s.postgres_port}/{s.postgres_db} "
            f"(at most {pool_connections(settings)} connections), RabbitMQ {s.rabbitmq_host}:{s.rabbitmq_port} "
            f"queue {s.rabbitmq_queue}")


if __name__ == "__main__":   # print the generated HAProxy configuration
    from core.settings import load_settings

    print(haproxy_config(load_settings(), rasa_ports(load_settings())))
    print(os.linesep.join(f"{k}={v}" for k, v in scale_environment(load_settings()).items()))
