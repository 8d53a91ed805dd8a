"""The Rasa project's data is consistent: one intent catalogue, every text in every language."""

from __future__ import annotations

import re

import pytest
import yaml

from core.settings import PROJECT_ROOT, load_settings

LANGS = load_settings().languages   # the configured languages (settings.yml)
DOMAIN = PROJECT_ROOT / "bot" / "domain"


def load_domain() -> dict:
    domain: dict = {"responses": {}, "forms": {}, "actions": []}
    for path in sorted(DOMAIN.glob("*.yml")):
        data = load(path) or {}
        domain["responses"].update(data.get("responses") or {})
        domain["forms"].update(data.get("forms") or {})
        domain["actions"] += data.get("actions") or []
    return domain


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def catalogue():
    return load(PROJECT_ROOT / "nlu_data" / "catalogue.yml")["intents"]


def nlu_examples(lang):
    examples: dict[str, list[str]] = {}
    for path in (PROJECT_ROOT / "nlu_data" / lang).glob("*.yml"):
        for block in load(path).get("nlu", []):
            if "intent" in block:
                examples.setdefault(block["intent"], []).extend(
                    line[2:] for line in block["examples"].splitlines() if line.startswith("- "))
    return examples


def test_catalogue_has_25_intents_each_described():
    intents = catalogue()
    assert len(intents) >= 25
    assert all(i["description"].strip() for i in intents)
    assert len({i["name"] for i in intents}) == len(intents)


def test_domain_declares_exactly_the_catalogue():
    declared = set(load(DOMAIN / "intents.yml")["intents"]) - {"nlu_fallback"}
    assert declared == {i["name"] for i in catalogue()}


@pytest.mark.parametrize("lang", LANGS)
def test_every_intent_has_20_examples_in_every_language(lang):
    examples = nlu_examples(lang)
    assert set(examples) == {i["name"] for i in catalogue() if not i.get("payload_only")}
    thin = {name: len(e) for name, e in examples.items() if len(e) < 20}
    assert not thin, thin


def test_every_response_exists_in_every_language_with_the_same_placeholders():
    responses = load_domain()["responses"]
    for name, variants in responses.items():
        by_lang = {}
        for v in variants:
            if v.get("channel"):
                continue
            cond = v.get("condition") or []
            lang = cond[0]["value"] if cond else "en"
            by_lang[lang] = v
        assert set(by_lang) == set(LANGS), name
        placeholders = {lang: set(re.findall(r"{(\w+)}", v["text"])) for lang, v in by_lang.items()}
        assert len({frozenset(p) for p in placeholders.values()}) == 1, (name, placeholders)
        assert len({len(v.get("buttons", [])) for v in by_lang.values()}) == 1, name


def test_actions_named_in_rules_and_code_exist_in_the_domain():
    import importlib
    import inspect
    import pkgutil

    import bot.actions
    from rasa_sdk import Action

    domain = load_domain()
    declared = set(domain["actions"])
    modules = [importlib.import_module(f"bot.actions.{m.name}") for m in pkgutil.iter_modules(bot.actions.__path__)]
    implemented = {cls().name() for mod in modules
                   for _, cls in inspect.getmembers(mod, inspect.isclass)
                   if issubclass(cls, Action) and cls.__module__ == mod.__name__ and not inspect.isabstract(cls)
                   and "name" in cls.__dict__}
    assert implemented - {"action_validate_slot_mappings"} <= declared
    responses = set(domain["responses"])
    forms = set(domain["forms"])
    rules = "".join(p.read_text() for p in (PROJECT_ROOT / "bot" / "data").glob("*.yml"))
    for action in re.findall(r"action: (\w+)", rules):
        assert action in declared or action in responses or action in forms or action.startswith("action_deactivate"), action
    code = "".join(p.read_text() for p in (PROJECT_ROOT / "bot" / "actions").glob("*.py"))
    for response in set(re.findall(r'"(utter_\w+[^_])"', code)):   # f"utter_x_{y}" prefixes excepted
        assert response in responses, response


@pytest.mark.parametrize("lang", LANGS)
def test_no_training_example_is_written_twice(lang):
    seen: dict[str, str] = {}
    for intent, examples in nlu_examples(lang).items():
        for example in examples:
            assert example.lower() not in seen, (example, intent, seen.get(example.lower()))
            seen[example.lower()] = intent
