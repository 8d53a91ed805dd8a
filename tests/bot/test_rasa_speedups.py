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
