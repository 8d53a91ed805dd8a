"""Rasa's Redis lock store, riding out a Redis restart (the scaled setup, bot/endpoints.scale.yml).

Rasa's ``RedisLockStore`` makes its Redis client without retries: when Redis restarts or drops its
clients, the next lock of every conversation fails (``LockError: Connection closed by server``) and
the message is lost for the user. Here the client retries a failed command on a new connection with
exponential backoff (0.2 s doubling up to 2 s, ``retries`` times: about 7 s with the default 6), so a
short outage only delays the replies. Runs inside Rasa (``.venv-rasa``).
endpoints: ``lock_store: {type: bot.lock_store.RetryingRedisLockStore, url, port, db, key_prefix, retries}``.
"""

from __future__ import annotations

from typing import Any

from rasa.core.lock_store import RedisLockStore


class RetryingRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Any) -> None:
        from redis.backoff import ExponentialBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
        from redis.retry import Retry

        options = dict(endpoint_config.kwargs or {})
        retries = int(options.pop("retries", 6))
        super().__init__(host=endpoint_config.url or "localhost", **options)
        pool = self.red.connection_pool
        pool.connection_kwargs.update(retry=Retry(ExponentialBackoff(cap=2.0, base=0.2), retries),
                                      retry_on_error=[RedisConnectionError, RedisTimeoutError])
        pool.disconnect()      # connections made from now on retry
