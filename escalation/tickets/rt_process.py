"""Starting Request Tracker's standalone server (``rt-server``) on this machine, for ``make run`` and
``helpdesk rt setup`` when ``rt.url`` points here and nothing answers there.

``rt-server`` stays in the foreground; it is started in its own session with its output in a log file
and stopped with SIGTERM. The command is ``rt_agent.start_command`` with ``{port}`` taken from ``rt.url``.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import httpx

from core.settings import Settings
from escalation.errors import BackendUnavailable

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def start_command(settings: Settings) -> list[str]:
    port = str(httpx.URL(settings.rt.url).port or 80)
    return [part.replace("{port}", port) for part in settings.rt_agent.start_command]


def start_hint(settings: Settings) -> str:
    """The exact command to start RT by hand (it stays in the foreground; Ctrl-C stops it)."""
    return shlex.join(start_command(settings))


def answers(settings: Settings, timeout: float = 3.0) -> bool:
    """True when something answers HTTP at rt.url (whatever the status: a login page is an answer)."""
    try:
        httpx.get(settings.rt.url.rstrip("/") + "/REST/2.0/rt", timeout=timeout)
        return True
    except httpx.HTTPError:
        return False


def can_start(settings: Settings) -> bool:
    cmd = start_command(settings)
    return httpx.URL(settings.rt.url).host in LOCAL_HOSTS and bool(cmd) and Path(cmd[0]).is_file()


def start(settings: Settings, log_path: Path, timeout: float = 90.0) -> subprocess.Popen:
    """Start rt-server and wait until it answers; BackendUnavailable (with the log's tail) if it does not."""
    if not can_start(settings):
        raise BackendUnavailable(f"RT at {settings.rt.url} does not answer and cannot be started from here: "
                                 f"start it with `{start_hint(settings)}` (scripts/install-rt installs it)")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(start_command(settings), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BackendUnavailable(f"rt-server exited with {process.returncode}; see {log_path}")
        if answers(settings, timeout=2):
            return process
        time.sleep(0.5)
    stop(process)
    raise BackendUnavailable(f"rt-server did not answer within {timeout:.0f} s; see {log_path}")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
