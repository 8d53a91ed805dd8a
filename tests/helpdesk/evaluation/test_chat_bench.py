"""bench-chat's pieces: its conversations parse, a conversation is replayed as a user would (buttons
through the triage, the ticket number reused), CPU and memory are read from /proc, py-spy output
is summarised per function."""

from __future__ import annotations

import asyncio
import os
import socket

import httpx

from helpdesk.evaluation.chat_bench import (DEFAULT_CONVERSATIONS, Conversation, LevelResult, Replayer, Script,
                                            cpu_seconds, listening_pids, load_script, rss_bytes, summarise_profile)


def test_the_bench_conversations_cover_three_languages_and_every_kind():
    script = load_script(DEFAULT_CONVERSATIONS)
    assert {c.language for c in script.conversations} == {"nl", "fr", "en"}
    kinds = " ".join(c.kind for c in script.conversations)
    for kind in ("self-service", "ticket", "correction", "status"):
        assert kind in kinds
    assert all(c.end for c in script.conversations)


def fake_bot(request: httpx.Request) -> httpx.Response:
    """A bot that asks two triage questions with buttons, paraphrases, then gives ticket 42."""
    import json

    body = json.loads(request.content)
    text = body["message"]
    replies = {"hello": [{"text": "Hi"}],
               "my printer": [{"text": "Where?", "buttons": [{"title": "Office", "payload": "/office"}]}],
               "/office": [{"text": "Since?"}],
               "since ever": [{"text": "So, if I understood well: printer"}],
               "/affirm": [{"text": "I've created ticket #42"}],
               "status of 42": [{"text": "Ticket #42 is open"}]}
    return httpx.Response(200, json=replies.get(text, [{"text": "?"}]))


def test_a_conversation_follows_buttons_through_the_triage_and_reuses_the_ticket_number():
    script = Script([Conversation("c", [{"say": "hello"}, {"say": "my printer"}, {"triage": "since ever"},
                                        {"say": "status of {ticket}"}], end="Ticket #42 is open",
                                  ticket=r"ticket #(\d+)")], ("So, if I understood well:",))
    result = LevelResult("fake", 1, 1)

    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(fake_bot)) as client:
            return await Replayer(client, "http://bot/webhooks/rest/webhook", script, result, "t").conversation(
                script.conversations[0], "s")

    assert asyncio.run(main()) is True
    assert result.turns == 6 and result.errors == 0


def test_errors_are_counted_and_the_conversation_stops():
    script = Script([Conversation("c", [{"say": "hello"}, {"say": "again"}], end=".")])
    result = LevelResult("fake", 1, 1)

    async def main():
        transport = httpx.MockTransport(lambda request: httpx.Response(500, text="boom"))
        async with httpx.AsyncClient(transport=transport) as client:
            return await Replayer(client, "http://bot/", script, result, "t").conversation(script.conversations[0], "s")

    assert asyncio.run(main()) is False
    assert result.errors == 1 and "HTTP 500" in result.error_samples[0]


def test_processes_are_found_by_port_and_measured():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert os.getpid() in listening_pids(server.getsockname()[1])
    before = cpu_seconds([os.getpid()])
    sum(i * i for i in range(2_000_000))
    assert cpu_seconds([os.getpid()]) > before
    assert rss_bytes([os.getpid()]) > 10 * 2**20


def test_profiles_are_summarised_per_function(tmp_path):
    raw = tmp_path / "p.txt"
    raw.write_text("main (a.py:1);work (b.py:10);inner (c.py:3) 3\nmain (a.py:1);work (b.py:12) 1\n")
    text = summarise_profile(raw)
    assert "4 samples" in text
    assert "100.0%  work (b.py)" in text and " 75.0%  inner (c.py)" in text
