"""Request Tracker 5 through its REST2 API (httpx, basic auth).

Mapping: queue = the routed queue (created by ``helpdesk rt setup``); RT's own ``Priority`` 100/75/50/25
for P1..P4 (shown as "P1".."P4" by the ``%PriorityAsString`` that setup writes) and the custom field
"Helpdesk priority"; RT's own ``SLA`` field = the priority (its service levels, written by setup from
``sla.calendar``, then keep ``Due``), else ``Due`` = resolution due; the requester = the e-mail address
the channel gave; the other fields in the custom fields of :data:`CUSTOM_FIELDS` (times in the
configured zone, with their offset); the text for the agent is the ticket body, and the whole draft is
attached as ``helpdesk-ticket.json`` so ``get`` returns every field. The assistant works as its own RT
user (``rt_agent.bot_user``, see :func:`credentials`). Comments are RT comments
with the subject ``helpdesk:<sender>``. Idempotency: the key is stored in "Idempotency key" and looked
up before creating. Status: pending <-> stalled; closed is written as resolved; rejected/deleted read as
closed. Errors are translated here, once, into :mod:`escalation.errors`.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import timezone
from pathlib import Path
from typing import Any

import httpx

from escalation.errors import BackendUnavailable, InvalidTicket, TicketNotFound
from escalation.tickets.base import ACTIVE
from escalation.tickets.model import Status, Ticket, TicketDraft, TranscriptLine, is_ticket_number
from escalation.tickets.render import render_text
from escalation.tickets.rt_shredder import shred_tickets
from core.clock import local
from core.settings import RtSettings, Settings

log = logging.getLogger(__name__)

#: custom field name -> (RT type, what it holds)
CUSTOM_FIELDS: dict[str, tuple[str, str]] = {
    "Idempotency key": ("Freeform", "conversation / idempotency key of the escalation"),
    "Helpdesk reference": ("Freeform", "local reference given to the user (R-...)"),
    "Requester ID": ("Freeform", "chat user id"),
    "Requester channel": ("Freeform", "chat channel"),
    "Language": ("Select", "conversation language"),
    "Category": ("Freeform", "problem category"),
    "Helpdesk priority": ("Select", "P1..P4 from the urgency x impact matrix"),
    "Urgency": ("Select", "high / medium / low"),
    "Impact": ("Select", "high / medium / low"),
    "Response due": ("Freeform", "SLA response target (ISO 8601, local time with offset)"),
    "Resolution due": ("Freeform", "SLA resolution target (ISO 8601, local time with offset)"),
    "Skill level": ("Freeform", "the user's skill level"),
    "Known problem": ("Freeform", "id of the known problem this incident is linked to"),
    "Remote-control consent": ("Select", "the user's answer to taking over the computer"),
    "Remote-control consent at": ("Freeform", "when the user answered (ISO 8601, local time with offset)"),
}
JSON_NAME = "helpdesk-ticket.json"
RT_SERVER = "/usr/share/request-tracker5/libexec/rt-server"
CONSENT = {True: "yes", False: "no"}
RT_PRIORITY = {"P1": 100, "P2": 75, "P3": 50, "P4": 25}
TO_RT_STATUS = {"new": "new", "open": "open", "pending": "stalled", "resolved": "resolved", "closed": "resolved"}
FROM_RT_STATUS = {"new": "new", "open": "open", "stalled": "pending", "resolved": "resolved",
                  "rejected": "closed", "deleted": "closed"}
LIST_FIELDS = "Subject,Status,Created,LastUpdated,Started,Resolved,Queue,Due,CustomFields,Requestor"
NOT_SET = "1970-01-01"   # how RT shows a date it has not set (Started, Resolved)


def _sql(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def bot_password_file(settings: Settings) -> Path:
    return settings.path(settings.rt_agent.bot_password_file or settings.data_path / "rt_bot_password")


def credentials(settings: Settings) -> tuple[str, str]:
    """The assistant's own RT user when ``helpdesk rt setup`` made it, else ``rt.user`` (logged)."""
    path = bot_password_file(settings)
    if path.is_file():
        return settings.rt_agent.bot_user, path.read_text(encoding="utf-8").strip()
    log.warning("%s not found: tickets are made as %s; run `helpdesk rt setup` to make them as %s",
                path, settings.rt.user, settings.rt_agent.bot_user)
    try:
        return settings.rt.user, settings.rt.secret()
    except ValueError as exc:
        raise BackendUnavailable(str(exc)) from exc


