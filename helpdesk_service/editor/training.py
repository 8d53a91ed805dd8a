"""Training examples added from the inbox, and the background retraining they trigger.

An example is appended to ``<nlu_dir>/<lang>/editor_examples.yml`` in Rasa's NLU YAML format (Rasa
merges an intent's examples across files), after checking the intent is in ``nlu_data/catalogue.yml``,
the language is configured and the example is not there yet. The file is rewritten whole with a YAML
dumper, so quotes, colons or ``- `` at the start of a message cannot break it.

Retraining runs in a thread: ``helpdesk train`` in a subprocess (the launcher's fingerprinted
``train_if_needed``), then Rasa's ``PUT /model`` loads the new model while the bot keeps answering.
Examples added while a training runs are picked up by one more training afterwards.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import httpx
import yaml

from core.clock import utcnow

log = logging.getLogger(__name__)
EXAMPLES_FILE = "editor_examples.yml"
HEADER = "# Examples added by the KB editors from the inbox (helpdesk_service/editor/training.py).\n"


class TrainingError(ValueError):
    pass


def catalogue_intents(nlu_dir: Path) -> list[str]:
    data = yaml.safe_load((Path(nlu_dir) / "catalogue.yml").read_text(encoding="utf-8")) or {}
    return [str(i["name"]) for i in data.get("intents", []) if isinstance(i, dict) and i.get("name")]


class _Block(str):
    pass


def _block(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


class NluWriter:
    def __init__(self, nlu_dir: Path, languages: list[str]) -> None:
        self.nlu_dir = Path(nlu_dir)
        self.languages = list(languages)

    def intents(self) -> list[str]:
        return catalogue_intents(self.nlu_dir)

    def add(self, intent: str, language: str, text: str) -> Path:
        text = " ".join((text or "").split())
        if not text:
            raise TrainingError("an empty message cannot be a training example")
        if len(text) > 500:
            raise TrainingError("a training example is at most 500 characters")
        if intent not in self.intents():
            raise TrainingError(f"unknown intent {intent!r}: choose one of nlu_data/catalogue.yml")
        if language not in self.languages:
            raise TrainingError(f"unknown language {language!r}: one of {', '.join(self.languages)}")
        path = self.nlu_dir / language / EXAMPLES_FILE
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
        data = data or {"version": "3.1", "nlu": []}
        blocks = {b["intent"]: b for b in data.get("nlu", []) if isinstance(b, dict) and "intent" in b}
        block = blocks.get(intent)
        examples = [line[2:] for line in (block or {}).get("examples", "").splitlines() if line.startswith("- ")]
        if text in examples:
            return path
        examples.append(text)
        if block is None:
            block = {"intent": intent}
            data["nlu"].append(block)
        # each example on one line of a literal block; a YAML dumper escapes nothing inside it, and
        # Rasa reads every "- " line as one example, so any text survives.
        block["examples"] = _Block("".join(f"- {e}\n" for e in examples))
        dumper = type("Dumper", (yaml.SafeDumper,), {})
        dumper.add_representer(_Block, _block)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(f"{HEADER}# language: {language}\n" + yaml.dump(data, Dumper=dumper, allow_unicode=True,
                                                                      sort_keys=False, width=10_000), encoding="utf-8")
        tmp.replace(path)
        return path


class Retrainer:
    """Trains and loads a new model in a background thread; one at a time, repeated if asked meanwhile."""

    def __init__(self, command: list[str], rasa_url: str, rasa_token: str | None, cwd: Path,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.command = command
        self.rasa_url = rasa_url.rstrip("/")
        self.rasa_token = rasa_token
        self.cwd = Path(cwd)
        self.transport = transport
        self._lock = threading.Lock()
        self._again = False
        self._thread: threading.Thread | None = None
        self.status: dict = {"state": "idle", "at": None, "error": None, "model": None, "runs": 0}

    def request(self) -> dict:
        with self._lock:
            if self._thread and self._thread.is_alive():
                self._again = True
                self.status["state"] = "queued"
            else:
                self._thread = threading.Thread(target=self._run, name="retrain", daemon=True)
                self.status["state"] = "training"
                self._thread.start()
        return dict(self.status)

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            self.status.update(state="training", at=utcnow().isoformat(), error=None)
            try:
                self._train_and_load()
                self.status.update(state="loaded", at=utcnow().isoformat())
            except Exception as exc:   # the thread reports, the editors see it on the page
                log.warning("retraining failed: %s", exc)
                self.status.update(state="failed", error=str(exc)[:500], at=utcnow().isoformat())
            self.status["runs"] += 1
            with self._lock:
                if not self._again:
                    return
                self._again = False

    def _train_and_load(self) -> None:
        result = subprocess.run(self.command, cwd=self.cwd, capture_output=True, text=True)
        if result.returncode != 0:
            raise TrainingError(f"training failed (exit {result.returncode}): {result.stderr.strip()[-300:]}")
        model = result.stdout.strip().splitlines()[-1].strip()
        self.status["model"] = model
        params = {"token": self.rasa_token} if self.rasa_token else {}
        try:
            with httpx.Client(timeout=300, transport=self.transport) as client:
                response = client.put(f"{self.rasa_url}/model", params=params, json={"model_file": model})
        except httpx.HTTPError as exc:
            raise TrainingError(f"the model is trained but Rasa cannot be reached to load it: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            raise TrainingError(f"Rasa refused to load {model}: HTTP {response.status_code}")


def default_command() -> list[str]:
    return [sys.executable, "-m", "helpdesk.cli", "train"]


Trainer = Callable[[], dict]
