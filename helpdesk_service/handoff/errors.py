"""Errors of the handoff package; helpdesk_service.errors translates them to HTTP answers."""


class HandoffError(Exception):
    pass


class HandoffNotFound(HandoffError):
    pass


class HandoffConflict(HandoffError):
    """The chat is not in a state that allows this (taken by someone else, already ended...)."""


class HandoffForbidden(HandoffError):
    """The chat belongs to another agent."""


class InvalidHandoff(HandoffError):
    pass


class DeliveryFailed(HandoffError):
    """Rasa could not be reached: the message did not reach the user."""
