"""Signed web chat sessions: the end user's identity, issued by the helpdesk service, checked by Rasa.

A session token is ``<user id>.<expiry, unix seconds>.<signature>``; the signature is an HMAC-SHA256
of the first two parts with a secret kept in the data folder (``chat_session_secret``). The user id
is opaque and random (``u-`` + 128 bits): whoever holds a valid token *is* that user, and nobody can
make a token for another id without the secret.

An *identified* session (issued to a site that signed its user in, e.g. an intranet with single
sign-on) also carries the user's e-mail address and name: ``<user id>.<expiry>.<claims>.<signature>``
with the claims as base64url JSON under the signature. Its user id is derived from the e-mail address
(the same person is the same requester on every device). Standard library only: this module also
runs inside Rasa's environment (``bot/channels/socketio.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

USER_ID = re.compile(r"^u-[A-Za-z0-9_-]{16,64}$")
CLAIMS = re.compile(r"^[A-Za-z0-9_-]{1,800}$")
MAX_TOKEN = 1000


class InvalidSession(ValueError):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True)
class ChatSession:
    user_id: str
    expires: int
    token: str
    claims: tuple[tuple[str, str], ...] = ()     # ("email", ...), ("name", ...) of an identified session

    def identity(self) -> dict[str, str]:
        return dict(self.claims)


def new_user_id() -> str:
    return "u-" + secrets.token_urlsafe(16)


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def identified_user_id(secret: str, email: str) -> str:
    """The stable, opaque user id of an e-mail address (no one can compute it without the secret)."""
    digest = hmac.new(secret.encode(), f"email:{email.strip().lower()}".encode(), hashlib.sha256).digest()
    return "u-" + _b64(digest)[:32]


def issue(secret: str, user_id: str | None = None, lifetime_seconds: float = 30 * 86400,
          now: float | None = None, identity: dict[str, str] | None = None) -> ChatSession:
    """A new token for ``user_id`` (a new random user when None); with ``identity`` (``email``, and
    ``name`` if known) an identified session, whose user id is the e-mail address's."""
    claims = tuple(sorted((k, str(v)) for k, v in (identity or {}).items() if k in ("email", "name") and v))
    if identity is not None:
        if not dict(claims).get("email"):
            raise InvalidSession("an identified session needs an e-mail address")
        user_id = identified_user_id(secret, dict(claims)["email"])
    user_id = user_id or new_user_id()
    if not USER_ID.match(user_id):
        raise InvalidSession("not a session user id")
    expires = int((now if now is not None else time.time()) + lifetime_seconds)
    payload = f"{user_id}.{expires}"
    if claims:
        payload += "." + _b64(json.dumps(dict(claims), ensure_ascii=False, sort_keys=True).encode())
    token = f"{payload}.{_signature(secret, payload)}"
    if len(token) > MAX_TOKEN:
        raise InvalidSession("the identity is too long for a session")
    return ChatSession(user_id, expires, token, claims)


def verify(secret: str, token: object, now: float | None = None) -> ChatSession:
    """The session a token stands for; :class:`InvalidSession` when it is not genuine or expired."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise InvalidSession("no session token")
    parts = token.split(".")
    if len(parts) not in (3, 4) or not USER_ID.match(parts[0]) or not parts[1].isdigit() \
            or (len(parts) == 4 and not CLAIMS.match(parts[2])):
        raise InvalidSession("malformed session token")
    payload, signature = ".".join(parts[:-1]), parts[-1]
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise InvalidSession("forged session token")
    if int(parts[1]) < (now if now is not None else time.time()):
        raise InvalidSession("expired session token")
    claims: tuple[tuple[str, str], ...] = ()
    if len(parts) == 4:
        try:
            data = json.loads(base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4)))
        except ValueError as exc:
            raise InvalidSession("malformed session token") from exc
        if not isinstance(data, dict):
            raise InvalidSession("malformed session token")
        claims = tuple(sorted((k, str(v)) for k, v in data.items() if k in ("email", "name")))
    return ChatSession(parts[0], int(parts[1]), token, claims)
