"""Rate limits of the helpdesk service (in memory, per process): ticket creation and chat sessions.

Exceeding one raises :class:`RateLimited`, answered ``429`` with a JSON error and ``Retry-After``
(helpdesk_service/errors.py). A retry of an escalation that was already accepted (same
``idempotency_key``) is never refused: nothing accepted is lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from core.rate_limit import RateLimiter
from core.settings import LimitSettings


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: float) -> None:
        super().__init__(f"too many {what}; try again in {math.ceil(retry_after)} s")
        self.retry_after = max(1, math.ceil(retry_after))


@dataclass
class ServiceLimits:
    settings: LimitSettings
    tickets_per_requester: RateLimiter = field(init=False)
    tickets_per_ip: RateLimiter = field(init=False)
    sessions_per_ip: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.tickets_per_requester = RateLimiter(per_minute=s.tickets_per_hour / 60, burst=s.tickets_per_hour)
        self.tickets_per_ip = RateLimiter(per_minute=s.tickets_per_hour_per_ip / 60, burst=s.tickets_per_hour_per_ip)
        self.sessions_per_ip = RateLimiter(per_minute=s.chat_messages_per_minute_per_ip)

    @staticmethod
    def _check(limiter: RateLimiter, key: str, what: str) -> None:
        if not limiter.allow(key):
            raise RateLimited(what, limiter.retry_after(key))

    def ticket(self, requester_id: str, address: str | None) -> None:
        self._check(self.tickets_per_requester, requester_id, "tickets from this requester")
        if address:
            self._check(self.tickets_per_ip, address, "tickets from this address")

    def session(self, address: str | None) -> None:
        self._check(self.sessions_per_ip, address or "-", "chat sessions from this address")
