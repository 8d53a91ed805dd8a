"""The domain as Rasa sends it to the action server (responses, forms, slots), read from bot/domain."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "bot" / "domain"


def load_domain() -> dict:
    domain: dict = {"responses": {}, "slots": {}, "forms": {}}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in ("responses", "slots", "forms"):
            domain[key].update(data.get(key) or {})
    return domain


@pytest.fixture(scope="session")
def domain() -> dict:
    return load_domain()
