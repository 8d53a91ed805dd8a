"""End-to-end conversation evaluation: a simulated user plays ``eval/conversations/<set>/*.yml``
over the REST channel and the ticket is read back from the helpdesk service.

``python -m helpdesk.evaluation.conversations [--set dev|test]`` (``make eval-conversations
[SET=dev]``) starts the three services as ``make run`` does (own ports and data folder, the model
of ``rasa.model_dir``), or talks to a running stack with ``--rasa-url`` / ``--service-url``
(tokens from the data folder). The user answers whatever fact the triage form requests (Rasa's
tracker tells which), "I don't know" in its language for a fact the set does not answer, says its
interrupts, describes the problem when asked outside the form (its ``symptom`` answer), confirms
the paraphrase, accepts or refuses the article, accepts the ticket and answers the
remote-control consent. Figures per language: facts asked again, category / priority
accuracy, an acceptable article offered, questions per conversation (median), paraphrases with a
copied run of 6+ words of the user, replies in the user's language, outcomes reached.

The test set is sealed (eval/conversations/README.md): run it to measure, never to tune.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from core.settings import PROJECT_ROOT, Settings, load_settings

SETS_DIR = PROJECT_ROOT / "eval" / "conversations"
USER_FILE = Path(__file__).with_name("conversation_user.yml")
MAX_TURNS = 30
COPY_RUN = 6
DESCRIPTION_REQUESTS = ("utter_ask_problem", "action_handle_unclear")   # the bot asks what the problem is
ARTICLE_CHOICE = re.compile(r'/choose_article(\{.*\})')
_WORD = re.compile(r"\w+(?:['’]\w+)?")


def load_set(name: str, languages: list[str]) -> list[dict]:
    conversations = []
    for language in languages:
        path = SETS_DIR / name / f"{language}.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for conversation in data.get("conversations") or []:
            conversations.append({**conversation, "language": data.get("language", language)})
    return conversations


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


def longest_copied_run(paraphrase: str, user_texts: list[str], keep: list[str] = ()) -> int:
    """The longest run of consecutive words of ``paraphrase`` that a user message also has
    (error codes / messages in ``keep`` are allowed to be quoted and are removed first)."""
    for kept in keep:
        if kept:
            paraphrase = paraphrase.replace(kept, " | ")
    said = [words(t) for t in user_texts]
    mine = words(paraphrase)
    best = 0
    for user in said:
        grams = set()
        for size in range(1, min(len(user), 40) + 1):
            for i in range(len(user) - size + 1):
                grams.add(tuple(user[i:i + size]))
        for i in range(len(mine)):
            size = best + 1
            while i + size <= len(mine) and tuple(mine[i:i + size]) in grams:
                best = size
                size += 1
    return best


@dataclass
class Result:
    conversation: dict
    turns: list[tuple[str, list[dict]]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)        # facts requested, in order
    asked_again: list[str] = field(default_factory=list)  # facts requested that were given / answered
    offered: list[str] = field(default_factory=list)      # article ids offered (shown or as a choice)
    languages: list[str | None] = field(default_factory=list)  # the language slot after each turn
    ticket: dict | None = None
    resolution: str | None = None
    category: str | None = None
    paraphrase: str | None = None
    error: str | None = None

    @property
    def language(self) -> str:
        return self.conversation["language"]

    def outcome_reached(self) -> bool:
        wanted = self.conversation.get("outcome")
        if wanted == "self_service":
            return self.resolution == "self_service" and self.ticket is None
        return self.ticket is not None

    def expected_facts(self) -> list[bool]:
        """For a ticket: each fact an interrupt gave or corrected, and each ``expect_facts``, holds
        its word (case-insensitive)."""
        if self.ticket is None:
            return []
        wanted = dict(self.conversation.get("expect_facts") or {})
        for interrupt in self.conversation.get("interrupts") or []:
            wanted.update(interrupt.get("fills") or {})
        facts = self.ticket.get("facts") or {}
        return [str(word).lower() in str(facts.get(name) or "").lower() for name, word in wanted.items()]

    def copied_run(self) -> int:
        if not self.paraphrase:
            return 0
        user = [text for text, _ in self.turns if not text.startswith("/")]
        facts = (self.ticket or {}).get("facts") or {}
        return longest_copied_run(self.paraphrase, user, [str(facts.get("error_code") or "")])


class Stack:
    """Where the services are, and the two tokens."""

    def __init__(self, settings: Settings, rasa_url: str | None = None, service_url: str | None = None) -> None:
        self.settings = settings
        self.rasa_url = (rasa_url or f"http://{settings.rasa.host}:{settings.rasa.port}").rstrip("/")
        self.service_url = (service_url or f"http://127.0.0.1:{settings.service.port}").rstrip("/")
        self.client = httpx.Client(timeout=120)

    def say(self, sender: str, text: str) -> list[dict]:
        response = self.client.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                    headers={"Authorization": f"Bearer {self.settings.rest_token()}"})
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict:
        response = self.client.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                                   params={"token": self.settings.rasa_token(), "include_events": "NONE"})
        response.raise_for_status()
        return response.json()

    def last_action(self, sender: str) -> str | None:
        """The bot's latest action before it listened again."""
        response = self.client.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                                   params={"token": self.settings.rasa_token(), "include_events": "APPLIED"})
        response.raise_for_status()
        actions = [e.get("name") for e in response.json().get("events") or []
                   if e.get("event") == "action" and e.get("name") != "action_listen"]
        return actions[-1] if actions else None

    def ticket(self, ticket_id: str) -> dict | None:
        response = self.client.get(f"{self.service_url}/api/tickets/{ticket_id}",
                                   headers={"Authorization": f"Bearer {self.settings.api_token()}"})
        return response.json() if response.status_code == 200 else None


