"""KB articles: Markdown or HTML files, one file per article per language, front matter optional.

The documented format (kb/README.md) is Markdown with YAML front matter and numbered steps::

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

but any reasonable article is read: prose, FAQ pages (question lines followed by their answer),
numbered steps, or a mix. What is missing is derived and noted in ``Article.warnings``: the id from
the file name, the title from the first ``# heading`` (or the HTML ``<title>``), the summary from the
first sentence, tags from the title, the category ``general``; the language is given by the caller
(file-name suffix or detection, :mod:`kb_index.importer`). Only a file that has no usable text is
refused (:class:`ArticleFormatError`).

Headings (``##``, ``###``) and FAQ questions split an article into ``sections``; each section, and
each ~``MAX_PASSAGE_WORDS``-word part of a long one, is indexed as its own passage
(:meth:`Article.passages`), so the part that answers a question is what ranks and what the chat
shows first. The technical section, under a level-2 heading from ``kb/languages/<lang>.yml`` (any
language accepted in any file), holds bullet lines for IT-savvy users: they become
``technical_steps`` and are kept out of the searched text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from kb_index.errors import ArticleFormatError
from kb_index.html_text import html_to_markdown
from kb_index.languages import answer_prefixes, heading_key, question_prefixes, technical_headings

DEFAULT_CATEGORY = "general"
MAX_PASSAGE_WORDS = 150      # a longer section is indexed in parts of about this many words
WHOLE_INTRO_WORDS = 60       # an introduction up to this long is part of the whole-article passage
MAX_SUMMARY_CHARS = 220
MAX_TITLE_TAGS = 6
MAX_SENTENCES = 80           # sentences of one variant kept as evidence for the "no good answer" decision
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)(.*)\Z", re.S)
_STEP = re.compile(r"^\s*(\d+)[.)]\s+(.*\S)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)[\s#]*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*\S)\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ0-9\"'(])")
_LINK = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]+)\]\([^)]*\)")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Section:
    """A part of an article under one heading (or one FAQ question)."""

    title: str
    text: str                      # plain text, one line per paragraph or list item
    steps: tuple[str, ...] = ()    # its numbered lines


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
    sections: tuple[Section, ...] = ()
    derived: tuple[str, ...] = ()          # fields that were missing and derived (tags, summary, ...)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        """Unique key of this variant: ``<id>.<lang>``."""
        return f"{self.id}.{self.lang}"

    def embedding_text(self) -> str:
        """The text that represents the whole variant in the dense index: title, summary, given tags,
        a short introduction (a long one has passages of its own) and the section headings."""
        tags = "" if "tags" in self.derived else " ".join(self.tags)
        headings = ". ".join(s.title for s in self.sections if s.title)
        return ". ".join(p for p in (self.title, self.summary, tags, self._short_intro(), headings) if p)

    def _short_intro(self) -> str:
        return self.intro if len(self.intro.split()) <= WHOLE_INTRO_WORDS else ""

    def lexical_text(self) -> str:
        """The text used by the lexical (BM25) ranking (the technical section is not part of it)."""
        return " ".join((self.title, self.summary, " ".join(self.tags), self.body))

    def sentences(self) -> list[str]:
        """The sentences of the variant's text (introduction, steps, sections; not the technical
        section), at most ``MAX_SENTENCES``, without list markers, each of three words or more: the
        evidence a query's best-matching sentence is looked up in (:mod:`kb_index.evidence`)."""
        lines = [self.intro, *self.steps, *(line for s in self.sections for line in s.text.splitlines())]
        out: dict[str, None] = {}
        for line in lines:
            for unit in _SENTENCE_END.split(line or ""):
                unit = _LIST_MARK.sub("", unit).strip()
                if len(unit.split()) >= 3:
                    out.setdefault(unit)
        return list(out)[:MAX_SENTENCES]

    def passages(self) -> list[tuple[int, str]]:
        """``(section, text)`` of every indexed passage: ``-1`` for the whole article (always first)
        and for further parts of a long introduction, else the section's position."""
        out = [(-1, self.embedding_text())]
        if not self._short_intro():
            out += [(-1, f"{self.title}. {part}") for part in _chunks(self.intro, MAX_PASSAGE_WORDS)]
        for i, section in enumerate(self.sections):
            head = ". ".join(p for p in (self.title, section.title) if p)
            for part in _chunks(section.text, MAX_PASSAGE_WORDS) or [""]:
                out.append((i, ". ".join(p for p in (head, part) if p)))
        return out


def _chunks(text: str, size: int) -> list[str]:
    """``text`` in parts of at most about ``size`` words, cut at line, then sentence boundaries."""
    units: list[str] = []
    for line in text.splitlines():
        if len(line.split()) <= size:
            units.append(line)
        else:
            units.extend(_SENTENCE_END.split(line))
    parts, current, count = [], [], 0
    for unit in units:
        n = len(unit.split())
        if current and count + n > size:
            parts.append(" ".join(current))
            current, count = [], 0
        if n:
            current.append(unit.strip())
            count += n
    if current:
        parts.append(" ".join(current))
    return parts


