"""A daemon thread that reads the user's live messages and applies the handoff timeouts every
``handoff.poll_seconds`` (started and stopped with the app)."""

from __future__ import annotations

import logging
import threading

from helpdesk_service.handoff.service import HandoffService

log = logging.getLogger(__name__)


class HandoffWorker:
    def __init__(self, service: HandoffService, poll_seconds: float) -> None:
        self.service = service
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="handoff-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.service.poll()
            except Exception:  # noqa: BLE001 - the worker must survive anything
                log.exception("handoff worker")
            self._stop.wait(self.poll_seconds)
