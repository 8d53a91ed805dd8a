"""Application settings: ``settings.yml`` overlaid with ``HELPDESK_*`` environment variables.

Rasa's own configuration is ``config.yml``; everything the project itself needs is here.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import date
from pathlib import Path
from typing import Any, Literal, Tuple, Type

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "settings.yml"
INSECURE_TOKENS = {"", "changeme", "change-me", "secret", "token", "password"}


class ServiceSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    api_token: str | None = None
    public_url: str | None = Field(default=None, description="the address users' browsers reach the service at "
                                   "(article links); default: http://<host>:<port>, so it follows the port")

    @model_validator(mode="after")
    def _public_url_follows_port(self) -> "ServiceSettings":
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        self.public_url = self.public_url.rstrip("/")
        return self

    @field_validator("api_token")
    @classmethod
    def _refuse_default_token(cls, value: str | None) -> str | None:
        if value is not None and (value.lower() in INSECURE_TOKENS or len(value) < 16):
            raise ValueError("service.api_token must be a random string of at least 16 characters")
        return value


class RasaSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 5005
    actions_port: int = 5055
    model_dir: Path = Path("models")
    nlu_dir: Path = Path("nlu_data")          # the NLU training data, <nlu_dir>/<lang>/ (+ shared/): trained, read by the
                                              # language detector, and where examples added by the KB editors go


class KbSettings(BaseModel):
    articles_dir: Path = Path("kb/articles")
    index_dir: Path = Path("data/kb_index")
    encoder: str = "use-multilingual-v3"
    top_k: int = Field(default=3, ge=1, le=20)
    min_score: float | None = None  # None: the threshold each index learns from off-topic questions at build time
    hnsw_threshold: int = Field(default=20_000, ge=1)  # exact IndexFlatIP up to this many article variants, HNSW above


class TicketSettings(BaseModel):
    """Where tickets go (``sqlite`` embedded, ``rt`` or ``email``) and how the outbox retries deliveries."""

    backend: str = "sqlite"   # a name of escalation.tickets.factory.BACKENDS: sqlite, rt, email
    sqlite_path: Path = Path("data/tickets.db")
    outbox_path: Path | None = None  # default: <data_dir>/outbox.db
    retry_initial_seconds: float = Field(default=5.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    worker_poll_seconds: float = Field(default=2.0, gt=0)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)?\s*$")
_UNIT_MINUTES = {None: 1, "m": 1, "min": 1, "h": 60, "d": 1440}


def _minutes(value: Any) -> float:
    """``90``, ``"90m"``, ``"4h"`` or ``"3d"`` -> minutes."""
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration (use minutes, or 30m, 4h, 3d)")
    return float(match.group(1)) * _UNIT_MINUTES[match.group(2)]


Level = Literal["high", "medium", "low"]


class SlaTarget(BaseModel):
    """Targets of one priority, in business minutes (wall-clock for ``calendar.around_the_clock``) (``4h`` and ``3d`` are accepted in the file)."""

    response: float
    resolution: float

    @field_validator("response", "resolution", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return _minutes(value)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class HolidaySettings(BaseModel):
    """Public holidays: a country of the ``holidays`` package (BE, NL, ...) and extra closed dates."""

    country: str | None = "BE"
    subdivision: str | None = None
    extra: list[date] = Field(default_factory=list, description="other closed days, e.g. 2026-12-24")


class CalendarSettings(BaseModel):
    """Business hours the SLA clocks run on (ITIL style): opening hours per weekday in ``timezone``
    (default: the top-level ``timezone``), public holidays closed; priorities in ``around_the_clock``
    run on the wall clock."""

    timezone: str | None = None
    hours: dict[str, str] = Field(default_factory=lambda: {d: "08:00-18:00" for d in WEEKDAYS[:5]},
                                  description='weekday -> "HH:MM-HH:MM" (several: "08:00-12:00, 13:00-17:00"); '
                                              "a weekday that is not listed is closed")
    holidays: HolidaySettings = Field(default_factory=HolidaySettings)
    around_the_clock: list[str] = Field(default_factory=lambda: ["P1"])

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, str]) -> dict[str, str]:
        for day, spans in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"sla.calendar.hours: {day!r} is not a weekday ({', '.join(WEEKDAYS)})")
            for span in [p.strip() for p in str(spans or "").split(",") if p.strip()]:
                m = _HOURS.match(span)
                if not m or not (0 <= int(m[1]) * 60 + int(m[2]) < int(m[3]) * 60 + int(m[4]) <= 24 * 60):
                    raise ValueError(f"sla.calendar.hours.{day}: {span!r} is not HH:MM-HH:MM")
        return value

    def spans(self, weekday: int) -> list[tuple[int, int]]:
        """Opening spans of a weekday (0 = Monday) in minutes after midnight."""
        out = []
        for span in [p.strip() for p in str(self.hours.get(WEEKDAYS[weekday]) or "").split(",") if p.strip()]:
            m = _HOURS.match(span)
            out.append((int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])))
        return sorted(out)


def _default_matrix() -> dict[str, dict[str, str]]:
    return {"high": {"high": "P1", "medium": "P2", "low": "P3"},
            "medium": {"high": "P2", "medium": "P3", "low": "P3"},
            "low": {"high": "P3", "medium": "P4", "low": "P4"}}


class SlaSettings(BaseModel):
    """Priority = matrix[urgency][impact] (ITIL style); targets per priority; security rule."""

    matrix: dict[Level, dict[Level, str]] = Field(default_factory=_default_matrix)
    default_urgency: Level = "medium"
    default_impact: Level = "low"
    targets: dict[str, SlaTarget] = Field(default_factory=lambda: {
        "P1": SlaTarget(response=15, resolution=240), "P2": SlaTarget(response=60, resolution=480),
        "P3": SlaTarget(response=240, resolution=1800), "P4": SlaTarget(response=480, resolution=3000)})
    high_priority_categories: list[str] = Field(default_factory=lambda: ["security", "lost_device"])
    high_priority: str = "P2"
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)

    @model_validator(mode="after")
    def _complete(self) -> "SlaSettings":
        for urgency in ("high", "medium", "low"):
            row = self.matrix.get(urgency) or {}
            for impact in ("high", "medium", "low"):
                if impact not in row:
                    raise ValueError(f"sla.matrix.{urgency}.{impact} is missing")
                if row[impact] not in self.targets:
                    raise ValueError(f"sla.matrix.{urgency}.{impact}: {row[impact]!r} has no entry in sla.targets")
        if self.high_priority not in self.targets:
            raise ValueError(f"sla.high_priority {self.high_priority!r} has no entry in sla.targets")
        return self


class QueueSettings(BaseModel):
    description: str = ""


class RoutingSettings(BaseModel):
    """Category -> queue; a category that is not listed goes to ``default_queue``."""

    default_queue: str = "first-line"
    queues: dict[str, QueueSettings] = Field(default_factory=lambda: {"first-line": QueueSettings()})
    categories: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_queues(self) -> "RoutingSettings":
        for queue in [self.default_queue, *self.categories.values()]:
            if queue not in self.queues:
                raise ValueError(f"routing: queue {queue!r} is not declared under routing.queues")
        return self


class ProblemSettings(BaseModel):
    """Known-problem detection: similar open incidents of one category within a window."""

    enabled: bool = True
    window_minutes: float = Field(default=120, gt=0)
    similarity_threshold: float = Field(default=0.6, ge=-1, le=1)
    min_similar: int = Field(default=2, ge=1, description="similar earlier incidents needed to open a problem")
    path: Path | None = None  # default: <data_dir>/problems.db


class RtSettings(BaseModel):
    """Request Tracker 5 (REST2). The password: HELPDESK_RT__PASSWORD, or the file written by scripts/install-rt."""

    url: str = "http://127.0.0.1:8080"
    user: str = "root"
    password: str | None = None
    password_file: Path | None = Path("/etc/request-tracker5/helpdesk-root-password")
    timeout_seconds: float = 15.0
    shredder: Path = Path("/usr/sbin/rt-shredder")   # erases a user's tickets for good (GDPR); on the RT host

    def secret(self) -> str:
        if self.password:
            return self.password
        if self.password_file and Path(self.password_file).is_file():
            try:
                return Path(self.password_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(f"rt.password_file {self.password_file} cannot be read ({exc.strerror}); "
                                 "run as a user who may read it, or set HELPDESK_RT__PASSWORD") from exc
        raise ValueError(f"rt.password is not set (HELPDESK_RT__PASSWORD) and rt.password_file "
                         f"{self.password_file} does not exist; run scripts/install-rt (it writes that file) "
                         "or set HELPDESK_RT__PASSWORD")


class RtAgentSettings(BaseModel):
    """How the assistant works in RT: as its own RT user (created by ``helpdesk rt setup``, password
    generated once into ``<data_dir>/rt_bot_password``), RT's priority field and service levels."""

    bot_user: str = "helpdesk-assistant"
    bot_email: str = "helpdesk-assistant@helpdesk.local"
    bot_password_file: Path | None = None  # default: <data_dir>/rt_bot_password
    service_levels: bool = True   # set RT's own SLA field (RT >= 4.4) to our priority (P1..P4)
    start_command: list[str] = Field(default_factory=lambda: [
        "/usr/share/request-tracker5/libexec/rt-server", "--server", "Starlet", "--host", "127.0.0.1",
        "--port", "{port}", "--max-workers", "2"])
    start_with_run: bool = True   # `make run` starts rt-server when rt.url is local and nothing answers


