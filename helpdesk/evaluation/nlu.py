"""Held-out evaluation of the Rasa NLU, per language.

``python -m helpdesk.evaluation.nlu`` (``make eval-nlu``) trains ``rasa train nlu`` (``.venv-rasa``)
on ALL of ``nlu_data/{nl,fr,en}`` (plus ``nlu_data/shared``: regexes, lookup tables) and runs
``rasa test nlu`` on the separately written held-out set ``eval/nlu/{nl,fr,en}.yml`` (never trained
on). It prints intent accuracy and macro-F1 per language and overall, the most confused intent
pairs, entity precision / recall / F1 (exact span and label) and what the FallbackClassifier
threshold of the config would do with the errors. ``--split`` is the older mode: split
``nlu_data`` 80/20 per language and intent (fixed seed), train on the 80 %, test on the 20 %.
``--cross-lingual`` also trains on the English training part only and tests on every language.
``--config`` evaluates another pipeline.

Our code never imports rasa: it runs its CLI and reads the JSON files ``rasa test`` writes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.settings import PROJECT_ROOT, load_settings

LANGUAGES = tuple(load_settings().languages)
NEAR_COPY_JACCARD = 0.8
CROSS_LINGUAL_SOURCE = LANGUAGES[-1]   # the last of settings.languages (English in settings.yml)
_PUNCTUATION = re.compile(r"[^\w\s]")
SEED = 42
TEST_SHARE = 0.2
_ENTITY = re.compile(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Example:
    lang: str
    intent: str
    line: str            # the example as written in the YAML, entity markup included

    @property
    def text(self) -> str:
        return _ENTITY.sub(r"\1", self.line)


def _file_examples(path: Path, lang: str) -> list[Example]:
    """The intent examples of one Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for raw in str(block.get("examples", "")).splitlines():
            line = raw.strip()
            if line.startswith("- "):
                examples.append(Example(lang, block["intent"], line[2:].strip()))
    return examples


def load_examples(nlu_dir: Path, languages=LANGUAGES) -> list[Example]:
    return [e for lang in languages for path in sorted((nlu_dir / lang).glob("*.yml"))
            for e in _file_examples(path, lang)]


def load_test_set(eval_dir: Path, languages=LANGUAGES) -> list[Example]:
    """The held-out set: ``<eval_dir>/<lang>.yml`` (Rasa NLU YAML, one file per language)."""
    return [e for lang in languages if (eval_dir / f"{lang}.yml").exists()
            for e in _file_examples(eval_dir / f"{lang}.yml", lang)]


def normalised(text: str) -> str:
    """Entity markup, case and punctuation removed, one space: how two examples are compared."""
    return " ".join(_PUNCTUATION.sub(" ", _ENTITY.sub(r"\1", text).lower().replace("’", "'")).split())


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def without_copies(train: list[Example], test: list[Example], limit: float = NEAR_COPY_JACCARD):
    """The held-out examples that are neither an exact copy (after :func:`normalised`) nor a near
    copy (token Jaccard > ``limit``) of any training example; also the counts of both removed."""
    train_texts = {normalised(e.line) for e in train}
    train_tokens = [set(t.split()) for t in train_texts]
    by_token: dict[str, list[int]] = defaultdict(list)
    for i, tokens in enumerate(train_tokens):
        for token in tokens:
            by_token[token].append(i)
    kept, exact, near = [], 0, 0
    for example in test:
        text = normalised(example.line)
        if text in train_texts:
            exact += 1
            continue
        tokens = set(text.split())
        candidates = {i for token in tokens for i in by_token.get(token, ())}
        if any(jaccard(tokens, train_tokens[i]) > limit for i in candidates):
            near += 1
            continue
        kept.append(example)
    return kept, exact, near


def fallback_threshold(config: Path) -> float | None:
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    for component in data.get("pipeline") or []:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return None


def split(examples: list[Example], test_share: float = TEST_SHARE, seed: int = SEED):
    """Stratified split: per (language, intent), a fixed-seed shuffle, the last share is the test."""
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for ex in examples:
        groups[(ex.lang, ex.intent)].append(ex)
    rng = random.Random(seed)
    train, test = [], []
    for key in sorted(groups):
        items = list(groups[key])
        rng.shuffle(items)
        n_test = max(1, round(len(items) * test_share))
        test += items[:n_test]
        train += items[n_test:]
    return train, test


