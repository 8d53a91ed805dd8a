"""Shared fixtures: a fake embedder for unit tests, the project root, isolated settings."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from helpdesk.launcher import train_if_needed
from core.settings import PROJECT_ROOT, load_settings


class FakeEmbedder:
    """Deterministic bag-of-words hashing embedder (unit tests only)."""

    name = "fake-bow"
    dimension = 64

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts):
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return out / norms


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data",
                         kb={"articles_dir": PROJECT_ROOT / "kb" / "articles", "index_dir": tmp_path / "kb_index"},
                         tickets={"backend": "sqlite", "sqlite_path": tmp_path / "tickets.db"})


def write_article(folder: Path, article_id: str, lang: str, title: str, steps=("Do this.", "Then that."),
                  tags="[a, b]", category="test") -> Path:
    body = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    path = folder / f"{article_id}.{lang}.md"
    path.write_text(f"---\nid: {article_id}\nlang: {lang}\ntitle: {title}\ncategory: {category}\n"
                    f"tags: {tags}\nsummary: {title} summary\n---\nIntro.\n\n{body}\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_env(tmp_path_factory) -> dict[str, str]:
    """The settings (as environment variables) of the e2e services: own ports, data and model."""
    tmp = tmp_path_factory.mktemp("e2e")
    service_port = free_port()
    # the KB editor's e2e test publishes articles and adds training examples: into copies, never the repo's
    shutil.copytree(PROJECT_ROOT / "kb" / "articles", tmp / "kb" / "articles")
    shutil.copytree(PROJECT_ROOT / "nlu_data", tmp / "nlu_data")
    env = {
        "HELPDESK_SERVICE__PORT": str(service_port),
        "HELPDESK_RASA__PORT": str(free_port()),
        "HELPDESK_RASA__ACTIONS_PORT": str(free_port()),
        "HELPDESK_RASA__MODEL_DIR": str(tmp / "models"),  # own model: tests never race over models/
        # the e2e tests of all modules escalate many similar tickets within minutes: detection of
        # problems by similarity would (rightly) turn them into one known problem; declared
        # outages still work (test_conversation.py tests them)
        "HELPDESK_PROBLEMS__MIN_SIMILAR": "100000",
        "HELPDESK_DATA_DIR": str(tmp / "data"),
        "HELPDESK_KB__INDEX_DIR": str(tmp / "kb_index"),
        "HELPDESK_TICKETS__SQLITE_PATH": str(tmp / "data" / "tickets.db"),
        "HELPDESK_SERVICE__PUBLIC_URL": f"http://127.0.0.1:{service_port}",
        # the e2e conversations talk over Rasa's REST channel: on here, behind its token (data/rest_token)
        "HELPDESK_CHAT__REST_CHANNEL": "true",
        # many conversations from one address and one test run: the limits are tested on their own
        "HELPDESK_LIMITS__CHAT_MESSAGES_PER_MINUTE": "600",
        "HELPDESK_LIMITS__CHAT_MESSAGES_PER_MINUTE_PER_IP": "100000",
        "HELPDESK_LIMITS__TICKETS_PER_HOUR_PER_IP": "100000",
        "HELPDESK_KB__ARTICLES_DIR": str(tmp / "kb" / "articles"),
        "HELPDESK_RASA__NLU_DIR": str(tmp / "nlu_data"),
        "HELPDESK_EDITOR__RETRAIN": "false",   # the e2e model is trained once, from the repo's NLU data
    }
    return env


@pytest.fixture(scope="session")
def trained_settings(e2e_env):
    """The settings of the e2e services, with the Rasa model trained (once per session) in their
    own model folder: the end-to-end tests and the Rasa test conversations use the same model."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in e2e_env.items():
            mp.setenv(key, value)
        settings = load_settings()
        train_if_needed(settings)
    return settings
