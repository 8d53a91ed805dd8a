"""``make bench-chat``: replays whole conversations over Rasa's REST channel at several concurrency
levels and prints turns/s, latency percentiles, errors, conversations that reached their expected
end, and CPU milliseconds per turn and resident memory of each server process.

By default it starts our three services as ``make run`` does (own ports, own data folder under a
temporary directory) and, with ``--scale N``, the scaled setup of ``helpdesk/scale.py`` too. With
``--url`` it drives any Rasa REST webhook instead (e.g. another bot, for a comparison in the same
run); ``--process name=PORT`` names the processes to measure by the TCP port they listen on.

Each virtual user replays one conversation after the other (``eval/bench/conversations.yml``,
round robin, a unique sender per conversation) until the level's time is up; a conversation still
running then is finished (its turns count) so that levels end cleanly. CPU is read from
``/proc/<pid>/stat`` (user + system, the process and its children), so CPU per turn holds on a
loaded machine where turns/s does not; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from core.settings import PROJECT_ROOT

DEFAULT_CONVERSATIONS = PROJECT_ROOT / "eval" / "bench" / "conversations.yml"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- conversations

@dataclass
class Conversation:
    id: str
    turns: list[dict]
    end: str
    ticket: str | None = None
    language: str = ""
    kind: str = ""


@dataclass
class Script:
    conversations: list[Conversation]
    paraphrase_starts: tuple[str, ...] = ()
    max_triage_questions: int = 12


def load_script(path: Path) -> Script:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    conversations = [Conversation(id=c["id"], turns=c["turns"], end=c.get("end", "."), ticket=c.get("ticket"),
                                  language=c.get("language", ""), kind=c.get("kind", ""))
                     for c in data["conversations"]]
    for c in conversations:
        for turn in c.turns:
            if not isinstance(turn, dict) or not ({"say", "triage"} & set(turn)):
                raise ValueError(f"{path}: conversation {c.id}: a turn is `say: text` or `triage: text`, not {turn!r}")
    return Script(conversations, tuple(data.get("paraphrase_starts", ())), int(data.get("max_triage_questions", 12)))


# ---------------------------------------------------------------- processes (/proc)

def listening_pids(port: int) -> list[int]:
    """PIDs of the processes that hold a socket listening on ``port`` (IPv4 or IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:   # 0A = LISTEN
                inodes.add(parts[9])
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    pids.append(int(proc.name))
                    break
        except OSError:
            continue
    return pids


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return out


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += _children(p)
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for root in pids:
        for pid in process_tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])   # utime, stime
    return total / CLOCK_TICKS


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for root in pids:
        for pid in process_tree(root):
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
            except OSError:
                continue
    return total


# ---------------------------------------------------------------- load

@dataclass
class LevelResult:
    target: str
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    conversations: int = 0
    reached_end: int = 0
    missed: dict[str, int] = field(default_factory=dict)
    missed_samples: list[str] = field(default_factory=list)   # the last reply of a few missed conversations
    cpu_ms_per_turn: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    load: str = ""

    @property
    def turns(self) -> int:
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def reply_text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") or "" for m in messages)