def write_nlu(examples: list[Example], path: Path) -> None:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for ex in examples:
        by_intent[ex.intent].append(ex.line)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"  - intent: {intent}", "    examples: |"]
        lines += [f"      - {line}" for line in by_intent[intent]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rasa(*args: str, cwd: Path = PROJECT_ROOT) -> float:
    exe = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
    if not exe.exists():
        raise SystemExit(f"{exe} not found: run `make install`")
    started = time.monotonic()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", "RASA_TELEMETRY_ENABLED": "false"}
    result = subprocess.run([str(exe), *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        print(result.stdout[-4000:], file=sys.stderr)
        raise SystemExit(f"rasa {args[0]} {args[1]} failed (exit {result.returncode})")
    return time.monotonic() - started


# --- metrics ----------------------------------------------------------------------------------

def intent_metrics(pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """(accuracy, macro-F1 over the true intents) of (target, predicted) pairs."""
    if not pairs:
        return 0.0, 0.0
    labels = sorted({t for t, _ in pairs})
    f1s = []
    for label in labels:
        tp = sum(1 for t, p in pairs if t == label and p == label)
        fp = sum(1 for t, p in pairs if t != label and p == label)
        fn = sum(1 for t, p in pairs if t == label and p != label)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(t == p for t, p in pairs) / len(pairs), sum(f1s) / len(f1s)


def entity_counts(targets: list[dict], predictions: list[dict]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives), exact (start, end, entity) match."""
    gold = {(e["start"], e["end"], e["entity"]) for e in targets}
    pred = {(e["start"], e["end"], e["entity"]) for e in predictions}
    return len(gold & pred), len(pred - gold), len(gold - pred)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- running ----------------------------------------------------------------------------------

def run(config: Path, train: list[Example], test: list[Example], work: Path,
        shared: Path = PROJECT_ROOT / "nlu_data" / "shared") -> dict:
    train_dir = work / "train"
    train_dir.mkdir(parents=True)
    write_nlu(train, train_dir / "examples.yml")
    if shared.is_dir():
        for path in sorted(shared.glob("*.yml")):
            shutil.copy(path, train_dir / f"shared_{path.name}")
    test_file = work / "test.yml"
    write_nlu(test, test_file)
    train_s = rasa("train", "nlu", "--config", str(config), "--nlu", str(train_dir),
                   "--out", str(work / "models"), "--fixed-model-name", "nlu")
    results = work / "results"
    test_s = rasa("test", "nlu", "--model", str(work / "models" / "nlu.tar.gz"), "--nlu", str(test_file),
                  "--out", str(results), "--successes", "--no-plot")
    return {"train_s": train_s, "test_s": test_s, "results": results}


def report(test: list[Example], results: Path) -> dict:
    langs_of: dict[str, list[str]] = defaultdict(list)
    for ex in test:
        langs_of[ex.text.strip()].append(ex.lang)

    def lang_for(text: str) -> str:
        options = langs_of.get(text.strip()) or ["?"]
        return Counter(options).most_common(1)[0][0]

    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = results / name
        if path.exists():
            predictions += json.loads(path.read_text())
    pairs_by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    scored: list[tuple[bool, float]] = []     # (correct, confidence) per test message
    for item in predictions:
        pairs_by_lang[lang_for(item["text"])].append((item["intent"], item["intent_prediction"]["name"]))
        scored.append((item["intent"] == item["intent_prediction"]["name"],
                       float(item["intent_prediction"].get("confidence") or 0.0)))

    entity_items: dict[tuple[str, str], dict] = {}
    for path in sorted(results.glob("*_successes.json")) + sorted(results.glob("*_errors.json")):
        if path.name.startswith(("intent_", "response_")):
            continue
        for item in json.loads(path.read_text()):
            key = (item["text"], json.dumps(item["entities"], sort_keys=True))
            entity_items[key] = item
    entity_by_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for item in entity_items.values():
        counts = entity_counts(item["entities"], item.get("predicted_entities") or [])
        bucket = entity_by_lang[lang_for(item["text"])]
        for k in range(3):
            bucket[k] += counts[k]
        for label in {e["entity"] for e in item["entities"]} | {e["entity"] for e in item.get("predicted_entities") or []}:
            c = entity_counts([e for e in item["entities"] if e["entity"] == label],
                              [e for e in item.get("predicted_entities") or [] if e["entity"] == label])
            for k in range(3):
                per_type[label][k] += c[k]

    all_pairs = [p for pairs in pairs_by_lang.values() for p in pairs]
    confusions = Counter((t, p) for t, p in all_pairs if t != p)
    return {"intents": pairs_by_lang, "all": all_pairs, "confusions": confusions,
            "entities": entity_by_lang, "entity_types": per_type, "scored": scored}


def print_report(title: str, figures: dict, languages, threshold: float | None = None) -> None:
    print(f"\n== {title}")
    print(f"{'':<10}{'n':>6}{'accuracy':>10}{'macro-F1':>10}{'ent P':>8}{'ent R':>8}{'ent F1':>8}")
    totals = [0, 0, 0]
    for lang in list(languages) + ["overall"]:
        pairs = figures["all"] if lang == "overall" else figures["intents"].get(lang, [])
        counts = totals if lang == "overall" else figures["entities"].get(lang, [0, 0, 0])
        if lang != "overall":
            for k in range(3):
                totals[k] += counts[k]
        acc, f1 = intent_metrics(pairs)
        p, r, ef1 = prf(*counts)
        print(f"{lang:<10}{len(pairs):>6}{acc:>10.3f}{f1:>10.3f}{p:>8.3f}{r:>8.3f}{ef1:>8.3f}")
    print("most confused (true -> predicted: count):",
          ", ".join(f"{t} -> {p}: {n}" for (t, p), n in figures["confusions"].most_common(6)) or "none")
    print("entity F1 per type:", ", ".join(f"{label} {prf(*c)[2]:.2f} (n={c[0] + c[2]})"
                                           for label, c in sorted(figures["entity_types"].items())))
    scored = figures.get("scored") or []
    # `rasa test` undoes the FallbackClassifier: these are the classifier's own confidences
    if threshold is not None and scored:
        errors = [c for ok, c in scored if not ok]
        lost = sum(1 for ok, c in scored if ok and c < threshold)
        print(f"fallback threshold {threshold:.2f}: {sum(1 for c in errors if c >= threshold)} of {len(errors)} "
              f"wrong intents answered above it; {lost} of {len(scored) - len(errors)} correct ones below it "
              f"(asked to clarify)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("--cross-lingual", action="store_true",
                        help="also train on one language only (--source, default English), test on all")
    parser.add_argument("--source", default=CROSS_LINGUAL_SOURCE, help="training language of --cross-lingual")
    parser.add_argument("--keep", type=Path, help="keep models and rasa's result files in this folder")
    parser.add_argument("--nlu-dir", type=Path, default=PROJECT_ROOT / "nlu_data",
                        help="folder with <lang>/*.yml and shared/*.yml (default: nlu_data)")
    parser.add_argument("--eval-dir", type=Path, default=PROJECT_ROOT / "eval" / "nlu",
                        help="held-out set, <lang>.yml per language (default: eval/nlu)")
    parser.add_argument("--split", action="store_true",
                        help="old mode: random 80/20 split of nlu_data instead of the held-out set")
    args = parser.parse_args(argv)

    examples = load_examples(args.nlu_dir)
    if args.split:
        train, test = split(examples)
        print(f"{len(examples)} examples, {len(train)} train / {len(test)} test "
              f"(seed {SEED}, stratified per language and intent); config {args.config}")
    else:
        train, test = examples, load_test_set(args.eval_dir)
        if not test:
            raise SystemExit(f"no held-out set in {args.eval_dir}")
        written = len(test)
        test, exact, near = without_copies(train, test)
        print(f"train: all of {args.nlu_dir} ({len(train)} examples); test: {args.eval_dir} "
              f"({written} written, {exact} exact and {near} near copies of a training text removed "
              f"(case, punctuation and entity markup ignored; token Jaccard > {NEAR_COPY_JACCARD}): "
              f"{len(test)} tested); config {args.config}")
    runs = [("all languages -> each language", train, test)]
    if args.cross_lingual:
        runs.append((f"cross-lingual: {args.source} only -> each language", [e for e in train if e.lang == args.source], test))
    threshold = fallback_threshold(args.config)
    work = args.keep or Path(tempfile.mkdtemp(prefix="eval-nlu-"))
    try:
        for i, (title, train_set, test_set) in enumerate(runs):
            out = run(args.config.resolve(), train_set, test_set, work / f"run{i}", args.nlu_dir / "shared")
            figures = report(test_set, out["results"])
            print_report(f"{title}: trained in {out['train_s']:.0f} s, tested in {out['test_s']:.0f} s",
                         figures, LANGUAGES, threshold)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
