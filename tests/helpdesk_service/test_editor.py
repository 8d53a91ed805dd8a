"""The KB editors' pages: inbox fed from the stored events, actions on items (training example,
link to an article, fine, discard), the cluster map, article publishing with live reindex, conflicts
and bad input, content health and analytics, with the real encoder and a temp copy of the KB and NLU
data; Rasa is played by its tracker store (an SQLite file in Rasa's format) and a recorder of PUT /model."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from core.settings import PROJECT_ROOT, load_settings
from core.storage import connect
from helpdesk_service.app import create_app
from helpdesk_service.editor.training import Retrainer
from helpdesk.launcher import build_kb

PASSWORD = "correct horse battery"
TRACKER_SCHEMA = ("CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, sender_id VARCHAR(255), "
                  "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
                  "data TEXT)")
KEEP = ("vpn-cannot-connect", "account-locked-out", "add-network-printer")
DAY = 1796000000.0   # a fixed day (2026-11-30 UTC)


class Tracker:
    """Writes events the way Rasa's SQL tracker store does."""

    def __init__(self, path) -> None:
        self.path = path
        self.t = DAY
        with connect(path) as db:
            db.execute(TRACKER_SCHEMA)

    def _add(self, sender, kind, data, intent=None, action=None):
        self.t += 1
        with connect(self.path) as db:
            db.execute("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) VALUES (?,?,?,?,?,?)",
                       (sender, kind, self.t, intent, action, json.dumps({"event": kind, "timestamp": self.t, **data})))

    def user(self, sender, text, intent, confidence=0.99, channel="socketio"):
        self._add(sender, "user", {"text": text, "input_channel": channel,
                                   "parse_data": {"intent": {"name": intent, "confidence": confidence}}}, intent=intent)

    def language(self, sender, lang):
        self._add(sender, "slot", {"name": "language", "value": lang}, action="language")

    def action(self, sender, name):
        self._add(sender, "action", {"name": name}, action=name)

    def bot(self, sender, text, utter):
        self._add(sender, "bot", {"text": text, "metadata": {"utter_action": utter}})


class PutModel:
    def __init__(self) -> None:
        self.calls = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path, json.loads(request.content)))
        return httpx.Response(204)


