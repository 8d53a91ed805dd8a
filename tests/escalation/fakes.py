"""A fake ticket backend for unit tests: the embedded store behind a switch that makes it 'down'."""

from __future__ import annotations

from escalation.errors import BackendUnavailable
from escalation.tickets.sqlite_store import SqliteTicketStore


class FlakyBackend:
    """Fails every call with BackendUnavailable while ``down``; counts the tickets really created."""

    name = "flaky"

    def __init__(self, path) -> None:
        self.store = SqliteTicketStore(path)
        self.down = False
        self.calls = 0

    def __getattr__(self, attr):
        method = getattr(self.store, attr)

        def call(*args, **kwargs):
            self.calls += 1
            if self.down:
                raise BackendUnavailable("flaky backend is down")
            return method(*args, **kwargs)

        return call

    def count(self) -> int:
        return len(self.store.list(limit=500))
