"""The sealed masking corpus (tests/data/masking_corpus.yml, written apart, never edited to fit the
code): every secret substring disappears, every look-alike stays exactly as it was; personal data is
masked only with ``mask_personal_data`` on, and its look-alikes (error codes, versions, invalid IBAN
and national numbers) stay."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.privacy import MASK, mask

CORPUS = yaml.safe_load((Path(__file__).parents[1] / "data" / "masking_corpus.yml").read_text(encoding="utf-8"))


def _id(entry: dict) -> str:
    return f"{entry['lang']}:{entry['text'][:50]}"


def test_the_corpus_is_as_large_as_the_issue_asks():
    assert len(CORPUS["secrets"]) >= 60 and len(CORPUS["lookalikes"]) >= 30
    assert {e["lang"] for e in CORPUS["secrets"]} == {"nl", "fr", "en"}


@pytest.mark.parametrize("entry", CORPUS["secrets"], ids=_id)
def test_secrets_are_masked(entry):
    for personal in (False, True):
        masked = mask(entry["text"], personal_data=personal)
        assert MASK in masked
        for secret in entry["secret"]:
            assert secret not in masked, masked


@pytest.mark.parametrize("entry", CORPUS["lookalikes"], ids=_id)
def test_lookalikes_stay(entry):
    assert mask(entry["text"]) == entry["text"]
    assert mask(entry["text"], personal_data=True) == entry["text"]


@pytest.mark.parametrize("entry", CORPUS["personal"], ids=_id)
def test_personal_data_is_masked_only_when_the_setting_is_on(entry):
    assert mask(entry["text"]) == entry["text"]
    masked = mask(entry["text"], personal_data=True)
    for secret in entry["secret"]:
        assert secret not in masked, masked


@pytest.mark.parametrize("entry", CORPUS["personal_lookalikes"], ids=_id)
def test_personal_lookalikes_stay(entry):
    assert mask(entry["text"], personal_data=True) == entry["text"]
