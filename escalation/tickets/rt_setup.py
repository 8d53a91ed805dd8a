"""``helpdesk rt setup``: creates in RT what the adapter needs (idempotent).

The queues of ``routing.queues`` and the custom fields of :data:`escalation.tickets.rt.CUSTOM_FIELDS`
(on every queue), with the allowed values of the Select fields (languages, priorities, levels).
"""

from __future__ import annotations

from typing import Callable

from escalation.errors import TicketNotFound
from escalation.tickets.rt import CUSTOM_FIELDS, RtTicketBackend
from core.settings import Settings


def select_values(settings: Settings) -> dict[str, list[str]]:
    return {"Language": list(settings.languages), "Helpdesk priority": list(settings.sla.targets),
            "Urgency": ["high", "medium", "low"], "Impact": ["high", "medium", "low"]}


def setup(rt: RtTicketBackend, settings: Settings, say: Callable[[str], None] = lambda _: None) -> list[str]:
    """Create the missing queues, custom fields and values; returns what was created."""
    created: list[str] = []
    version = rt.request("GET", "/rt").get("Version")
    say(f"RT {version} at {rt.base_url}")
    queues = {q["Name"]: q for q in rt.request("GET", "/queues/all", params={
        "fields": "Name,Disabled", "per_page": 100}).get("items") or []}
    for name, queue in settings.routing.queues.items():
        if name not in queues:
            try:
                existing = rt.request("GET", f"/queue/{name}")  # perhaps disabled
            except TicketNotFound:
                existing = None
            if existing is None:
                rt.request("POST", "/queue", json={"Name": name, "Description": queue.description[:255]})
                created.append(f"queue {name}")
            else:
                rt.request("PUT", f"/queue/{existing['id']}", json={"Disabled": 0})
                created.append(f"queue {name} (enabled again)")
    fields = {cf["Name"]: cf["id"] for cf in rt.request(
        "POST", "/customfields", params={"fields": "Name", "per_page": 100},
        json=[{"field": "LookupType", "value": "RT::Queue-RT::Ticket"}]).get("items") or []}
    values = select_values(settings)
    for name, (kind, description) in CUSTOM_FIELDS.items():
        cf_id = fields.get(name)
        if cf_id is None:
            cf_id = rt.request("POST", "/customfield", json={
                "Name": name, "Type": kind, "MaxValues": 1, "Description": description,
                "LookupType": "RT::Queue-RT::Ticket", "Queue": 0})["id"]
            created.append(f"custom field {name}")
        if name in values:
            have = {v.get("name") for v in
                    (rt.request("GET", f"/customfield/{cf_id}/values", params={"per_page": 100}).get("items") or [])}
            for value in values[name]:
                if value not in have:
                    rt.request("POST", f"/customfield/{cf_id}/value", json={"Name": value})
                    created.append(f"value {name}={value}")
    for line in created:
        say(f"created {line}")
    say("RT is ready for the helpdesk" + ("" if created else " (nothing to do)"))
    return created
