"""A real Request Tracker 5 for the integration tests: installed by scripts/install-rt (idempotent, fast
when already there), started as ``rt-server`` on 127.0.0.1:8080 (or a free port) for the session,
set up with ``helpdesk rt setup``'s code, stopped at the end. Anything going wrong FAILS the tests with
the reason: they are never skipped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from core.settings import PROJECT_ROOT, RtSettings

RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
INSTALL = PROJECT_ROOT / "scripts" / "install-rt"
PASSWORD_FILE = Path("/etc/request-tracker5/helpdesk-root-password")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_port() -> int:
    if _free(8080):
        return 8080
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RtServer:
    """One rt-server process; :meth:`stop` kills it hard (an outage), :meth:`start` brings it back."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        if not PASSWORD_FILE.is_file():
            pytest.fail(f"RT: {PASSWORD_FILE} is missing; scripts/install-rt writes it", pytrace=False)
        self.password = PASSWORD_FILE.read_text(encoding="utf-8").strip()

    def settings(self) -> RtSettings:
        return RtSettings(url=self.url, user="root", password=self.password, timeout_seconds=20)

    def start(self, timeout: float = 90.0) -> float:
        """Start and wait until REST2 answers; the seconds it took."""
        started = time.monotonic()
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(RT_SERVER), "--server", "Starlet", "--host", "127.0.0.1", "--port", str(self.port),
             "--max-workers", "2"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                pytest.fail(f"RT: rt-server exited with {self.process.returncode}; log:\n{self._log_tail()}",
                            pytrace=False)
            try:
                r = httpx.get(f"{self.url}/REST/2.0/rt", auth=("root", self.password), timeout=5)
                if r.status_code == 200:
                    return time.monotonic() - started
                if r.status_code == 401:
                    self.stop()
                    pytest.fail(f"RT: root password in {PASSWORD_FILE} refused", pytrace=False)
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        pytest.fail(f"RT: rt-server did not answer within {timeout:.0f} s; log:\n{self._log_tail()}", pytrace=False)

    def stop(self) -> None:
        """Kill rt-server and its workers (SIGKILL: an abrupt outage; SIGINT would chown its files)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self.process = None
        deadline = time.monotonic() + 10
        while not _free(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def install_rt() -> None:
    if os.geteuid() != 0 and not RT_SERVER.exists():
        pytest.fail("RT: not installed and not root; run scripts/install-rt as root (make install)", pytrace=False)
    try:
        done = subprocess.run([str(INSTALL)], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"RT: scripts/install-rt could not run: {exc}", pytrace=False)
    if done.returncode != 0 or not RT_SERVER.exists():
        pytest.fail(f"RT: scripts/install-rt failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}",
                    pytrace=False)
