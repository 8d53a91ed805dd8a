"""The web chat page of the helpdesk service: served, configured from the settings, locked down."""

import json
import re

import pytest
from fastapi.testclient import TestClient

from helpdesk_service.app import create_app
from helpdesk_service.routes.webchat import WEB_DIR, chat_config, script_safe_json


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


def page_config(html: str) -> dict:
    match = re.search(r'<script id="chat-config" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_chat_page_is_served_with_the_rasa_address_from_the_settings(client, settings):
    response = client.get("/chat")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    config = page_config(response.text)
    assert config["rasaHost"] == settings.rasa.host and config["rasaPort"] == settings.rasa.port
    assert config["languages"] == ["nl", "fr", "en"]
    assert 'src="/chat/static/vendor/socket.io.min.js"' in response.text
    assert "cdn" not in response.text.lower() and "https://" not in response.text


def test_the_page_forbids_inline_and_foreign_scripts(client, settings):
    csp = client.get("/chat").headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert f"ws://{settings.rasa.host}:{settings.rasa.port}" in csp


def test_rasa_on_all_interfaces_means_the_host_the_page_came_from(settings):
    settings.rasa.host = "0.0.0.0"
    assert chat_config(settings)["rasaHost"] is None


def test_config_cannot_close_its_script_element():
    embedded = script_safe_json({"x": "</script><script>alert(1)</script>"})
    assert "</script" not in embedded and json.loads(embedded)["x"].startswith("</script>")


@pytest.mark.parametrize("name", ["chat.js", "chat.css"])
def test_static_files(client, name):
    response = client.get(f"/chat/static/{name}")
    assert response.status_code == 200 and response.text == (WEB_DIR / name).read_text()
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", ["chat.html", "../api/app.py", "..%2Fapi%2Fapp.py", "vendor%2F..%2Fchat.html", "/etc/passwd"])
def test_only_the_listed_static_files_are_served(client, name):
    assert client.get(f"/chat/static/{name}").status_code == 404


def test_the_widget_never_inserts_html():
    script = (WEB_DIR / "chat.js").read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", script)
