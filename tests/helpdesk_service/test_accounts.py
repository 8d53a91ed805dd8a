"""Staff accounts: argon2 hashes, sessions that expire, CSRF on every change, role checks, the admin
API and the CLI."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from core.storage import connect
from helpdesk import cli
from helpdesk_service.accounts import AccountExists, AccountStore, InvalidAccount
from helpdesk_service.app import create_app
from helpdesk_service.auth import COOKIE

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path):
    return AccountStore(tmp_path / "accounts.db")


def test_passwords_are_stored_as_argon2id_hashes_and_checked(store):
    store.create("alice", "admin", PASSWORD)
    with connect(store.path) as db:
        stored = db.execute("SELECT password_hash FROM accounts").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert store.authenticate("alice", PASSWORD).role == "admin"
    assert store.authenticate("Alice ", PASSWORD) is not None          # names are case-insensitive
    assert store.authenticate("alice", PASSWORD + "x") is None
    assert store.authenticate("nobody", PASSWORD) is None


@pytest.mark.parametrize("username, role, password, message", [
    ("a", "agent", PASSWORD, "user name"),
    ("bad name!", "agent", PASSWORD, "user name"),
    ("bob", "boss", PASSWORD, "role"),
    ("bob", "agent", "short", "at least 10"),
])
def test_bad_accounts_are_refused_with_a_reason(store, username, role, password, message):
    with pytest.raises(InvalidAccount, match=message):
        store.create(username, role, password)


def test_an_account_exists_once(store):
    store.create("bob", "agent", PASSWORD)
    with pytest.raises(AccountExists):
        store.create("BOB", "editor", PASSWORD)


def test_sessions_expire_and_end_when_the_account_is_disabled_or_its_password_reset(store):
    account = store.create("bob", "agent", PASSWORD)
    token, session = store.open_session(account)
    assert store.session(token).account.username == "bob" and session.csrf
    assert store.session("forged-token") is None and store.session(None) is None
    with connect(store.path) as db:                                  # the clock moves past the expiry
        db.execute("UPDATE sessions SET expires_at = ?", ((session.expires_at - timedelta(days=2)).isoformat(),))
    assert store.session(token) is None
    token, _ = store.open_session(account)
    store.set_disabled("bob", True)
    assert store.session(token) is None and store.authenticate("bob", PASSWORD) is None
    store.set_disabled("bob", False)
    token, _ = store.open_session(store.authenticate("bob", PASSWORD))
    store.set_password("bob", "another long password")
    assert store.session(token) is None
    assert store.authenticate("bob", "another long password") is not None


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.state.container.accounts.create("alice", "admin", PASSWORD)
    app.state.container.accounts.create("bob", "agent", PASSWORD)
    app.state.container.accounts.create("eve", "editor", PASSWORD)
    return app


def login(client: TestClient, user: str) -> str:
    response = client.post("/console/api/login", json={"username": user, "password": PASSWORD})
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    return client.get("/console").text.split('name="csrf-token" content="')[1].split('"')[0]


def test_pages_redirect_to_the_login_page_and_the_api_answers_401_without_a_valid_session(app):
    client = TestClient(app, follow_redirects=False)
    response = client.get("/console")
    assert response.status_code == 303 and response.headers["location"] == "/console/login?next=/console"
    assert client.get("/console/api/queue").status_code == 401
    client.cookies.set(COOKIE, "forged")
    assert client.get("/console/api/queue").status_code == 401
    assert client.get("/console").status_code == 303
    assert client.get("/console/login").status_code == 200


def test_a_wrong_password_is_refused(app):
    client = TestClient(app)
    response = client.post("/console/api/login", json={"username": "bob", "password": "wrong password!"})
    assert response.status_code == 401 and "wrong user name or password" in response.json()["detail"]
    assert COOKIE not in client.cookies


def test_every_change_needs_the_sessions_csrf_token(app):
    client = TestClient(app)
    csrf = login(client, "bob")
    body = {"status": "available", "capacity": 2}
    assert client.post("/console/api/presence", json=body).status_code == 403
    assert client.post("/console/api/presence", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    response = client.post("/console/api/presence", json=body, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.json()["status"] == "available"


def test_roles_are_checked_on_every_staff_route(app):
    agent, editor, admin = TestClient(app), TestClient(app), TestClient(app)
    agent_csrf, admin_csrf = login(agent, "bob"), login(admin, "alice")
    editor.post("/console/api/login", json={"username": "eve", "password": PASSWORD})
    assert editor.get("/console/api/queue").status_code == 403                 # an editor is no agent
    assert editor.get("/console/api/me").json()["role"] == "editor"
    assert agent.get("/console/api/accounts").status_code == 403                # an agent is no admin
    assert agent.get("/console/accounts", follow_redirects=False).status_code == 403
    assert admin.get("/console/api/queue").status_code == 200                   # an admin may do both
    assert admin.get("/console/accounts").status_code == 200
    assert agent.post("/console/api/accounts", json={"username": "x1", "role": "admin", "password": PASSWORD},
                      headers={"X-CSRF-Token": agent_csrf}).status_code == 403


def test_an_admin_creates_disables_and_resets_accounts(app):
    admin, carol = TestClient(app), TestClient(app)
    csrf = {"X-CSRF-Token": login(admin, "alice")}
    response = admin.post("/console/api/accounts", json={"username": "carol", "role": "agent", "password": PASSWORD},
                          headers=csrf)
    assert response.status_code == 201 and response.json()["role"] == "agent"
    assert admin.post("/console/api/accounts", json={"username": "carol", "role": "agent", "password": PASSWORD},
                      headers=csrf).status_code == 409
    assert admin.post("/console/api/accounts", json={"username": "dan", "role": "agent", "password": "short"},
                      headers=csrf).status_code == 422
    login(carol, "carol")
    assert admin.post("/console/api/accounts/carol/disable", headers=csrf).json()["disabled"] is True
    assert carol.get("/console/api/queue").status_code == 401                   # her session ended
    assert admin.post("/console/api/accounts/alice/disable", headers=csrf).status_code == 422
    admin.post("/console/api/accounts/carol/enable", headers=csrf)
    assert admin.post("/console/api/accounts/carol/password", json={"password": "a new long password"},
                      headers=csrf).status_code == 200
    assert carol.post("/console/api/login", json={"username": "carol", "password": "a new long password"}).status_code == 200
    assert [a["username"] for a in admin.get("/console/api/accounts").json()] == ["alice", "bob", "carol", "eve"]


def test_logout_ends_the_session(app):
    client = TestClient(app)
    csrf = login(client, "bob")
    assert client.post("/console/api/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/console/api/queue").status_code == 401


def test_the_cli_creates_the_first_account_with_the_password_from_stdin(settings, monkeypatch, capsys):
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(settings.data_path))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["accounts", "create", "--role", "admin", "--user", "alice"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["accounts", "create", "--role", "agent", "--user", "bob"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert cli.main(["accounts", "disable", "--user", "alice"]) == 0
    assert cli.main(["accounts", "list"]) == 0
    assert "alice\tadmin\tdisabled" in capsys.readouterr().out
    store = AccountStore(settings.data_path / "accounts.db")
    assert store.get("alice").disabled
