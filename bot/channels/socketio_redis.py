"""socket.io messages that reach a user whichever Rasa process holds their socket.

Rasa 3.6's socket.io channel builds its ``AsyncServer`` with the default in-process client manager:
a message emitted by one Rasa process (an agent's reply posted to that process, a reply computed
there while the user's socket is held by another) never reaches a socket held by another process.
:class:`RedisManagerMixin` gives the server python-socketio's ``AsyncRedisManager``: every emit is
published on a Redis channel and each process delivers it to the sockets it holds.

It is a mixin so it combines with any socket.io input channel of ours (e.g. one that checks signed
sessions): ``class Channel(RedisManagerMixin, OtherSocketIOInput)``. Credentials take one more key,
``redis_url`` (``redis://host:port/db``); without it the channel behaves as Rasa's.
The scaled setup names :class:`RedisSocketIOInput` in bot/credentials.scale.yml. Runs inside Rasa.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.channels.socketio import SignedSocketIOInput

REDIS_CHANNEL = "helpdesk-socketio"


def use_redis_manager(sio: Any, redis_url: str, channel: str = REDIS_CHANNEL) -> Any:
    """Replace the client manager of a python-socketio ``AsyncServer`` that has no client yet."""
    from socketio import AsyncRedisManager

    manager = AsyncRedisManager(redis_url, channel=channel)
    sio.manager = manager
    manager.set_server(sio)
    sio.manager_initialized = False      # initialised (listener task started) on the first connection
    return manager


class RedisManagerMixin:
    """For a subclass of Rasa's ``SocketIOInput``: emit through Redis when ``redis_url`` is set."""

    redis_url: Optional[str] = None

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = dict(credentials or {})
        redis_url = credentials.pop("redis_url", None)
        channel = super().from_credentials(credentials)   # type: ignore[misc]
        channel.redis_url = str(redis_url) if redis_url else None
        return channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)     # type: ignore[misc]
        if self.redis_url:
            use_redis_manager(self.sio, self.redis_url)   # type: ignore[attr-defined]
        return blueprint


class RedisSocketIOInput(RedisManagerMixin, SignedSocketIOInput):
    """Our socket.io channel (signed sessions, origin check; same name, path and events as Rasa's)
    delivering through Redis."""
