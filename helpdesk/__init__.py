"""The top floor: the ``helpdesk`` command (CLI), the launcher of the three services, and the
evaluation and benchmark tools. It may import every package below it; nothing imports it."""
