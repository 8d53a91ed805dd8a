"""The README's Request Tracker section, followed literally: install, setup, `make run` (which starts
RT), escalate in the chat, ask the status, close; everything checked in the real RT.

The commands are read from the README's block marked ``rt-readme``. Two substitutions only, both the
same program: ``.venv/bin/helpdesk`` is run as ``python -m helpdesk.cli`` from this checkout, and
``make run`` as ``helpdesk run`` (what `make run` runs once the installs are done; `make install`
is exercised by `make test` itself). The services get their own ports and data folder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.settings import PROJECT_ROOT, RtSettings, load_settings
from escalation.errors import TicketNotFound
from escalation.tickets.rt import RtTicketBackend
from tests.conftest import free_port

pytestmark = pytest.mark.e2e
PASSWORD_FILE = "/etc/request-tracker5/helpdesk-root-password"
RT_DATABASE = Path("/var/lib/dbconfig-common/sqlite3/request-tracker5/rtdb")   # Debian's SQLite setup of RT
SECRET = "Tr0ub4dor&3"


def readme_block() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- rt-readme.*?-->\s*```bash\n(.*?)```", text, re.S)
    assert block, "README.md has no rt-readme block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def commands(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if line.startswith("#"):
            continue
        command = line.split("  #")[0].strip()
        command = command.replace(".venv/bin/helpdesk", f"{sys.executable} -m helpdesk.cli")
        out.append(command.replace("make run", f"{sys.executable} -m helpdesk.cli run"))
    return out


def quoted(lines: list[str]) -> list[str]:
    return [q for line in lines if line.startswith("#") for q in re.findall(r'"([^"]+)"', line)]


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # a listener, not connections in TIME_WAIT
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def readme_env(trained_settings, e2e_env, tmp_path):
    env = {**os.environ, **e2e_env,
           "HELPDESK_SERVICE__PORT": str(free_port()), "HELPDESK_RASA__PORT": str(free_port()),
           "HELPDESK_RASA__ACTIONS_PORT": str(free_port()), "HELPDESK_DATA_DIR": str(tmp_path / "data"),
           "HELPDESK_TICKETS__SQLITE_PATH": str(tmp_path / "data" / "tickets.db")}
    env.pop("HELPDESK_SERVICE__PUBLIC_URL", None)   # follows the port
    if not port_free(8080):   # the README's RT port is taken (the RT of the escalation tests): another one
        env["HELPDESK_RT__URL"] = f"http://127.0.0.1:{free_port()}"
    return env


def test_readme_rt_section_literally(readme_env):
    lines = readme_block()
    install, setup, run = commands(lines)
    assert install == "scripts/install-rt" and "rt setup" in setup and "HELPDESK_TICKETS__BACKEND=rt" in run
    escalate_status, close = quoted(lines)[:2]

    done = subprocess.run(["bash", "-c", install], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    done = subprocess.run(["bash", "-c", setup], cwd=PROJECT_ROOT, env=readme_env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "RT is ready for the helpdesk" in done.stderr

    with pytest.MonkeyPatch.context() as mp:
        for key, value in readme_env.items():
            if key.startswith("HELPDESK_"):
                mp.setenv(key, value)
        mp.setenv("HELPDESK_TICKETS__BACKEND", "rt")
        settings = load_settings()
    rt_port = httpx.URL(settings.rt.url).port
    assert port_free(rt_port), "RT must be down before `make run` (the setup stops what it started)"
    log = settings.data_path / "run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(["bash", "-c", run], cwd=PROJECT_ROOT, env=readme_env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 400
        while "The helpdesk assistant is running" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(1)
        assert "Starting RT:" in log.read_text() and not port_free(rt_port)   # `make run` started RT

        url = f"http://127.0.0.1:{settings.rasa.port}/webhooks/rest/webhook"

        def say(message: str) -> str:
            reply = httpx.post(url, json={"sender": "readme-rt", "message": message}, timeout=120,
                               headers={"Authorization": f"Bearer {settings.rest_token()}"})
            assert reply.status_code == 200, reply.text
            return "\n".join(m.get("text", "") for m in reply.json())

        say(f"my new password is: {SECRET}")                   # a pasted secret: masked before RT sees it
        created = say("I want to talk to a person")
        assert re.search(r"ticket #(\d+)", created), created
        number = re.search(r"ticket #(\d+)", created).group(1)
        assert re.search(r"will respond (today|tomorrow|on \S+) before \d\d:\d\d \(CES?T\)", created)
        assert f"#{number}" in say(re.sub(r"\d+", number, escalate_status))
        assert f"closed ticket #{number}" in say(close)

        admin = RtTicketBackend(RtSettings(url=settings.rt.url, password=open(PASSWORD_FILE).read().strip()), "en")
        try:
            raw = admin.request("GET", f"/ticket/{number}")
            assert raw["Status"] == "resolved" and raw["Creator"]["id"] == settings.rt_agent.bot_user
            assert raw["SLA"] in settings.sla.targets
            history = admin.get(number)
            assert history.comments[-1].text == f"Closed by the requester: {close}"
            assert RT_DATABASE.read_bytes().count(SECRET.encode()) == 0, "the secret reached RT's database"

            # GDPR: the user's data is exported and erased, their RT ticket included (shredded in RT)
            gdpr = [sys.executable, "-m", "helpdesk.cli", "gdpr"]
            rt_env = {**readme_env, "HELPDESK_TICKETS__BACKEND": "rt"}
            exported = subprocess.run([*gdpr, "export", "readme-rt"], cwd=PROJECT_ROOT, env=rt_env,
                                      capture_output=True, text=True, timeout=120)
            assert exported.returncode == 0, exported.stderr[-2000:]
            assert [t["id"] for t in json.loads(exported.stdout)["tickets (rt)"]] == [number]
            erased = subprocess.run([*gdpr, "delete", "readme-rt"], cwd=PROJECT_ROOT, env=rt_env,
                                    capture_output=True, text=True, timeout=300)
            assert erased.returncode == 0, erased.stderr[-2000:]
            assert json.loads(erased.stdout)["tickets (rt)"] == 1
            with pytest.raises(TicketNotFound):
                admin.get(number)
        finally:
            admin.close()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)   # Ctrl-C
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while not port_free(rt_port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert port_free(rt_port), "`make run` stops RT with the rest"
