"""The texts of the web pages: one file per configured language with the same keys, none empty; every key
the pages and their scripts use exists; every error code of the service has a text; the files are served."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.settings import load_settings
from helpdesk_service.app import create_app
from helpdesk_service.errors import STATUS
from helpdesk_service.routes.page_texts import TEXTS_DIR, text_file

WEB = TEXTS_DIR.parent
LANGUAGES = load_settings().languages
PAGES = sorted(p for p in WEB.rglob("*.html") if "vendor" not in p.parts)
SCRIPTS = sorted(p for p in WEB.rglob("*.js") if "vendor" not in p.parts)
# error codes answered outside the table (errors.py: validation, rate limit; the editor's publish conflict)
OTHER_CODES = {"invalid_request", "rate_limited", "article_conflict"}


def texts(language: str) -> dict[str, str]:
    return json.loads(text_file(language).read_text(encoding="utf-8"))


TEXTS = {language: texts(language) for language in LANGUAGES}
KEYS = set(TEXTS[LANGUAGES[0]])
NAMESPACES = sorted({key.split(".")[0] for key in KEYS})


def keys_in_pages() -> set[tuple[str, str]]:
    found = set()
    for page in PAGES:
        for key in re.findall(r'data-i18n(?:-placeholder|-aria-label)?="([^"]*)"', page.read_text(encoding="utf-8")):
            found.add((page.name, key))
    return found


KEY_LIKE = re.compile(r"""["'`]((?:%s)\.[A-Za-z0-9_.]*)["'`]""" % "|".join(map(re.escape, NAMESPACES)))
CALLED = re.compile(r"""\bt\(\s*["'`]([^"'`]+)["'`]""")


def script_keys(source: str) -> set[str]:
    """Every string literal of a script that has the form of a key of ours ("console.take"), and every
    literal given to t(...). One ending in "_" or "." is the prefix of keys (I18n.label("roles.", role))."""
    return set(KEY_LIKE.findall(source)) | set(CALLED.findall(source))


def keys_in_scripts() -> set[tuple[str, str]]:
    return {(script.name, key) for script in SCRIPTS for key in script_keys(script.read_text(encoding="utf-8"))}


def test_there_is_a_file_per_configured_language_and_nothing_else():
    assert sorted(p.name for p in TEXTS_DIR.glob("*.json")) == sorted(text_file(lang).name for lang in LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_the_same_keys(language):
    assert set(TEXTS[language]) ^ KEYS == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_is_empty_and_keys_are_namespaced(language):
    assert [k for k, v in TEXTS[language].items() if not isinstance(v, str) or not v.strip()] == []
    assert [k for k in TEXTS[language] if not re.fullmatch(r"[a-z]+\.[a-z0-9_]+", k)] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_fills_in_the_same_values(language):
    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))
    first = TEXTS[LANGUAGES[0]]
    assert [k for k, v in TEXTS[language].items() if names(v) != names(first[k])] == []


def test_every_key_the_pages_use_exists():
    used = keys_in_pages()
    assert {page.name for page in PAGES} <= {name for name, _ in used}      # every page is translated
    assert sorted(f"{name}: {key}" for name, key in used if key not in KEYS) == []


def known(key: str) -> bool:
    return key in KEYS if not key.endswith(("_", ".")) else any(k.startswith(key) for k in KEYS)


def test_every_key_the_scripts_use_exists():
    used = keys_in_scripts()
    assert len(used) > 100                                                   # the check sees the scripts' keys
    assert sorted(f"{name}: {key}" for name, key in used if not known(key)) == []


def test_the_script_check_sees_keys_however_they_are_written():
    source = 'el("li", t("console.take")); tr(`editor.publish`, {}); var K = { a: "chat.send" }; t("no dots"); label("roles.", r)'
    assert script_keys(source) == {"console.take", "editor.publish", "chat.send", "no dots", "roles."}
    assert known("roles.") and known("console.state_") and not known("console.nope_") and not known("no dots")


def test_every_error_code_of_the_service_has_a_text():
    codes = {code for _cls, _status, code, _message in STATUS} | OTHER_CODES
    assert sorted(code for code in codes if f"errors.{code}" not in KEYS) == []


def test_the_chat_keeps_no_texts_of_its_own():
    script = (WEB / "chat.js").read_text(encoding="utf-8")
    for language in LANGUAGES:
        for text in ("Suggested replies", TEXTS[language]["chat.replies"], TEXTS[language]["chat.offline"]):
            assert text not in script


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_text_files_are_served(client, language):
    response = client.get(f"/i18n/{language}.json")
    assert response.status_code == 200 and response.json() == TEXTS[language]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_script_is_served_and_nothing_else(client):
    response = client.get("/i18n/i18n.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    for name in ("xx.json", "../app.py", "..%2Froutes%2Fpage_texts.py", "chat.js", "i18n"):
        assert client.get(f"/i18n/{name}").status_code == 404


def test_pages_carry_the_languages_of_the_settings(client, settings):
    for path in ("/console/login", "/chat"):
        html = client.get(path).text
        assert f'data-languages="{" ".join(settings.languages)}"' in html
        assert f'data-default-language="{settings.default_language}"' in html
        assert '<script src="/i18n/i18n.js"' in html


def test_an_error_answer_carries_its_code(client):
    response = client.post("/console/api/login", json={"username": "", "password": "x"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"


def test_no_page_script_puts_html_in_the_page_but_the_preview():
    for script in SCRIPTS:
        source = script.read_text(encoding="utf-8")
        found = re.findall(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source)
        assert found == ([] if script.name != "editor.js" else ["innerHTML"]), script.name

