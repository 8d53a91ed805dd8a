"""bot/rasa_speedups.py against the running action server: Rasa sends the domain's digest, and the
domain itself only when the action server asks for it (449), and the actions see that domain."""

from __future__ import annotations

import json
import subprocess
import textwrap

from core.settings import PROJECT_ROOT

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"


def test_the_action_server_gets_the_domain_once_per_digest_and_uses_it(stack, tmp_path):
    settings = stack
    url = f"http://{settings.rasa.host}:{settings.rasa.actions_port}/webhook"
    code = textwrap.dedent(f"""
        import asyncio, json
        from rasa.core.actions.action import RemoteAction
        from rasa.core.channels import CollectingOutputChannel
        from rasa.core.nlg import TemplatedNaturalLanguageGenerator
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
        from rasa.shared.core.trackers import DialogueStateTracker
        from rasa.utils.endpoints import EndpointConfig

        marker = "Apparaat-{{n}}"
        statuses = []
        request = EndpointConfig.request
        async def counting(self, *args, **kwargs):
            body = kwargs.get("json") or {{}}
            statuses.append(("domain" in body, "domain_digest" in body))
            return await request(self, *args, **kwargs)
        EndpointConfig.request = counting   # each call on the wire (the speed-up wraps this one)
        import bot.tracker_store   # applies bot.rasa_speedups, as in the Rasa server

        base = Domain.load("bot/domain").as_dict()
        async def run(n):
            data = json.loads(json.dumps(base))
            for variant in data["responses"]["utter_label_device"]:
                variant["text"] = marker.format(n=n)
            domain = Domain.from_dict(data)
            tracker = DialogueStateTracker.from_events("speedups", [
                ActionExecuted("action_session_start"), SessionStarted(), SlotSet("language", "en"),
                SlotSet("device", "laptop"), ActionExecuted("action_listen"),
                UserUttered("no that is wrong", {{"name": "deny", "confidence": 1.0}})],
                slots=domain.slots)
            endpoint = EndpointConfig({url!r}, headers={{"X-Helpdesk-Action-Token": {settings.actions_token()!r}}})
            events = await RemoteAction("action_correct_facts", endpoint).run(
                CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain)
            return [b["title"] for e in events for b in (getattr(e, "data", None) or {{}}).get("buttons") or []]

        async def main():
            out = []
            for n in (1, 1, 2):
                statuses.clear()
                titles = await run(n)
                out.append([titles, list(statuses)])
            print(json.dumps(out))
        asyncio.run(main())
    """)
    result = subprocess.run([str(RASA_PYTHON), "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=300, env={"PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                                              "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    first, again, changed = json.loads(result.stdout.strip().splitlines()[-1])
    # a domain the action server has not seen: the digest alone (449), then with the domain
    assert first == [["Apparaat-1"], [[False, True], [True, True]]]
    # the same domain again: the digest is enough
    assert again == [["Apparaat-1"], [[False, True]]]
    # another domain (a new model): sent again, and the actions use the new one
    assert changed == [["Apparaat-2"], [[False, True], [True, True]]]
