import json

from helpdesk.evaluation import langid
from helpdesk.evaluation.langid import Sample, evaluate, load_chat, load_sib, prefix, shared_dir


def _write_sib(root):
    for lang, folder in langid.SIB_FOLDERS.items():
        (root / folder).mkdir(parents=True)
        text = {"nl": "Dit is een zin", "fr": "Ceci est une phrase", "en": "This is a sentence"}[lang]
        (root / folder / "dev.tsv").write_text(f"index_id\tcategory\ttext\n1\tx\t{text}\n", encoding="utf-8")


def test_shared_dir_is_beside_the_project_unless_overridden(monkeypatch, tmp_path):
    monkeypatch.delenv("HELPDESK_SHARED_DIR", raising=False)
    assert shared_dir() == langid.PROJECT_ROOT.parent / "shared"
    monkeypatch.setenv("HELPDESK_SHARED_DIR", str(tmp_path))
    assert shared_dir() == tmp_path


def test_load_sib_and_prefixes(tmp_path):
    _write_sib(tmp_path)
    samples = load_sib(tmp_path)
    assert {s.lang for s in samples} == {"nl", "fr", "en"}
    assert prefix(samples, 2)[0].text == "Dit is"
    assert prefix(samples, None) == samples


def test_evaluate_counts_per_language():
    samples = [Sample("a", "nl"), Sample("b", "nl"), Sample("c", "fr")]
    score = evaluate(lambda text: "nl", samples)
    assert score.per_language == {"nl": 1.0, "fr": 0.0}
    assert round(score.overall, 3) == 0.667 and len(score.errors) == 1 and len(score.latencies_ms) == 3


def test_chat_set_is_balanced_short_and_labelled():
    samples = load_chat()
    assert len(samples) >= 300
    counts = {lang: sum(s.lang == lang for s in samples) for lang in ("nl", "fr", "en")}
    assert min(counts.values()) >= 100
    assert all(1 <= len(s.text.split()) <= 4 for s in samples)


def test_main_prints_a_table(monkeypatch, tmp_path, capsys):
    _write_sib(tmp_path / "eval" / "langid")
    monkeypatch.setenv("HELPDESK_SHARED_DIR", str(tmp_path))
    chat = tmp_path / "chat.jsonl"
    chat.write_text(json.dumps({"id": 1, "lang": "fr", "text": "mon pc rame"}) + "\n", encoding="utf-8")
    monkeypatch.setattr(langid, "CHAT_SET", chat)
    monkeypatch.setattr(langid, "OTHER_SET", tmp_path / "missing.jsonl")
    monkeypatch.setattr(langid, "PROJECT_ROOT", tmp_path)
    assert langid.main([]) == 0
    out = capsys.readouterr().out
    assert "SIB-200 2 words" in out and "chat" in out and "latency" in out