def plain(text: str) -> str:
    """Markdown inline markup removed: links keep their text, images go, bold and italics go."""
    text = _LINK.sub(lambda m: m.group(1) or "", text)
    text = re.sub(r"(\*\*|__)(.*?)\1", r"\2", text)
    text = text.replace("**", "")  # an unpaired one (broken HTML, unfinished Markdown)
    text = re.sub(r"^>\s?", "", text.strip())
    return " ".join(text.split())


def _strip_prefix(text: str, prefixes: tuple[str, ...]) -> tuple[str, bool]:
    for prefix in sorted(prefixes, key=len, reverse=True):
        if text[: len(prefix)].casefold() == prefix.casefold():
            return text[len(prefix):].strip(), True
    return text, False


def _split_technical(lines: list[str], warnings: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """The lines without the technical section, and that section's bullet lines."""
    keys = {heading_key(h) for h in technical_headings()}
    for i, line in enumerate(lines):
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) == 2 and heading_key(heading.group(2).rstrip(":")) in keys:
            end = next((j for j in range(i + 1, len(lines)) if (h := _HEADING.match(lines[j])) and len(h.group(1)) <= 2),
                       len(lines))
            bullets = tuple(b.group(1) for b in map(_BULLET.match, lines[i + 1:end]) if b)
            if not bullets:
                warnings.append(f"the section '{line.strip()}' has no bullet lines ('- ...'); it is ignored")
            return lines[:i] + lines[end:], bullets
    return lines, ()


def _question(line: str, prefixes: tuple[str, ...]) -> str | None:
    """The question when ``line`` is a FAQ question (prefixed, or a short bold or ``?`` line)."""
    if _STEP.match(line) or _BULLET.match(line) or _HEADING.match(line):
        return None
    bold = re.fullmatch(r"\s*(\*\*|__)(.+?)\1\s*", line)
    text = plain(line)
    text, prefixed = _strip_prefix(text, prefixes)
    if prefixed or (text.endswith("?") and len(text.split()) <= 25) or (bold and text.endswith("?")):
        return text
    return None


def _blocks(lines: list[str]) -> list[tuple[str | None, list[str]]]:
    """``(heading, lines)``: the lines before the first heading (heading ``None``), then one block per
    heading; FAQ question lines count as headings when there are at least two of them."""
    q_prefixes = question_prefixes()
    questions = {i: q for i, line in enumerate(lines) if (q := _question(line, q_prefixes))}
    faq = len(questions) >= 2
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    for i, line in enumerate(lines):
        heading = _HEADING.match(line)
        if heading:
            blocks.append((plain(heading.group(2)), []))
        elif faq and i in questions:
            blocks.append((questions[i], []))
        else:
            blocks[-1][1].append(line)
    return blocks


def _section_text(lines: list[str]) -> tuple[str, tuple[str, ...]]:
    """Plain text (one line per paragraph or item) and the numbered steps of a block."""
    a_prefixes = answer_prefixes()
    out, steps, paragraph = [], [], []

    def flush() -> None:
        if paragraph:
            out.append(" ".join(paragraph))
            paragraph.clear()

    for line in lines:
        step = _STEP.match(line)
        bullet = _BULLET.match(line)
        if not line.strip():
            flush()
        elif step:
            flush()
            steps.append(step.group(2))
            out.append(plain(step.group(2)))
        elif bullet:
            flush()
            out.append(plain(bullet.group(1)))
        else:
            text, _ = _strip_prefix(plain(line), a_prefixes)
            paragraph.append(text)
    flush()
    return "\n".join(p for p in out if p), tuple(steps)


def _first_sentence(text: str) -> str:
    first = _SENTENCE_END.split(text.strip().split("\n")[0])[0].strip() if text.strip() else ""
    if len(first) > MAX_SUMMARY_CHARS:
        first = first[:MAX_SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    return first


def _title_tags(title: str) -> tuple[str, ...]:
    seen: list[str] = []
    for word in _WORD.findall(title.lower()):
        if len(word) >= 3 and word not in seen:
            seen.append(word)
    return tuple(seen[:MAX_TITLE_TAGS])


def _read_meta(text: str, path: str, warnings: list[str]) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        meta = _loose_meta(match.group(1))  # e.g. ``title: Disk C: full`` (an unquoted colon)
        if not meta:
            raise ArticleFormatError(f"{path}: invalid YAML front matter: {exc}") from exc
        warnings.append("the front matter is not valid YAML; read as plain 'key: value' lines "
                        "(quote values that contain ': ')")
    if not isinstance(meta, dict):
        raise ArticleFormatError(f"{path}: front matter must be a mapping")
    return meta, match.group(2)


def _loose_meta(text: str) -> dict:
    """``key: value`` lines read without YAML (the value is everything after the first ``: ``);
    ``{}`` when a line is not of that form."""
    meta = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z_][\w-]*", key.strip()):
            return {}
        value = value.strip()
        if value[:1] in "[{" and value[-1:] not in "]}":
            return {}  # broken YAML, not a plain value
        if value.startswith("[") and value.endswith("]"):
            meta[key.strip()] = [v.strip().strip("'\"") for v in value[1:-1].split(",") if v.strip()]
        else:
            meta[key.strip()] = value.strip("'\"")
    return meta


