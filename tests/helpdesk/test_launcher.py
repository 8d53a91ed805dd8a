import socket

import pytest

from helpdesk.launcher import LaunchError, Services, port_in_use, training_fingerprint, training_inputs


def test_busy_port_is_refused_with_a_clear_message(settings):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert port_in_use(port)
        settings.service.port = port
        with pytest.raises(LaunchError, match=f"port {port} is already in use"):
            Services(settings).start()
    assert not port_in_use(port)


def test_training_fingerprint_covers_config_domain_rules_and_every_language(settings):
    names = {str(p.relative_to(settings.project_root)) for p in training_inputs(settings)}
    assert "config.yml" in names and "bot/data/rules.yml" in names
    assert {lang for lang in settings.languages if any(n.startswith(f"nlu_data/{lang}/") for n in names)} == {"nl", "fr", "en"}
    assert training_fingerprint(settings) == training_fingerprint(settings)


def test_rasa_http_api_gets_a_private_token_and_the_channels_none(settings):
    rasa = next(s for s in Services(settings).services if s.name == "rasa")
    token = settings.rasa_token()
    assert rasa.cmd[rasa.cmd.index("--auth-token") + 1] == token == settings.rasa_token()
    assert rasa.health_url.endswith(f"/status?token={token}")
    assert (settings.data_path / "rasa_token").stat().st_mode & 0o777 == 0o600
    assert token != settings.api_token()


def test_rt_backend_not_set_up_or_down_is_refused_with_the_command(settings, tmp_path):
    from helpdesk.launcher import ensure_rt

    settings.tickets.backend = "sqlite"
    assert ensure_rt(settings) is None                      # nothing to do for the other backends
    settings.tickets.backend = "rt"
    with pytest.raises(LaunchError, match=r"not set up .* run `\.venv/bin/helpdesk rt setup` first"):
        ensure_rt(settings)
    (settings.data_path / "rt_bot_password").parent.mkdir(parents=True, exist_ok=True)
    (settings.data_path / "rt_bot_password").write_text("x")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.rt.url = f"http://192.0.2.1:{port}"            # not this machine: cannot be started from here
    settings.rt.timeout_seconds = 1
    with pytest.raises(LaunchError, match=rf"does not answer: start it with `/usr/share/request-tracker5/libexec/"
                                          rf"rt-server --server Starlet --host 127.0.0.1 --port {port}"):
        ensure_rt(settings)


def test_public_url_follows_the_service_port(monkeypatch):
    from core.settings import load_settings

    monkeypatch.setenv("HELPDESK_SERVICE__PORT", "8100")
    monkeypatch.delenv("HELPDESK_SERVICE__PUBLIC_URL", raising=False)
    assert load_settings().service.public_url == "http://127.0.0.1:8100"
    monkeypatch.setenv("HELPDESK_SERVICE__PUBLIC_URL", "https://helpdesk.example.org/")
    assert load_settings().service.public_url == "https://helpdesk.example.org"
