"""The deployment files (deploy/: Dockerfiles, Compose, Kubernetes, HAProxy) agree with the launcher
of the scaled setup (helpdesk/scale.py): the same ports, the same variables for Rasa's endpoints and
channels, the same commands, the same pool, lock and proxy settings."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from core.settings import PROJECT_ROOT, load_settings
from helpdesk.launcher import Services
from helpdesk.scale import HAPROXY_TIMEOUTS, HEALTH_CHECK, haproxy_config, rasa_command, rasa_ports, scale_environment

DEPLOY = PROJECT_ROOT / "deploy"
VARIABLE = re.compile(r"\$\{(\w+)\}")


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data")


def referenced_variables(*files: Path) -> set[str]:
    return {name for f in files for name in VARIABLE.findall(f.read_text())}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yml").read_text())


def k8s() -> dict[tuple[str, str], dict]:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "helpdesk.yml").read_text()) if d]
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def k8s_env(deployment: dict, documents: dict) -> dict[str, str | None]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        env.update(documents[("ConfigMap", source["configMapRef"]["name"])]["data"])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value")
    return env


def rasa_args(command: list[str]) -> dict[str, str]:
    """--flag value pairs of a `rasa run` command (the shell form is split first)."""
    if command[:2] == ["sh", "-c"]:
        command = shlex.split(command[2].removeprefix("exec "))
    start = command.index("run") + 1
    args, i = {}, start
    while i < len(command):
        flag = command[i]
        if i + 1 < len(command) and not command[i + 1].startswith("--"):
            args[flag] = command[i + 1]
            i += 2
        else:
            args[flag] = ""
            i += 1
    return args


def dockerfile_cmd(name: str) -> list[str]:
    line = next(l for l in (DEPLOY / name).read_text().splitlines() if l.startswith("CMD "))
    return yaml.safe_load(line[4:])


def test_rasa_reads_only_variables_that_every_setup_sets(settings):
    needed = referenced_variables(PROJECT_ROOT / "bot" / "endpoints.scale.yml", PROJECT_ROOT / "bot" / "credentials.scale.yml")
    launcher = set(scale_environment(settings)) | set(Services(settings).env)
    assert needed - launcher <= {"MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD"}   # Teams: left out when unset
    compose_env = set(compose()["services"]["rasa"]["environment"])
    docs = k8s()
    k8s_rasa = set(k8s_env(docs[("Deployment", "rasa")], docs))
    assert needed <= compose_env and needed <= k8s_rasa
    # and Rasa's own variables (pool, lock lifetime) everywhere the launcher sets them
    assert set(scale_environment(settings)) - {"HELPDESK_POSTGRES_PASSWORD"} <= compose_env
    assert set(scale_environment(settings)) <= k8s_rasa


def test_pool_lock_queue_and_databases_are_the_same_values(settings):
    launcher = scale_environment(settings)
    compose_env = compose()["services"]["rasa"]["environment"]
    docs = k8s()
    k8s_rasa = k8s_env(docs[("Deployment", "rasa")], docs)
    for name in ("SQL_POOL_SIZE", "SQL_MAX_OVERFLOW", "TICKET_LOCK_LIFETIME", "HELPDESK_RABBITMQ_QUEUE",
                 "HELPDESK_POSTGRES_DB", "HELPDESK_POSTGRES_LOGIN_DB", "HELPDESK_REDIS_LOCK_DB"):
        assert compose_env[name] == launcher[name] == k8s_rasa[name], name
    socketio_db = launcher["HELPDESK_SOCKETIO_REDIS_URL"].rsplit("/", 1)[1]
    assert compose_env["HELPDESK_SOCKETIO_REDIS_URL"].endswith(f"/{socketio_db}")
    assert k8s_rasa["HELPDESK_SOCKETIO_REDIS_URL"].endswith(f"/{socketio_db}")
    # every Rasa replica's pool together stays under PostgreSQL's default max_connections (100)
    replicas = max(compose()["services"]["rasa"]["deploy"]["replicas"], docs[("Deployment", "rasa")]["spec"]["replicas"])
    assert replicas * (int(launcher["SQL_POOL_SIZE"]) + int(launcher["SQL_MAX_OVERFLOW"])) < 100


def test_rasa_runs_with_the_same_arguments(settings, tmp_path):
    ours = rasa_args(rasa_command(settings, settings.rasa.port, tmp_path / "credentials-scale.yml"))
    docs = k8s()
    for command in (compose()["services"]["rasa"]["command"], dockerfile_cmd("Dockerfile.rasa"),
                    docs[("Deployment", "rasa")]["spec"]["template"]["spec"]["containers"][0]["command"]):
        theirs = rasa_args(command)
        assert set(theirs) == set(ours)
        assert theirs["--port"] == str(settings.rasa.port)
        assert theirs["--interface"] == "0.0.0.0"
        assert Path(theirs["--endpoints"]).name == Path(ours["--endpoints"]).name == "endpoints.scale.yml"
        assert theirs["--credentials"] == "bot/credentials.scale.yml"
        assert Path(theirs["--model"]).name == Path(ours["--model"]).name
        assert theirs["--cors"] == ours["--cors"] == "*"


def test_actions_and_helpdesk_run_the_launchers_commands_on_its_ports(settings):
    services = {s.name: s for s in Services(settings).services}
    actions = services["actions"].cmd[1:]
    helpdesk = services["helpdesk"].cmd[1:]
    assert actions == ["-m", "bot.action_server"]   # its host and port come from the settings (environment)
    docs = k8s()
    containers = {name: docs[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0]
                  for name in ("actions", "helpdesk")}
    assert ["python", *actions] == compose()["services"]["actions"]["command"] == containers["actions"]["command"] \
        == dockerfile_cmd("Dockerfile.actions")
    for command in (compose()["services"]["helpdesk"]["command"], containers["helpdesk"]["command"],
                    dockerfile_cmd("Dockerfile.helpdesk")):
        assert command[-1].endswith("python " + " ".join(helpdesk))
    assert containers["actions"]["ports"][0]["containerPort"] == settings.rasa.actions_port
    assert containers["helpdesk"]["ports"][0]["containerPort"] == settings.service.port
    assert docs[("Service", "rasa")]["spec"]["ports"][0]["port"] == settings.rasa.port
    assert compose()["services"]["haproxy"]["ports"] == [f"{settings.rasa.port}:{settings.rasa.port}"]
    assert compose()["services"]["helpdesk"]["ports"] == [f"{settings.service.port}:{settings.service.port}"]
    for env in (compose()["services"]["rasa"]["environment"], k8s_env(docs[("Deployment", "rasa")], docs)):
        assert env["HELPDESK_ACTIONS_URL"] == f"http://actions:{settings.rasa.actions_port}/webhook"
    for env in (compose()["services"]["actions"]["environment"], k8s_env(docs[("Deployment", "actions")], docs)):
        assert env["HELPDESK_SERVICE__HOST"] == "helpdesk" and env["HELPDESK_SERVICE__PORT"] == str(settings.service.port)


def test_the_deployed_haproxy_applies_the_launchers_rules(settings):
    ours = haproxy_config(settings, rasa_ports(settings))
    deployed = (DEPLOY / "haproxy.cfg").read_text()
    for name, value in HAPROXY_TIMEOUTS.items():
        assert f"timeout {name} {value}" in ours and f"timeout {name} {value}" in deployed
    for rule in ("balance hash req.body,json_query('$.sender')", "hash-type consistent",
                 "cookie HELPDESK_RASA insert indirect nocache httponly", "option httpchk GET /",
                 "option http-buffer-request", "retry-on conn-failure", "option redispatch",
                 "use_backend rasa_rest if { path_beg /webhooks/rest/ }"):
        assert rule in ours and rule in deployed, rule
    assert f"bind :{settings.rasa.port}" in deployed
    assert HEALTH_CHECK in ours and HEALTH_CHECK in deployed
    assert " backup" in ours and " backup" in deployed      # tried when every check fails at once


def test_the_deployed_helpdesk_service_reads_the_queue_and_the_database_rasa_writes_to(settings):
    compose_rasa = compose()["services"]["rasa"]["environment"]
    compose_helpdesk = compose()["services"]["helpdesk"]["environment"]
    docs = k8s()
    k8s_rasa = k8s_env(docs[("Deployment", "rasa")], docs)
    k8s_helpdesk = k8s_env(docs[("Deployment", "helpdesk")], docs)
    for rasa, helpdesk in ((compose_rasa, compose_helpdesk), (k8s_rasa, k8s_helpdesk)):
        assert helpdesk["HELPDESK_SCALE__FEED_EVENTS"] == "true"
        assert helpdesk["HELPDESK_SCALE__RABBITMQ_QUEUE"] == rasa["HELPDESK_RABBITMQ_QUEUE"]
        assert helpdesk["HELPDESK_SCALE__RABBITMQ_HOST"] == rasa["HELPDESK_RABBITMQ_HOST"]
        assert helpdesk["HELPDESK_SCALE__RABBITMQ_USER"] == rasa["HELPDESK_RABBITMQ_USER"]
        for name in ("HOST", "DB", "USER"):     # GDPR in Rasa's tracker database
            assert helpdesk[f"HELPDESK_SCALE__POSTGRES_{name}"] == rasa[f"HELPDESK_POSTGRES_{name}"]


def test_rasa_reaches_the_helpdesk_service_everywhere(settings):
    """Rasa's channels keep Teams references and REST users' waiting messages in the helpdesk service."""
    needed = {"HELPDESK_SERVICE_URL", "HELPDESK_SERVICE_TOKEN"}
    launcher = Services(settings).env
    assert launcher["HELPDESK_SERVICE_URL"] == settings.helpdesk_url
    assert launcher["HELPDESK_SERVICE_TOKEN"] == settings.api_token()
    compose_env = compose()["services"]["rasa"]["environment"]
    assert needed <= set(compose_env) and compose_env["HELPDESK_SERVICE_URL"] == "http://helpdesk:8000"
    docs = k8s()
    assert needed <= set(k8s_env(docs[("Deployment", "rasa")], docs))
