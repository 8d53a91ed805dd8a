"""``helpdesk rt setup``: creates in RT what the adapter needs (idempotent), as an RT administrator.

- the queues of ``routing.queues`` and the custom fields of :data:`escalation.tickets.rt.CUSTOM_FIELDS`
  (on every queue), with the allowed values of the Select fields (languages, priorities, levels);
- the assistant's own RT user (``rt_agent.bot_user``) with the global rights it needs; its password is
  generated once into ``<data_dir>/rt_bot_password`` (mode 0600). REST2 (RT 5.0) can neither grant
  rights nor set a password, so those two go through RT's web forms (logged in as the administrator,
  each form confirmed with the CSRF token RT hands back);
- RT's own configuration for what agents see (``RT_SiteConfig.d/91-helpdesk-sla.pm``): the display
  time zone, "P1".."P4" as RT's priority names, and RT's service levels P1..P4 on the same business
  hours and public holidays as ``sla.calendar``. RT reads it when rt-server starts.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import date
from pathlib import Path
from typing import Callable

import httpx

from core.settings import WEEKDAYS, Settings
from escalation.business_hours import BusinessCalendar
from escalation.errors import BackendUnavailable, TicketNotFound
from escalation.priority import matrix_priority
from escalation.tickets.rt import CONSENT, CUSTOM_FIELDS, RT_PRIORITY, RtTicketBackend, bot_password_file

SITE_CONFIG_DIR = Path("/etc/request-tracker5/RT_SiteConfig.d")
SITE_CONFIG_NAME = "91-helpdesk-sla.pm"
BOT_RIGHTS = ("SeeQueue", "ShowTicket", "CreateTicket", "ModifyTicket", "CommentOnTicket", "ReplyToTicket",
              "ShowTicketComments", "SeeCustomField", "ModifyCustomField", "SetInitialCustomField", "SeeGroup")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def select_values(settings: Settings) -> dict[str, list[str]]:
    return {"Language": list(settings.languages), "Helpdesk priority": list(settings.sla.targets),
            "Urgency": ["high", "medium", "low"], "Impact": ["high", "medium", "low"],
            "Remote-control consent": list(CONSENT.values())}


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def site_config(settings: Settings, years: tuple[int, ...] | None = None) -> str:
    """RT's configuration for what agents see, from settings.yml (Perl, for RT_SiteConfig.d)."""
    sla, zone = settings.sla, settings.business_timezone
    years = years or (date.today().year, date.today().year + 1)
    calendar = BusinessCalendar(sla.calendar, zone)
    holidays = sorted({d.isoformat() for y in years for d in _year_days(y) if calendar.is_holiday(d)})
    hours = []
    for weekday in range(7):
        spans = sla.calendar.spans(weekday)
        if not spans:
            continue
        breaks = ", ".join(f"{{ Start => '{_hhmm(a[1])}', End => '{_hhmm(b[0])}' }}" for a, b in zip(spans, spans[1:]))
        rt_day = (weekday + 1) % 7   # Business::Hours: 0 = Sunday
        hours.append(f"        {rt_day} => {{ Name => '{DAY_NAMES[weekday]}', Start => '{_hhmm(spans[0][0])}', "
                     f"End => '{_hhmm(spans[-1][1])}'" + (f", Breaks => [ {breaks} ]" if breaks else "") + " },")
    levels = []
    for name, target in sla.targets.items():
        unit = "RealMinutes" if name in sla.calendar.around_the_clock else "BusinessMinutes"
        extra = "" if unit == "RealMinutes" else ", BusinessHours => 'Default'"
        levels.append(f"        '{name}' => {{ Response => {{ {unit} => {int(target.response)} }}, "
                      f"Resolve => {{ {unit} => {int(target.resolution)} }}, Timezone => '{zone}'{extra} }},")
    priorities = ", ".join(f"'{p}' => {RT_PRIORITY.get(p, 50)}" for p in sla.targets)
    holiday_list = " ".join(holidays)
    return "\n".join([
        "# Written by `helpdesk rt setup` from settings.yml (timezone, sla.targets, sla.calendar).",
        "# Do not edit: change settings.yml and run `helpdesk rt setup` again, then restart rt-server.",
        f"Set($Timezone, '{settings.timezone}');",
        f"Set(%PriorityAsString, Default => [ {priorities} ]);",
        "Set(%ServiceAgreements, (",
        f"    Default => '{matrix_priority(sla, None, None)}',",
        "    Levels => {", *levels, "    },", "));",
        "Set(%ServiceBusinessHours, (",
        "    'Default' => {", *hours,
        f"        holidays => [ qw({holiday_list}) ],",
        "    },", "));", "1;", ""])


