"""Errors of the custom actions."""


class ActionError(Exception):
    """Base class of action errors."""


class HelpdeskUnavailable(ActionError):
    """The helpdesk service did not answer or answered with a server error."""


class HelpdeskRejected(ActionError):
    """The helpdesk service refused the request (4xx); retrying will not help."""


class NotFound(HelpdeskRejected):
    """The requested object does not exist (or is not the requester's)."""
