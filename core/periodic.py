"""A daemon thread that runs one task now and then every ``interval`` seconds until stopped.

A failing round is logged and the next one runs as planned: the service goes on whatever the task did.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)


class PeriodicTask:
    def __init__(self, name: str, task: Callable[[], object], interval: float) -> None:
        self.name = name
        self.task = task
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.task()
            except Exception:  # noqa: BLE001 - a failed round is retried at the next one
                log.exception("%s failed", self.name)
            self._stop.wait(self.interval)