def _button(replies: list[dict], payload: str) -> str | None:
    for reply in replies:
        for button in reply.get("buttons") or []:
            if str(button.get("payload", "")).strip() == payload:
                return button["payload"]
    return None


def play(stack: Stack, conversation: dict, user: dict) -> Result:
    """One conversation, to its end (a ticket, a solved article, or MAX_TURNS)."""
    result = Result(conversation)
    phrases = user[conversation["language"]]
    answers = dict(conversation.get("answers") or {})
    interrupts = list(conversation.get("interrupts") or [])
    given = set(conversation.get("given") or [])
    known: set[str] = set(given)          # facts the user has stated so far
    sender = f"eval-{conversation['id']}-{uuid.uuid4().hex[:8]}"
    message = conversation["first"]
    for _ in range(MAX_TURNS):
        replies = stack.say(sender, message)
        result.turns.append((message, replies))
        tracker = stack.tracker(sender)
        slots = tracker.get("slots") or {}
        result.languages.append(slots.get("language"))
        result.category = slots.get("category") or result.category
        for reply in replies:
            for button in reply.get("buttons") or []:
                match = ARTICLE_CHOICE.match(str(button.get("payload", "")))
                if match:
                    result.offered.append(json.loads(match.group(1)).get("article_id"))
        for article in slots.get("suggested_articles") or []:
            if article not in result.offered:
                result.offered.append(article)
        if slots.get("paraphrase"):
            result.paraphrase = slots["paraphrase"]
        if slots.get("ticket_id"):
            result.ticket = stack.ticket(str(slots["ticket_id"]))
            if result.ticket and result.ticket.get("paraphrase"):
                result.paraphrase = result.ticket["paraphrase"]
            return result
        if slots.get("resolution") == "self_service":
            result.resolution = "self_service"
            return result
        loop = (tracker.get("active_loop") or {}).get("name")
        requested = slots.get("requested_slot") if loop == "triage_form" else None
        pending = slots.get("pending_question")
        if requested:
            if requested in known and requested not in result.asked_again:
                result.asked_again.append(requested)
            result.asked.append(requested)
            interrupt = next((i for i in interrupts if i.get("when_asked") == requested), None)
            if interrupt:
                interrupts.remove(interrupt)
                message = interrupt["say"]
                known |= set((interrupt.get("fills") or {}).keys())
            elif requested in answers:
                message = str(answers[requested])
                known.add(requested)
            else:
                message = phrases["dont_know"]
                known.add(requested)
        elif pending == "confirm_facts":
            message = _button(replies, "/affirm") or phrases["yes"]
        elif pending in ("kb_feedback", "walk_through"):
            message = phrases["yes"] if conversation.get("article_helps") else phrases["no"]
        elif pending == "offer_ticket":
            message = _button(replies, "/affirm") or phrases["yes"]
        elif pending == "remote_consent":
            message = conversation.get("consent") or phrases["no"]
        elif "symptom" in answers and "symptom" not in known and stack.last_action(sender) in DESCRIPTION_REQUESTS:
            message = str(answers["symptom"])   # "could you describe the problem?" (a code, one word first)
            known.add("symptom")
        else:
            result.error = "the bot stopped asking without an outcome"
            return result
    result.error = f"no outcome after {MAX_TURNS} turns"
    return result


