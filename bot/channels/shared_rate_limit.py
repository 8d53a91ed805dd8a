"""Rate limits shared by several Rasa processes (the scaled setup), kept in Redis.

Each process's in-memory buckets (``core/rate_limit.py``) would let a user send N times the limit
through N processes. Here one token bucket per key lives in Redis and is spent by a Lua script, which
Redis runs atomically, on Redis's own clock (``TIME``), so every process counts the same messages.
When Redis cannot be reached the message is allowed (a short outage must not silence every user);
the lock store fails those messages anyway. Runs inside Rasa, where ``redis`` is installed.
"""

from __future__ import annotations

import logging
import math

log = logging.getLogger(__name__)

SPEND = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return allowed
"""


class RedisRateLimiter:
    """The interface of ``core.rate_limit.RateLimiter`` (``allow``), one bucket per key in Redis."""

    def __init__(self, redis_url: str, per_minute: float, burst: float | None = None,
                 prefix: str = "helpdesk:rate:") -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else per_minute)
        self.prefix = prefix
        self.ttl = max(1, math.ceil(self.burst / self.rate)) + 1 if self.rate else 3600
        self._spend = self.client.register_script(SPEND)

    def allow(self, key: str, cost: float = 1.0) -> bool:
        try:
            return bool(self._spend(keys=[self.prefix + key], args=[self.rate, self.burst, cost, self.ttl]))
        except Exception as exc:  # noqa: BLE001 - Redis down: let the message through
            log.warning("shared rate limit unavailable (%s): message allowed", exc.__class__.__name__)
            return True
