import json
from collections import Counter

from helpdesk.evaluation.nlu import (Example, entity_counts, intent_metrics, load_examples, prf, report,
                                     split, write_nlu)
from core.settings import PROJECT_ROOT


def test_split_is_stratified_and_reproducible():
    examples = load_examples(PROJECT_ROOT / "nlu_data")
    train, test = split(examples)
    assert split(examples) == (train, test)
    assert len(train) + len(test) == len(examples) and not set(train) & set(test)
    per_group = Counter((e.lang, e.intent) for e in examples)
    in_test = Counter((e.lang, e.intent) for e in test)
    assert set(in_test) == set(per_group)          # every language x intent is tested
    for key, n in per_group.items():
        assert abs(in_test[key] - 0.2 * n) <= 1


def test_examples_keep_entity_markup_and_text_drops_it(tmp_path):
    ex = Example("nl", "vpn_problem", "vpn kapot [sinds gisteren](since)")
    assert ex.text == "vpn kapot sinds gisteren"
    write_nlu([ex], tmp_path / "t.yml")
    assert "- vpn kapot [sinds gisteren](since)" in (tmp_path / "t.yml").read_text()


def test_intent_metrics():
    acc, f1 = intent_metrics([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")])
    assert acc == 0.75
    assert round(f1, 3) == round((2 / 3 + 0.8) / 2, 3)


def test_entity_counts_are_exact_span_matches():
    gold = [{"start": 0, "end": 3, "entity": "os"}, {"start": 5, "end": 8, "entity": "device"}]
    pred = [{"start": 0, "end": 3, "entity": "os"}, {"start": 5, "end": 7, "entity": "device"}]
    assert entity_counts(gold, pred) == (1, 1, 1)
    assert prf(1, 1, 1) == (0.5, 0.5, 0.5)


def test_report_reads_rasa_result_files(tmp_path):
    test = [Example("nl", "greet", "hallo"), Example("fr", "greet", "bonjour")]
    (tmp_path / "intent_successes.json").write_text(json.dumps(
        [{"text": "hallo", "intent": "greet", "intent_prediction": {"name": "greet", "confidence": 0.9}}]))
    (tmp_path / "intent_errors.json").write_text(json.dumps(
        [{"text": "bonjour", "intent": "greet", "intent_prediction": {"name": "goodbye", "confidence": 0.5}}]))
    (tmp_path / "CRFEntityExtractor_errors.json").write_text(json.dumps(
        [{"text": "bonjour", "entities": [], "predicted_entities": [{"start": 0, "end": 7, "entity": "os"}]}]))
    figures = report(test, tmp_path)
    assert figures["intents"]["nl"] == [("greet", "greet")]
    assert figures["intents"]["fr"] == [("greet", "goodbye")]
    assert figures["confusions"] == Counter({("greet", "goodbye"): 1})
    assert figures["entities"]["fr"] == [0, 1, 0]


def test_the_launcher_trains_on_the_shared_patterns_and_the_custom_components(settings):
    from helpdesk.launcher import training_inputs

    names = {str(p.relative_to(settings.project_root)) for p in training_inputs(settings)}
    assert "nlu_data/shared/entities.yml" in names
    assert "bot/components/use_featurizer.py" in names


def test_exact_and_near_copies_are_dropped_from_the_held_out_set():
    from helpdesk.evaluation.nlu import Example, normalised, without_copies

    train = [Example("en", "vpn_problem", "my [vpn](application) keeps dropping every hour"),
             Example("en", "greet", "hello there")]
    test = [Example("en", "vpn_problem", "My VPN keeps dropping, every hour!"),         # exact once normalised
            Example("en", "vpn_problem", "my vpn keeps dropping every single hour"),    # near copy (7/8 tokens)
            Example("en", "vpn_problem", "the tunnel disconnects all the time")]        # new
    assert normalised("My [VPN](application) keeps, dropping!") == "my vpn keeps dropping"
    kept, exact, near = without_copies(train, test)
    assert (exact, near) == (1, 1) and [e.line for e in kept] == ["the tunnel disconnects all the time"]