def play_or_error(stack: Stack, conversation: dict, user: dict) -> Result:
    try:
        return play(stack, conversation, user)
    except httpx.HTTPError as exc:
        return Result(conversation, error=f"{exc.__class__.__name__}: {exc}")


def _share(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.2f} ({sum(values)}/{len(values)})" if values else "-"


def report(results: list[Result], languages: list[str], out=sys.stdout) -> dict:
    figures: dict[str, dict] = {}
    for language in languages + ["all"]:
        rs = [r for r in results if language == "all" or r.language == language]
        if not rs:
            continue
        tickets = [r for r in rs if r.conversation.get("priority")]
        articles = [r for r in rs if r.conversation.get("articles")]
        paraphrased = [r for r in rs if r.paraphrase]
        figures[language] = {
            "conversations": len(rs),
            "facts_asked_again": sum(len(r.asked_again) for r in rs),
            "category": _share([(r.ticket or {}).get("category", r.category) == r.conversation["category"] for r in rs]),
            "priority": _share([(r.ticket or {}).get("priority") == r.conversation["priority"] for r in tickets]),
            "article_offered": _share([bool(set(r.offered) & set(r.conversation["articles"])) for r in articles]),
            "questions_median": statistics.median([len(r.asked) for r in rs]),
            "paraphrase_copies_6plus": sum(r.copied_run() >= COPY_RUN for r in paraphrased),
            "replies_in_language": _share([all(l == r.language for l in r.languages) for r in rs]),
            "outcome_reached": _share([r.outcome_reached() for r in rs]),
            "facts_given_on_ticket": _share([ok for r in rs for ok in r.expected_facts()]),
        }
    names = list(next(iter(figures.values())).keys())
    print(f"{'':26}" + "".join(f"{l:>16}" for l in figures), file=out)
    for name in names:
        print(f"{name:26}" + "".join(f"{str(figures[l][name]):>16}" for l in figures), file=out)
    return figures


def details(results: list[Result], out=sys.stdout) -> None:
    for r in results:
        c = r.conversation
        problems = []
        if r.asked_again:
            problems.append(f"asked again: {r.asked_again}")
        got_category = (r.ticket or {}).get("category", r.category)
        if got_category != c["category"]:
            problems.append(f"category {got_category} != {c['category']}")
        if c.get("priority") and (r.ticket or {}).get("priority") != c["priority"]:
            problems.append(f"priority {(r.ticket or {}).get('priority')} != {c['priority']}")
        if c.get("articles") and not set(r.offered) & set(c["articles"]):
            problems.append(f"articles {r.offered} not in {c['articles']}")
        if r.copied_run() >= COPY_RUN:
            problems.append(f"paraphrase copies {r.copied_run()} words")
        if not all(r.expected_facts()):
            problems.append(f"ticket facts {((r.ticket or {}).get('facts'))} miss some of "
                            f"{c.get('expect_facts')} / {[i.get('fills') for i in c.get('interrupts') or []]}")
        if not r.outcome_reached():
            problems.append(f"outcome not reached ({r.error or 'wrong outcome'})")
        if any(l != r.language for l in r.languages):
            problems.append(f"languages {r.languages}")
        print(f"{c['id']:8} {len(r.asked):2} asked {'OK' if not problems else '; '.join(problems)}", file=out)


