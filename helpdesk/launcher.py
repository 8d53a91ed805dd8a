"""Starts the three processes of the product and stops them together.

``make run`` and the end-to-end tests both use :class:`Services`: train the Rasa model when its
data changed, build the KB index, start the helpdesk service, the action server and the Rasa
server on 127.0.0.1, wait until each answers its health check, and stop all on exit.

Security (docs/security.md): every process binds to its configured host and runs with umask 077
(data, logs and spool files private); secrets travel in private files or the environment, never
on a command line (Rasa's HTTP API token through ``bot/rasa_main.py``); the action server only
accepts Rasa (shared secret header, ``bot/action_server.py``); CORS and socket.io origins are the
configured public URL; the REST channel is only there when ``chat.rest_channel`` is on.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.settings import Settings

MODEL_NAME = "helpdesk"
START_TIMEOUT = {"helpdesk": 120, "actions": 60, "rasa": 240, "haproxy": 30}


def start_timeout(name: str) -> int:
    """Seconds to wait for a service; ``rasa-2`` (helpdesk/scale.py) waits as ``rasa``."""
    return START_TIMEOUT.get(name) or START_TIMEOUT.get(name.rsplit("-", 1)[0], 240)


class LaunchError(RuntimeError):
    """A service could not be started; the message names it and points at its log."""


def rasa_executable(settings: Settings) -> Path:
    rasa = settings.project_root / ".venv-rasa" / "bin" / "rasa"
    if not rasa.exists():
        raise LaunchError(f"{rasa} not found: run `make install` (it creates .venv-rasa with Python 3.10)")
    return rasa


def rasa_python(settings: Settings) -> Path:
    return rasa_executable(settings).with_name("python")


def nlu_folders(settings: Settings) -> list[Path]:
    """The NLU data trained: one folder per language, and the language-independent regexes and lookups."""
    nlu = settings.path(settings.rasa.nlu_dir)
    return [nlu / lang for lang in settings.languages] + [p for p in [nlu / "shared"] if p.is_dir()]


def training_inputs(settings: Settings) -> list[Path]:
    root = settings.project_root
    files = [root / "config.yml"]
    for folder in [root / "bot" / "domain", root / "bot" / "data"] + nlu_folders(settings):
        files += sorted(folder.rglob("*.yml"))
    components = root / "bot" / "components"
    if components.is_dir():
        files += sorted(components.rglob("*.py"))     # custom NLU components change the model too
    return files


def training_fingerprint(settings: Settings) -> str:
    digest = hashlib.sha256()
    nlu = settings.path(settings.rasa.nlu_dir)
    for path in training_inputs(settings):
        # the name within its tree: a copy of the NLU data elsewhere has the same fingerprint
        digest.update(str(path.relative_to(nlu if nlu in path.parents else settings.project_root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def model_path(settings: Settings) -> Path:
    return settings.path(settings.rasa.model_dir) / f"{MODEL_NAME}.tar.gz"


def train_if_needed(settings: Settings, force: bool = False) -> bool:
    """Run ``rasa train`` when the model is missing or its training data changed. True if it trained."""
    model = model_path(settings)
    stamp = model.with_suffix(".fingerprint")
    fingerprint = training_fingerprint(settings)
    if not force and model.is_file() and stamp.is_file() and stamp.read_text().strip() == fingerprint:
        print(f"Rasa model {model} is up to date", flush=True)
        return False
    root = settings.project_root
    data = [str(folder) for folder in nlu_folders(settings)] + [str(root / "bot" / "data")]
    cmd = [str(rasa_executable(settings)), "train", "--config", str(root / "config.yml"),
           "--domain", str(root / "bot" / "domain"), "--data", *data,
           "--out", str(model.parent), "--fixed-model-name", MODEL_NAME]
    print("Training the Rasa model (a few minutes on 2 cores)...", flush=True)
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=root, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if result.returncode != 0:
        raise LaunchError(f"rasa train failed (exit {result.returncode})")
    stamp.write_text(fingerprint)
    print(f"Trained in {time.monotonic() - started:.0f} s", flush=True)
    return True


def build_kb(settings: Settings) -> None:
    from helpdesk.progress import progress_bar
    from kb_index.importer import load_articles
    from kb_index.embedders import get_embedder
    from kb_index.index import build_index

    articles = load_articles(settings.path(settings.kb.articles_dir), languages=settings.languages)
    report = build_index(articles, get_embedder(settings.kb.encoder), settings.path(settings.kb.index_dir),
                         progress_bar("KB index"), hnsw_threshold=settings.kb.hnsw_threshold)
    print(f"KB index: {report.articles} article variants, {report.total} passages ({report.embedded} embedded, "
          f"{report.reused} unchanged)", flush=True)


TEAMS_ENV = ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD")


def rasa_credentials(settings: Settings, env: dict[str, str]) -> Path:
    """The channels file Rasa starts with: ``bot/credentials.yml`` less the Teams (``botframework``)
    channel unless both ``MICROSOFT_APP_ID`` and ``MICROSOFT_APP_PASSWORD`` are set, and less the
    REST channel unless ``chat.rest_channel`` is on.

    Rasa 3.6 refuses to start on an unset ``${VAR}`` and its botframework channel fetches
    Microsoft's OpenID keys when it starts (so an empty value fails offline too). The file is
    written to the data folder; the secrets stay ``${VAR}`` references that Rasa expands itself.
    """
    channels = read_channels(settings, "credentials.yml")
    if not settings.chat.rest_channel:
        for key in [k for k in channels if is_rest_channel(k)]:
            channels.pop(key)
    return write_channels(settings, channels, env, "credentials.yml")


def is_rest_channel(key: str) -> bool:
    return key == "rest" or key.endswith("TokenRestInput")


def read_channels(settings: Settings, name: str) -> dict:
    import yaml

    return yaml.safe_load((settings.project_root / "bot" / name).read_text()) or {}


def write_channels(settings: Settings, channels: dict, env: dict[str, str], name: str) -> Path:
    """``<data_dir>/<name>``, private, less the Teams channel unless its two secrets are set."""
    import yaml

    if not all(env.get(variable) for variable in TEAMS_ENV):
        for key in [k for k in channels if "botframework" in k.lower()]:
            channels.pop(key)
    path = settings.data_path / name
    private_dir(path.parent)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        fh.write(f"# generated by helpdesk run from bot/{name.replace('credentials-scale', 'credentials.scale')}; "
                 "do not edit\n" + yaml.safe_dump(channels, sort_keys=False))
    os.chmod(path, 0o600)
    return path


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def private_dir(path: Path) -> Path:
    """Create ``path`` (0700) if missing and take group/other access away if it exists."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def secret_files(settings: Settings) -> dict[str, Path]:
    """Create the secrets the processes share (0600 files in the data folder); their paths by name."""
    settings.rasa_token(), settings.actions_token(), settings.chat_session_secret(), settings.rest_token()
    return {name: settings.data_path / name for name in ("rasa_token", "actions_token", "chat_session_secret",
                                                         "rest_token")}


