"""The ``helpdesk`` command: KB build/search, language detection, services.

Errors of the packages are translated here, once, into a message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from escalation.errors import EscalationError
from core.settings import load_settings
from helpdesk.progress import progress_bar
from kb_index.errors import KbError


def cmd_kb_build(args: argparse.Namespace) -> int:
    """Index every article (Markdown or HTML) under --kb and print the import report: what was
    indexed, split into sections or derived, and what was skipped and why (exit code 1 when a file
    was skipped; the rest is indexed all the same)."""
    from kb_index.embedders import get_embedder
    from kb_index.importer import import_kb
    from kb_index.index import build_index

    settings = load_settings()
    kb_dir = Path(args.kb or settings.path(settings.kb.articles_dir))
    index_dir = Path(args.index or settings.path(settings.kb.index_dir))
    result = import_kb(kb_dir, settings.languages)
    for line in result.report_lines():
        print(line, file=sys.stderr)
    report = build_index(result.articles, get_embedder(args.encoder or settings.kb.encoder), index_dir,
                         progress_bar("embedding"), hnsw_threshold=settings.kb.hnsw_threshold)
    print(f"index {report.path}: {report.articles} article variants, {report.total} passages "
          f"({report.embedded} embedded, {report.reused} reused), {report.index_type}; "
          f"no-answer threshold learned from off-topic questions: {report.threshold:.3f}")
    if result.skipped:
        print(f"{len(result.skipped)} file(s) skipped, see above", file=sys.stderr)
        return 1
    return 0


def _searcher(args: argparse.Namespace):
    from kb_index.live import LiveKbSearcher

    settings = load_settings()
    index_dir = Path(args.index or settings.path(settings.kb.index_dir))
    return LiveKbSearcher(index_dir, args.encoder or settings.kb.encoder,
                          fallback_languages=(settings.default_language,)), settings


def _hits_json(hits) -> list[dict]:
    return [{"article_id": h.article_id, "lang": h.lang, "score": h.score} for h in hits]


def cmd_kb_search(args: argparse.Namespace) -> int:
    """One query, or ``--jsonl``: ``{"id", "query"[, "lang"]}`` lines in, ``{"id", "hits"}`` lines out."""
    live, settings = _searcher(args)
    min_score = settings.kb.min_score if args.min_score is None else args.min_score
    top_k = args.top_k or settings.kb.top_k
    if args.jsonl:
        live.searcher()  # a missing index or another encoder is reported once, before reading stdin
        for line_no, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                query = str(item["query"])
                lang = item.get("lang") or args.lang
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
                print(json.dumps({"line": line_no, "error": "expected {\"id\": ..., \"query\": ...}"}), flush=True)
                continue
            hits = live.search(query, top_k=top_k, lang=lang, min_score=min_score)
            print(json.dumps({"id": item.get("id"), "hits": _hits_json(hits)}, ensure_ascii=False), flush=True)
        return 0
    if not args.query or not args.query.strip():
        print("give a query, or --jsonl to read queries from stdin", file=sys.stderr)
        return 2
    hits = live.search(args.query, top_k=top_k, lang=args.lang, min_score=min_score)
    if not hits:
        print("no article above the score threshold")
    for h in hits:
        note = " (not available in the requested language)" if h.fallback_language else ""
        print(f"{h.score:.3f}  {h.article_id} [{h.lang}]  {h.title}{note}")
    return 0


def cmd_lang_detect(args: argparse.Namespace) -> int:
    from core.language import LanguageDetector

    settings = load_settings()
    detector = LanguageDetector.from_nlu_dir(settings.path(settings.rasa.nlu_dir), settings.languages)
    if args.jsonl:
        for line_no, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text = str(item["text"])
            except (json.JSONDecodeError, KeyError, TypeError):
                print(json.dumps({"line": line_no, "error": "expected {\"id\": ..., \"text\": ...}"}))
                continue
            print(json.dumps({"id": item.get("id"), "lang": detector.detect(text).lang}), flush=True)
        return 0
    if args.text is None:
        print("give a text, or --jsonl to read texts from stdin", file=sys.stderr)
        return 2
    d = detector.detect(args.text)
    print(d.lang if d.supported else f"{d.lang} (looks like unsupported language {d.other_lang})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from helpdesk_service.app import create_app

    settings = load_settings()
    uvicorn.run(create_app(settings), host=settings.service.host, port=settings.service.port, log_level="info")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from helpdesk.launcher import run

    if args.scale is not None:
        from helpdesk.scale import ScaledServices, describe

        settings = load_settings()
        if args.scale:
            settings.scale.rasa_processes = args.scale
        print(f"Scaled setup: {describe(settings)}", flush=True)
        return run(settings, train=not args.no_train, services_factory=ScaledServices)
    return run(load_settings(), train=not args.no_train)


def cmd_rt_setup(args: argparse.Namespace) -> int:
    """Create what the RT backend needs. When RT is on this machine and not running, it is started for
    the setup (with RT's service levels already written) and stopped afterwards."""
    from escalation.tickets import rt_process
    from escalation.tickets.rt import RtTicketBackend
    from escalation.tickets.rt_setup import SITE_CONFIG_DIR, setup, write_site_config

    settings = load_settings()
    if args.url:
        settings.rt.url = args.url
    say = lambda line: print(line, file=sys.stderr)  # noqa: E731
    started = None
    if not rt_process.answers(settings):
        if not rt_process.can_start(settings):
            raise EscalationError(f"RT at {settings.rt.url} does not answer: start it with "
                                  f"`{rt_process.start_hint(settings)}` (scripts/install-rt installs RT), "
                                  "or correct rt.url (HELPDESK_RT__URL)")
        try:
            write_site_config(settings)
        except OSError as exc:
            say(f"could not write RT's configuration in {SITE_CONFIG_DIR} ({exc.strerror})")
        log = settings.data_path / "logs" / "rt.log"
        say(f"RT is not running: starting `{rt_process.start_hint(settings)}` for the setup (log: {log})")
        started = rt_process.start(settings, log)
    rt = RtTicketBackend(settings.rt, settings.default_language)
    try:
        setup(rt, settings, say=say)
    finally:
        rt.close()
        if started is not None:
            rt_process.stop(started)
            say("rt-server stopped again; `make run` starts it when tickets.backend is rt")
    return 0


def cmd_gdpr(args: argparse.Namespace) -> int:
    """Export or erase one user's data across every store, or apply the retention periods now."""
    from escalation.tickets.factory import build_backend
    from helpdesk_service.gdpr import PersonalData

    settings = load_settings()
    data = PersonalData(settings, build_backend(settings))
    if args.gdpr_command == "export":
        result = data.export(args.user_id)
    elif args.gdpr_command == "delete":
        result = data.delete(args.user_id)
    else:
        result = data.purge()
    print(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from helpdesk.launcher import LaunchError, shell

    try:
        return shell(load_settings())
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _account_store():
    from helpdesk_service.accounts import AccountStore

    settings = load_settings()
    return AccountStore(settings.data_path / "accounts.db", settings.handoff.session_hours)


def _read_password(args: argparse.Namespace) -> str:
    """From a prompt (twice) on a terminal, else the first line of stdin."""
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass(f"Password for {args.user}: ")
        if getpass.getpass("Again: ") != first:
            raise AccountCliError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


class AccountCliError(Exception):
    pass


def cmd_accounts(args: argparse.Namespace) -> int:
    """Staff accounts (agent console, editor pages): create, list, disable, enable, reset-password."""
    from helpdesk_service.accounts import AccountError

    store = _account_store()
    try:
        if args.accounts_command == "create":
            account = store.create(args.user, args.role, _read_password(args))
            print(f"created {account.username} ({account.role})")
        elif args.accounts_command == "list":
            for account in store.list():
                print(f"{account.username}\t{account.role}\t{'disabled' if account.disabled else 'active'}")
        elif args.accounts_command in ("disable", "enable"):
            account = store.set_disabled(args.user, args.accounts_command == "disable")
            print(f"{account.username} {args.accounts_command}d")
        elif args.accounts_command == "reset-password":
            store.set_password(args.user, _read_password(args))
            print(f"password of {args.user} changed; its sessions are closed")
    except (AccountError, AccountCliError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train the Rasa model when its training data changed; the last line printed is the model's path."""
    from helpdesk.launcher import LaunchError, model_path, train_if_needed

    settings = load_settings()
    try:
        train_if_needed(settings)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(model_path(settings), flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpdesk", description="Multilingual first-line IT-support assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="kb_command", required=True)
    build = kb.add_parser("build", help="build or update the KB index")
    build.add_argument("--kb", help="folder with *.md articles (searched recursively)")
    build.add_argument("--index", help="index folder")
    build.add_argument("--encoder", help="encoder name (default from settings)")
    build.set_defaults(func=cmd_kb_build)
    search = kb.add_parser("search", help="search the KB index")
    search.add_argument("query", nargs="?")
    search.add_argument("--index", help="index folder (default: kb.index_dir)")
    search.add_argument("--encoder", help="encoder name (default from settings)")
    search.add_argument("--top-k", type=int, help="number of articles (default: kb.top_k)")
    search.add_argument("--lang", help="preferred article language (nl, fr, en)")
    search.add_argument("--min-score", type=float, help="score threshold (default: kb.min_score)")
    search.add_argument("--jsonl", action="store_true", help="read {id, query} lines on stdin")
    search.set_defaults(func=cmd_kb_search)

    lang = sub.add_parser("lang", help="language identification").add_subparsers(dest="lang_command", required=True)
    detect = lang.add_parser("detect", help="detect nl / fr / en")
    detect.add_argument("text", nargs="?")
    detect.add_argument("--jsonl", action="store_true", help="read {id, text} lines on stdin")
    detect.set_defaults(func=cmd_lang_detect)

    rt = sub.add_parser("rt", help="Request Tracker 5 backend").add_subparsers(dest="rt_command", required=True)
    rt_setup = rt.add_parser("setup", help="create the queues and custom fields the RT backend needs (idempotent)")
    rt_setup.add_argument("--url", help="RT base URL (default: rt.url from the settings)")
    rt_setup.set_defaults(func=cmd_rt_setup)

    gdpr = sub.add_parser("gdpr", help="personal data: export, erase, retention").add_subparsers(
        dest="gdpr_command", required=True)
    for name, text in [("export", "print everything kept about one user (JSON)"),
                       ("delete", "erase one user's data from every store")]:
        command = gdpr.add_parser(name, help=text)
        command.add_argument("user_id", help="the sender id / requester id")
        command.set_defaults(func=cmd_gdpr)
    gdpr.add_parser("purge", help="apply the retention periods now (the service also does at start and daily)"
                    ).set_defaults(func=cmd_gdpr)
    accounts = sub.add_parser("accounts", help="staff accounts: agent, editor, admin").add_subparsers(
        dest="accounts_command", required=True)
    create = accounts.add_parser("create", help="create an account (password from a prompt, or stdin)")
    create.add_argument("--user", required=True)
    create.add_argument("--role", required=True, choices=["agent", "editor", "admin"])
    accounts.add_parser("list", help="list the accounts")
    for name, text in (("disable", "disable an account (ends its sessions)"), ("enable", "enable an account"),
                       ("reset-password", "set a new password (prompt or stdin; ends its sessions)")):
        command = accounts.add_parser(name, help=text)
        command.add_argument("--user", required=True)
    for command in accounts.choices.values():
        command.set_defaults(func=cmd_accounts)

    serve = sub.add_parser("serve", help="run the helpdesk web service only")
    serve.set_defaults(func=cmd_serve)
    run = sub.add_parser("run", help="train if needed, build the KB index, start Rasa, actions and helpdesk")
    run.add_argument("--no-train", action="store_true")
    run.add_argument("--scale", type=int, nargs="?", const=0, metavar="N",
                     help="N Rasa processes behind HAProxy with Redis, PostgreSQL and RabbitMQ "
                          "(settings.yml scale:; N defaults to scale.rasa_processes)")
    run.set_defaults(func=cmd_run)
    train = sub.add_parser("train", help="train the Rasa model if its training data changed (prints the model path)")
    train.set_defaults(func=cmd_train)
    shell = sub.add_parser("shell", help="chat in the terminal (rasa shell) with the services of `helpdesk run`")
    shell.set_defaults(func=cmd_shell)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (KbError, EscalationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
