"""The helpdesk service (FastAPI): KB search, tickets, outcomes, complaints, the review queue and
the web pages (web chat). ``create_app(settings)`` in :mod:`helpdesk_service.app` builds it."""