@pytest.fixture
def world(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    for article in KEEP:
        for path in (PROJECT_ROOT / "kb" / "articles").glob(f"{article}.*.md"):
            shutil.copy(path, kb / path.name)
    (kb / "add-network-printer.fr.md").unlink()         # a variant missing a language
    nlu = tmp_path / "nlu_data"
    shutil.copytree(PROJECT_ROOT / "nlu_data", nlu)
    settings = load_settings(data_dir=tmp_path / "data",
                             kb={"articles_dir": kb, "index_dir": tmp_path / "kb_index"},
                             tickets={"backend": "sqlite", "sqlite_path": tmp_path / "tickets.db"},
                             rasa={"nlu_dir": nlu})
    build_kb(settings)
    app = create_app(settings)
    c = app.state.container
    rasa = PutModel()
    model = tmp_path / "model.tar.gz"
    c.editor.retrainer = Retrainer([sys.executable, "-c", f"print('training...'); print({str(model)!r})"],
                                   "http://rasa:5005", "rasa-token", tmp_path, transport=httpx.MockTransport(rasa.handler))
    tracker = Tracker(c.editor.tracker_db)
    c.accounts.create("eve", "editor", PASSWORD)
    c.accounts.create("bob", "agent", PASSWORD)
    return type("World", (), {"settings": settings, "app": app, "c": c, "tracker": tracker, "rasa": rasa,
                              "model": model, "kb": kb, "nlu": nlu})


def sign_in(app, user="eve") -> TestClient:
    client = TestClient(app)
    assert client.post("/console/api/login", json={"username": user, "password": PASSWORD}).status_code == 200
    page = client.get("/editor")
    if page.status_code == 200:
        client.headers["X-CSRF-Token"] = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    return client


def bot_client(app, settings) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {settings.api_token()}"})


def conversations(world) -> None:
    t = world.tracker
    # 1: a fallback, in Dutch, with an e-mail address (masked)
    t.user("c1", "mijn scherm flikkert steeds, mail jan.peeters@example.com", "nlu_fallback", 0.31)
    t.language("c1", "nl")
    t.action("c1", "action_handle_unclear")
    # 2: low confidence in French, then the paraphrase rejected, then escalated
    t.user("c2", "l'écran clignote tout le temps", "hardware_broken", 0.42, channel="rest")
    t.language("c2", "fr")
    t.action("c2", "action_paraphrase")
    t.user("c2", "non", "deny", 0.99, channel="rest")
    t.action("c2", "action_escalate")
    # 3: solved by an article, English
    t.user("c3", "my vpn does not connect", "vpn_problem", 0.98)
    t.language("c3", "en")
    t.action("c3", "action_show_article")
    # 4: no article found, English
    t.user("c4", "the screen keeps flickering", "hardware_broken", 0.9)
    t.language("c4", "en")
    t.bot("c4", "I found no article", "utter_no_article")
    bot = bot_client(world.app, world.settings)
    assert bot.post("/api/outcomes", json={"conversation_id": "c3", "article_id": "vpn-cannot-connect", "language": "en",
                                           "outcome": "solved"}).status_code == 204
    assert bot.post("/api/outcomes", json={"conversation_id": "c2", "article_id": "account-locked-out", "language": "fr",
                                           "outcome": "not_solved"}).status_code == 204


def test_only_editors_and_admins_use_the_editor_pages(world):
    anonymous = TestClient(world.app, follow_redirects=False)
    assert anonymous.get("/editor").status_code == 303
    assert anonymous.get("/editor/api/inbox").status_code == 401
    agent = sign_in(world.app, "bob")
    assert agent.get("/editor").status_code == 403
    assert agent.get("/editor/api/inbox").status_code == 403
    editor = sign_in(world.app)
    assert editor.post("/console/api/login", json={"username": "eve", "password": PASSWORD}).json()["home"] == "/editor"
    no_csrf = TestClient(world.app)
    no_csrf.cookies = editor.cookies
    assert no_csrf.post("/editor/api/inbox/1/status", json={"status": "fine"}).status_code == 403


def test_the_inbox_holds_every_badly_handled_message_masked_and_filterable(world):
    conversations(world)
    editor = sign_in(world.app)
    items = editor.get("/editor/api/inbox").json()["items"]
    kinds = {(i["conversation"], i["kind"]) for i in items}
    assert kinds == {("c1", "fallback"), ("c2", "low_confidence"), ("c2", "rejected"), ("c4", "no_article")}
    # the escalation and the article that did not help of c2 are the same message as its low confidence one
    texts = {i["text"] for i in items}
    assert not any("jan.peeters@example.com" in t for t in texts)
    assert {i["language"] for i in items if i["conversation"] == "c2"} == {"fr"}
    assert [i["conversation"] for i in editor.get("/editor/api/inbox?language=nl").json()["items"]] == ["c1"]
    assert {i["kind"] for i in editor.get("/editor/api/inbox?channel=rest").json()["items"]} == {"low_confidence", "rejected"}
    assert {i["conversation"] for i in editor.get("/editor/api/inbox?max_confidence=0.5").json()["items"]} == {"c1", "c2"}
    assert editor.get("/editor/api/inbox?since=2099-01-01").json()["items"] == []
    # the unclear messages the bot posts are in the inbox too (once)
    bot = bot_client(world.app, world.settings)
    bot.post("/api/review/unclear", json={"text": "<script>alert(1)</script> my badge does not open the door",
                                          "language": "en", "sender_id": "c5",
                                          "top_intents": [{"intent": "access_request", "confidence": 0.2}]})
    items = editor.get("/editor/api/inbox?kind=fallback").json()["items"]
    assert items[0]["text"].startswith("<script>") and items[0]["intent"] == "access_request"   # text; the page uses textContent
    assert len(editor.get("/editor/api/inbox").json()["items"]) == 5                               # a second sync adds nothing


def test_fine_and_discard_take_an_item_out_of_the_open_inbox(world):
    conversations(world)
    editor = sign_in(world.app)
    first, second = editor.get("/editor/api/inbox").json()["items"][:2]
    assert editor.post(f"/editor/api/inbox/{first['id']}/status", json={"status": "fine"}).json()["status"] == "fine"
    assert editor.post(f"/editor/api/inbox/{second['id']}/status", json={"status": "discarded"}).status_code == 200
    open_ids = {i["id"] for i in editor.get("/editor/api/inbox").json()["items"]}
    assert first["id"] not in open_ids and second["id"] not in open_ids
    assert [i["id"] for i in editor.get("/editor/api/inbox?status=fine").json()["items"]] == [first["id"]]
    assert editor.post("/editor/api/inbox/9999/status", json={"status": "fine"}).status_code == 404


def test_a_training_example_goes_to_the_nlu_data_and_a_new_model_is_trained_and_loaded(world):
    world.tracker.user("c9", 'mon écran: "clignote" - # toujours', "nlu_fallback", 0.2)
    world.tracker.language("c9", "fr")
    editor = sign_in(world.app)
    item = editor.get("/editor/api/inbox").json()["items"][0]
    assert editor.post(f"/editor/api/inbox/{item['id']}/example", json={"intent": "no_such_intent"}).status_code == 422
    answer = editor.post(f"/editor/api/inbox/{item['id']}/example", json={"intent": "hardware_broken"})
    assert answer.status_code == 200, answer.text
    world.c.editor.retrainer.wait(30)
    path = world.nlu / "fr" / "editor_examples.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["nlu"][0]["intent"] == "hardware_broken"
    assert data["nlu"][0]["examples"].splitlines() == ['- mon écran: "clignote" - # toujours']
    assert world.rasa.calls == [("PUT", "/model", {"model_file": str(world.model)})]
    assert world.c.editor.retrainer.status["state"] == "loaded"
    assert editor.get("/editor/api/inbox?status=trained").json()["items"][0]["id"] == item["id"]
    # the repo's own NLU data is untouched
    assert not (PROJECT_ROOT / "nlu_data" / "fr" / "editor_examples.yml").exists()


def test_with_automatic_retraining_off_the_editor_trains_when_asked(world):
    world.settings.editor.retrain = False
    world.tracker.user("c9", "het ding zoemt", "nlu_fallback", 0.2)
    editor = sign_in(world.app)
    item = editor.get("/editor/api/inbox").json()["items"][0]
    assert editor.post(f"/editor/api/inbox/{item['id']}/example", json={"intent": "hardware_broken"}).json()["retrain"] == {"state": "off"}
    assert world.rasa.calls == []
    assert sign_in(world.app, "bob").post("/editor/api/retrain").status_code == 403      # an agent may not
    started = editor.post("/editor/api/retrain")
    assert started.status_code == 202 and started.json()["state"] == "training"
    world.c.editor.retrainer.wait(30)
    assert editor.get("/editor/api/retrain").json()["state"] == "loaded"
    assert world.rasa.calls == [("PUT", "/model", {"model_file": str(world.model)})]


def test_similar_messages_cluster_across_languages_and_noise_stays_apart(world):
    messages = [("nl", "mijn scherm flikkert"), ("fr", "mon écran clignote"), ("en", "my screen is flickering"),
                ("en", "the display keeps flickering"),
                ("nl", "de koffiemachine is leeg"), ("en", "the coffee machine is empty"), ("fr", "la machine à café est vide"),
                ("en", "what is the meaning of life")]
    for n, (lang, text) in enumerate(messages):
        world.tracker.user(f"s{n}", text, "nlu_fallback", 0.2)
        world.tracker.language(f"s{n}", lang)
    editor = sign_in(world.app)
    data = editor.get("/editor/api/clusters").json()
    groups = [{e["text"] for e in c["examples"]} for c in data["clusters"]]
    screen = {"mijn scherm flikkert", "mon écran clignote", "my screen is flickering", "the display keeps flickering"}
    coffee = {"de koffiemachine is leeg", "the coffee machine is empty", "la machine à café est vide"}
    assert screen in groups and coffee in groups
    cluster = next(c for c in data["clusters"] if {e["text"] for e in c["examples"]} == screen)
    assert cluster["count"] == 4 and cluster["languages"] == {"nl": 1, "fr": 1, "en": 2} and sum(cluster["trend"]) <= 4
    assert "what is the meaning of life" in {i["text"] for i in data["noise"]}
    # the inbox shows each item's cluster
    items = editor.get(f"/editor/api/inbox?cluster={cluster['id']}").json()["items"]
    assert {i["text"] for i in items} == screen
    # new items are embedded and clustered on the next refresh, the old ones are not embedded again
    world.tracker.user("s99", "het beeld van mijn scherm flikkert", "nlu_fallback", 0.2)
    world.tracker.language("s99", "nl")
    world.c.editor.feed.sync()
    assert world.c.editor.clusters.embed_new() == 1
    data = editor.get("/editor/api/clusters").json()
    assert any("het beeld van mijn scherm flikkert" in {e["text"] for e in c["examples"]} for c in data["clusters"])


def variant(title, steps=("Unplug the screen cable.", "Plug it in again firmly."), base="", body_extra="",
            summary="The screen flickers", tags=("screen", "flicker")):
    body = "Use this when the screen flickers." + body_extra + "\n\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    return {"fields": {"title": title, "category": "hardware", "tags": list(tags), "summary": summary},
            "body": body, "base_version": base}


