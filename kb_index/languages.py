"""Per-language words of the KB (data, not code): ``kb/languages/<lang>.yml``.

Each file names its ``language`` and holds the level-2 heading of the technical section
(``technical_heading``) and the prefixes that mark a question or an answer on FAQ pages
(``question_prefixes``, ``answer_prefixes``). Adding a language means adding a file.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from core.settings import PROJECT_ROOT

LANGUAGES_DIR = PROJECT_ROOT / "kb" / "languages"


@dataclass(frozen=True)
class KbLanguage:
    code: str
    technical_heading: str
    question_prefixes: tuple[str, ...] = ()
    answer_prefixes: tuple[str, ...] = ()


def heading_key(text: str) -> str:
    """A heading compared loosely: Unicode-normalised, blanks collapsed, case-folded."""
    return unicodedata.normalize("NFC", " ".join(text.split())).casefold()


@lru_cache(maxsize=4)
def kb_languages(folder: Path = LANGUAGES_DIR) -> dict[str, KbLanguage]:
    """Every language file in ``folder``, by language code."""
    out: dict[str, KbLanguage] = {}
    for path in sorted(Path(folder).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        code = str(data.get("language") or path.stem)
        out[code] = KbLanguage(code, str(data.get("technical_heading") or ""),
                               tuple(str(p) for p in data.get("question_prefixes") or ()),
                               tuple(str(p) for p in data.get("answer_prefixes") or ()))
    return out


def technical_headings() -> tuple[str, ...]:
    """The technical-section heading of every language (any is accepted in any file)."""
    return tuple(lang.technical_heading for lang in kb_languages().values() if lang.technical_heading)


def technical_heading(lang: str, fallback: str) -> str:
    """The technical-section heading in ``lang``, else in ``fallback``, else ``""``."""
    languages = kb_languages()
    chosen = languages.get(lang) or languages.get(fallback)
    return chosen.technical_heading if chosen else ""


def question_prefixes() -> tuple[str, ...]:
    return tuple(p for lang in kb_languages().values() for p in lang.question_prefixes)


def answer_prefixes() -> tuple[str, ...]:
    return tuple(p for lang in kb_languages().values() for p in lang.answer_prefixes)
