from datetime import timedelta

import pytest

from escalation.intake import prepare
from escalation.problems import ProblemIn, ProblemNotFound, ProblemStore, ProblemUpdate
from escalation.tickets.model import TicketRequest, utcnow
from core.settings import ProblemSettings


@pytest.fixture
def store(tmp_path, fake_embedder):
    return ProblemStore(tmp_path / "p.db", ProblemSettings(min_similar=2, similarity_threshold=0.6,
                                                           window_minutes=60), lambda: fake_embedder)


def incident(settings, key, requester, subject="the vpn does not connect since this morning", category="vpn"):
    return prepare(TicketRequest(idempotency_key=key, requester={"id": requester}, language="en",
                                 subject=subject, category=category), settings)


def escalate(store, d, at=None):
    problem = store.match(d, now=at)
    d.problem_id = problem.id if problem else None
    store.record(d, at=at)
    return problem


def test_similar_incidents_of_several_users_open_a_problem(store, settings):
    assert escalate(store, incident(settings, "a", "alice")) is None
    assert escalate(store, incident(settings, "b", "bob", "vpn does not connect this morning")) is None
    problem = escalate(store, incident(settings, "c", "carol", "the vpn does not connect"))
    assert problem is not None and problem.source == "detected" and problem.category == "vpn"
    assert problem.incident_count == 2  # the two earlier ones; the new one is recorded after
    later = escalate(store, incident(settings, "d", "dave", "vpn does not connect"))
    assert later.id == problem.id and store.get(problem.id).incident_count == 4
    assert len(store.references(problem.id)) == 4


def test_dissimilar_other_category_same_requester_or_old_incidents_do_not_count(store, settings):
    escalate(store, incident(settings, "a", "alice"))
    escalate(store, incident(settings, "b", "alice", "the vpn does not connect this morning"))  # same person
    escalate(store, incident(settings, "c", "bob", "printer out of toner on floor 3"))  # not similar
    escalate(store, incident(settings, "d", "carl", "the vpn does not connect", category="network"))
    escalate(store, incident(settings, "e", "erin"), at=utcnow() - timedelta(hours=3))  # outside the window
    assert escalate(store, incident(settings, "f", "frank")) is None
    assert store.list() == []


def test_resolved_incidents_do_not_count(store, settings):
    escalate(store, incident(settings, "a", "alice"))
    escalate(store, incident(settings, "b", "bob"))
    store.close_incident(incident(settings, "a", "alice").reference)
    assert escalate(store, incident(settings, "c", "carol")) is None


def test_declared_outage_links_every_incident_of_its_category_until_resolved(store, settings):
    declared = store.declare(ProblemIn(category="VPN", title="VPN outage", messages={"nl": "Storing VPN"}))
    assert declared.status == "open" and declared.category == "vpn"
    assert escalate(store, incident(settings, "a", "alice", "cannot reach intranet via vpn")).id == declared.id
    assert escalate(store, incident(settings, "b", "bob", category="printer")) is None
    resolved = store.update(declared.id, ProblemUpdate(status="resolved"))
    assert resolved.status == "resolved" and resolved.resolved_at is not None
    assert escalate(store, incident(settings, "c", "carol", "cannot reach intranet via vpn")) is None
    assert [p.id for p in store.list(status="resolved")] == [declared.id]
    with pytest.raises(ProblemNotFound):
        store.get(999)


def test_disabled_or_no_category(tmp_path, settings, fake_embedder):
    off = ProblemStore(tmp_path / "p.db", ProblemSettings(enabled=False), lambda: fake_embedder)
    off.declare(ProblemIn(category="vpn", title="VPN outage"))
    assert off.match(incident(settings, "a", "alice")) is None
    on = ProblemStore(tmp_path / "p2.db", ProblemSettings(), lambda: fake_embedder)
    assert on.match(incident(settings, "a", "alice", category=None)) is None
