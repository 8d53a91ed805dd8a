import io
import json

from helpdesk.cli import main


def test_detect_one_text(capsys):
    assert main(["lang", "detect", "mon PC rame"]) == 0
    assert capsys.readouterr().out.strip() == "fr"


def test_detect_flags_an_unsupported_language(capsys):
    assert main(["lang", "detect", "Mein Drucker druckt nicht mehr seit gestern"]) == 0
    out = capsys.readouterr().out
    assert "unsupported" in out and "de" in out


def test_detect_jsonl_reads_stdin_and_writes_one_line_per_text(monkeypatch, capsys):
    lines = [{"id": 1, "text": "bedankt"}, {"id": "b", "text": "merci beaucoup"},
             {"id": 3, "text": "outlook won't open"}]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["lang", "detect", "--jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out == [{"id": 1, "lang": "nl"}, {"id": "b", "lang": "fr"}, {"id": 3, "lang": "en"}]


def test_detect_jsonl_reports_bad_lines_and_goes_on(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO('not json\n{"id": 7}\n{"id": 8, "text": "hallo"}\n'))
    assert main(["lang", "detect", "--jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["line"] == 1 and "error" in out[0]
    assert out[1]["line"] == 2 and "error" in out[1]
    assert out[2] == {"id": 8, "lang": "nl"}


def test_detect_without_text_is_a_usage_error(capsys):
    assert main(["lang", "detect"]) == 2
    assert "--jsonl" in capsys.readouterr().err
