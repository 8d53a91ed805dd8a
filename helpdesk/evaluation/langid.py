"""Language-identification benchmark: SIB-200 sentences and their 6/3/2-word prefixes, and the
project's own short chat messages (``eval/langid/chat.jsonl``), restricted to nl/fr/en; and how
many messages in other languages (``eval/langid/other.jsonl``) are flagged as unsupported.

``python -m helpdesk.evaluation.langid`` prints accuracy per language and overall for each set,
and the mean / p95 detection latency per message. SIB-200 is read from ``shared/eval/langid``
beside the project (``HELPDESK_SHARED_DIR`` overrides the ``shared`` folder).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import yaml

from core.settings import PROJECT_ROOT, load_settings

SIB_FOLDERS: dict[str, str] = yaml.safe_load(
    (PROJECT_ROOT / "eval" / "langid" / "sib200.yml").read_text(encoding="utf-8"))["folders"]
PREFIXES: tuple[int | None, ...] = (None, 6, 3, 2)   # None: the whole sentence
CHAT_SET = PROJECT_ROOT / "eval" / "langid" / "chat.jsonl"
OTHER_SET = PROJECT_ROOT / "eval" / "langid" / "other.jsonl"   # German, Italian, Spanish, ... messages


@dataclass(frozen=True)
class Sample:
    text: str
    lang: str


def shared_dir() -> Path:
    override = os.environ.get("HELPDESK_SHARED_DIR")
    return Path(override) if override else PROJECT_ROOT.parent / "shared"


def load_sib(folder: Path | None = None, languages: Iterable[str] = SIB_FOLDERS) -> list[Sample]:
    """All SIB-200 sentences (train, dev and test splits) of the given languages."""
    folder = folder or shared_dir() / "eval" / "langid"
    samples = []
    for lang in languages:
        for split in sorted((folder / SIB_FOLDERS[lang]).glob("*.tsv")):
            with split.open(encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                    samples.append(Sample(row["text"], lang))
    return samples


def prefix(samples: list[Sample], n_words: int | None) -> list[Sample]:
    if n_words is None:
        return samples
    return [Sample(" ".join(s.text.split()[:n_words]), s.lang) for s in samples]


def load_chat(path: Path = CHAT_SET) -> list[Sample]:
    with path.open(encoding="utf-8") as f:
        return [Sample(item["text"], item["lang"]) for item in map(json.loads, filter(str.strip, f))]


@dataclass
class Score:
    per_language: dict[str, float]
    overall: float
    n: int
    errors: list[tuple[Sample, str]]
    latencies_ms: list[float]


def evaluate(detect: Callable[[str], str], samples: list[Sample]) -> Score:
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    errors, latencies = [], []
    for s in samples:
        started = time.perf_counter()
        got = detect(s.text)
        latencies.append((time.perf_counter() - started) * 1000)
        total[s.lang] += 1
        if got == s.lang:
            right[s.lang] += 1
        else:
            errors.append((s, got))
    per_language = {lang: right[lang] / total[lang] for lang in total}
    return Score(per_language, sum(right.values()) / max(1, len(samples)), len(samples), errors, latencies)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else (values[0] if values else 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", type=int, default=0, help="print up to N misclassified texts per set")
    args = parser.parse_args(argv)

    from core.language import LanguageDetector

    languages = load_settings().languages
    started = time.perf_counter()
    detector = LanguageDetector.from_nlu_dir(PROJECT_ROOT / "nlu_data", languages)
    detector.detect("warm up")
    print(f"detector ready in {time.perf_counter() - started:.2f} s")

    sets: list[tuple[str, list[Sample]]] = []
    sib_folder = shared_dir() / "eval" / "langid"
    if sib_folder.is_dir():
        sib = load_sib(sib_folder, languages)
        sets += [(f"SIB-200 {'all' if n is None else n} words", prefix(sib, n)) for n in PREFIXES]
    else:
        print(f"SIB-200 not found in {sib_folder} (set HELPDESK_SHARED_DIR): skipped", file=sys.stderr)
    sets.append((f"chat ({CHAT_SET.relative_to(PROJECT_ROOT)})", load_chat()))

    header = f"{'set':<34}{'n':>6}" + "".join(f"{lang:>8}" for lang in languages) + f"{'overall':>9}{'ms/msg':>8}{'p95 ms':>8}"
    print(header)
    print("-" * len(header))
    all_latencies: list[float] = []
    for name, samples in sets:
        score = evaluate(lambda text: detector.detect(text).lang, samples)
        all_latencies += score.latencies_ms
        print(f"{name:<34}{score.n:>6}" + "".join(f"{score.per_language.get(l, 0):>8.3f}" for l in languages)
              + f"{score.overall:>9.3f}{statistics.fmean(score.latencies_ms):>8.2f}{_p95(score.latencies_ms):>8.2f}")
        for sample, got in score.errors[: args.errors]:
            print(f"    {sample.lang}->{got}: {sample.text}")
    if OTHER_SET.is_file():
        other = load_chat(OTHER_SET)
        flagged = sum(not detector.detect(s.text).supported for s in other)
        chat_texts = [s.text for s in sets[-1][1]]
        false_flags = sum(not detector.detect(t).supported for t in chat_texts)
        print(f"unsupported languages flagged: {flagged}/{len(other)} ({OTHER_SET.name}); "
              f"supported chat messages wrongly flagged: {false_flags}/{len(chat_texts)}")
    print(f"latency over {len(all_latencies)} messages: mean {statistics.fmean(all_latencies):.2f} ms, "
          f"p50 {statistics.median(all_latencies):.2f} ms, p95 {_p95(all_latencies):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