class EmailTicketSettings(BaseModel):
    """``tickets.backend: email``: every ticket is an e-mail to a helpdesk tool's mailbox over SMTP
    (subject with the reference, readable body, the ticket as a JSON attachment). Follow-ups (comments,
    status) are e-mails with the same reference; sent tickets are kept in ``<data_dir>/email_tickets.db``."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    from_address: str = "helpdesk-assistant@helpdesk.local"
    to_address: str = "helpdesk@helpdesk.local"
    subject_prefix: str = "[helpdesk]"
    timeout_seconds: float = 15.0
    store_path: Path | None = None  # default: <data_dir>/email_tickets.db


class ChatPushSettings(BaseModel):
    """When an escalation kept in the outbox becomes a ticket, the service asks Rasa to tell the user
    (``POST /conversations/<sender>/trigger_intent``, intent ``EXTERNAL_ticket_created``). Only the
    channels listed can push a message outside a user's turn (socket.io: the web chat; botframework:
    Teams, a proactive message by the conversation reference kept in the service's database); elsewhere
    (REST) the user learns it with their next message."""

    enabled: bool = True
    channels: list[str] = Field(default_factory=lambda: ["socketio", "botframework"])
    timeout_seconds: float = 10.0


class DisplaySettings(BaseModel):
    """How times are shown to users and agents (in ``timezone``, the zone named)."""

    time_format: str = "%H:%M"
    date_format: str = "%d/%m/%Y"


class LanguageDetectionSettings(BaseModel):
    min_words_to_switch: int = 3
    min_confidence_to_switch: float = 0.90


class PrivacySettings(BaseModel):
    mask_personal_data: bool = False


class LimitSettings(BaseModel):
    """Limits on every door: request bodies, message length, rates (token buckets, per process)."""

    max_body_bytes: int = Field(default=65_536, ge=1024, description="bigger HTTP request bodies get 413")
    max_article_body_bytes: int = Field(default=1_048_576, ge=1024,
                                        description="the same for the article editor's publish, draft and preview")
    max_message_chars: int = Field(default=2000, ge=50, description="longer chat messages are cut (with a notice)")
    chat_messages_per_minute: int = Field(default=30, ge=1, description="per sender and per IP address")
    chat_messages_per_minute_per_ip: int = Field(default=120, ge=1)
    tickets_per_hour: int = Field(default=10, ge=1, description="ticket creations per requester")
    tickets_per_hour_per_ip: int = Field(default=600, ge=1, description="ticket creations per client address")


class ChatSecuritySettings(BaseModel):
    """Who may talk to the bot: signed web chat sessions, allowed origins, the REST channel."""

    session_days: float = Field(default=30, gt=0, description="lifetime of a web chat session (renewed on use)")
    rest_channel: bool = Field(default=False, description="Rasa's REST channel (needs the token in "
                               "<data_dir>/rest_token); off outside development and tests")
    allowed_origins: list[str] = Field(default_factory=list,
                                       description="extra browser origins besides service.public_url")


class RetentionSettings(BaseModel):
    """How long personal data is kept, in days (0 = forever); enforced at start and daily."""

    transcripts_days: float = Field(default=365, ge=0, description="Rasa's conversation store, outbox entries")
    review_days: float = Field(default=90, ge=0, description="messages kept for the KB editors' review")
    complaints_days: float = Field(default=365, ge=0)
    outcomes_days: float = Field(default=365, ge=0, description="self-service outcomes (analytics)")
class ScaleSettings(BaseModel):
    """The scaled setup (``helpdesk run --scale N``, helpdesk/scale.py, docs/performance.md): several
    Rasa processes behind HAProxy on ``rasa.port``, sharing Redis (lock store, socket.io), PostgreSQL
    (tracker store) and RabbitMQ (event broker)."""

    rasa_processes: int = Field(default=2, ge=1, le=32)
    first_rasa_port: int = 5100             # rasa-1 listens here, rasa-2 on the next port ...
    haproxy_stats_port: int | None = None   # HAProxy's stats page, when set
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_lock_db: int = 1
    redis_socketio_db: int = 2
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_db: str = "helpdesk_tracker"
    postgres_login_db: str = "postgres"     # the database Rasa connects to first to create postgres_db
    postgres_user: str = "postgres"
    postgres_password: str = ""             # HELPDESK_SCALE__POSTGRES_PASSWORD
    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: int = 5672
    rabbitmq_user: str = "guest"
    rabbitmq_password: str = "guest"        # HELPDESK_SCALE__RABBITMQ_PASSWORD; guest only works on 127.0.0.1
    rabbitmq_queue: str = "helpdesk-analytics"
    lock_lifetime_seconds: int = Field(default=120, ge=10)  # Rasa's 60 s default is shorter than a slow escalation
    sql_pool_size: int = Field(default=5, ge=1)             # per Rasa process; Rasa's default 50 + 100 overflow
    sql_max_overflow: int = Field(default=10, ge=0)         # exceeds PostgreSQL's 100 connections at 1 process
    # the helpdesk service takes Rasa's events off RabbitMQ into <data_dir>/rasa_events.db, where the live
    # handoff, the editors' pages and GDPR read conversations (helpdesk_service/event_feed.py); set by
    # `helpdesk run --scale` (the conversations are in PostgreSQL there, not in rasa_tracker.db)
    feed_events: bool = False


class OpeningHours(BaseModel):
    """When agents can take chats: weekdays (mon..sun) and a daily window, in ``timezone``."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    start: str = Field(default="00:00", pattern=r"^\d\d:\d\d$")
    end: str = Field(default="24:00", pattern=r"^\d\d:\d\d$")


