"""KB articles: Markdown files with YAML front matter, one file per article per language.

Format (see kb/README.md)::

    ---
    id: vpn-cannot-connect
    lang: en
    title: VPN does not connect
    category: vpn
    tags: [vpn, forticlient]
    summary: One line shown with the suggestion.
    ---
    Introduction.

    1. First step.
    2. Second step.

    ## Technical steps
    - `command`: concise step for an IT-savvy user or administrator.

The optional section at the end, under a level-2 heading from :data:`TECHNICAL_HEADINGS` (any of the
three languages), holds bullet lines (``- `` or ``* ``) for IT-savvy users: they become
``Article.technical_steps``. Numbered lines stop at that heading, and the section is kept out of
``Article.body``, ``embedding_text()`` and ``lexical_text()`` so it does not change search results.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb_index.errors import ArticleFormatError

REQUIRED_FIELDS = ("id", "lang", "title", "category", "tags")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
_STEP = re.compile(r"^\s*(\d+)[.)]\s+(.*\S)\s*$")
# Level-2 headings that open the technical section (nl, fr, en); accepted in every language variant.
TECHNICAL_HEADINGS = ("Technische stappen", "Étapes techniques", "Technical steps")
_HEADING2 = re.compile(r"^##\s+(.*?)[\s#:]*$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*\S)\s*$")


def _heading_key(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split())).casefold()


_TECHNICAL_KEYS = frozenset(_heading_key(h) for h in TECHNICAL_HEADINGS)


def _split_technical(body: str, path: str) -> tuple[str, tuple[str, ...]]:
    """``body`` without its technical section, and that section's bullet lines (``()`` when absent)."""
    lines = body.splitlines()
    for i, line in enumerate(lines):
        heading = _HEADING2.match(line)
        if heading and _heading_key(heading.group(1)) in _TECHNICAL_KEYS:
            bullets = tuple(b.group(1) for b in map(_BULLET.match, lines[i + 1:]) if b)
            if not bullets:
                raise ArticleFormatError(f"{path}: the section '{line.strip()}' has no bullet lines ('- ...')")
            return "\n".join(lines[:i]).strip(), bullets
    return body, ()


@dataclass(frozen=True)
class Article:
    """One language variant of a KB article."""

    id: str
    lang: str
    title: str
    category: str
    tags: tuple[str, ...]
    summary: str
    intro: str
    steps: tuple[str, ...]
    body: str  # the text after the front matter, without the technical section
    checksum: str
    path: str = field(default="", compare=False)
    technical_steps: tuple[str, ...] = ()  # concise steps for IT-savvy users (the optional technical section)

    @property
    def key(self) -> str:
        """Unique key of this variant: ``<id>.<lang>``."""
        return f"{self.id}.{self.lang}"

    def embedding_text(self) -> str:
        """The text that represents this variant in the dense index."""
        return ". ".join(p for p in (self.title, self.summary, " ".join(self.tags), self.intro) if p)

    def lexical_text(self) -> str:
        """The text used by the lexical (BM25) ranking (the technical section is not part of it)."""
        return " ".join((self.title, self.summary, " ".join(self.tags), self.body))


def parse_article(text: str, path: str = "") -> Article:
    """Parse one article file; raise :class:`ArticleFormatError` naming the problem."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        raise ArticleFormatError(f"{path}: missing YAML front matter between '---' lines")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ArticleFormatError(f"{path}: invalid YAML front matter: {exc}") from exc
    if not isinstance(meta, dict):
        raise ArticleFormatError(f"{path}: front matter must be a mapping")
    missing = [name for name in REQUIRED_FIELDS if not meta.get(name)]
    if missing:
        raise ArticleFormatError(f"{path}: front matter lacks {', '.join(missing)}")
    body, technical_steps = _split_technical(match.group(2).strip(), path)
    steps, intro_lines = [], []
    for line in body.splitlines():
        step = _STEP.match(line)
        if step:
            steps.append(step.group(2))
        elif not steps and line.strip():
            intro_lines.append(line.strip())
    if not steps:
        raise ArticleFormatError(f"{path}: the article has no numbered steps")
    tags = meta["tags"]
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ArticleFormatError(f"{path}: tags must be a list of strings (quote codes such as \"0x800ccc0e\")")
    summary = str(meta.get("summary") or (intro_lines[0] if intro_lines else meta["title"]))
    return Article(
        id=str(meta["id"]),
        lang=str(meta["lang"]),
        title=str(meta["title"]),
        category=str(meta["category"]),
        tags=tuple(str(t) for t in tags),
        summary=summary,
        intro=" ".join(intro_lines),
        steps=tuple(steps),
        body=body,
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        path=path,
        technical_steps=technical_steps,
    )


def load_articles(folder: Path, errors: list[ArticleFormatError] | None = None) -> list[Article]:
    """Every ``*.md`` article found recursively under ``folder`` (README.md files excepted).

    A broken file or a duplicate ``<id>.<lang>`` raises :class:`ArticleFormatError` naming the file;
    when an ``errors`` list is given the problem is appended to it instead and the file skipped, so a
    build indexes the rest.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ArticleFormatError(f"{folder}: no such folder")
    articles: dict[str, Article] = {}
    for path in sorted(folder.rglob("*.md")):
        if path.name.lower() == "readme.md" or not path.is_file():
            continue
        try:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise ArticleFormatError(f"{path}: not UTF-8 text") from exc
            article = parse_article(text, str(path))
            if article.key in articles:
                raise ArticleFormatError(f"{path}: duplicate article {article.key} (also {articles[article.key].path})")
        except ArticleFormatError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        articles[article.key] = article
    return list(articles.values())
