"""Live handoff of a chat from the bot to an agent, and back.

:mod:`.store` keeps the handoffs, their messages and the agents' presence in ``<data_dir>/handoff.db``
(the service's own database: Rasa forgets a paused conversation when a new session starts);
:mod:`.rasa` talks to Rasa's HTTP API (bot messages, pause, resume); :mod:`.tracker_feed` reads the
user's live messages from Rasa's SQL tracker store; :mod:`.service` holds the rules (availability,
take, reply, transfer, hand back, resolve, satisfaction survey, timeouts); :mod:`.worker` runs the feed
and the timeouts on a timer. User-facing texts are data: ``texts.yml`` and ``canned.yml`` (nl/fr/en).
"""
