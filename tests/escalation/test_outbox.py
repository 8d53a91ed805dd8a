import time

from escalation.intake import prepare, reference_for
from escalation.outbox import Outbox, OutboxWorker
from escalation.tickets.model import TicketRequest
from tests.escalation.fakes import FlakyBackend


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def draft(settings, key="conv-1", requester="u1"):
    return prepare(TicketRequest(idempotency_key=key, requester={"id": requester}, language="nl",
                                 subject="VPN werkt niet", category="vpn"), settings)


def test_delivered_at_once_when_the_backend_is_up(settings, tmp_path):
    backend = FlakyBackend(tmp_path / "t.db")
    outbox = Outbox(tmp_path / "o.db", backend)
    entry = outbox.deliver(outbox.put(draft(settings)).reference, claimed=True)
    assert entry.state == "delivered" and entry.ticket_id == "1" and entry.attempts == 1
    assert outbox.status()["delivered"] == 1 and outbox.status()["pending"] == 0


def test_failing_then_recovering_backend_with_exponential_backoff(settings, tmp_path):
    backend, clock = FlakyBackend(tmp_path / "t.db"), Clock()
    outbox = Outbox(tmp_path / "o.db", backend, retry_initial=5, retry_max=30, clock=clock)
    backend.down = True
    ref = outbox.put(draft(settings)).reference
    assert ref == reference_for("conv-1")
    waits = []
    for attempt in range(1, 6):
        entry = outbox.deliver(ref, claimed=attempt == 1)
        assert entry.state == "pending" and entry.attempts == attempt and "down" in entry.last_error
        waits.append(entry.next_attempt_at.timestamp() - clock.now)
        assert outbox.deliver_due() == 0  # not due yet: nothing is tried
        clock.now = entry.next_attempt_at.timestamp()
    assert waits == [5, 10, 20, 30, 30]
    status = outbox.status()
    assert status["pending"] == 1 and status["max_attempts"] == 5 and "down" in status["last_error"]
    backend.down = False
    assert outbox.deliver_due() == 1
    assert outbox.get(ref).state == "delivered" and backend.count() == 1
    assert outbox.deliver_due() == 0 and backend.count() == 1


def test_idempotent_across_restarts_and_double_puts(settings, tmp_path):
    backend = FlakyBackend(tmp_path / "t.db")
    backend.down = True
    first = Outbox(tmp_path / "o.db", backend)
    entry = first.put(draft(settings))
    assert entry.fresh
    ref = entry.reference
    first.deliver(ref, claimed=True)
    restarted = Outbox(tmp_path / "o.db", backend, retry_initial=0.01)  # a new process, same file
    again = restarted.put(draft(settings))
    assert again.reference == ref and not again.fresh
    assert restarted.status()["pending"] == 1
    backend.down = False
    time.sleep(0.02)
    restarted.deliver_due()
    restarted.deliver(ref)
    first.deliver(ref)
    assert backend.count() == 1 and restarted.get(ref).ticket_id == "1"


def test_ticket_created_but_answer_lost_is_not_duplicated(settings, tmp_path):
    backend = FlakyBackend(tmp_path / "t.db")
    outbox = Outbox(tmp_path / "o.db", backend, retry_initial=0.01)
    d = draft(settings)
    backend.store.create(d)  # the backend got it, but the answer never came back
    entry = outbox.put(d)
    assert outbox.deliver(entry.reference, claimed=True).ticket_id == "1" and backend.count() == 1


def test_a_claimed_entry_is_not_delivered_twice(settings, tmp_path):
    backend = FlakyBackend(tmp_path / "t.db")
    outbox = Outbox(tmp_path / "o.db", backend)
    ref = outbox.put(draft(settings)).reference  # born claimed by whoever put it
    assert not outbox._claim(ref)
    calls = backend.calls
    assert outbox.deliver(ref).state == "pending" and backend.calls == calls  # someone else holds it


def test_worker_delivers_when_the_backend_comes_back(settings, tmp_path):
    backend = FlakyBackend(tmp_path / "t.db")
    backend.down = True
    outbox = Outbox(tmp_path / "o.db", backend, retry_initial=0.05, retry_max=0.2)
    refs = [outbox.deliver(outbox.put(draft(settings, key=f"k{i}")).reference, claimed=True).reference
            for i in range(3)]
    worker = OutboxWorker(outbox, poll_seconds=0.05)
    worker.start()
    try:
        time.sleep(0.3)
        assert outbox.status()["pending"] == 3
        backend.down = False
        deadline = time.monotonic() + 5
        while outbox.status()["pending"] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert [outbox.get(r).state for r in refs] == ["delivered"] * 3 and backend.count() == 3


class RefusingBackend:
    """A backend that refuses every draft for good (a permanent 4xx of the ticket system)."""

    name = "refusing"

    def create(self, draft):
        from escalation.errors import InvalidTicket

        raise InvalidTicket("queue 'x' does not exist")


def test_a_draft_refused_for_good_becomes_a_dead_letter_and_is_not_retried(settings, tmp_path):
    outbox = Outbox(tmp_path / "o.db", RefusingBackend())
    ref = outbox.put(draft(settings)).reference
    entry = outbox.deliver(ref, claimed=True)
    assert entry.state == "dead" and "does not exist" in entry.last_error
    assert outbox.deliver_due() == 0 and outbox.get(ref).attempts == 1      # never retried
    assert outbox.status()["dead"] == 1 and outbox.status()["pending"] == 0
    assert [e.reference for e in outbox.pending(state="dead")] == [ref]


def test_an_escalation_stored_without_a_backend_is_delivered_by_the_worker(settings, tmp_path):
    """The action server's handle (no backend) stores; the service's outbox on the same file delivers."""
    store_only = Outbox(tmp_path / "o.db", None)
    ref = store_only.put(draft(settings), claim=False).reference
    service_side = Outbox(tmp_path / "o.db", FlakyBackend(tmp_path / "t.db"))
    assert service_side.deliver_due() == 1 and service_side.get(ref).state == "delivered"