def parse_article(text: str, path: str = "", *, default_id: str | None = None, default_lang: str | None = None,
                  detect_language: Callable[[str], str] | None = None, html: bool | None = None) -> Article:
    """Parse one article file (Markdown, or HTML when ``html`` or the path ends in .htm/.html).

    The id defaults to ``default_id``, the language to ``default_lang``, else ``detect_language(text)``.
    Raise :class:`ArticleFormatError` naming the problem when the file cannot be used at all.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise ArticleFormatError(f"{path}: empty file")
    warnings: list[str] = []
    derived: list[str] = []
    meta, body = _read_meta(text, path, warnings)
    html_title = ""
    if html or (html is None and path.lower().endswith((".html", ".htm"))):
        body, html_title = html_to_markdown(body)
    lines = body.split("\n")
    title = str(meta.get("title") or "").strip()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and (h1 := _HEADING.match(lines[first])) and len(h1.group(1)) == 1:
        title = title or plain(h1.group(2))
        lines = lines[first + 1:]  # the title heading is not a section
    if not title:
        title = html_title or next((plain(h.group(2)) for h in map(_HEADING.match, lines) if h), "")
        if title:
            derived.append("title")
    lines, technical = _split_technical(lines, warnings)
    if not any(line.strip() for line in lines) and not technical:
        raise ArticleFormatError(f"{path}: no article text" + (" after the front matter" if meta else ""))
    if not title:
        stem = Path(path).name.split(".")[0] if path else (default_id or "")
        title = stem.replace("-", " ").replace("_", " ").strip().capitalize()
        warnings.append("no title and no heading: the title is made from the file name")
        derived.append("title")
    article_id = str(meta.get("id") or default_id or "").strip()
    if not article_id:
        raise ArticleFormatError(f"{path}: no id (front matter 'id:' or a file name)")
    lang = str(meta.get("lang") or default_lang or "").strip()
    if not lang and detect_language is not None:
        lang = detect_language(title + "\n" + "\n".join(lines))
        derived.append("lang")
    if not lang:
        raise ArticleFormatError(f"{path}: no language (front matter 'lang:' or a file-name suffix such as .<lang>.md)")

    blocks = _blocks(lines)
    intro_lines = blocks[0][1]
    steps, intro_parts = [], []
    for line in intro_lines:  # the documented format: introduction, then the numbered steps
        step = _STEP.match(line)
        if step:
            steps.append(step.group(2))
        elif not steps and line.strip():
            intro_parts.append(plain(line))
    if not steps:
        intro, _ = _section_text(intro_lines)
    else:
        intro = " ".join(intro_parts)
    sections = []
    for heading, block in blocks[1:]:
        section_text, section_steps = _section_text(block)
        if section_text or heading:
            sections.append(Section(heading or "", section_text, section_steps))
    if not intro and not steps and not any(s.text for s in sections):
        raise ArticleFormatError(f"{path}: no article text, only headings")

    summary = str(meta.get("summary") or "").strip()
    if not summary:
        summary = _first_sentence(intro) or next((_first_sentence(s.text) for s in sections if s.text), "") or title
        derived.append("summary")
    raw_tags = meta.get("tags")
    if isinstance(raw_tags, str):
        raw_tags = [t.strip() for t in raw_tags.split(",") if t.strip()]
    tags: tuple[str, ...] = ()
    if isinstance(raw_tags, list):
        tags = tuple(t for t in raw_tags if isinstance(t, str))
        if len(tags) < len(raw_tags):
            warnings.append("tags must be a list of strings (quote codes such as \"0x800ccc0e\"); "
                            "the others are left out")
    elif raw_tags:
        warnings.append("tags must be a list of words; derived from the title instead")
    if not tags:
        tags = _title_tags(title)
        derived.append("tags")
    category = str(meta.get("category") or DEFAULT_CATEGORY)
    if not meta.get("category"):
        derived.append("category")
    return Article(
        id=article_id,
        lang=lang,
        title=title,
        category=category,
        tags=tags,
        summary=" ".join(summary.split()),
        intro=intro,
        steps=tuple(steps),
        body="\n".join(lines).strip(),
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        path=path,
        technical_steps=technical,
        sections=tuple(sections),
        derived=tuple(derived),
        warnings=tuple(warnings),
    )