def search(world, query, lang):
    bot = bot_client(world.app, world.settings)
    return [h["article_id"] for h in bot.post("/api/kb/search", json={"query": query, "lang": lang, "min_score": 0}).json()["hits"]]


def test_a_published_article_is_found_at_once_and_its_history_kept(world):
    editor = sign_in(world.app)
    assert search(world, "mijn scherm flikkert", "nl")[0] != "screen-flickers"
    body = {"new": True, "variants": {"en": variant("Screen flickers"), "nl": variant("Scherm flikkert", summary="Het scherm flikkert",
                                                                                       tags=("scherm", "flikkert"))}}
    tried = editor.post("/editor/api/articles/screen-flickers/try", json={"question": "mijn scherm flikkert",
                                                                           "variants": body["variants"], "lang": "nl"}).json()
    assert tried["hits"][0]["article_id"] == "screen-flickers" and tried["hits"][0]["draft"]
    assert search(world, "mijn scherm flikkert", "nl")[0] != "screen-flickers"        # trying published nothing
    done = editor.post("/editor/api/articles/screen-flickers/publish", json=body)
    assert done.status_code == 200, done.text
    assert sorted(done.json()["languages"]) == ["en", "nl"] and done.json()["embedded"] == 2
    assert search(world, "mijn scherm flikkert", "nl")[0] == "screen-flickers"        # no restart
    assert (world.kb / "screen-flickers.nl.md").is_file()
    assert not (PROJECT_ROOT / "kb" / "articles" / "screen-flickers.nl.md").exists()
    article = editor.get("/editor/api/articles/screen-flickers").json()
    assert article["missing"] == ["fr"] and article["variants"]["fr"]["exists"] is False
    assert {(h["lang"], h["user"], h["action"]) for h in article["history"]} == {("en", "eve", "publish"), ("nl", "eve", "publish")}
    # the French variant added later: only it is embedded
    fr = variant("L'écran clignote", summary="L'écran clignote", tags=("écran",))
    done = editor.post("/editor/api/articles/screen-flickers/publish", json={"variants": {"fr": fr}}).json()
    assert done["languages"] == ["fr"] and done["embedded"] == 1
    assert search(world, "mon écran clignote", "fr")[0] == "screen-flickers"
    # the same id again as a new article: refused
    again = editor.post("/editor/api/articles/screen-flickers/publish", json=body)
    assert again.status_code == 409 and "already exists" in again.json()["detail"]


