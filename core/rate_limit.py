"""Token-bucket rate limits kept in memory, one bucket per key (a sender id, an IP address).

``RateLimiter(per_minute=30).allow("jan")`` is False once ``jan`` spent his burst and until the
bucket refills. In-process only: each server process counts for itself. Standard library only
(also used inside Rasa's environment by ``bot/channels``).
"""

from __future__ import annotations

import threading
import time
from typing import Callable


class RateLimiter:
    def __init__(self, per_minute: float, burst: float | None = None, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else per_minute)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}   # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def allow(self, key: str, cost: float = 1.0) -> bool:
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= cost
            if allowed:
                tokens -= cost
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                self._forget_full(now)
            self._buckets[key] = (tokens, now)
            return allowed

    def retry_after(self, key: str, cost: float = 1.0) -> float:
        """Seconds until ``key`` may spend ``cost`` again."""
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, self.clock()))
        missing = cost - min(self.burst, tokens + (self.clock() - last) * self.rate)
        return max(0.0, missing / self.rate) if self.rate else float("inf")

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled (they hold no information); all of them if none has."""
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.burst]
        for key in full or list(self._buckets):
            del self._buckets[key]
