"""What every chat channel checks before a message reaches the dialogue: its length and its rate.

- A message longer than ``HELPDESK_MAX_MESSAGE_CHARS`` (settings ``limits.max_message_chars``) is
  cut there, and the user is told so (one message of one user must not stall the bot for everyone:
  a 1 MB message took 56 s of NLU).
- Per sender and per client address, token buckets (``limits.chat_messages_per_minute...``):
  a message over the limit is answered with a notice and not processed. In memory, or in Redis when
  several Rasa processes share the users (``bot/channels/shared_rate_limit.py``).
- When the dialogue fails on a message (a store it needs is down: PostgreSQL, Redis), the user is told
  that the message was not processed and to send it again (``deliver``), instead of silence.
The notices are data (``notices.yml``), in the language of the client's locale (else the default
language). Loaded in Rasa's environment; the settings come from the environment the launcher sets.
"""

from __future__ import annotations

import logging
import os
from asyncio import CancelledError
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, Optional

import yaml

from core.rate_limit import RateLimiter

log = logging.getLogger(__name__)
NOTICES = yaml.safe_load((Path(__file__).with_name("notices.yml")).read_text(encoding="utf-8"))


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name) or default)
    except ValueError:
        return default


def notice(name: str, locale: Any = None, **values: Any) -> str:
    """The notice ``name`` in the language of ``locale`` ("fr-BE" -> fr), else the default language."""
    texts = NOTICES[name]
    lang = str(locale or "").replace("_", "-").split("-")[0].lower()
    if lang not in texts:
        lang = os.environ.get("HELPDESK_DEFAULT_LANGUAGE", "")
    text = texts.get(lang) or next(iter(texts.values()))
    return text.format(**values)


def limiter(per_minute: int) -> Any:
    """In memory; shared through Redis when ``HELPDESK_RATE_LIMIT_REDIS_URL`` is set (the scaled setup,
    where several Rasa processes take one user's messages)."""
    redis_url = os.environ.get("HELPDESK_RATE_LIMIT_REDIS_URL")
    if redis_url:
        from bot.channels.shared_rate_limit import RedisRateLimiter

        return RedisRateLimiter(redis_url, per_minute)
    return RateLimiter(per_minute)


@dataclass
class Checked:
    text: str
    notices: list[str]
    allowed: bool = True


class MessageGuard:
    def __init__(self, max_chars: Optional[int] = None, per_minute: Optional[int] = None,
                 per_minute_per_ip: Optional[int] = None) -> None:
        self.max_chars = max_chars or _env_int("HELPDESK_MAX_MESSAGE_CHARS", 2000)
        self.per_sender = limiter(per_minute or _env_int("HELPDESK_CHAT_PER_MINUTE", 30))
        self.per_ip = limiter(per_minute_per_ip or _env_int("HELPDESK_CHAT_PER_MINUTE_PER_IP", 120))

    def check(self, text: Any, sender: str, address: Optional[str],
              metadata: Optional[Mapping[str, Any]] = None) -> Checked:
        locale = (metadata or {}).get("locale") if isinstance(metadata, Mapping) else None
        if not self.per_sender.allow(f"s:{sender}") or (address and not self.per_ip.allow(f"ip:{address}")):
            return Checked("", [notice("rate_limited", locale)], allowed=False)
        text = text if isinstance(text, str) else ""
        if len(text) > self.max_chars:
            return Checked(text[: self.max_chars], [notice("message_cut", locale, max=self.max_chars)])
        return Checked(text, [])


async def deliver(on_new_message: Callable[[Any], Awaitable[Any]], message: Any, locale: Any = None) -> bool:
    """Hand ``message`` (Rasa's UserMessage) to the dialogue; if that fails, tell the user on the message's
    output channel; the log names the sender and the error, never the message text."""
    try:
        await on_new_message(message)
        return True
    except CancelledError:
        log.error("%s channel: the message of %s timed out", message.input_channel, message.sender_id)
    except Exception as exc:  # noqa: BLE001 - whatever failed below, the user hears of it
        log.error("%s channel: the message of %s was not processed: %s", message.input_channel,
                  message.sender_id, exc.__class__.__name__)
    try:
        await message.output_channel.send_text_message(message.sender_id, notice("unavailable", locale))
    except Exception as exc:  # noqa: BLE001 - the user's connection may be gone too
        log.warning("could not tell %s that the message failed: %s", message.sender_id, exc.__class__.__name__)
    return False
