"""A ticket as plain text for a human agent (the body of the ticket in RT, of the e-mail): every time
in the configured zone with the zone named, every article offered with its title."""

from __future__ import annotations

from core.clock import local, shown
from escalation.tickets.model import TicketDraft


def render_text(draft: TicketDraft, zone: str) -> str:
    def _when(value) -> str:
        return shown(value, zone)

    def _clock(value) -> str:
        return local(value, zone).strftime("%H:%M:%S") if value else "--:--:--"

    r = draft.requester
    who = " ".join(p for p in (r.name or "", f"<{r.email}>" if r.email else "") if p) or r.id
    lines = [
        f"Requester: {who} (channel {r.channel}, id {r.id})",
        f"Language: {draft.language}   Category: {draft.category or '-'}   Queue: {draft.queue}",
        f"Priority: {draft.priority} (urgency {draft.urgency or 'unknown'}, impact {draft.impact or 'unknown'})",
        f"Response due: {_when(draft.response_due)}   Resolution due: {_when(draft.resolution_due)}",
        f"Skill level: {draft.skill_level or '-'}   Reason: {draft.reason}   Reference: {draft.reference or '-'}",
    ]
    if draft.remote_control_consent is not None:
        answer = "yes" if draft.remote_control_consent else "no"
        lines.append(f"Remote-control consent: {answer} ({_when(draft.remote_control_consent_at)})")
    if draft.problem_id is not None:
        lines.append(f"Linked to known problem #{draft.problem_id}")
    if draft.related_to:
        lines.append("Related tickets: " + ", ".join(f"#{t}" for t in draft.related_to))
    if draft.paraphrase:
        lines += ["", "Problem, as confirmed by the user:", draft.paraphrase]
    if draft.description:
        lines += ["", "Description:", draft.description]
    if draft.facts:
        lines += ["", "Facts:"] + [f"- {k}: {v}" for k, v in draft.facts.items()]
    if draft.suggested_articles:
        lines += ["", "KB articles offered (the user's answer; suggested = offered, not opened):"]
        lines += [f"- {a.article_id}" + (f' "{a.title}"' if a.title else "") + f": {a.outcome}"
                  for a in draft.suggested_articles]
    if draft.transcript:
        first = next((line.timestamp for line in draft.transcript if line.timestamp), None)
        zone_name = local(first, zone).tzname() if first else zone
        lines += ["", f"Transcript (times {zone_name}, {zone}):"]
        lines += [f"[{_clock(line.timestamp)}] {line.sender}: {line.text}" for line in draft.transcript]
    return "\n".join(lines)
