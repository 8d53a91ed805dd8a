"""`helpdesk kb build` and `helpdesk kb search` (single query and --jsonl batch), with the fake embedder."""

import io
import json

import pytest

from helpdesk.cli import main
from tests.conftest import write_article


@pytest.fixture
def fake_everywhere(monkeypatch, fake_embedder, tmp_path):
    """Every encoder name resolves to the fake embedder; settings from a file in tmp_path."""
    monkeypatch.setattr("kb_index.embedders.get_embedder", lambda name: fake_embedder)
    monkeypatch.setattr("kb_index.live.get_embedder", lambda name: fake_embedder)
    settings_file = tmp_path / "settings.yml"
    settings_file.write_text(f"data_dir: {tmp_path / 'data'}\nkb:\n  encoder: fake-bow\n  min_score: 0.0\n  top_k: 3\n",
                             encoding="utf-8")
    monkeypatch.setenv("HELPDESK_SETTINGS_FILE", str(settings_file))
    return fake_embedder


@pytest.fixture
def kb(tmp_path):
    kb = tmp_path / "kb"
    (kb / "nested" / "deeper").mkdir(parents=True)
    write_article(kb, "printer", "en", "Printer does not print", tags="[printer, queue]")
    write_article(kb, "printer", "nl", "Printer drukt niet af", tags="[printer, wachtrij]")
    write_article(kb / "nested", "vpn", "en", "VPN does not connect", tags="[vpn, forticlient]")
    write_article(kb / "nested" / "deeper", "outlook", "fr", "Outlook ne synchronise pas", tags='[outlook, "0x800ccc0e"]')
    return kb


def _build(kb, index, capsys) -> tuple[int, str, str]:
    code = main(["kb", "build", "--kb", str(kb), "--index", str(index)])
    out, err = capsys.readouterr()
    return code, out, err


def test_build_finds_articles_recursively_with_a_progress_bar(fake_everywhere, kb, tmp_path, capsys):
    code, out, err = _build(kb, tmp_path / "index", capsys)
    assert code == 0
    assert "4 article variants" in err and "[##############################] 4/4" in err
    assert "4 article variants, 4 passages (4 embedded, 0 reused), IndexFlatIP" in out
    assert "no-answer threshold learned from off-topic questions" in out
    code, out, err = _build(kb, tmp_path / "index", capsys)
    assert "(0 embedded, 4 reused)" in out and "nothing changed" in err


def test_build_names_a_broken_file_and_indexes_the_rest(fake_everywhere, kb, tmp_path, capsys):
    (kb / "broken.en.md").write_text("---\nid: [unclosed\n---\n1. step\n", encoding="utf-8")
    code, out, err = _build(kb, tmp_path / "index", capsys)
    assert code == 1
    assert "skipped" in err and "broken.en.md: invalid YAML" in err
    assert "4 article variants" in out


def test_build_reports_what_was_indexed_split_derived_and_skipped(fake_everywhere, tmp_path, capsys):
    kb = tmp_path / "wiki"
    kb.mkdir()
    (kb / "vpn.md").write_text("# VPN drops\n\nThe VPN drops after an hour; sign in again.\n", encoding="utf-8")
    (kb / "guide.en.md").write_text("# Laptop guide\n\n## Battery\nCharge it overnight.\n\n## Screen\n"
                                    "Clean it with a dry cloth.\n", encoding="utf-8")
    (kb / "empty.md").write_text("", encoding="utf-8")
    code, out, err = _build(kb, tmp_path / "index", capsys)
    assert code == 1
    assert "2 article variants indexed" in err and "1 split into sections" in err and "1 files skipped" in err
    assert "guide.en" in err and "2 sections" in err
    assert "vpn." in err and "derived: lang, summary, tags, category" in err
    assert "empty.md: empty file" in err
    assert "2 article variants" in out


def test_search_prints_hits_in_the_requested_language(fake_everywhere, kb, tmp_path, capsys):
    _build(kb, tmp_path / "index", capsys)
    assert main(["kb", "search", "--index", str(tmp_path / "index"), "--top-k", "1", "--lang", "nl",
                 "printer drukt niet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "printer [nl]  Printer drukt niet af" in out[0]


def test_search_jsonl_batch(fake_everywhere, kb, tmp_path, capsys, monkeypatch):
    _build(kb, tmp_path / "index", capsys)
    lines = [{"id": 1, "query": "VPN forticlient does not connect"}, {"id": "b", "query": "0x800CCC0E"},
             {"id": 3, "query": "printer", "lang": "nl"}, {"id": 4, "query": ""}]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\nnot json\n\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["kb", "search", "--index", str(tmp_path / "index"), "--top-k", "2", "--jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o.get("id") for o in out[:4]] == [1, "b", 3, 4]
    assert out[0]["hits"][0]["article_id"] == "vpn" and len(out[0]["hits"]) <= 2
    assert set(out[0]["hits"][0]) == {"article_id", "lang", "score"}
    assert out[1]["hits"][0]["article_id"] == "outlook"
    assert out[2]["hits"][0] == {"article_id": "printer", "lang": "nl", "score": out[2]["hits"][0]["score"]}
    assert out[3]["hits"] == []
    assert out[4] == {"line": 5, "error": 'expected {"id": ..., "query": ...}'}


def test_missing_index_says_which_command_builds_it(fake_everywhere, tmp_path, capsys):
    assert main(["kb", "search", "--index", str(tmp_path / "none"), "vpn"]) == 2
    assert "helpdesk kb build --index" in capsys.readouterr().err


def test_index_of_another_encoder_is_refused(fake_everywhere, kb, tmp_path, capsys, monkeypatch):
    _build(kb, tmp_path / "index", capsys)
    monkeypatch.setattr("sys.stdin", io.StringIO('{"id": 1, "query": "vpn"}\n'))
    assert main(["kb", "search", "--index", str(tmp_path / "index"), "--encoder", "use-multilingual-v3", "--jsonl"]) == 2
    assert "built with encoder 'fake-bow'" in capsys.readouterr().err


def test_search_without_query_is_a_usage_error(fake_everywhere, kb, tmp_path, capsys):
    _build(kb, tmp_path / "index", capsys)
    assert main(["kb", "search", "--index", str(tmp_path / "index"), "  "]) == 2
