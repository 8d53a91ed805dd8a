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
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb_index.errors import ArticleFormatError

REQUIRED_FIELDS = ("id", "lang", "title", "category", "tags")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)
_STEP = re.compile(r"^\s*(\d+)[.)]\s+(.*\S)\s*$")


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
    body: str
    checksum: str
    path: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        """Unique key of this variant: ``<id>.<lang>``."""
        return f"{self.id}.{self.lang}"

    def embedding_text(self) -> str:
        """The text that represents this variant in the dense index."""
        return ". ".join(p for p in (self.title, self.summary, " ".join(self.tags), self.intro) if p)

    def lexical_text(self) -> str:
        """The text used by the lexical (BM25) ranking."""
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
    body = match.group(2).strip()
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
