"""HTTP routes of the helpdesk service, one module per area."""
