"""Process-wide objects of the action server, built on first use (never at import time)."""

from __future__ import annotations

from functools import lru_cache

from bot.actions.helpdesk_client import HelpdeskClient
from escalation.outbox import Outbox
from core.language import LanguageDetector
from core.settings import Settings, load_settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    s = settings()
    return LanguageDetector.from_nlu_dir(s.path(s.rasa.nlu_dir), s.languages)


@lru_cache(maxsize=1)
def helpdesk() -> HelpdeskClient:
    s = settings()
    return HelpdeskClient(s.helpdesk_url, s.api_token())


@lru_cache(maxsize=1)
def outbox() -> Outbox:
    """The service's outbox, for escalations made while the service cannot be reached (store only:
    the service's worker delivers them)."""
    return Outbox(settings().outbox_path, backend=None)
