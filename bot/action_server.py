"""The action server, started by the launcher instead of ``python -m rasa_sdk``.

rasa-sdk 3.11 listens on ``SANIC_HOST`` or all interfaces and accepts any caller, while the actions
hold the service's API token: anyone who reached port 5055 could post a forged tracker and act on
anybody's tickets. This entry point builds rasa-sdk's own app and adds:
- a check of the ``X-Helpdesk-Action-Token`` header (the secret Rasa sends, configured in
  ``bot/endpoints.yml``); every other request but ``/health`` gets 401;
- the configured host (``rasa.host``, 127.0.0.1 by default), one worker, no CORS;
- a request body limit (``limits.max_body_bytes`` x 16: a tracker carries the whole conversation).
Usage: ``python -m bot.action_server`` (settings from settings.yml and HELPDESK_* variables).
"""

from __future__ import annotations

import hmac
import logging

from sanic import response
from sanic.request import Request

from core.settings import Settings, load_settings

HEADER = "X-Helpdesk-Action-Token"
OPEN_PATHS = {"/health"}
log = logging.getLogger(__name__)


def create_app(settings: Settings, package: str = "bot.actions"):
    from rasa_sdk.endpoint import create_app as sdk_app
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package(package)
    app = sdk_app(executor, cors_origins=None)
    secret = settings.actions_token().encode()
    app.config.REQUEST_MAX_SIZE = settings.limits.max_body_bytes * 16

    @app.on_request
    async def require_secret(request: Request):
        if request.path in OPEN_PATHS:
            return None
        given = (request.headers.get(HEADER) or "").encode()
        if not hmac.compare_digest(given, secret):
            return response.json({"error": "missing or wrong action server token"}, status=401)
        return None

    return app


def main() -> None:
    from rasa_sdk import utils

    settings = load_settings()
    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    app = create_app(settings)
    log.info("Action server on http://%s:%s", settings.rasa.host, settings.rasa.actions_port)
    app.run(host=settings.rasa.host, port=settings.rasa.actions_port, workers=1, access_log=False,
            single_process=True)


if __name__ == "__main__":
    main()
