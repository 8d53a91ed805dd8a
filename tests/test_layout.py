"""The folders are the architecture: who may import whom, no private names across modules, no
import cycles, and no language codes written into Python code (languages are data)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT, load_settings

PACKAGES = ("core", "kb_index", "escalation", "helpdesk_service", "bot", "helpdesk")
# package -> the packages of ours it may import (besides itself)
ALLOWED = {
    "core": set(),
    "kb_index": {"core"},
    "escalation": {"core"},
    "helpdesk_service": {"core", "kb_index", "escalation"},
    "bot": {"core", "escalation"},
    "helpdesk": {"core", "kb_index", "escalation", "helpdesk_service", "bot"},
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names imported from it) for every import statement in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


MODULES = modules()


def test_each_package_imports_only_the_floors_below_it():
    wrong = []
    for name, path in MODULES.items():
        package = name.split(".")[0]
        for module, _ in imports(path):
            top = module.split(".")[0]
            if top in PACKAGES and top != package and top not in ALLOWED[package]:
                wrong.append(f"{name} imports {module}")
    assert wrong == []


def test_no_module_imports_a_private_name_of_another():
    wrong = [f"{name} imports {module}.{n}" for name, path in MODULES.items() for module, names in imports(path)
             if module.split(".")[0] in PACKAGES and module != name
             for n in names if n.startswith("_") and not n.startswith("__")]
    assert wrong == []


def test_no_import_cycles_between_modules():
    graph = defaultdict(set)
    for name, path in MODULES.items():
        for module, names in imports(path):
            submodules = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
            for target in submodules or [module]:
                if target in MODULES and target != name:
                    graph[name].add(target)
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        stack.pop()

    for node in sorted(MODULES):
        visit(node)
    assert cycles == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_python_module_hard_codes_the_language_codes(name):
    """Languages are data: settings.languages, nlu_data/<lang>/, response variants, per-language YAML.
    A string literal that is one of the configured language codes marks a language branch or a
    hand-kept list of languages in code."""
    codes = set(load_settings().languages)
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    literals = [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    found = sorted({f"line {n.lineno}: {n.value!r}" for n in literals if n.value in codes
                    or re.fullmatch(r"(?:%s)[-_][A-Z]{2}" % "|".join(codes), n.value)})
    assert found == [], f"{name} hard-codes language codes: {found}"
