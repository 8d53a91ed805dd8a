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


def test_rasa_http_api_gets_a_private_token_never_on_the_command_line(settings):
    services = Services(settings)
    rasa = next(s for s in services.services if s.name == "rasa")
    token = settings.rasa_token()
    assert "--auth-token" not in rasa.cmd and not any(token in part for part in rasa.cmd)
    assert rasa.cmd[1:3] == ["-m", "bot.rasa_main"]
    assert services.env["HELPDESK_RASA_TOKEN_FILE"] == str(settings.data_path / "rasa_token")
    assert rasa.health_url.endswith(f"/status?token={token}")
    assert (settings.data_path / "rasa_token").stat().st_mode & 0o777 == 0o600
    assert token != settings.api_token()
