"""Conversation ids in the URLs of Rasa's HTTP API (``/conversations/<id>/...``).

Rasa (Sanic) does not unquote the path: the characters a path segment may hold stay as they are
(Teams ids are ``29:...``), so a call lands on the user's own conversation; the others (``/``, spaces)
are percent-encoded.
"""

from __future__ import annotations

from urllib.parse import quote

PATH_SAFE = ":@!$&'()*+,;=-._~"


def conversation_path(conversation_id: str) -> str:
    return f"/conversations/{quote(conversation_id, safe=PATH_SAFE)}"
