"""A real SMTP server for the e-mail backend's tests (aiosmtpd, in a thread, on a free port): it keeps
the messages it accepted, can refuse them for good (5xx), and can hand each one to a command such as
RT's mail gateway (``rt-mailgate``), like a helpdesk mailbox's delivery does."""

from __future__ import annotations

import email
import email.policy
import socket
import subprocess

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """The aiosmtpd handler: accepts (or refuses) and keeps the parsed messages."""

    def __init__(self, pipe_to: list[str] | None = None) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: str | None = None      # e.g. "550 5.1.1 mailbox unavailable"
        self.pipe_to = pipe_to
        self.pipe_errors: list[str] = []
        self.pipe_output: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        if self.pipe_to:
            done = subprocess.run(self.pipe_to, input=envelope.content, capture_output=True, timeout=120)
            self.pipe_output.append(done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace"))
            if done.returncode != 0:
                self.pipe_errors.append(done.stderr.decode(errors="replace"))
                return "451 4.3.0 delivery to the helpdesk tool failed"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


class SmtpServer:
    def __init__(self, mailbox: Mailbox | None = None, port: int | None = None) -> None:
        self.mailbox = mailbox or Mailbox()
        self.port = port or free_port()
        self.controller: Controller | None = None

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