class HandoffSettings(BaseModel):
    """Live handoff of a chat to an agent (helpdesk_service/handoff): presence, capacity, timeouts."""

    enabled: bool = True
    opening_hours: OpeningHours = Field(default_factory=OpeningHours)
    default_capacity: int = Field(default=3, ge=1, le=50)
    channels: list[str] = Field(default_factory=lambda: ["socketio", "botframework", "rest"],
                                description="input channels whose users can get a live agent (the agent's replies "
                                            "are pushed, or queued for a REST user's next call)")
    agent_timeout_seconds: float = Field(default=60, gt=0, description="an agent not seen this long is offline; their chats go back to the queue")
    idle_timeout_seconds: float = Field(default=600, gt=0, description="a chat without any message this long ends (the ticket stays)")
    poll_seconds: float = Field(default=1.0, gt=0, description="how often user messages are read from Rasa's tracker store")
    session_hours: float = Field(default=8, gt=0, description="staff login sessions expire after this")
    tracker_db: Path | None = None  # default: <data_dir>/rasa_tracker.db (Rasa's SQL tracker store)


class EditorSettings(BaseModel):
    """The KB editors' pages (helpdesk_service/editor): inbox, clusters, article editing, analytics."""

    low_confidence: float = Field(default=0.5, ge=0, le=1, description="a user message below this intent confidence goes to the inbox")
    min_cluster_size: int = Field(default=2, ge=2, description="HDBSCAN's smallest cluster of inbox messages")
    retrain: bool = True                      # train and load a new Rasa model in the background after a new example
    health_days: int = Field(default=30, ge=1, description="content health: an article not shown this many days is listed")
    sla_tickets: int = Field(default=500, ge=1, le=500, description="SLA attainment is computed on this many most recent tickets")
    db: Path | None = None                    # default: <data_dir>/editor.db


