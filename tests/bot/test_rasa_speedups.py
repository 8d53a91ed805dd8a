"""bot/rasa_speedups.py inside Rasa: the sequential graph runner gives the trained model's own answers."""

from __future__ import annotations

import json
import subprocess
import textwrap

from core.settings import PROJECT_ROOT
from helpdesk.launcher import model_path

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"

MESSAGES = ["mijn outlook ontvangt geen mails sinds gisteren", "l'imprimante du 2e étage ne marche plus",
            "I need to open an incident", "hallo", "merci, au revoir", "0x800CCC0E"]


def test_the_sequential_runner_parses_and_predicts_as_dask_does(trained_settings, tmp_path):
    model = model_path(trained_settings)
    code = textwrap.dedent(f"""
        import asyncio, json
        import rasa.core.processor
        from rasa.core.agent import Agent
        from rasa.engine.runner.dask import DaskGraphRunner
        from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
        from rasa.shared.core.trackers import DialogueStateTracker
        from bot.rasa_speedups import sequential_graph_runner

        async def answers(runner):
            rasa.core.processor.DaskGraphRunner = runner
            agent = Agent.load({str(model)!r})
            assert type(agent.processor.graph_runner) is runner
            out = []
            for text in {MESSAGES!r}:
                parsed = await agent.parse_message(text)
                tracker = DialogueStateTracker.from_events("s", [
                    ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                    UserUttered(text, parsed["intent"], parsed["entities"], parse_data=parsed)],
                    slots=agent.domain.slots)
                prediction = agent.processor._predict_next_with_tracker(tracker)
                out.append([parsed["intent"], parsed["intent_ranking"], parsed["entities"],
                            prediction.max_confidence_index, round(prediction.max_confidence, 6)])
            return out

        dask = asyncio.run(answers(DaskGraphRunner))
        sequential = asyncio.run(answers(sequential_graph_runner()))
        print(json.dumps([dask, sequential], default=str))
    """)
    result = subprocess.run([str(RASA_PYTHON), "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=400, env={"PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                                              "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    dask, sequential = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(dask) == len(MESSAGES)
    assert sequential == dask


def test_the_compiled_schema_accepts_and_refuses_what_jsonschema_does(tmp_path):
    """Every event rasa-sdk can return, well formed and broken, judged alike by both validators."""
    code = textwrap.dedent("""
        import datetime, json
        import rasa_sdk.events as ev
        from jsonschema.validators import validator_for
        from rasa.core.actions.action import RemoteAction
        from bot.rasa_speedups import _compiled

        schema = RemoteAction.action_response_format_spec()
        python, fast = validator_for(schema)(schema), _compiled(schema)
        events = [ev.SlotSet("facts", {"since": "2026-11-30", "tried": ["reboot"]}), ev.SlotSet("x", None),
                  ev.SlotSet("n", 3.5), ev.AllSlotsReset(), ev.Restarted(), ev.SessionStarted(),
                  ev.ActionExecuted("action_listen"), ev.ActiveLoop("triage_form"), ev.ActiveLoop(None),
                  ev.FollowupAction("utter_x"), ev.UserUtteranceReverted(), ev.ActionReverted(),
                  ev.ConversationPaused(), ev.ConversationResumed(), ev.LoopInterrupted(True),
                  ev.ActionExecutionRejected("a"), ev.BotUttered("hi", {"buttons": []}, {"lang": "nl"}),
                  ev.UserUttered("hallo", {"intent": {"name": "greet", "confidence": 1.0}, "entities": []}),
                  ev.ReminderScheduled("EXTERNAL_x", datetime.datetime(2026, 12, 1), name="r"),
                  ev.ReminderCancelled(name="r")]
        responses = [{"events": [e], "responses": [{"text": "ok", "buttons": [{"title": "a", "payload": "/b"}]}]}
                     for e in events]
        broken = []
        for e in events:
            broken += [{"events": [dict(e, event=1)]}, {"events": [dict(e, timestamp="now")]},
                       {"events": [{k: v for k, v in e.items() if k != "event"}]}, {"events": [dict(e, event="nope")]}]
        broken += [{"events": "x"}, {"responses": [1]}, {"events": [None]}, [], "x", {"responses": "x"}]
        verdicts = [[python.is_valid(r), fast.is_valid(r)] for r in responses + broken]
        print(json.dumps([len(responses), verdicts]))
    """)
    result = subprocess.run([str(RASA_PYTHON), "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=300, env={"PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                                              "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    n_valid, verdicts = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(python == fast for python, fast in verdicts), [i for i, (p, f) in enumerate(verdicts) if p != f]
    assert [python for python, _ in verdicts[:n_valid]] == [True] * n_valid
    assert [python for python, _ in verdicts[n_valid:]] == [False] * (len(verdicts) - n_valid)


def test_calls_to_an_endpoint_share_one_connection_and_its_headers(tmp_path):
    """Rasa's EndpointConfig.request over the kept session: one TCP connection for a burst of calls,
    the endpoint's headers and token on each, a new connection after the keep-alive, errors as before."""
    code = textwrap.dedent("""
        import asyncio, json
        from aiohttp import web
        import bot.tracker_store   # applies bot.rasa_speedups, as in the Rasa server
        from rasa.utils.endpoints import ClientResponseError, EndpointConfig

        async def main():
            peers, seen = set(), []
            async def handle(request):
                peers.add(request.transport.get_extra_info("peername"))
                seen.append([request.headers.get("X-Test"), request.query.get("token")])
                if request.path == "/fail":
                    return web.Response(status=500)
                return web.json_response(await request.json())
            app = web.Application()
            app.router.add_route("POST", "/{tail:.*}", handle)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]
            endpoint = EndpointConfig(f"http://127.0.0.1:{port}", headers={"X-Test": "h"}, token="t")
            answers = [await endpoint.request(json={"n": n}, subpath="webhook") for n in range(5)]
            burst = len(peers)
            try:
                await endpoint.request(json={}, subpath="fail")
                failed = None
            except ClientResponseError as exc:
                failed = exc.status
            await asyncio.sleep(1.5)
            await endpoint.request(json={}, subpath="webhook")
            print(json.dumps([answers, burst, len(peers), failed, seen[0]]))
            await runner.cleanup()
        asyncio.run(main())
    """)
    result = subprocess.run([str(RASA_PYTHON), "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=300, env={"PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                                              "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    answers, burst, total, failed, headers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers == [{"n": n} for n in range(5)]
    assert burst == 1                  # five calls, one connection
    assert total == 2                  # the idle connection was let go after the keep-alive
    assert failed == 500
    assert headers == ["h", "t"]


def test_the_intent_classifier_gets_the_same_feature_rows(trained_settings, tmp_path):
    """The classifier's matrix built from the sentence features only equals Rasa's, message by message
    (empty, one word, long, mixed languages), so the trained model ranks intents as before."""
    model = model_path(trained_settings)
    messages = MESSAGES + ["", "vpn??", "ik heb een probleem met mijn laptop " * 40, "mon outlook crashes sinds gisteren"]
    code = textwrap.dedent(f"""
        import asyncio, json
        from rasa.core.agent import Agent
        from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier as LR
        from bot.rasa_speedups import sentence_features_matrix

        original, checks = LR._create_X, []
        def both(self, messages):
            before, after = original(self, messages), sentence_features_matrix(self, messages)
            checks.append([before.shape == after.shape, (before != after).nnz == 0, after.nnz > 0])
            return after
        LR._create_X = both
        agent = Agent.load({str(model)!r})
        async def main():
            return [(await agent.parse_message(text))["intent"]["name"] for text in {messages!r}]
        print(json.dumps([asyncio.run(main()), checks]))
    """)
    result = subprocess.run([str(RASA_PYTHON), "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=400, env={"PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                                              "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    intents, checks = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(intents) == len(messages) and all(intents[:3])
    assert len(checks) >= len(messages) - 1        # the empty message may be classified without features
    assert all(same_shape and same_values for same_shape, same_values, _ in checks)
    assert sum(nonempty for _, _, nonempty in checks) >= len(messages) - 1