class Replayer:
    """One virtual user: conversations one after another, until ``deadline``."""

    def __init__(self, client: httpx.AsyncClient, url: str, script: Script, result: LevelResult, run_id: str) -> None:
        self.client, self.url, self.script, self.result, self.run_id = client, url, script, result, run_id

    async def say(self, sender: str, message: str) -> list[dict] | None:
        started = time.perf_counter()
        try:
            response = await self.client.post(self.url, json={"sender": sender, "message": message},
                                              headers=REST_HEADERS.get(self.url))
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code}: {response.text[:200]}")
            messages = response.json()
            if not isinstance(messages, list):
                raise ValueError(f"not a list of messages: {str(messages)[:200]}")
        except (httpx.HTTPError, ValueError) as exc:
            self.result.errors += 1
            if len(self.result.error_samples) < 5:
                self.result.error_samples.append(f"{type(exc).__name__}: {exc}")
            return None
        self.result.latencies.append(elapsed)
        return messages

    async def conversation(self, conv: Conversation, sender: str) -> bool:
        last: list[dict] = []
        ticket = ""
        for turn in conv.turns:
            if "say" in turn:
                message = str(turn["say"]).replace("{ticket}", ticket)
                reply = await self.say(sender, message)
                if reply is None:
                    return False
                last = reply
            else:
                for _ in range(self.script.max_triage_questions):
                    text = reply_text(last)
                    if any(text.lstrip().startswith(s) or f"\n{s}" in text for s in self.script.paraphrase_starts):
                        break
                    buttons = (last[-1].get("buttons") if last else None) or []
                    reply = await self.say(sender, buttons[0]["payload"] if buttons else str(turn["triage"]))
                    if reply is None:
                        return False
                    last = reply
                reply = await self.say(sender, "/affirm")
                if reply is None:
                    return False
                last = reply
            if conv.ticket and not ticket:
                found = re.search(conv.ticket, reply_text(last))
                ticket = found.group(1) if found else ""
        reached = re.search(conv.end, reply_text(last)) is not None
        if not reached and len(self.result.missed_samples) < 3:
            self.result.missed_samples.append(f"{conv.id} ({sender}): {reply_text(last)[:200]!r}")
        return reached

    async def run(self, worker: int, deadline: float, offset: int) -> None:
        n = 0
        conversations = self.script.conversations
        while time.monotonic() < deadline:
            conv = conversations[(offset + n) % len(conversations)]
            sender = f"bench-{self.run_id}-{worker}-{n}"
            ok = await self.conversation(conv, sender)
            self.result.conversations += 1
            if ok:
                self.result.reached_end += 1
            else:
                self.result.missed[conv.id] = self.result.missed.get(conv.id, 0) + 1
            n += 1


async def run_level(target: str, url: str, script: Script, concurrency: int, seconds: float,
                    processes: dict[str, list[int]], timeout: float = 120.0) -> LevelResult:
    result = LevelResult(target, concurrency, seconds)
    run_id = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        cpu_before = {name: cpu_seconds(pids) for name, pids in processes.items()}
        started = time.monotonic()
        deadline = started + seconds
        workers = [Replayer(client, url, script, result, run_id).run(i, deadline, i) for i in range(concurrency)]
        await asyncio.gather(*workers)
        result.seconds = time.monotonic() - started
        for name, pids in processes.items():
            used = cpu_seconds(pids) - cpu_before[name]
            result.cpu_ms_per_turn[name] = used * 1000 / max(result.turns, 1)
            result.rss_mb[name] = rss_bytes(pids) / 2**20
    result.load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return result


