"""The RT adapter against a real Request Tracker 5 (installed and started by the rt_server fixture)."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from escalation.errors import BackendUnavailable, TicketNotFound
from escalation.intake import prepare
from escalation.tickets.model import TicketRequest
from escalation.tickets.rt import RtTicketBackend
from escalation.tickets.rt_setup import setup
from core.settings import RtSettings, load_settings

SETTINGS = load_settings()


def request(requester, **extra):
    body = dict(idempotency_key=uuid.uuid4().hex, requester={"id": requester, "email": f"{requester}@example.com", "name": "Jan"},
                language="nl", subject="VPN werkt niet", description="mijn VPN verbindt niet", category="vpn",
                paraphrase="De VPN verbindt niet sinds vanmorgen", facts={"os": "Windows 11"}, skill_level="novice",
                transcript=[{"sender": "user", "text": "wachtwoord: Geheim123"}],
                suggested_articles=[{"article_id": "vpn-cannot-connect", "title": "VPN maakt geen verbinding",
                                     "outcome": "not_solved"}],
                remote_control_consent=True, remote_control_consent_at="2026-03-02T09:12:00Z", urgency="high",
                impact="medium")
    body.update(extra)
    return prepare(TicketRequest(**body), SETTINGS)


def test_create_get_is_idempotent_and_holds_every_field(rt_backend):
    requester = f"rt-{uuid.uuid4().hex[:8]}"
    draft = request(requester)
    ticket = rt_backend.create(draft)
    assert ticket.id.isdigit() and rt_backend.create(draft).id == ticket.id  # same key, same ticket
    got = rt_backend.get(ticket.id)
    assert (got.queue, got.priority, got.category, got.language, got.status) == ("network", "P2", "vpn", "nl", "new")
    assert got.requester.id == requester and got.requester.email == f"{requester}@example.com"
    assert got.paraphrase == draft.paraphrase and got.facts == {"os": "Windows 11"} and got.skill_level == "novice"
    assert got.transcript[0].text == "wachtwoord: [hidden]"
    assert got.suggested_articles[0].outcome == "not_solved" and got.remote_control_consent is True
    assert got.response_due == draft.response_due and got.reference == draft.reference
    raw = rt_backend.request("GET", f"/ticket/{ticket.id}")
    cf = {c["name"]: c["values"] for c in raw["CustomFields"]}
    assert cf["Idempotency key"] == [draft.idempotency_key] and cf["Language"] == ["nl"]
    assert cf["Helpdesk priority"] == ["P2"] and raw["Priority"] in ("75", "P2")
    assert raw["Creator"]["id"] == rt_backend.user != "root"          # the assistant's own RT user
    # RT's own service level, computed by RT on the same business hours and holidays as ours; the ticket is
    # made by the assistant (not a requester's mail), so RT's Due is the resolution deadline
    assert raw["SLA"] == "P2"
    rt_due = datetime.fromisoformat(raw["Due"].replace("Z", "+00:00"))
    assert abs(rt_due - draft.resolution_due) <= timedelta(minutes=2), (raw["Due"], draft.resolution_due)
    assert cf["Remote-control consent"] == ["yes"]
    assert cf["Remote-control consent at"] == ["2026-03-02T10:12:00+01:00"]   # Brussels, offset named
    assert cf["Response due"][0] == draft.response_due.astimezone(ZoneInfo("Europe/Brussels")).isoformat(
        timespec="seconds")
    requestor = rt_backend.request("GET", f"/user/{raw['Requestor'][0]['id']}")
    assert (requestor["EmailAddress"], requestor["RealName"]) == (f"{requester}@example.com", "Jan")  # a new RT user
    body = rt_backend.request("GET", f"/ticket/{ticket.id}/attachments", params={
        "fields": "Content,ContentType", "per_page": 20})["items"]
    text = next(a["Content"] for a in body if a["ContentType"] == "text/plain")
    assert 'vpn-cannot-connect "VPN maakt geen verbinding": not_solved' in text
    assert "Remote-control consent: yes (2026-03-02 10:12 CET)" in text


def test_list_status_comment_and_links(rt_backend):
    requester = f"rt-{uuid.uuid4().hex[:8]}"
    first = rt_backend.create(request(requester, category="printer", subject="Printer prints blank pages"))
    second = rt_backend.create(request(requester, related_to=[first.id]))
    listed = rt_backend.list(requester_id=requester)
    assert [t.id for t in listed] == [second.id, first.id] and listed[1].category == "printer"
    assert [t.id for t in rt_backend.list(requester_id=requester, queue="workplace")] == [first.id]
    assert [t.id for t in rt_backend.list(requester_id=requester, priority="P2", category="vpn")] == [second.id]
    assert rt_backend.get(second.id).related_to == [first.id]
    commented = rt_backend.add_comment(second.id, "het werkt weer", "user")
    assert commented.comments[-1].text == "het werkt weer" and commented.comments[-1].sender == "user"
    assert rt_backend.get(second.id).responded_at is None and listed[0].resolved_at is None
    pending = rt_backend.set_status(second.id, "pending")
    assert pending.status == "pending" and pending.responded_at is not None and pending.resolved_at is None
    assert [t.id for t in rt_backend.list(requester_id=requester, status="pending")] == [second.id]
    resolved = rt_backend.set_status(second.id, "resolved")
    assert resolved.status == "resolved" and resolved.resolved_at is not None     # RT's Started and Resolved
    assert rt_backend.list(requester_id=requester)[0].resolved_at == resolved.resolved_at
    assert [t.id for t in rt_backend.list(requester_id=requester, status="active")] == [first.id]
    third = rt_backend.create(request(requester))
    assert rt_backend.add_links(third.id, [first.id]).related_to == [first.id]


@pytest.mark.parametrize("ticket_id", ["99999999", "abc", "1; DROP"])
def test_unknown_ticket_is_not_found(rt_backend, ticket_id):
    with pytest.raises(TicketNotFound):
        rt_backend.get(ticket_id)


def test_wrong_password_and_unreachable_rt_are_unavailable(rt_server):
    wrong = RtTicketBackend(RtSettings(url=rt_server.url, password="not-the-password"), "nl")
    with pytest.raises(BackendUnavailable, match="credentials of RT user 'root' refused; check rt.password"):
        wrong.get("1")
    with socket_free_port() as port:
        nowhere = RtTicketBackend(RtSettings(url=f"http://127.0.0.1:{port}", password="x", timeout_seconds=2), "nl")
        with pytest.raises(BackendUnavailable, match=r"does not answer .* start it with `/usr/share/request-tracker5"):
            nowhere.create(request("someone"))


def test_setup_is_idempotent(rt_admin, rt_server):
    assert setup(rt_admin, rt_server.helpdesk_settings) == []
    names = {q["Name"] for q in rt_admin.request("GET", "/queues/all", params={"fields": "Name"})["items"]}
    assert set(SETTINGS.routing.queues) <= names


class socket_free_port:
    def __enter__(self):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


def test_httpx_is_not_leaked(rt_backend):
    try:
        rt_backend.get("99999999")
    except TicketNotFound as exc:
        assert not isinstance(exc, httpx.HTTPError)


def test_one_requesters_tickets_are_exported_and_shredded_for_good(rt_backend, rt_admin):
    requester, other = f"gdpr-{uuid.uuid4().hex[:8]}", f"keep-{uuid.uuid4().hex[:8]}"
    mine = [rt_backend.create(request(requester)).id for _ in range(2)]
    rt_backend.add_comment(mine[0], "mijn adres is Kerkstraat 1", "user")
    kept = rt_backend.create(request(other)).id
    exported = rt_backend.export_requester(requester)
    assert sorted(t["id"] for t in exported) == sorted(mine)
    assert any(c["text"] == "mijn adres is Kerkstraat 1" for t in exported for c in t["comments"])
    assert rt_backend.erase_requester(requester) == 2
    for ticket_id in mine:
        with pytest.raises(TicketNotFound):
            rt_admin.get(ticket_id)                     # gone from RT's database, not just marked deleted
    assert rt_backend.export_requester(requester) == [] and rt_backend.erase_requester(requester) == 0
    assert rt_backend.get(kept).requester.id == other


def test_without_rt_shredder_on_this_machine_the_erase_names_the_tickets(rt_backend, tmp_path):
    requester = f"gdpr-{uuid.uuid4().hex[:8]}"
    ticket = rt_backend.create(request(requester)).id
    rt_backend.shredder = tmp_path / "no-rt-shredder"
    with pytest.raises(BackendUnavailable, match=f"#{ticket}"):
        rt_backend.erase_requester(requester)
    assert rt_backend.get(ticket).id == ticket          # nothing half-done