class RtTicketBackend:
    name = "rt"

    def __init__(self, settings: RtSettings, default_language: str, *, zone: str = "UTC",
                 auth: tuple[str, str] | None = None, service_levels: bool = False,
                 transport: httpx.BaseTransport | None = None) -> None:
        if auth is None:
            try:
                auth = (settings.user, settings.secret())
            except ValueError as exc:
                raise BackendUnavailable(str(exc)) from exc
        self.base_url = settings.url.rstrip("/") + "/REST/2.0"
        self.url = settings.url.rstrip("/")
        self.user = auth[0]
        self.auth = auth
        self.default_language = default_language
        self.zone = zone
        self.service_levels = service_levels
        self._client = httpx.Client(base_url=self.base_url, auth=auth,
                                    timeout=settings.timeout_seconds, transport=transport)
        self._queue_names: dict[str, str] = {}
        self.shredder = settings.shredder

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> "RtTicketBackend":
        """The backend the service uses: as the assistant's RT user, times in the configured zone."""
        return cls(settings.rt, settings.default_language, zone=settings.timezone, auth=credentials(settings),
                   service_levels=settings.rt_agent.service_levels, **kwargs)

    def _local(self, value) -> str | None:
        return local(value, self.zone).isoformat(timespec="seconds") if value else None

    def close(self) -> None:
        self._client.close()

    # --- transport ----------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One REST2 call; JSON answer or None. The only place httpx errors are seen."""
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            port = httpx.URL(self.url).port or 80
            raise BackendUnavailable(
                f"RT at {self.url} does not answer ({exc.__class__.__name__}: {exc}); start it with "
                f"`{RT_SERVER} --server Starlet --host 127.0.0.1 --port {port}` (`make run` starts it too), "
                "or correct rt.url (HELPDESK_RT__URL)") from exc
        if response.status_code == 404:
            raise TicketNotFound(f"RT {path}: not found")
        if response.status_code == 401:
            raise BackendUnavailable(
                f"RT {method} {path}: credentials of RT user {self.user!r} refused; check rt.password / "
                "rt.password_file (HELPDESK_RT__PASSWORD), or run `helpdesk rt setup` again for the assistant's user")
        if response.status_code == 403:
            raise InvalidTicket(f"RT {method} {path}: RT user {self.user!r} may not do this (or the queue does "
                                "not exist); run `helpdesk rt setup` to create the queues and grant the rights")
        if response.status_code >= 500:
            raise BackendUnavailable(f"RT {method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise InvalidTicket(f"RT {method} {path}: HTTP {response.status_code}: {response.text[:300]}")
        try:
            return response.json() if response.content else None
        except ValueError as exc:
            raise BackendUnavailable(f"RT {method} {path}: not JSON (is rt.url right?)") from exc

    # --- helpers ------------------------------------------------------------------------
    def _queue_name(self, queue: Any) -> str:
        queue_id = str(queue.get("id") if isinstance(queue, dict) else queue)
        if queue_id not in self._queue_names:
            self._queue_names[queue_id] = self.request("GET", f"/queue/{queue_id}")["Name"]
        return self._queue_names[queue_id]

    @staticmethod
    def _cfs(item: dict) -> dict[str, str]:
        return {cf["name"]: (cf.get("values") or [None])[0] for cf in item.get("CustomFields") or []}

    def _search(self, query: str, limit: int = 50) -> list[dict]:
        page = self.request("GET", "/tickets", params={
            "query": query, "fields": LIST_FIELDS, "orderby": "id", "order": "DESC",  # Created ties within a second
            "per_page": max(1, min(limit, 100))})
        return page.get("items") or []

    @staticmethod
    def _rt_date(value: str | None) -> str | None:
        return value if value and not value.startswith(NOT_SET) else None

    def _from_item(self, item: dict, data: dict | None = None) -> Ticket:
        """A Ticket from RT's fields, on top of the attached draft (``data``) when there is one."""
        cf = self._cfs(item)
        requestors = item.get("Requestor") or []
        base = dict(data or {})
        if not base:
            base = {"idempotency_key": cf.get("Idempotency key") or f"rt-{item['id']}",
                    "requester": {"id": cf.get("Requester ID") or (requestors[0].get("id") if requestors else "unknown"),
                                  "channel": cf.get("Requester channel") or "email"},
                    "language": cf.get("Language") or self.default_language,
                    "category": cf.get("Category"), "reference": cf.get("Helpdesk reference"),
                    "response_due": cf.get("Response due"), "resolution_due": cf.get("Resolution due")}
        base.update(
            id=str(item["id"]),
            subject=item.get("Subject") or base.get("subject") or "(no subject)",
            status=FROM_RT_STATUS.get(item.get("Status"), "open"),
            created_at=item.get("Created"), updated_at=item.get("LastUpdated") or item.get("Created"),
            queue=self._queue_name(item["Queue"]),
            priority=cf.get("Helpdesk priority") or base.get("priority") or "P3",
            # RT sets Started when a ticket leaves 'new' and Resolved when it is resolved
            responded_at=self._rt_date(item.get("Started")), resolved_at=self._rt_date(item.get("Resolved")),
        )
        if cf.get("Known problem"):
            base["problem_id"] = int(cf["Known problem"])
        return Ticket.model_validate(base)

    # --- the interface ------------------------------------------------------------------
    def find_by_key(self, idempotency_key: str) -> str | None:
        items = self._search(f"'CF.{{Idempotency key}}' = {_sql(idempotency_key)}", limit=1)
        return str(items[0]["id"]) if items else None

    def create(self, draft: TicketDraft) -> Ticket:
        existing = self.find_by_key(draft.idempotency_key)
        if existing:
            return self.get(existing)
        payload = draft.model_dump_json().encode("utf-8")
        custom = {
            "Idempotency key": draft.idempotency_key, "Helpdesk reference": draft.reference,
            "Requester ID": draft.requester.id, "Requester channel": draft.requester.channel,
            "Language": draft.language, "Category": draft.category, "Helpdesk priority": draft.priority,
            "Urgency": draft.urgency, "Impact": draft.impact,
            "Response due": self._local(draft.response_due),
            "Resolution due": self._local(draft.resolution_due),
            "Skill level": draft.skill_level,
            "Known problem": str(draft.problem_id) if draft.problem_id is not None else None,
            "Remote-control consent": CONSENT.get(draft.remote_control_consent),
            "Remote-control consent at": self._local(draft.remote_control_consent_at),
        }
        body: dict[str, Any] = {
            "Queue": draft.queue, "Subject": draft.subject, "Priority": RT_PRIORITY.get(draft.priority, 50),
            "Content": render_text(draft, self.zone), "ContentType": "text/plain",
            "CustomFields": {k: v for k, v in custom.items() if v not in (None, "")},
            "Attachments": [{"FileName": JSON_NAME, "FileType": "application/json",
                             "FileContent": base64.b64encode(payload).decode("ascii")}],
        }
        if draft.requester.email:   # RT creates the requester from the address (and the name the channel gave)
            name = (draft.requester.name or "").replace('"', "'")
            body["Requestor"] = f'"{name}" <{draft.requester.email}>' if name else draft.requester.email
        if self.service_levels:
            body["SLA"] = draft.priority   # RT's own service level: it keeps Due (response, then resolution)
        elif draft.resolution_due:
            body["Due"] = draft.resolution_due.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        links = [t for t in draft.related_to if is_ticket_number(t)]
        if links:
            body["RefersTo"] = [int(t) for t in links]
        created = self.request("POST", "/ticket", json=body)
        log.info("RT ticket %s created in queue %s", created["id"], draft.queue)
        return Ticket(**draft.model_dump(), id=str(created["id"]))

    def get(self, ticket_id: str) -> Ticket:
        if not is_ticket_number(ticket_id):
            raise TicketNotFound(f"ticket {ticket_id!r} not found")
        try:
            item = self.request("GET", f"/ticket/{ticket_id}")
            attachments = self.request("GET", f"/ticket/{ticket_id}/attachments", params={
                "fields": "Filename,ContentType,Content,Subject,Created", "per_page": 100})
        except TicketNotFound:
            raise TicketNotFound(f"ticket {ticket_id!r} not found") from None
        data, comments = None, []
        for att in attachments.get("items") or []:
            if att.get("Filename") == JSON_NAME and data is None:
                try:
                    data = json.loads(att.get("Content") or "")
                except ValueError:
                    data = json.loads(base64.b64decode(att.get("Content") or ""))
            elif (att.get("Subject") or "").startswith("helpdesk:"):
                sender = att["Subject"].split(":", 1)[1]
                comments.append(TranscriptLine(sender=sender if sender in ("user", "bot", "agent") else "agent",
                                               text=att.get("Content") or "", timestamp=att.get("Created")))
        item["id"] = str(item["id"])
        ticket = self._from_item(item, data)
        ticket.comments = comments
        refers = [str(h["id"]) for h in item.get("_hyperlinks") or [] if h.get("ref") == "refers-to"]
        ticket.related_to = list(dict.fromkeys([*ticket.related_to, *refers]))
        return ticket

    def list(self, *, requester_id: str | None = None, status: str | None = None, category: str | None = None,
             queue: str | None = None, priority: str | None = None, limit: int = 50) -> list[Ticket]:
        clauses = []
        if requester_id:
            clauses.append(f"'CF.{{Requester ID}}' = {_sql(requester_id)}")
        if status == ACTIVE:
            clauses.append("Status = '__Active__'")
        elif status:
            clauses.append("(" + " OR ".join(f"Status = {_sql(s)}" for s, ours in FROM_RT_STATUS.items()
                                            if ours == status) + ")")
        if category:
            clauses.append(f"'CF.{{Category}}' = {_sql(category)}")
        if queue:
            clauses.append(f"Queue = {_sql(queue)}")
        if priority:
            clauses.append(f"'CF.{{Helpdesk priority}}' = {_sql(priority)}")
        query = " AND ".join(clauses) or "id > 0"
        return [self._from_item(item) for item in self._search(query, limit)][:limit]

    # --- one requester's tickets (GDPR): they live in RT, not in our data folder ----------------------
    def _requester_ticket_ids(self, requester_id: str) -> list[str]:
        ids, page = [], 1
        while True:
            found = self.request("GET", "/tickets", params={
                "query": f"'CF.{{Requester ID}}' = {_sql(requester_id)}", "fields": "id", "per_page": 100, "page": page})
            ids += [str(item["id"]) for item in found.get("items") or []]
            if page >= int(found.get("pages") or 1):
                return ids
            page += 1

    def export_requester(self, requester_id: str) -> list[dict]:
        return [self.get(t).model_dump(mode="json") for t in self._requester_ticket_ids(requester_id)]

    def erase_requester(self, requester_id: str) -> int:
        ids = self._requester_ticket_ids(requester_id)
        shred_tickets(self.shredder, ids)
        return len(ids)

    def _check_id(self, ticket_id: str) -> None:
        if not is_ticket_number(ticket_id):
            raise TicketNotFound(f"ticket {ticket_id!r} not found")

    def set_status(self, ticket_id: str, status: Status, comment: str | None = None) -> Ticket:
        self._check_id(ticket_id)
        if comment:
            self.request("POST", f"/ticket/{ticket_id}/comment",
                         json={"Subject": "helpdesk:user", "Content": comment, "ContentType": "text/plain"})
        self.request("PUT", f"/ticket/{ticket_id}", json={"Status": TO_RT_STATUS[status]})
        return self.get(ticket_id)

    def add_comment(self, ticket_id: str, text: str, sender: str = "user") -> Ticket:
        self._check_id(ticket_id)
        self.request("POST", f"/ticket/{ticket_id}/comment",
                     json={"Subject": f"helpdesk:{sender}", "Content": text, "ContentType": "text/plain"})
        return self.get(ticket_id)

    def add_links(self, ticket_id: str, related_to: list[str]) -> Ticket:
        for other in related_to:
            self.get(other)
        ids = [int(t) for t in related_to if is_ticket_number(t)]
        if ids:
            self.request("PUT", f"/ticket/{ticket_id}", json={"AddRefersTo": ids})
        return self.get(ticket_id)