def test_two_editors_saving_the_same_article_the_second_is_told_and_nothing_is_lost(world):
    ana, eve = sign_in(world.app), sign_in(world.app)
    world.c.accounts.create("ana", "editor", PASSWORD)
    ana = sign_in(world.app, "ana")
    opened = eve.get("/editor/api/articles/vpn-cannot-connect").json()["variants"]["en"]
    both = ana.get("/editor/api/articles/vpn-cannot-connect").json()["variants"]["en"]
    first = {"fields": {**both["fields"], "title": "VPN: ana's title"}, "body": both["body"], "base_version": both["version"]}
    assert ana.post("/editor/api/articles/vpn-cannot-connect/publish", json={"variants": {"en": first}}).status_code == 200
    second = {"fields": {**opened["fields"], "title": "VPN: eve's title"}, "body": opened["body"], "base_version": opened["version"]}
    clash = eve.post("/editor/api/articles/vpn-cannot-connect/publish", json={"variants": {"en": second}})
    assert clash.status_code == 409 and "someone else" in clash.json()["detail"]
    assert clash.json()["current"]["variants"]["en"]["fields"]["title"] == "VPN: ana's title"
    # eve's text is not lost: she can keep it as a draft and publish knowingly on the new version
    assert eve.post("/editor/api/articles/vpn-cannot-connect/draft", json={"variants": {"en": second}}).status_code == 200
    assert eve.get("/editor/api/articles/vpn-cannot-connect").json()["variants"]["en"]["draft"]["fields"]["title"] == "VPN: eve's title"
    second["base_version"] = clash.json()["current"]["variants"]["en"]["version"]
    assert eve.post("/editor/api/articles/vpn-cannot-connect/publish", json={"variants": {"en": second}}).status_code == 200


