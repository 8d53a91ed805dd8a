"""Parse latency of the Rasa NLU through its HTTP API (``make bench-nlu``).

``python -m helpdesk.evaluation.nlu_latency [--model M] [-n 500] [--warmup 50]`` starts
``rasa run --enable-api`` (``.venv-rasa``) on a free local port with the model ``--model`` (default:
an NLU model freshly trained from ``nlu_data`` with ``config.yml`` in a temporary folder), sends
chat messages of the held-out set ``eval/nlu`` one after another to ``POST /model/parse`` after a
warm-up, and prints p50 / p95 / p99 / mean / max in milliseconds (client-side wall time: HTTP,
JSON and the whole NLU pipeline). Target of the issue: p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from helpdesk.evaluation.nlu import LANGUAGES, load_test_set, rasa
from core.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[k]


def train_nlu(work: Path, config: Path) -> Path:
    data = [str(PROJECT_ROOT / "nlu_data" / lang) for lang in LANGUAGES]
    shared = PROJECT_ROOT / "nlu_data" / "shared"
    if shared.is_dir():
        data.append(str(shared))
    seconds = rasa("train", "nlu", "--config", str(config), "--nlu", *data,
                   "--out", str(work), "--fixed-model-name", "nlu-bench")
    print(f"trained an NLU model in {seconds:.0f} s", flush=True)
    return work / "nlu-bench.tar.gz"


def start_rasa(model: Path, port: int, log_path: Path) -> subprocess.Popen:
    exe = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", "RASA_TELEMETRY_ENABLED": "false",
           "PYTHONPATH": str(PROJECT_ROOT)}
    log = log_path.open("w")
    return subprocess.Popen([str(exe), "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port),
                             "--model", str(model)], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"rasa run exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/status", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"rasa run not ready after {timeout:.0f} s")


def measure(url: str, texts: list[str], warmup: int) -> list[float]:
    timings = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i, text in enumerate(texts[:warmup] + texts):
            started = time.perf_counter()
            response = client.post("/model/parse", json={"text": text})
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if i >= warmup:
                timings.append(elapsed)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a trained Rasa model (.tar.gz); default: train one now")
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("-n", type=int, default=500, help="measured messages (default 500)")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--eval-dir", type=Path, default=PROJECT_ROOT / "eval" / "nlu")
    args = parser.parse_args(argv)

    texts = [e.text for e in load_test_set(args.eval_dir)]
    if not texts:
        raise SystemExit(f"no messages in {args.eval_dir}")
    random.Random(7).shuffle(texts)
    texts = (texts * (args.n // len(texts) + 1))[: args.n]

    work = Path(tempfile.mkdtemp(prefix="bench-nlu-"))
    process = None
    try:
        model = args.model.resolve() if args.model else train_nlu(work, args.config.resolve())
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = start_rasa(model, port, work / "rasa.log")
        ready = wait_ready(url, process)
        print(f"rasa run ready in {ready:.0f} s on port {port} (model {model})", flush=True)
        timings = measure(url, texts, args.warmup)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(f"POST /model/parse, {len(timings)} messages sequentially after {args.warmup} warm-up, "
          f"{os.cpu_count()} CPUs")
    print(f"p50 {percentile(timings, .50):.1f} ms   p95 {percentile(timings, .95):.1f} ms   "
          f"p99 {percentile(timings, .99):.1f} ms   mean {statistics.fmean(timings):.1f} ms   "
          f"max {max(timings):.1f} ms   (target p95 <= 20 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
