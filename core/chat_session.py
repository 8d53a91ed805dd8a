"""Signed web chat sessions: the end user's identity, issued by the helpdesk service, checked by Rasa.

A session token is ``<user id>.<expiry, unix seconds>.<signature>``; the signature is an HMAC-SHA256
of the first two parts with a secret kept in the data folder (``chat_session_secret``). The user id
is opaque and random (``u-`` + 128 bits): whoever holds a valid token *is* that user, and nobody can
make a token for another id without the secret. Standard library only: this module also runs inside
Rasa's environment (``bot/channels/socketio.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

USER_ID = re.compile(r"^u-[A-Za-z0-9_-]{16,64}$")


class InvalidSession(ValueError):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True)
class ChatSession:
    user_id: str
    expires: int
    token: str


def new_user_id() -> str:
    return "u-" + secrets.token_urlsafe(16)


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(secret: str, user_id: str | None = None, lifetime_seconds: float = 30 * 86400,
          now: float | None = None) -> ChatSession:
    """A new token for ``user_id`` (a new random user when None)."""
    user_id = user_id or new_user_id()
    if not USER_ID.match(user_id):
        raise InvalidSession("not a session user id")
    expires = int((now if now is not None else time.time()) + lifetime_seconds)
    payload = f"{user_id}.{expires}"
    return ChatSession(user_id, expires, f"{payload}.{_signature(secret, payload)}")


def verify(secret: str, token: object, now: float | None = None) -> ChatSession:
    """The session a token stands for; :class:`InvalidSession` when it is not genuine or expired."""
    if not isinstance(token, str) or len(token) > 200:
        raise InvalidSession("no session token")
    parts = token.split(".")
    if len(parts) != 3 or not USER_ID.match(parts[0]) or not parts[1].isdigit():
        raise InvalidSession("malformed session token")
    user_id, expires, signature = parts
    if not hmac.compare_digest(signature, _signature(secret, f"{user_id}.{expires}")):
        raise InvalidSession("forged session token")
    if int(expires) < (now if now is not None else time.time()):
        raise InvalidSession("expired session token")
    return ChatSession(user_id, int(expires), token)