@pytest.mark.parametrize("change, status, message", [
    ({"title": ""}, 422, "lacks title"),
    ({"body": "   "}, 422, "has no text"),
    # longer than the editor's 200 kB per variant (but under the editor's body limit): the editor says so
    ({"body_extra": " word" * 60_000}, 422, "the limit is 200 kB"),
    # a 5 MB paste is refused by the service's body limit (limits.max_article_body_bytes) before the editor sees it
    ({"body_extra": "x" * 5_000_000}, 413, "the request body is larger than"),
])
def test_bad_articles_are_refused_with_a_reason_and_nothing_is_written(world, change, status, message):
    editor = sign_in(world.app)
    title = change.pop("title", "Broken")
    body = change.pop("body", None)
    broken = variant(title, **change)
    if body is not None:
        broken["body"] = body
    answer = editor.post("/editor/api/articles/broken-one/publish", json={"new": True, "variants": {"en": broken}})
    assert answer.status_code == status and message in answer.json()["detail"]
    assert not (world.kb / "broken-one.en.md").exists()


def test_bad_ids_and_front_matter_injection_are_refused_or_kept_as_text(world):
    editor = sign_in(world.app)
    assert editor.post("/editor/api/articles/..%2Fescape/publish", json={"new": True, "variants": {"en": variant("x")}}).status_code in (404, 422)
    assert editor.post("/editor/api/articles/Bad_Id/publish", json={"new": True, "variants": {"en": variant("x")}}).status_code == 422
    evil = variant("Title\n---\nid: other\nlang: en", tags=("a: b", "- c"))
    answer = editor.post("/editor/api/articles/evil-title/publish", json={"new": True, "variants": {"en": evil}})
    assert answer.status_code == 200, answer.text
    got = editor.get("/editor/api/articles/evil-title").json()["variants"]["en"]["fields"]
    assert got["title"] == "Title\n---\nid: other\nlang: en" and got["tags"] == ["a: b", "- c"]


def test_the_markdown_preview_escapes_html_and_refuses_script_links(world):
    editor = sign_in(world.app)
    html = editor.post("/editor/api/preview", json={"body": "# Hi <script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n1. **a**"}).json()["html"]
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html and "<strong>a</strong>" in html


def test_linking_an_item_to_an_article_makes_the_search_find_it(world):
    world.tracker.user("l1", "the thing with the tunnel to the office is dead", "nlu_fallback", 0.2)
    world.tracker.language("l1", "en")
    editor = sign_in(world.app)
    item = editor.get("/editor/api/inbox").json()["items"][0]
    done = editor.post(f"/editor/api/inbox/{item['id']}/link", json={"article_id": "vpn-cannot-connect"})
    assert done.status_code == 200, done.text
    assert search(world, "the thing with the tunnel to the office is dead", "en")[0] == "vpn-cannot-connect"
    assert editor.get("/editor/api/inbox?status=linked").json()["items"][0]["detail"]["article_id"] == "vpn-cannot-connect"
    assert editor.post(f"/editor/api/inbox/{item['id']}/link", json={"article_id": "no-such-article"}).status_code == 404


def test_content_health_lists_missing_languages_unhelpful_and_unshown_articles(world):
    bot = bot_client(world.app, world.settings)
    for n in range(4):
        world.tracker.user(f"h{n}", "account locked", "account_locked", 0.99)
        if n < 3:
            world.tracker.action(f"h{n}", "action_escalate")
        bot.post("/api/outcomes", json={"conversation_id": f"h{n}", "article_id": "account-locked-out", "language": "en",
                                        "outcome": "not_solved" if n < 3 else "solved"})
    data = sign_in(world.app).get("/editor/api/health").json()
    assert [a["id"] for a in data["missing_language"]] == ["add-network-printer"]
    assert data["missing_language"][0]["missing"] == ["fr"]
    assert [(a["id"], a["not_helped"], a["shown"]) for a in data["not_helping"]] == [("account-locked-out", 3, 4)]
    assert [(a["id"], a["escalated"]) for a in data["escalating"]] == [("account-locked-out", 3)]
    assert {a["id"] for a in data["never_shown"]} == {"add-network-printer", "vpn-cannot-connect"}