def transcript(r: Result, out=sys.stdout) -> None:
    print(f"--- {r.conversation['id']} ({r.conversation['category']})", file=out)
    for text, replies in r.turns:
        print(f"  U: {text}", file=out)
        for reply in replies:
            print(f"  B: {reply.get('text', '')[:300]}", file=out)
    print(f"  paraphrase: {r.paraphrase}", file=out)
    if r.ticket:
        print(f"  ticket: {r.ticket.get('category')} {r.ticket.get('priority')} {r.ticket.get('facts')}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="test", choices=["dev", "test"])
    parser.add_argument("--rasa-url", help="a running Rasa server (else the services are started)")
    parser.add_argument("--service-url", help="a running helpdesk service (with --rasa-url)")
    parser.add_argument("--only", help="comma-separated conversation ids")
    parser.add_argument("--transcripts", action="store_true", help="print every conversation")
    args = parser.parse_args(argv)
    settings = load_settings()
    languages = list(settings.languages)
    conversations = load_set(args.set, languages)
    if args.only:
        wanted = set(args.only.split(","))
        conversations = [c for c in conversations if c["id"] in wanted]
    user = yaml.safe_load(USER_FILE.read_text(encoding="utf-8"))
    services = None
    if not args.rasa_url:
        services, settings = start_stack()
    try:
        stack = Stack(settings, args.rasa_url, args.service_url)
        results = []
        for conversation in conversations:
            results.append(play_or_error(stack, conversation, user))
    finally:
        if services:
            services.stop()
    print(f"\nConversation set '{args.set}': {len(results)} conversations\n")
    details(results)
    if args.transcripts:
        for r in results:
            transcript(r)
    print()
    report(results, languages)
    return 0


def start_stack():
    """The three services with their own ports and data folder (the model is the usual one)."""
    import os
    import socket
    import tempfile

    from helpdesk.launcher import Services, build_kb, train_if_needed

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    data = Path(tempfile.mkdtemp(prefix="eval-conversations-"))
    port = free_port()
    os.environ.update({
        "HELPDESK_SERVICE__PORT": str(port), "HELPDESK_RASA__PORT": str(free_port()),
        "HELPDESK_RASA__ACTIONS_PORT": str(free_port()), "HELPDESK_DATA_DIR": str(data),
        "HELPDESK_KB__INDEX_DIR": str(data / "kb_index"),
        "HELPDESK_TICKETS__SQLITE_PATH": str(data / "tickets.db"),
        "HELPDESK_SERVICE__PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HELPDESK_PROBLEMS__MIN_SIMILAR": "100000",   # many similar tickets in minutes are no outage here
        "HELPDESK_CHAT__REST_CHANNEL": "true",        # the simulated user talks over REST (off by default)
        # one simulated user at machine speed from 127.0.0.1: the per-address limit (120 a minute)
        # answered "too many messages" from the third minute on and the conversations looped
        "HELPDESK_LIMITS__CHAT_MESSAGES_PER_MINUTE_PER_IP": "1000000",
        "HELPDESK_LIMITS__CHAT_MESSAGES_PER_MINUTE": "1000000",
    })
    settings = load_settings()
    train_if_needed(settings)
    build_kb(settings)
    services = Services(settings)
    services.start()
    return services, settings


if __name__ == "__main__":
    raise SystemExit(main())