async def warm_up(url: str, script: Script) -> None:
    """One conversation of each kind, unmeasured (first-call caches, lazy imports)."""
    result = LevelResult("warm-up", 1, 0)
    async with httpx.AsyncClient(timeout=180) as client:
        replayer = Replayer(client, url, script, result, "warm" + uuid.uuid4().hex[:6])
        for i, conv in enumerate(script.conversations):
            ok = await replayer.conversation(conv, f"{replayer.run_id}-{i}")
            if not ok:
                print(f"  warm-up: {conv.id} did not reach its expected end", file=sys.stderr, flush=True)
    if result.errors:
        print(f"  warm-up errors: {result.error_samples}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- profile

def start_profilers(folder: Path, label: str, processes: dict[str, list[int]], seconds: float) -> list:
    """``py-spy record`` on every measured process (idle threads left out, subprocesses included)."""
    import shutil
    import subprocess

    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, pids in processes.items():
        for i, pid in enumerate(pids):
            target = folder / f"{label}-{name}{'-' + str(i + 1) if len(pids) > 1 else ''}.txt"
            out.append(subprocess.Popen([py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                                         "--rate", "50", "--format", "raw", "--subprocesses", "--output", str(target)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return out


def summarise_profile(path: Path, top: int = 40) -> str:
    """Inclusive share of samples per frame (function file:line) of a py-spy collapsed-stack file."""
    inclusive: dict[str, int] = {}
    total = 0
    for line in Path(path).read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        for frame in {re.sub(r":\d+\)$", ")", f) for f in stack.split(";")}:   # per function, not per line
            inclusive[frame] = inclusive.get(frame, 0) + n
    rows = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
    return f"{total} samples in {path}\n" + "\n".join(f"{100 * n / max(total, 1):5.1f}%  {frame}" for frame, n in rows)


# ---------------------------------------------------------------- report

def format_level(r: LevelResult) -> str:
    turns_per_s = r.turns / r.seconds if r.seconds else 0.0
    cpu = ", ".join(f"{name} {ms:.0f}" for name, ms in r.cpu_ms_per_turn.items())
    total_cpu = sum(r.cpu_ms_per_turn.values())
    rss = ", ".join(f"{name} {mb:.0f}" for name, mb in r.rss_mb.items())
    total_rss = sum(r.rss_mb.values())
    missed = f" missed: {r.missed} {r.missed_samples}" if r.missed else ""
    return (f"{r.target:<14} c={r.concurrency:<3} {r.turns:>5} turns in {r.seconds:5.1f} s = {turns_per_s:6.1f} turns/s"
            f" | p50 {r.percentile(.5):6.0f}  p95 {r.percentile(.95):6.0f}  p99 {r.percentile(.99):6.0f} ms"
            f" | errors {r.errors} | conversations {r.reached_end}/{r.conversations} reached their end{missed}\n"
            f"{'':<14} CPU ms/turn: {cpu} (all {total_cpu:.0f}) | RSS MB: {rss} (all {total_rss:.0f}) | load {r.load}")


def print_table(results: list[LevelResult]) -> None:
    print("\n| setup | concurrency | turns/s | p50 / p95 / p99 ms | errors | reached end | CPU ms/turn (all) | RSS MB (all) | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r.target} | {r.concurrency} | {r.turns / r.seconds:.1f} | {r.percentile(.5):.0f} / {r.percentile(.95):.0f}"
              f" / {r.percentile(.99):.0f} | {r.errors} | {r.reached_end}/{r.conversations} | "
              + ", ".join(f"{n} {v:.0f}" for n, v in r.cpu_ms_per_turn.items())
              + f" ({sum(r.cpu_ms_per_turn.values()):.0f}) | {sum(r.rss_mb.values()):.0f} | {r.load} |")


# ---------------------------------------------------------------- targets

# REST URL -> the headers it needs (our REST channel wants its token; another bot's URL none)
REST_HEADERS: dict[str, dict[str, str]] = {}

def start_own(scale: int, tmp: Path):
    """Our services (``scale`` 0: the default embedded setup of ``make run``) on free ports with
    their own data folder; returns (REST URL, processes to measure, object to stop)."""
    from helpdesk.launcher import build_kb, train_if_needed
    from core.settings import load_settings
    from helpdesk.scale import bench_environment

    env = bench_environment(tmp, scale)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = load_settings()
        train_if_needed(settings)          # the project's models/ folder, as make run: trains only when stale
        build_kb(settings)
        if scale:
            from helpdesk.scale import ScaledServices
            services = ScaledServices(settings, scale)
        else:
            from helpdesk.launcher import Services
            services = Services(settings)
        services.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    url = services.chat_url() if hasattr(services, "chat_url") else \
        f"http://{settings.rasa.host}:{settings.rasa.port}/webhooks/rest/webhook"
    REST_HEADERS[url] = {"Authorization": f"Bearer {settings.rest_token()}"}
    return url, measured_processes(services), services


def measured_processes(services) -> dict[str, list[int]]:
    """{service kind: PIDs}: ``rasa-1`` and ``rasa-2`` are measured together as ``rasa``."""
    out: dict[str, list[int]] = {}
    for service in services.services:
        if service.process is not None:
            out.setdefault(re.sub(r"-\d+$", "", service.name), []).append(service.process.pid)
    return out


def parse_processes(specs: list[str]) -> dict[str, list[int]]:
    out = {}
    for spec in specs:
        name, _, ports = spec.partition("=")
        pids = []
        for port in ports.split(","):
            found = listening_pids(int(port))
            if not found:
                raise SystemExit(f"--process {spec}: nothing listens on port {port}")
            pids += found
        out[name] = sorted(set(pids))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,10,50", help="concurrency levels (default 1,10,50)")
    parser.add_argument("--seconds", type=float, default=60, help="seconds per level (default 60)")
    parser.add_argument("--setups", default="default,scale2",
                        help="our setups to start: default (make run) and/or scaleN (helpdesk run --scale N); "
                             "'none' with --url only")
    parser.add_argument("--url", action="append", default=[], metavar="NAME=URL",
                        help="also drive another Rasa REST webhook, e.g. peer=http://127.0.0.1:5006/webhooks/rest/webhook")
    parser.add_argument("--process", action="append", default=[], metavar="NAME=PORT[,PORT]",
                        help="processes of the last --url to measure, by listening port (e.g. rasa=5006 actions=5056)")
    parser.add_argument("--conversations", action="append", default=[], metavar="NAME=FILE",
                        help="conversations for a --url target (default: ours)")
    parser.add_argument("--no-warm-up", action="store_true")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record each measured process with py-spy during every level (collapsed stacks "
                             "DIR/<setup>-c<level>-<process>.txt; summarise with --summarise)")
    parser.add_argument("--summarise", type=Path, metavar="FILE", help="print the heaviest frames of a py-spy "
                        "collapsed-stack file and exit")
    args = parser.parse_args(argv)
    if args.summarise:
        print(summarise_profile(args.summarise))
        return 0
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    ours = load_script(DEFAULT_CONVERSATIONS)
    scripts = {name: load_script(Path(path)) for name, _, path in (s.partition("=") for s in args.conversations)}

    print(f"bench-chat: levels {levels}, {args.seconds:.0f} s each; {os.cpu_count()} cores; "
          f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
    results: list[LevelResult] = []
    externals = []
    for spec in args.url:
        name, _, url = spec.partition("=")
        externals.append((name, url))
    processes_of_last = parse_processes(args.process)

    async def bench(name: str, url: str, script: Script, processes: dict[str, list[int]]) -> None:
        if not args.no_warm_up:
            await warm_up(url, script)
        for level in levels:
            profilers = start_profilers(args.profile, f"{name}-c{level}", processes, args.seconds) if args.profile else []
            result = await run_level(name, url, script, level, args.seconds, processes)
            for profiler in profilers:
                profiler.wait()
            print(format_level(result), flush=True)
            results.append(result)

    setups = [s.strip() for s in args.setups.split(",") if s.strip() and s.strip() != "none"]
    for setup in setups:
        scale = 0 if setup == "default" else int(setup.removeprefix("scale"))
        with tempfile.TemporaryDirectory(prefix=f"bench-chat-{setup}-") as tmp:
            print(f"\nStarting our {setup} setup...", flush=True)
            url, processes, services = start_own(scale, Path(tmp))
            try:
                asyncio.run(bench(setup, url, ours, processes))
            finally:
                services.stop()
                if scale:
                    from helpdesk.scale import drop_run_resources
                    drop_run_resources(services.settings)
    for i, (name, url) in enumerate(externals):
        processes = processes_of_last if i == len(externals) - 1 else {}
        print(f"\nDriving {name} at {url}", flush=True)
        asyncio.run(bench(name, url, scripts.get(name, ours), processes))
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