def _year_days(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day = date.fromordinal(day.toordinal() + 1)


def write_site_config(settings: Settings, directory: Path = SITE_CONFIG_DIR) -> tuple[Path, bool]:
    """Write the file when it changed; (path, changed). Raises PermissionError when not allowed."""
    path = directory / SITE_CONFIG_NAME
    text = site_config(settings)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return path, False
    path.write_text(text, encoding="utf-8")
    return path, True


class RtWeb:
    """RT's web forms, for the two things REST2 of RT 5.0 cannot do (rights, passwords)."""

    def __init__(self, url: str, user: str, password: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.password = password
        self.client = httpx.Client(base_url=self.url, timeout=timeout, follow_redirects=True)
        try:
            self.client.post("/NoAuth/Login.html", data={"user": user, "pass": password})
            r = self.client.get("/Prefs/AboutMe.html")   # the login form again unless logged in
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"RT web login at {self.url}: {exc}") from exc
        if 'name="pass"' in r.text or r.status_code != 200:
            raise BackendUnavailable(f"RT web login as {user!r} refused; check rt.user / rt.password")

    def post(self, path: str, data: dict) -> str:
        """POST a form; RT answers a request from another origin with a confirmation link (CSRF token)."""
        try:
            r = self.client.post(path, data=data)
            token = re.search(r"CSRF_Token=([0-9a-f]+)", r.text)
            if token and "cross-site request forgery" in r.text:
                r = self.client.get(path, params={"CSRF_Token": token.group(1)})
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"RT web form {path}: {exc}") from exc
        return r.text

    def close(self) -> None:
        self.client.close()


def _ensure_bot(rt: RtTicketBackend, settings: Settings, admin: tuple[str, str], say) -> list[str]:
    """The assistant's RT user, its password (generated once) and its global rights."""
    created: list[str] = []
    agent = settings.rt_agent
    path = bot_password_file(settings)
    fresh_password = not path.is_file()
    password = secrets.token_urlsafe(24) if fresh_password else path.read_text(encoding="utf-8").strip()
    try:
        user = rt.request("GET", f"/user/{agent.bot_user}")
    except TicketNotFound:
        user = None
    if user is None:
        user = rt.request("POST", "/user", json={
            "Name": agent.bot_user, "Password": password, "Privileged": 1, "RealName": "Helpdesk assistant",
            "EmailAddress": agent.bot_email, "Comments": "The chat assistant (helpdesk rt setup)"})
        created.append(f"RT user {agent.bot_user}")
        set_password = False
    else:
        set_password = fresh_password or not _works(rt, agent.bot_user, password)
    user_id = str(user.get("id"))
    web = RtWeb(rt.url, *admin)
    try:
        if set_password:
            web.post("/Admin/Users/Modify.html", {"id": user_id if user_id.isdigit() else agent.bot_user,
                                                   "Pass1": password, "Pass2": password, "CurrentPass": admin[1]})
            created.append(f"password of RT user {agent.bot_user}")
        page = web.post("/Admin/Global/UserRights.html", {
            "AddPrincipalForRights-user": agent.bot_user, "CheckACL": "addprincipal-RT::System-1",
            "SetRights-addprincipal-RT::System-1": list(BOT_RIGHTS), "Update": "1"})
        granted = re.findall(r"Granted right &#39;(\w+)&#39;", page)
        if granted:
            created.append(f"rights of {agent.bot_user}: {', '.join(sorted(granted))}")
    finally:
        web.close()
    if not _works(rt, agent.bot_user, password):
        raise BackendUnavailable(f"RT user {agent.bot_user!r} cannot log in with the password just set")
    if fresh_password:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password)
        say(f"password of {agent.bot_user} kept in {path} (mode 0600)")
    return created


def _works(rt: RtTicketBackend, user: str, password: str) -> bool:
    try:
        return httpx.get(f"{rt.base_url}/rt", auth=(user, password), timeout=20).status_code == 200
    except httpx.HTTPError:
        return False


def setup(rt: RtTicketBackend, settings: Settings, say: Callable[[str], None] = lambda _: None,
          *, bot: bool = True, site_config_dir: Path | None = SITE_CONFIG_DIR) -> list[str]:
    """Create the missing queues, custom fields, values and the assistant's user; returns what was created.
    ``rt`` must be logged in as an RT administrator (``rt.user``)."""
    created: list[str] = []
    version = rt.request("GET", "/rt").get("Version")
    say(f"RT {version} at {rt.url}")
    queues = {q["Name"]: q for q in rt.request("GET", "/queues/all", params={
        "fields": "Name,Disabled,SLADisabled", "per_page": 100}).get("items") or []}
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
        if settings.rt_agent.service_levels and str((queues.get(name) or {}).get("SLADisabled", "1")) != "0":
            rt.request("PUT", f"/queue/{name}", json={"SLADisabled": 0})   # RT's service levels are off per queue
            created.append(f"service levels of queue {name}")
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
    if bot:
        created += _ensure_bot(rt, settings, rt.auth, say)
    for line in created:
        say(f"created {line}")
    if site_config_dir is not None:
        try:
            path, changed = write_site_config(settings, site_config_dir)
        except OSError as exc:
            say(f"could not write {site_config_dir / SITE_CONFIG_NAME} ({exc.strerror}): run `helpdesk rt setup` "
                "as root on the RT machine for RT's priority names, service levels and time zone")
        else:
            if changed:
                created.append(f"RT configuration {path}")
                say(f"wrote {path} (time zone, priority names, service levels): restart rt-server to apply it")
    say("RT is ready for the helpdesk" + ("" if created else " (nothing to do)"))
    return created
