"""The editors' service object: the inbox and its feed, the cluster map, article editing, training
examples with background retraining, content health and analytics, built from the settings."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

import yaml

from core.settings import Settings
from core.clock import utcnow
from escalation.tickets.model import Ticket
from helpdesk_service.editor import analytics, sla_attainment
from helpdesk_service.editor.articles import ArticleEditor
from helpdesk_service.editor.clusters import ClusterMap
from helpdesk_service.editor.feed import InboxFeed
from helpdesk_service.editor.health import content_health
from helpdesk_service.editor.inbox import InboxStore
from helpdesk_service.editor.training import NluWriter, Retrainer, default_command


def _catalogue(nlu_dir: Path) -> dict[str, str]:
    """intent -> problem category, from nlu_data/catalogue.yml (intents without a category are left out)."""
    path = Path(nlu_dir) / "catalogue.yml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(i["name"]): str(i["category"]) for i in data.get("intents", []) if isinstance(i, dict) and i.get("category")}


class EditorService:
    def __init__(self, settings: Settings, unclear, outcomes_db: Path, tracker_db: Path, embedder: Callable[[], object],
                 satisfaction: Callable[[], list[dict]], retrainer: Retrainer | None = None,
                 tickets: Callable[[], list[Ticket]] = list) -> None:
        e = settings.editor
        self.settings = settings
        self.tracker_db = Path(tracker_db)
        self.outcomes_db = Path(outcomes_db)
        self.nlu_dir = settings.path(settings.rasa.nlu_dir)
        self.categories = _catalogue(self.nlu_dir)
        db = settings.path(e.db or settings.data_path / "editor.db")
        self.inbox = InboxStore(db)
        self.feed = InboxFeed(self.inbox, self.tracker_db, unclear, self.outcomes_db, set(self.categories), e.low_confidence)
        self.clusters = ClusterMap(self.inbox, embedder, e.min_cluster_size)
        self.articles = ArticleEditor(settings.path(settings.kb.articles_dir), settings.path(settings.kb.index_dir), db,
                                      settings.languages, embedder, settings.kb.hnsw_threshold,
                                      fallback_languages=(settings.default_language,))
        self.nlu = NluWriter(self.nlu_dir, settings.languages)
        host = settings.rasa.host if settings.rasa.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        self.retrainer = retrainer or Retrainer(default_command(), f"http://{host}:{settings.rasa.port}",
                                                settings.rasa_token(), settings.project_root)
        self.satisfaction = satisfaction
        self.tickets = tickets
        self._sync_lock = threading.Lock()

    def refresh(self) -> None:
        """Read new items from every source and recluster (cheap when nothing changed)."""
        with self._sync_lock:
            self.feed.sync()
            self.clusters.refresh()

    def add_example(self, item_id: int, intent: str, language: str | None = None, text: str | None = None) -> dict:
        item = self.inbox.get(item_id)
        lang = language or item.language or self.settings.default_language
        path = self.nlu.add(intent, lang, text or item.text)
        self.inbox.set_status(item_id, "trained", intent=intent, language=lang)
        status = self.retrainer.request() if self.settings.editor.retrain else {"state": "off"}
        return {"file": str(path.relative_to(self.nlu_dir.parent)) if self.nlu_dir.parent in path.parents else str(path),
                "retrain": status}

    def link(self, item_id: int, article_id: str, user: str) -> dict:
        """The message becomes a search phrase of the article (a tag of its variant in the message's language),
        published at once, so the search finds that article for it next time."""
        item = self.inbox.get(item_id)
        article = self.articles.get(article_id)
        lang = item.language if item.language in article["variants"] and article["variants"][item.language]["exists"] \
            else next(l for l, v in article["variants"].items() if v["exists"])
        variant = article["variants"][lang]
        fields = dict(variant["fields"])
        phrase = item.text[:200]
        if phrase not in fields["tags"]:
            fields["tags"] = [*fields["tags"], phrase]
        published = self.articles.publish(article_id, {lang: {"fields": fields, "body": variant["body"],
                                                              "base_version": variant["version"]}}, user)
        self.inbox.set_status(item_id, "linked", article_id=article_id, by=user)
        return {"article_id": article_id, "lang": lang, "embedded": published.embedded}

    def analytics(self, since: str | None = None, until: str | None = None):
        rows, convs = analytics.table(self.tracker_db, self.outcomes_db, self.settings.editor.low_confidence,
                                      set(self.categories), since, until)
        return rows, convs

    def summary(self, since: str | None = None, until: str | None = None) -> dict:
        rows, convs = self.analytics(since, until)
        clusters, _ = self.clusters.refresh()
        scores = [int(s["csat_score"]) for s in self.satisfaction() if s.get("csat_score")]
        top = [{"id": c.id, "label": c.label, "count": c.count} for c in clusters]
        figures = analytics.summary(rows, convs, self.categories, scores, top)
        figures["sla"] = sla_attainment.summary(sla_attainment.table(self.tickets(), utcnow(), since, until))
        return {"rows": [analytics.asdict(r) for r in rows], "summary": figures}

    def health(self, days: int | None = None) -> dict:
        convs = analytics.conversations(self.tracker_db, self.settings.editor.low_confidence, set(self.categories))
        escalated = {k for k, c in convs.items() if c.escalated}
        return content_health(self.articles.list(), self.outcomes_db, escalated, days or self.settings.editor.health_days)