def test_analytics_figures_come_from_the_stored_events_and_export_as_csv(world):
    conversations(world)
    editor = sign_in(world.app)
    data = editor.get("/editor/api/analytics").json()
    s = data["summary"]
    assert s["conversations"] == 4
    assert s["escalation_rate"] == 0.25 and s["containment_rate"] == 0.75
    assert s["fallback_rate"] == round(2 / 5, 4)             # c1 fallback, c2 low confidence, out of 5 user messages
    assert s["deflection_rate"] == 0.5                         # c3 solved, c2 not
    assert {c["category"] for c in s["top_categories"]} == {"hardware", "vpn"}
    by_language = {}
    for row in data["rows"]:
        by_language[row["language"]] = by_language.get(row["language"], 0) + row["conversations"]
    assert by_language == {"nl": 1, "fr": 1, "en": 2}
    rows = list(csv.DictReader(io.StringIO(editor.get("/editor/api/analytics.csv").text)))
    assert sum(int(r["conversations"]) for r in rows) == 4 and {r["channel"] for r in rows} == {"socketio", "rest"}
    assert editor.get("/editor/api/analytics?since=2099-01-01").json()["summary"]["conversations"] == 0


def test_the_editor_page_is_served_with_the_consoles_security_headers(world):
    editor = sign_in(world.app)
    page = editor.get("/editor")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert editor.get("/editor/static/editor.js").status_code == 200
    assert editor.get("/editor/static/../auth.py").status_code == 404


def test_two_users_with_the_same_problem_make_a_cluster_and_an_unrelated_message_stays_apart(world):
    for n, (lang, text) in enumerate([("en", "my screen keeps flickering"), ("nl", "mijn scherm flikkert de hele tijd"),
                                      ("en", "the coffee machine is empty")]):
        world.tracker.user(f"t{n}", text, "nlu_fallback", 0.2)
        world.tracker.language(f"t{n}", lang)
    data = sign_in(world.app).get("/editor/api/clusters").json()
    assert [{e["text"] for e in c["examples"]} for c in data["clusters"]] == [
        {"my screen keeps flickering", "mijn scherm flikkert de hele tijd"}]
    assert [i["text"] for i in data["noise"]] == ["the coffee machine is empty"]


def test_a_conversation_of_button_clicks_only_counts_as_a_conversation_without_messages(world):
    conversations(world)
    world.tracker.user("c5", "/choose_language{\"language\": \"fr\"}", "choose_language", 1.0)
    s = sign_in(world.app).get("/editor/api/analytics").json()["summary"]
    assert s["conversations"] == 5
    assert s["fallback_rate"] == round(2 / 5, 4)             # the click is no typed message


def test_analytics_show_sla_attainment_from_the_tickets(world):
    bot = bot_client(world.app, world.settings)
    created = bot.post("/api/tickets", json={"idempotency_key": "sla-1", "requester": {"id": "u1", "channel": "rest"},
                                             "language": "fr", "subject": "VPN", "urgency": "high", "impact": "high"})
    assert created.status_code == 201, created.text
    assert bot.patch(f"/api/tickets/{created.json()['id']}", json={"status": "open"}).status_code == 200
    sla = sign_in(world.app).get("/editor/api/analytics").json()["summary"]["sla"]
    assert sla["tickets"] == 1 and sla["response_attainment"] == 1.0      # taken at once, well before its due time
    assert sla["rows"] == [{"language": "fr", "channel": "rest", "tickets": 1, "response_met": 1, "response_missed": 0,
                            "resolution_met": 0, "resolution_missed": 0}]


def test_a_long_article_in_three_languages_is_published(world):
    """Three variants of 150 kB each: above the service's general body limit, within the editor's."""
    long_text = " Check the cable, the dock and the driver." * 3_500
    variants = {lang: variant(f"Long {lang}", body_extra=long_text) for lang in world.settings.languages}
    answer = sign_in(world.app).post("/editor/api/articles/long-one/publish", json={"new": True, "variants": variants})
    assert answer.status_code == 200, answer.text[:300]
    assert all((world.kb / f"long-one.{lang}.md").stat().st_size > 140_000 for lang in world.settings.languages)
