"""Erasing tickets from Request Tracker for good (GDPR article 17): RT's REST2 can only mark a ticket
"deleted" (its text stays in the database), so the tickets are removed with RT's own ``rt-shredder`` on
the RT host, without the SQL dump it would otherwise write (a dump would keep what is being erased).

Runs where RT runs (``make run`` starts RT on this machine); ``rt.shredder`` names the command.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from escalation.errors import BackendUnavailable

log = logging.getLogger(__name__)
BATCH = 50


def shred_tickets(command: Path, ticket_ids: list[str], timeout: float = 300) -> None:
    """Remove the tickets (with their transactions, attachments and links) from RT's database."""
    if not ticket_ids:
        return
    if not Path(command).is_file():
        raise BackendUnavailable(f"RT's {command} is not on this machine: erase tickets "
                                 f"{', '.join('#' + t for t in ticket_ids)} on the RT host with rt-shredder")
    for start in range(0, len(ticket_ids), BATCH):
        batch = [int(t) for t in ticket_ids[start:start + BATCH]]     # ticket numbers only, never user text
        query = " OR ".join(f"id = {n}" for n in batch)
        try:
            result = subprocess.run([str(command), "--no-sqldump", "--force", "--plugin",
                                     f"Tickets=query,{query};limit,{len(batch)}"],
                                    capture_output=True, text=True, timeout=timeout, cwd="/tmp")
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BackendUnavailable(f"rt-shredder could not run: {exc.__class__.__name__}") from exc
        if result.returncode != 0:
            raise BackendUnavailable(f"rt-shredder failed (exit {result.returncode}): {result.stderr.strip()[-300:]}")
    log.info("RT: %d tickets shredded", len(ticket_ids))