@dataclass
class Service:
    name: str
    cmd: list[str]
    health_url: str
    process: subprocess.Popen | None = None
    log_path: Path | None = None


class Services:
    """The three processes; use as a context manager or call start()/stop()."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        root = settings.project_root
        r = settings.rasa
        python = sys.executable
        private_dir(settings.data_path)
        logs = private_dir(settings.data_path / "logs")
        secrets = secret_files(settings)
        limits = settings.limits
        self.env = {
            **os.environ,
            "HELPDESK_ACTIONS_URL": f"http://{r.host}:{r.actions_port}/webhook",
            "HELPDESK_ACTIONS_TOKEN": settings.actions_token(),   # environment: not visible in ps
            "HELPDESK_RASA_TOKEN_FILE": str(secrets["rasa_token"]),
            "HELPDESK_CHAT_SECRET_FILE": str(secrets["chat_session_secret"]),
            "HELPDESK_REST_TOKEN_FILE": str(secrets["rest_token"]),
            "HELPDESK_ALLOWED_ORIGINS": ",".join(settings.public_origins),
            "HELPDESK_MAX_MESSAGE_CHARS": str(limits.max_message_chars),
            "HELPDESK_CHAT_PER_MINUTE": str(limits.chat_messages_per_minute),
            "HELPDESK_CHAT_PER_MINUTE_PER_IP": str(limits.chat_messages_per_minute_per_ip),
            "HELPDESK_DEFAULT_LANGUAGE": settings.default_language,
            "SANIC_HOST": r.host,                              # rasa-sdk's default would be 0.0.0.0
            "SANIC_REQUEST_MAX_SIZE": str(limits.max_body_bytes),
            "SANIC_ACCESS_LOG": "False",                       # query strings (?token=) stay out of logs
            "HELPDESK_TRACKER_DB": str(settings.data_path / "rasa_tracker.db"),
            "HELPDESK_MASK_PERSONAL_DATA": str(settings.privacy.mask_personal_data).lower(),
            "HELPDESK_DATA_DIR": str(settings.data_path),
            # Rasa's channels keep Teams references and REST users' waiting messages in the service
            "HELPDESK_SERVICE_URL": settings.helpdesk_url,
            "HELPDESK_SERVICE_TOKEN": settings.api_token(),      # environment: not visible in ps
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            # Rasa imports our own channels (bot.channels) from the project folder
            "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(root)) if p),
        }
        self.services = [
            Service("helpdesk", [python, "-m", "helpdesk.cli", "serve"],
                    f"{settings.helpdesk_url}/health", log_path=logs / "helpdesk.log"),
            Service("actions", [python, "-m", "bot.action_server"],
                    f"http://{r.host}:{r.actions_port}/health", log_path=logs / "actions.log"),
            # bot.rasa_main adds --auth-token (the HTTP API's; chat channels need none) from its file
            Service("rasa", [str(rasa_python(settings)), "-m", "bot.rasa_main", "run", "--enable-api",
                             "--cors", *settings.public_origins,
                             "--interface", r.host, "--port", str(r.port),
                             "--model", str(model_path(settings)),
                             "--credentials", str(rasa_credentials(settings, self.env)),
                             "--endpoints", str(root / "bot" / "endpoints.yml")],
                    f"http://{r.host}:{r.port}/status?token={settings.rasa_token()}", log_path=logs / "rasa.log"),
        ]

    def start(self) -> None:
        try:
            for service in self.services:
                self._start(service)
            for service in self.services:
                self._wait_healthy(service)
        except BaseException:
            self.stop()
            raise

    def _start(self, service: Service) -> None:
        port = httpx.URL(service.health_url).port
        if port_in_use(port):
            raise LaunchError(f"{service.name}: port {port} is already in use (another `make run`?); "
                              "stop it or choose another port in settings.yml")
        print(f"Starting {service.name} (log: {service.log_path})", flush=True)
        log = os.fdopen(os.open(service.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        os.chmod(service.log_path, 0o600)
        service.process = subprocess.Popen(service.cmd, cwd=self.settings.project_root, env=self.env,
                                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                           umask=0o077)
        log.close()

    def _wait_healthy(self, service: Service) -> None:
        deadline = time.monotonic() + start_timeout(service.name)
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                raise LaunchError(f"{service.name} exited with {service.process.returncode}; see {service.log_path}\n"
                                  + self.tail(service))
            try:
                if httpx.get(service.health_url, timeout=2).status_code == 200:
                    print(f"  {service.name} is up", flush=True)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise LaunchError(f"{service.name} not healthy after {start_timeout(service.name)} s; see {service.log_path}\n"
                          + self.tail(service))

    @staticmethod
    def tail(service: Service, lines: int = 30) -> str:
        try:
            return "\n".join(service.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        for service in reversed(self.services):
            proc = service.process
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def alive(self) -> bool:
        return all(s.process is not None and s.process.poll() is None for s in self.services)

    def __enter__(self) -> "Services":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def ensure_rt(settings: Settings) -> subprocess.Popen | None:
    """With ``tickets.backend: rt``: RT must answer and be set up. A local RT that is down is started
    and stopped when this process exits; otherwise LaunchError names the command that fixes it."""
    if settings.tickets.backend != "rt":
        return None
    from escalation.errors import BackendUnavailable
    from escalation.tickets import rt_process
    from escalation.tickets.rt import bot_password_file

    if not bot_password_file(settings).is_file():
        raise LaunchError(f"tickets.backend is rt but RT is not set up for the assistant "
                          f"({bot_password_file(settings)} is missing): run `.venv/bin/helpdesk rt setup` first")
    if rt_process.answers(settings):
        return None
    if not (settings.rt_agent.start_with_run and rt_process.can_start(settings)):
        raise LaunchError(f"RT at {settings.rt.url} does not answer: start it with `{rt_process.start_hint(settings)}`")
    log = settings.data_path / "logs" / "rt.log"
    print(f"Starting RT: {rt_process.start_hint(settings)} (log: {log})", flush=True)
    try:
        process = rt_process.start(settings, log)
    except BackendUnavailable as exc:
        raise LaunchError(f"{exc}; or start RT yourself: `{rt_process.start_hint(settings)}`") from exc
    atexit.register(rt_process.stop, process)
    print(f"  RT is up: {settings.rt.url} (tickets; stopped with the rest)", flush=True)
    return process


def run(settings: Settings, train: bool = True, services_factory=None) -> int:
    """``make run``: prepare, start, print the URLs, wait for Ctrl-C, stop everything.
    ``services_factory(settings)``: another set of processes (helpdesk/scale.py)."""
    os.umask(0o077)      # whatever this process writes in the data folder (KB index, credentials) is private
    try:
        ensure_rt(settings)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if train:
        train_if_needed(settings)
    build_kb(settings)
    try:
        services = (services_factory or Services)(settings)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    def _interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started from a shell that ignores SIGINT
    try:
        services.start()
        r = settings.rasa
        print("\nThe helpdesk assistant is running:")
        print(f"  Chat page:          {settings.helpdesk_url}/chat")
        print(f"  Agent console:      {settings.helpdesk_url}/console  (first account: helpdesk accounts create --role admin --user <name>)")
        if settings.chat.rest_channel:
            print(f"  Chat (REST):        POST http://{r.host}:{r.port}/webhooks/rest/webhook "
                  f"(Authorization: Bearer <{settings.data_path / 'rest_token'}>)")
        print(f"  Chat (socket.io):   http://{r.host}:{r.port}/socket.io")
        print(f"  Rasa HTTP API:      http://{r.host}:{r.port}/status?token=<{settings.data_path / 'rasa_token'}>")
        print(f"  Action server:      http://{r.host}:{r.actions_port}/health")
        print(f"  Helpdesk service:   {settings.helpdesk_url}/docs")
        if all(services.env.get(name) for name in TEAMS_ENV):
            print(f"  Teams (Bot Framework): POST http://{r.host}:{r.port}/webhooks/botframework/webhook")
        print("Press Ctrl-C to stop.", flush=True)
        while services.alive():
            time.sleep(1)
        dead = [s.name for s in services.services if s.process.poll() is not None]
        print(f"Stopped because {', '.join(dead)} exited; see {settings.data_path / 'logs'}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        services.stop()


def shell(settings: Settings) -> int:
    """``rasa shell`` in the terminal, against the running action server and helpdesk service."""
    services = Services(settings)
    model = model_path(settings)
    if not model.is_file():
        raise LaunchError(f"{model} not found: run `make run` (or `make train`) first")
    with socket.socket() as sock:  # rasa shell runs a server of its own: not on the port of `helpdesk run`
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [str(rasa_executable(settings)), "shell", "--model", str(model), "--port", str(port), "--endpoints",
           str(settings.project_root / "bot" / "endpoints.yml")]
    return subprocess.call(cmd, cwd=settings.project_root, env=services.env)
