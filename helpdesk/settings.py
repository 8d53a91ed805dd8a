"""Application settings: ``settings.yml`` overlaid with ``HELPDESK_*`` environment variables.

Rasa's own configuration is ``config.yml``; everything the project itself needs is here.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Tuple, Type

import yaml
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "settings.yml"
INSECURE_TOKENS = {"", "changeme", "change-me", "secret", "token", "password"}


class ServiceSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    api_token: str | None = None
    public_url: str = "http://127.0.0.1:8000"

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


class KbSettings(BaseModel):
    articles_dir: Path = Path("kb/articles")
    index_dir: Path = Path("data/kb_index")
    encoder: str = "use-multilingual-v3"
    top_k: int = 3
    min_score: float = 0.40


class TicketSettings(BaseModel):
    backend: str = "sqlite"
    sqlite_path: Path = Path("data/tickets.db")


class LanguageDetectionSettings(BaseModel):
    min_words_to_switch: int = 3
    min_confidence_to_switch: float = 0.90


class PrivacySettings(BaseModel):
    mask_personal_data: bool = False


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
    languages: list[str] = Field(default_factory=lambda: ["nl", "fr", "en"])
    default_language: str = "en"
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    rasa: RasaSettings = Field(default_factory=RasaSettings)
    kb: KbSettings = Field(default_factory=KbSettings)
    tickets: TicketSettings = Field(default_factory=TicketSettings)
    language_detection: LanguageDetectionSettings = Field(default_factory=LanguageDetectionSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

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
    def helpdesk_url(self) -> str:
        return f"http://{self.service.host}:{self.service.port}"

    def api_token(self) -> str:
        """The service API token: configured, or generated once and kept in the data folder."""
        if self.service.api_token:
            return self.service.api_token
        token_file = self.data_path / "api_token"
        if token_file.is_file():
            return token_file.read_text(encoding="utf-8").strip()
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token)
        return token


def load_settings(**overrides: Any) -> Settings:
    """Settings from settings.yml + environment, with explicit overrides on top (for tests)."""
    return Settings(**overrides)
