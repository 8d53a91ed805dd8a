"""Accounts and sessions of staff in one SQLite file (``core.storage``).

Passwords are hashed with argon2id (argon2-cffi; parameters upgraded on the next login when the
library's defaults change). A session is a random token given to the browser in an HttpOnly cookie;
only its SHA-256 is stored, with the account, a CSRF token and an expiry. Disabling an account or
resetting its password ends its sessions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.clock import utcnow
from core.storage import connect

ROLES = ("agent", "editor", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,49}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()


class AccountError(ValueError):
    """An account operation that cannot be done (the message says why)."""


class AccountExists(AccountError):
    pass


class AccountNotFound(AccountError):
    pass


class InvalidAccount(AccountError):
    """A bad user name, role or password."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    disabled: bool
    created_at: str

    def public(self) -> dict:
        return {"username": self.username, "role": self.role, "disabled": self.disabled, "created_at": self.created_at}


@dataclass(frozen=True)
class Session:
    account: Account
    csrf: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidAccount(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise InvalidAccount("the password is too long")


class AccountStore:
    def __init__(self, path: Path, session_hours: float = 8) -> None:
        self.path = Path(path)
        self.session_lifetime = timedelta(hours=session_hours)
        with connect(self.path) as db:
            db.executescript("""
                CREATE TABLE IF NOT EXISTS accounts (
                    username TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS sessions (
                    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL,
                    expires_at TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS sessions_user ON sessions(username);
            """)

    # -- accounts ----------------------------------------------------------------------------
    @staticmethod
    def _account(row) -> Account:
        return Account(row["username"], row["role"], bool(row["disabled"]), row["created_at"])

    def create(self, username: str, role: str, password: str) -> Account:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise InvalidAccount("a user name has 2-50 characters: lower-case letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise InvalidAccount(f"role must be one of {', '.join(ROLES)}")
        check_password(password)
        with connect(self.path) as db:
            if db.execute("SELECT 1 FROM accounts WHERE username = ?", (username,)).fetchone():
                raise AccountExists(f"the account {username!r} already exists")
            db.execute("INSERT INTO accounts (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                       (username, role, _hasher.hash(password), utcnow().isoformat()))
        return self.get(username)

    def get(self, username: str) -> Account:
        with connect(self.path) as db:
            row = db.execute("SELECT * FROM accounts WHERE username = ?", (username.strip().lower(),)).fetchone()
        if row is None:
            raise AccountNotFound(f"no account {username!r}")
        return self._account(row)

    def list(self) -> list[Account]:
        with connect(self.path) as db:
            return [self._account(r) for r in db.execute("SELECT * FROM accounts ORDER BY username")]

    def count(self) -> int:
        with connect(self.path) as db:
            return db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]

    def set_disabled(self, username: str, disabled: bool) -> Account:
        account = self.get(username)
        with connect(self.path) as db:
            db.execute("UPDATE accounts SET disabled = ? WHERE username = ?", (int(disabled), account.username))
            if disabled:
                db.execute("DELETE FROM sessions WHERE username = ?", (account.username,))
        return self.get(username)

    def set_password(self, username: str, password: str) -> Account:
        account = self.get(username)
        check_password(password)
        with connect(self.path) as db:
            db.execute("UPDATE accounts SET password_hash = ? WHERE username = ?",
                       (_hasher.hash(password), account.username))
            db.execute("DELETE FROM sessions WHERE username = ?", (account.username,))
        return account

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when the password is right and the account enabled, else None."""
        with connect(self.path) as db:
            row = db.execute("SELECT * FROM accounts WHERE username = ?", (username.strip().lower(),)).fetchone()
        if row is None:
            _hasher.hash(password[:1024])   # same work for an unknown name: no user enumeration by timing
            return None
        try:
            _hasher.verify(row["password_hash"], password[:1024])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row["disabled"]:
            return None
        if _hasher.check_needs_rehash(row["password_hash"]):
            with connect(self.path) as db:
                db.execute("UPDATE accounts SET password_hash = ? WHERE username = ?",
                           (_hasher.hash(password), row["username"]))
        return self._account(row)

    # -- sessions ----------------------------------------------------------------------------
    def open_session(self, account: Account) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        expires = now + self.session_lifetime
        with connect(self.path) as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
            db.execute("INSERT INTO sessions (token_hash, username, csrf, expires_at) VALUES (?, ?, ?, ?)",
                       (_digest(token), account.username, csrf, expires.isoformat()))
        return token, Session(account, csrf, expires)

    def session(self, token: str | None) -> Session | None:
        """The live session of ``token``: None when unknown, expired or its account disabled."""
        if not token or len(token) > 200:
            return None
        with connect(self.path) as db:
            row = db.execute(
                "SELECT s.csrf, s.expires_at, a.* FROM sessions s JOIN accounts a ON a.username = s.username "
                "WHERE s.token_hash = ?", (_digest(token),)).fetchone()
        if row is None or row["disabled"]:
            return None
        expires = datetime.fromisoformat(row["expires_at"])
        if expires <= utcnow():
            self.close_session(token)
            return None
        return Session(self._account(row), row["csrf"], expires)

    def close_session(self, token: str | None) -> None:
        if token:
            with connect(self.path) as db:
                db.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))
