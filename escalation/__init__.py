"""Escalation: the ticket model, ticket backends and the helpdesk web service (FastAPI)."""
