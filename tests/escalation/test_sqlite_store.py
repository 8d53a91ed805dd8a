import pytest

from escalation.errors import TicketNotFound
from escalation.tickets.model import TicketDraft
from escalation.tickets.sqlite_store import SqliteTicketStore


def draft(key="k1", requester="user-1", **extra):
    return TicketDraft(idempotency_key=key, requester={"id": requester, "channel": "rest"}, language="nl",
                       subject="VPN werkt niet", transcript=[{"sender": "user", "text": "mijn VPN werkt niet"}], **extra)


def test_create_is_idempotent_and_persistent(tmp_path):
    store = SqliteTicketStore(tmp_path / "t.db")
    first = store.create(draft())
    assert first.id == "1" and first.status == "new" and first.language == "nl"
    assert store.create(draft()).id == first.id
    reopened = SqliteTicketStore(tmp_path / "t.db")
    ticket = reopened.get(first.id)
    assert ticket.transcript[0].text == "mijn VPN werkt niet"
    assert reopened.create(draft(key="k2")).id == "2"


def test_list_filters_status_and_comments(tmp_path):
    store = SqliteTicketStore(tmp_path / "t.db")
    a = store.create(draft("a", "alice"))
    store.create(draft("b", "bob"))
    assert [t.id for t in store.list(requester_id="alice")] == [a.id]
    assert store.get(a.id).responded_at is None
    opened = store.set_status(a.id, "open")
    assert opened.responded_at is not None and opened.resolved_at is None
    resolved = store.set_status(a.id, "resolved")
    assert resolved.responded_at == opened.responded_at and resolved.resolved_at is not None   # the first times stay
    assert [t.id for t in store.list(status="resolved")] == [a.id]
    updated = store.add_comment(a.id, "it works again", "user")
    assert updated.comments[-1].text == "it works again" and updated.status == "resolved"
    assert store.set_status(a.id, "closed").resolved_at == resolved.resolved_at


@pytest.mark.parametrize("ticket_id", ["999", "abc", "", "1; DROP TABLE tickets"])
def test_unknown_ids_raise_not_found(tmp_path, ticket_id):
    store = SqliteTicketStore(tmp_path / "t.db")
    with pytest.raises(TicketNotFound):
        store.get(ticket_id)
