"""The Rasa test conversations (tests/bot/stories): every problem category in every language through
the triage, plus corrections, digressions, complaints, security and a refused remote-control consent.

``rasa test core --fail-on-prediction-errors`` replays them on the trained model: each user message
must get the intent (and entities) written in the story, and each bot action must be the one
predicted. The model is the one the e2e tests use (trained once per session)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from helpdesk.launcher import model_path, rasa_executable

STORIES = Path(__file__).parent / "stories"
TIMEOUT = 1200


def story_count() -> int:
    return sum(len((yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("stories") or [])
               for p in STORIES.glob("*.yml"))


def test_every_category_and_language_has_test_conversations():
    names = [s["story"] for p in STORIES.glob("*.yml")
             for s in (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("stories") or []]
    assert story_count() >= 3 * 17 and len(set(names)) == len(names)


def test_the_conversations_are_predicted_without_errors(trained_settings, tmp_path):
    root = trained_settings.project_root
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(root)) if p),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [str(rasa_executable(trained_settings)), "test", "core", "--stories", str(STORIES),
         "--model", str(model_path(trained_settings)), "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else result.stderr[-5000:]
    assert result.returncode == 0, details
    assert "None of the test stories failed" in details
