"""The helpdesk web service: KB search, tickets and outcomes over HTTP."""
