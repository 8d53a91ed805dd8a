"""Import a KB as it exists: a folder of Markdown (``.md``, ``.markdown``) or HTML (``.html``,
``.htm``) files, searched recursively (README files excepted), with a report of what was indexed,
what was split into sections, what was derived and what was skipped and why.

The language of a file is its front matter's ``lang:``, else a file-name suffix naming a supported
language (``vpn.nl.md``; the id is then the name without it), else detected from its text among the
supported languages (``core.language``). A file is skipped, with one clear line, when it is empty,
holds only front matter, is larger than ``MAX_FILE_BYTES``, is not UTF-8 text (a binary file named
``.md``), has broken front matter, or repeats an ``<id>.<lang>`` already read; nothing else is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kb_index.articles import Article, parse_article
from kb_index.errors import ArticleFormatError

EXTENSIONS = (".md", ".markdown", ".html", ".htm")
MAX_FILE_BYTES = 1_000_000
_SAMPLE = 4000  # characters of text given to the language detector


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def reason_line(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ImportResult:
    """What one import read."""

    folder: Path
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def split(self) -> list[Article]:
        return [a for a in self.articles if a.sections]

    def report_lines(self) -> list[str]:
        """The human report: one line per article, then the skipped files with their reason."""
        passages = sum(len(a.passages()) for a in self.articles)
        out = [f"{len(self.articles)} article variants indexed from {self.folder} ({passages} passages), "
               f"{len(self.split)} split into sections, {len(self.skipped)} files skipped"]
        for a in self.articles:
            notes = []
            if a.sections:
                notes.append(f"{len(a.sections)} sections")
            if a.steps:
                notes.append(f"{len(a.steps)} steps")
            if a.derived:
                notes.append("derived: " + ", ".join(a.derived))
            notes.extend(a.warnings)
            out.append(f"  indexed {a.key:<40} {Path(a.path).name}" + (f"  ({'; '.join(notes)})" if notes else ""))
        for s in self.skipped:
            out.append(f"  skipped {s.path}: {s.reason}")
        return out


def _language_detector(languages: tuple[str, ...]):
    from core.language import LanguageDetector

    detector = LanguageDetector(list(languages))
    return lambda text: detector.detect(" ".join(text[:_SAMPLE].split())).lang


def _name_parts(path: Path, languages: tuple[str, ...]) -> tuple[str, str | None]:
    """``(id, language)`` from a file name: ``vpn.<lang>.md`` -> ``("vpn", <lang>)``, ``vpn.md`` -> ``("vpn", None)``."""
    stem = path.name[: -len(path.suffix)]
    base, dot, suffix = stem.rpartition(".")
    if dot and suffix.lower() in languages:
        return base, suffix.lower()
    return stem, None


def _read(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ArticleFormatError(f"too large ({size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB): "
                                 "split it into several articles")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ArticleFormatError("not a text file (binary content)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252") if _looks_like_text(data) else _raise_binary()
        except UnicodeDecodeError:
            _raise_binary()
    return ""


def _looks_like_text(data: bytes) -> bool:
    controls = sum(b < 9 or 13 < b < 32 for b in data[:8192])
    return controls == 0


def _raise_binary() -> str:
    raise ArticleFormatError("not a text file (neither UTF-8 nor Windows-1252 text)")


def import_kb(folder: Path, languages: list[str] | tuple[str, ...] | None = None) -> ImportResult:
    """Read every article file under ``folder``; ``languages``: the supported ones (default: settings)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ArticleFormatError(f"{folder}: no such folder")
    if languages is None:
        from core.settings import load_settings

        languages = load_settings().languages
    languages = tuple(languages)
    detect = None
    result = ImportResult(folder)
    seen: dict[str, Article] = {}
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS):
        if not path.is_file() or path.stem.lower() == "readme" or any(part.startswith(".") for part in path.parts):
            continue
        article_id, lang = _name_parts(path, languages)
        try:
            text = _read(path)
            if detect is None:
                detect = _language_detector(languages)
            article = parse_article(text, str(path), default_id=article_id, default_lang=lang, detect_language=detect)
            if article.key in seen:
                raise ArticleFormatError(f"duplicate article {article.key} (also {seen[article.key].path}); "
                                         "give one of them another id")
        except ArticleFormatError as exc:
            reason = str(exc)
            prefix = f"{path}: "
            result.skipped.append(Skipped(str(path), reason[len(prefix):] if reason.startswith(prefix) else reason))
            continue
        except OSError as exc:
            result.skipped.append(Skipped(str(path), f"cannot be read: {exc.strerror or exc}"))
            continue
        seen[article.key] = article
        result.articles.append(article)
    return result


def load_articles(folder: Path, errors: list[ArticleFormatError] | None = None,
                  languages: list[str] | tuple[str, ...] | None = None) -> list[Article]:
    """Every article under ``folder`` (:func:`import_kb`).

    A file that cannot be used raises :class:`ArticleFormatError` naming it; when an ``errors`` list
    is given the problem is appended to it instead and the file skipped, so a build indexes the rest.
    """
    result = import_kb(folder, languages)
    if result.skipped and errors is None:
        raise ArticleFormatError(result.skipped[0].reason_line())
    if errors is not None:
        errors.extend(ArticleFormatError(s.reason_line()) for s in result.skipped)
    return result.articles
