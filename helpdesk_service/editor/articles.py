"""Article editing: the language variants of one article side by side, drafts, publishing with a
version check, history, and a live reindex of only the changed variants.

Articles stay Markdown files with YAML front matter under ``settings.kb.articles_dir`` (the editor writes
them, so a helpdesk can keep its KB in git). Publishing validates every variant with the KB's own
parser, refuses a stale base version (another editor published meanwhile: 409, the editor keeps their
text and sees the other one), writes the files atomically, records who changed what, and rebuilds the
index: :func:`kb_index.index.build_index` re-embeds only variants whose checksum changed and the
service's :class:`~kb_index.live.LiveKbSearcher` swaps to the new build on the next search.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from core.clock import utcnow
from core.storage import connect
from kb_index.articles import Article, parse_article
from kb_index.errors import ArticleFormatError
from kb_index.importer import load_articles
from kb_index.index import CURRENT, build_index, current_build, load_index
from kb_index.search import KbSearcher

ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
MAX_ARTICLE_BYTES = 200_000
FIELDS = ("title", "category", "tags", "summary")

SCHEMA = """
CREATE TABLE IF NOT EXISTS article_history (id INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL,
  lang TEXT NOT NULL, at TEXT NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL, version TEXT NOT NULL,
  previous TEXT NOT NULL DEFAULT '', text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS article_drafts (article_id TEXT NOT NULL, lang TEXT NOT NULL, at TEXT NOT NULL,
  user TEXT NOT NULL, base_version TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (article_id, lang));
"""


class ArticleError(ValueError):
    """A variant that cannot be saved as it is (the message says why)."""


class ArticleConflict(Exception):
    """Someone else published the article after the editor opened it."""

    def __init__(self, message: str, current: dict) -> None:
        super().__init__(message)
        self.current = current


class ArticleNotFound(LookupError):
    pass


def version_of(text: str | None) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if text else ""


def compose(article_id: str, lang: str, fields: dict, body: str) -> str:
    """The file text of one variant from its form fields and Markdown body."""
    tags = fields.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    meta = {"id": article_id, "lang": lang, "title": str(fields.get("title") or "").strip(),
            "category": str(fields.get("category") or "").strip(), "tags": [str(t) for t in tags],
            "summary": str(fields.get("summary") or "").strip()}
    if not meta["summary"]:
        del meta["summary"]
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{front}---\n{body.strip()}\n"


def split(text: str) -> tuple[dict, str]:
    """Form fields and body of a file's text (best effort: a broken front matter gives empty fields)."""
    match = re.match(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", text.replace("\r\n", "\n"), re.S)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        meta = {}
    if not isinstance(meta, dict):
        meta = {}
    tags = meta.get("tags") or []
    return ({"title": str(meta.get("title") or ""), "category": str(meta.get("category") or ""),
             "tags": [str(t) for t in tags] if isinstance(tags, list) else [str(tags)],
             "summary": str(meta.get("summary") or "")}, match.group(2).strip())


@dataclass
class Published:
    article_id: str
    languages: list[str]
    embedded: int
    reused: int
    skipped: list[str]          # files elsewhere in the KB the index could not read (named, not fatal)


class ArticleEditor:
    def __init__(self, articles_dir: Path, index_dir: Path, db: Path, languages: list[str],
                 embedder: Callable[[], object], hnsw_threshold: int, fallback_languages: tuple[str, ...] = ()) -> None:
        self.dir = Path(articles_dir)
        self.index_dir = Path(index_dir)
        self.db = Path(db)
        self.languages = list(languages)
        self.embedder = embedder
        self.hnsw_threshold = hnsw_threshold
        self.fallback_languages = tuple(fallback_languages)   # as the live search: the same hits
        self._lock = threading.Lock()       # one publish (file writes + index build) at a time
        with connect(self.db) as db:
            db.executescript(SCHEMA)

    # --- reading ---------------------------------------------------------------------------
    def _files(self) -> dict[str, dict[str, Path]]:
        found: dict[str, dict[str, Path]] = {}
        for path in sorted(self.dir.rglob("*.md")):
            if path.name.lower() == "readme.md":
                continue
            stem, _, lang = path.stem.rpartition(".")
            if stem and lang:
                found.setdefault(stem, {})[lang] = path
        return found

    def _path(self, article_id: str, lang: str) -> Path:
        return self._files().get(article_id, {}).get(lang) or self.dir / f"{article_id}.{lang}.md"

    def list(self) -> list[dict]:
        out = []
        for article_id, variants in self._files().items():
            titles, category = {}, ""
            for lang, path in variants.items():
                fields, _ = split(path.read_text(encoding="utf-8"))
                titles[lang] = fields.get("title", "")
                category = category or fields.get("category", "")
            out.append({"id": article_id, "category": category, "titles": titles, "languages": sorted(variants),
                        "missing": [l for l in self.languages if l not in variants]})
        return out

    def get(self, article_id: str) -> dict:
        files = self._files().get(article_id)
        drafts = self._drafts(article_id)
        if not files and not drafts:
            raise ArticleNotFound(f"article {article_id!r} not found")
        variants = {}
        for lang in self.languages:
            path = (files or {}).get(lang)
            text = path.read_text(encoding="utf-8") if path else ""
            fields, body = split(text) if text else ({"title": "", "category": "", "tags": [], "summary": ""}, "")
            variants[lang] = {"exists": bool(path), "version": version_of(text), "fields": fields, "body": body,
                              "draft": drafts.get(lang)}
        return {"id": article_id, "variants": variants,
                "missing": [l for l in self.languages if not (files or {}).get(l)]}

    def _drafts(self, article_id: str) -> dict[str, dict]:
        with connect(self.db) as db:
            rows = db.execute("SELECT * FROM article_drafts WHERE article_id = ?", (article_id,)).fetchall()
        out = {}
        for r in rows:
            fields, body = split(r["text"])
            out[r["lang"]] = {"at": r["at"], "user": r["user"], "base_version": r["base_version"], "fields": fields, "body": body}
        return out

    def history(self, article_id: str) -> list[dict]:
        with connect(self.db) as db:
            rows = db.execute("SELECT id, lang, at, user, action, version, previous FROM article_history"
                              " WHERE article_id = ? ORDER BY id DESC", (article_id,)).fetchall()
        return [dict(r) for r in rows]

    def history_text(self, entry_id: int) -> str:
        with connect(self.db) as db:
            row = db.execute("SELECT text FROM article_history WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise ArticleNotFound(f"history entry {entry_id} not found")
        return row["text"]

    # --- checking -----------------------------------------------------------------------------
    def check(self, article_id: str, lang: str, fields: dict, body: str) -> tuple[str, Article]:
        if not ARTICLE_ID.match(article_id or ""):
            raise ArticleError("the article id must be 2-80 lower-case letters, digits and hyphens (e.g. vpn-drops)")
        if lang not in self.languages:
            raise ArticleError(f"unknown language {lang!r}: one of {', '.join(self.languages)}")
        text = compose(article_id, lang, fields, body or "")
        if len(text.encode("utf-8")) > MAX_ARTICLE_BYTES:
            raise ArticleError(f"{lang}: the article is {len(text.encode('utf-8')) // 1000} kB; the limit is "
                               f"{MAX_ARTICLE_BYTES // 1000} kB")
        # the KB reads loose articles too (kb_index.articles); the editor asks for the documented fields
        missing = [name for name in ("title", "category") if not str(fields.get(name) or "").strip()]
        if missing:
            raise ArticleError(f"{lang}: the article lacks {' and '.join(missing)}")
        if not (body or "").strip():
            raise ArticleError(f"{lang}: the article has no text")
        try:
            article = parse_article(text, f"{article_id}.{lang}.md")
        except ArticleFormatError as exc:
            raise ArticleError(str(exc)) from exc
        return text, article

    # --- writing ---------------------------------------------------------------------------------
    def save_draft(self, article_id: str, lang: str, fields: dict, body: str, base_version: str, user: str) -> dict:
        if not ARTICLE_ID.match(article_id or "") or lang not in self.languages:
            raise ArticleError("a draft needs a valid article id and language")
        text = compose(article_id, lang, fields, body or "")
        if len(text.encode("utf-8")) > MAX_ARTICLE_BYTES:
            raise ArticleError(f"{lang}: the draft is larger than {MAX_ARTICLE_BYTES // 1000} kB")
        with connect(self.db) as db:
            db.execute("INSERT OR REPLACE INTO article_drafts VALUES (?,?,?,?,?,?)",
                       (article_id, lang, utcnow().isoformat(), user, base_version or "", text))
            db.execute("INSERT INTO article_history (article_id, lang, at, user, action, version, previous, text)"
                       " VALUES (?,?,?,?,?,?,?,?)", (article_id, lang, utcnow().isoformat(), user, "draft",
                                                     version_of(text), base_version or "", text))
        return {"saved": True, "version": version_of(text)}

    def publish(self, article_id: str, variants: dict[str, dict], user: str, new: bool = False) -> Published:
        """Publish the given variants (``{lang: {fields, body, base_version}}``) at once, or none of them."""
        if not variants:
            raise ArticleError("nothing to publish")
        checked = {lang: self.check(article_id, lang, v.get("fields") or {}, v.get("body") or "")[0]
                   for lang, v in variants.items()}
        with self._lock:
            files = self._files().get(article_id, {})
            if new and files:
                raise ArticleConflict(f"an article with the id {article_id!r} already exists: choose another id",
                                      self.get(article_id))
            for lang, variant in variants.items():
                path = files.get(lang)
                current = version_of(path.read_text(encoding="utf-8")) if path else ""
                if (variant.get("base_version") or "") != current:
                    raise ArticleConflict(f"{article_id}.{lang} was published by someone else after you opened it: "
                                          "your text is kept in the editor; compare and publish again", self.get(article_id))
            changed = []
            for lang, text in checked.items():
                path = files.get(lang) or self.dir / f"{article_id}.{lang}.md"
                previous = version_of(path.read_text(encoding="utf-8")) if path.is_file() else ""
                if previous == version_of(text):
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.tmp")
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, path)
                changed.append(lang)
                with connect(self.db) as db:
                    db.execute("INSERT INTO article_history (article_id, lang, at, user, action, version, previous, text)"
                               " VALUES (?,?,?,?,?,?,?,?)", (article_id, lang, utcnow().isoformat(), user, "publish",
                                                             version_of(text), previous, text))
                    db.execute("DELETE FROM article_drafts WHERE article_id = ? AND lang = ?", (article_id, lang))
            report, skipped = self.reindex()
        return Published(article_id, changed, report.embedded, report.reused, skipped)

    def reindex(self):
        errors: list[ArticleFormatError] = []
        articles = load_articles(self.dir, errors=errors, languages=self.languages)
        report = build_index(articles, self.embedder(), self.index_dir, hnsw_threshold=self.hnsw_threshold)
        return report, [str(e) for e in errors]

    # --- trying a question against a draft --------------------------------------------------------
    def try_question(self, question: str, article_id: str, variants: dict[str, dict], top_k: int = 5,
                     lang: str | None = None) -> list[dict]:
        """What the search returns for ``question`` if the given variants were published (nothing is written)."""
        drafts = {}
        for draft_lang, v in variants.items():
            _, article = self.check(article_id, draft_lang, v.get("fields") or {}, v.get("body") or "")
            drafts[article.key] = article
        articles = [a for a in load_articles(self.dir, errors=[], languages=self.languages) if a.key not in drafts] + list(drafts.values())
        with tempfile.TemporaryDirectory(prefix="kb-try-") as tmp:
            scratch = Path(tmp)
            try:    # start from the live build, so only the draft variants are embedded
                live = current_build(self.index_dir)
                shutil.copytree(live, scratch / live.name)
                (scratch / CURRENT).write_text(live.name, encoding="utf-8")
            except Exception:   # no live build yet: everything is embedded
                pass
            embedder = self.embedder()
            build_index(articles, embedder, scratch, hnsw_threshold=self.hnsw_threshold)
            searcher = KbSearcher(load_index(scratch, embedder.name), embedder, self.fallback_languages)
            hits = searcher.search(question[:2000], top_k=top_k, lang=lang)
        return [{"article_id": h.article_id, "lang": h.lang, "title": h.title, "score": round(h.score, 3),
                 "draft": h.article_id == article_id} for h in hits]