def _nlu_languages(folder: Path) -> list[str]:
    """The language folders of the NLU data (``nlu_data/<lang>/``), ``shared`` excepted."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name != "shared")


class _YamlSource(PydanticBaseSettingsSource):
    """Reads the settings file named by HELPDESK_SETTINGS_FILE (default: settings.yml)."""

    def __init__(self, settings_cls: Type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = Path(os.environ.get("HELPDESK_SETTINGS_FILE", DEFAULT_SETTINGS_FILE))
        self._data: dict[str, Any] = {}
        if path.is_file():
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(loaded, dict):
                raise ValueError(f"{path}: expected a mapping at the top level")
            self._data = loaded

    def get_field_value(self, field: Any, field_name: str) -> Tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class Settings(BaseSettings):
    """All application settings; build with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", env_nested_delimiter="__", extra="ignore")

    project_root: Path = PROJECT_ROOT
    data_dir: Path = Path("data")
    # supported languages: settings.yml, else the language folders of the NLU data
    languages: list[str] = Field(default_factory=lambda: _nlu_languages(PROJECT_ROOT / "nlu_data"))
    default_language: str | None = None   # unset: the first of `languages`
    timezone: str = "Europe/Brussels"
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    rasa: RasaSettings = Field(default_factory=RasaSettings)
    kb: KbSettings = Field(default_factory=KbSettings)
    tickets: TicketSettings = Field(default_factory=TicketSettings)
    language_detection: LanguageDetectionSettings = Field(default_factory=LanguageDetectionSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    chat: ChatSecuritySettings = Field(default_factory=ChatSecuritySettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    sla: SlaSettings = Field(default_factory=SlaSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    problems: ProblemSettings = Field(default_factory=ProblemSettings)
    rt: RtSettings = Field(default_factory=RtSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
    rt_agent: RtAgentSettings = Field(default_factory=RtAgentSettings)
    email: EmailTicketSettings = Field(default_factory=EmailTicketSettings)
    display: DisplaySettings = Field(default_factory=DisplaySettings)
    chat_push: ChatPushSettings = Field(default_factory=ChatPushSettings)
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    editor: EditorSettings = Field(default_factory=EditorSettings)

    @model_validator(mode="after")
    def _default_language(self) -> "Settings":
        if not self.languages:
            raise ValueError("languages: no language configured (settings.yml `languages:`)")
        if self.default_language is None:
            self.default_language = self.languages[0]
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not one of languages {self.languages}")
        return self

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (init_settings, env_settings, _YamlSource(settings_cls))

    def path(self, value: Path | str) -> Path:
        """Resolve a configured path against the project folder."""
        p = Path(value)
        return p if p.is_absolute() else (self.project_root / p)

    @property
    def data_path(self) -> Path:
        return self.path(self.data_dir)

    @property
    def outbox_path(self) -> Path:
        """The one durable outbox of escalations (the service's worker delivers it)."""
        return self.path(self.tickets.outbox_path or self.data_path / "outbox.db")

    @property
    def business_timezone(self) -> str:
        """The zone of the SLA calendar (``sla.calendar.timezone``, else ``timezone``)."""
        return self.sla.calendar.timezone or self.timezone

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa.host}:{self.rasa.port}"

    @property
    def helpdesk_url(self) -> str:
        return f"http://{self.service.host}:{self.service.port}"

    def api_token(self) -> str:
        """The service API token: configured, or generated once and kept in the data folder."""
        return self.service.api_token or self._generated_secret("api_token")

    def conversation_events_path(self) -> Path:
        """The events table the service reads conversations from: Rasa's SQLite tracker store, or in the
        scaled setup the copy fed from RabbitMQ."""
        if self.scale.feed_events:
            return self.data_path / "rasa_events.db"
        return self.path(self.handoff.tracker_db or self.data_path / "rasa_tracker.db")

    def rasa_token(self) -> str:
        """The token of Rasa's HTTP API: generated once, kept in the data folder, handed to Rasa
        through the environment (never on its command line). The chat channels do not need it."""
        return self._generated_secret("rasa_token")

    def actions_token(self) -> str:
        """The secret Rasa sends to the action server (header ``X-Helpdesk-Action-Token``): the
        ``HELPDESK_ACTIONS_TOKEN`` variable where a deployment sets it (containers), else generated once."""
        given = os.environ.get("HELPDESK_ACTIONS_TOKEN", "").strip()
        if given:
            if len(given) < MIN_SECRET_CHARS:
                raise SecretFileError(f"HELPDESK_ACTIONS_TOKEN is shorter than {MIN_SECRET_CHARS} characters")
            return given
        return self._generated_secret("actions_token")

    def chat_session_secret(self) -> str:
        """The HMAC key of the web chat's signed sessions (issued by the service, checked by Rasa)."""
        return self._generated_secret("chat_session_secret")

    def rest_token(self) -> str:
        """The bearer token of Rasa's REST channel (when ``chat.rest_channel`` is on)."""
        return self._generated_secret("rest_token")

    @property
    def public_origins(self) -> list[str]:
        """The browser origins allowed to talk to the bot and the service (CORS, socket.io)."""
        origins = [origin_of(self.service.public_url), *map(origin_of, self.chat.allowed_origins)]
        return list(dict.fromkeys(o for o in origins if o))

    def _generated_secret(self, name: str) -> str:
        return read_or_create_secret(self.data_path / name)


MIN_SECRET_CHARS = 16


class SecretFileError(ValueError):
    """A token file exists but is empty or too short to be a secret."""


def origin_of(url: str) -> str:
    """``https://chat.example.com/x`` -> ``https://chat.example.com`` (scheme, host and port)."""
    match = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s?#]+)", url or "")
    return match.group(1).lower() if match else ""


def read_or_create_secret(token_file: Path) -> str:
    """A secret kept in a private file: created (0600, folder 0700) with 32 random bytes when missing;
    an existing file that is empty or shorter than 16 characters is refused, never trusted."""
    if token_file.is_file():
        token = token_file.read_text(encoding="utf-8").strip()
        if len(token) < MIN_SECRET_CHARS or token.lower() in INSECURE_TOKENS:
            raise SecretFileError(f"{token_file} is empty or shorter than {MIN_SECRET_CHARS} characters: "
                                  "delete it (a new one is generated) or write a long random token in it")
        return token
    token_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = "t" + secrets.token_urlsafe(32)   # never starts with "-": it is passed as a command-line value
    try:
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:       # another process created it meanwhile: use theirs
        return read_or_create_secret(token_file)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token)
    return token


def load_settings(**overrides: Any) -> Settings:
    """Settings from settings.yml + environment, with explicit overrides on top (for tests)."""
    return Settings(**overrides)
