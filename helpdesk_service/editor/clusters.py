"""The map of recurring problems: open inbox items clustered across languages with HDBSCAN on the
multilingual sentence vectors the KB search uses (noise, label -1, is kept apart).

Vectors are computed once per item and stored with it, so a recluster after new items arrive only
embeds the new ones; HDBSCAN itself reruns on all open items (milliseconds for thousands).
Each cluster gets a count, a weekly trend, its language mix, the messages closest to its centre and a
label (the message closest to the centre).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

import numpy as np

from helpdesk_service.editor.inbox import InboxStore, Item

WEEKS = 6
MIN_SIMILARITY = 0.5   # cosine: USE paraphrases across nl/fr/en are 0.65-0.8, unrelated IT problems 0.1-0.3


@dataclass
class Cluster:
    id: int
    label: str
    count: int
    languages: dict[str, int]
    kinds: dict[str, int]
    trend: list[int]                  # items per week, oldest first, the last WEEKS weeks
    examples: list[dict] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)


def _week(at: str, now: datetime) -> int | None:
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    weeks = int((now - when) / timedelta(weeks=1))
    return WEEKS - 1 - weeks if 0 <= weeks < WEEKS else None


class ClusterMap:
    def __init__(self, inbox: InboxStore, embedder: Callable[[], object], min_cluster_size: int = 2) -> None:
        self.inbox = inbox
        self.embedder = embedder
        self.min_cluster_size = min_cluster_size
        self._signature: tuple | None = None
        self._clusters: list[Cluster] = []
        self._noise: list[Item] = []

    def embed_new(self) -> int:
        todo = self.inbox.without_vector()
        if todo:
            vectors = self.embedder().encode([text for _, text in todo])
            self.inbox.set_vectors([i for i, _ in todo], vectors)
        return len(todo)

    def refresh(self) -> tuple[list[Cluster], list[Item]]:
        """Embed the new items and recluster when the set of open items changed."""
        self.embed_new()
        items, vectors = self.inbox.vectors()
        signature = tuple(i.id for i in items)
        if signature == self._signature:
            return self._clusters, self._noise
        labels = self._labels(vectors)
        now = datetime.now(timezone.utc)
        clusters, noise = [], []
        groups: dict[int, list[int]] = {}
        for index, label in enumerate(labels):
            if label < 0:
                noise.append(items[index])
            else:
                groups.setdefault(int(label), []).append(index)
        for members in groups.values():
            centre = vectors[members].mean(axis=0)
            order = sorted(members, key=lambda m: -float(vectors[m] @ centre))
            trend = [0] * WEEKS
            for m in members:
                week = _week(items[m].at, now)
                if week is not None:
                    trend[week] += 1
            clusters.append(Cluster(
                id=0, label=items[order[0]].text[:120], count=len(members),
                languages=dict(Counter(items[m].language or "?" for m in members)),
                kinds=dict(Counter(items[m].kind for m in members)), trend=trend,
                examples=[{"id": items[m].id, "text": items[m].text, "language": items[m].language} for m in order[:5]],
                item_ids=[items[m].id for m in members]))
        clusters.sort(key=lambda c: (-c.count, c.label))
        stored: dict[int, int | None] = {}
        for number, cluster in enumerate(clusters, 1):
            cluster.id = number
            stored.update({i: number for i in cluster.item_ids})
        self.inbox.set_clusters(stored)
        self._signature, self._clusters, self._noise = signature, clusters, noise
        return clusters, noise

    def _labels(self, vectors: np.ndarray) -> np.ndarray:
        if len(vectors) < self.min_cluster_size:
            return np.full(len(vectors), -1)
        labels = self._hdbscan(vectors, single=False)
        if (labels < 0).all():
            # HDBSCAN never makes one cluster of everything unless told; with few items (two users with
            # the same problem) that one cluster is the answer, and the coherence check below keeps
            # unrelated items out of it
            labels = self._hdbscan(vectors, single=True)
        return self._coherent(vectors, labels)

    def _hdbscan(self, vectors: np.ndarray, single: bool) -> np.ndarray:
        from sklearn.cluster import HDBSCAN

        # normalised vectors: euclidean distance is a monotone function of the cosine
        model = HDBSCAN(min_cluster_size=self.min_cluster_size, min_samples=1, metric="euclidean", copy=True,
                        allow_single_cluster=single,
                        cluster_selection_method="leaf" if len(vectors) < 50 and not single else "eom")
        return model.fit_predict(vectors.astype(np.float64))

    def _coherent(self, vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Move to noise, one at a time, the member least similar on average to the rest of its cluster
        while that similarity is below MIN_SIMILARITY; a cluster left smaller than the minimum is noise."""
        labels = labels.copy()
        for label in set(labels.tolist()) - {-1}:
            members = list(np.flatnonzero(labels == label))
            while len(members) >= self.min_cluster_size:
                sims = vectors[members] @ vectors[members].T
                mean = (sims.sum(axis=1) - 1.0) / (len(members) - 1)
                worst = int(np.argmin(mean))
                if mean[worst] >= MIN_SIMILARITY:
                    break
                labels[members.pop(worst)] = -1
            if len(members) < self.min_cluster_size:
                labels[members] = -1
        return labels
