"""`helpdesk rt setup` errors name the next step and the file or variable concerned."""

import socket

from helpdesk.cli import main


def test_rt_down_elsewhere_names_the_command(monkeypatch, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HELPDESK_RT__URL", f"http://192.0.2.1:{port}")
    assert main(["rt", "setup"]) == 2
    err = capsys.readouterr().err
    assert f"does not answer: start it with `/usr/share/request-tracker5/libexec/rt-server" in err
    assert "HELPDESK_RT__URL" in err


def test_missing_password_file_is_named(monkeypatch, tmp_path, capsys):
    from core.settings import RtSettings
    from escalation.errors import BackendUnavailable
    from escalation.tickets.rt import RtTicketBackend

    missing = tmp_path / "nope"
    try:
        RtTicketBackend(RtSettings(password_file=missing), "nl")
    except BackendUnavailable as exc:
        assert str(missing) in str(exc) and "HELPDESK_RT__PASSWORD" in str(exc) and "scripts/install-rt" in str(exc)
    else:
        raise AssertionError("no error for a missing password file")
