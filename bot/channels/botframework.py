"""Microsoft Teams: Rasa's Bot Framework channel, passing the activity's ``locale`` on.

Rasa 3.6's channel forwards only attachments as message metadata; the language the user's Teams
client runs in ("fr-BE") is what the action server needs when a first message is too short to tell
its language ("hi", "ok"). Same webhook: ``/webhooks/botframework/webhook``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.botframework import BotFrameworkInput
from sanic.request import Request

MAX_LOCALE = 20


class BotFrameworkWithLocale(BotFrameworkInput):
    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json if isinstance(request.json, dict) else {}
        locale = body.get("locale")
        return {"locale": str(locale)[:MAX_LOCALE]} if locale else None
