"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it accepts and refuses chosen recipients."""
from __future__ import annotations

import email
import socket
from contextlib import contextmanager
from email import policy
from typing import Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, SECRET = "committee@example.org", "loopback-secret"


class Recorder:
    """The server's handler: keeps every accepted message, answers 550 for the addresses in `refuse`."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Refuse the chosen recipients the way a real server refuses an unknown mailbox."""
        if address.lower() in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        """Accept and keep the message."""
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        """Every envelope recipient of every accepted message, in order."""
        return [rcpt.lower() for rcpts, _ in self.received for rcpt in rcpts]

    def parsed(self) -> list[email.message.EmailMessage]:
        """The accepted messages, read by the standard email package."""
        return [email.message_from_bytes(data, policy=policy.default) for _, data in self.received]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """Accept only USER with SECRET."""
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and \
        auth_data.password.decode() == SECRET
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(monkeypatch, auth: bool = False) -> Iterator[Recorder]:
    """Run a loopback SMTP server for the block, with the ALI_SMTP_* / ALI_MAIL_* settings pointing at it."""
    recorder = Recorder()
    port = free_port()
    extra = {"authenticator": _authenticator, "auth_required": True, "auth_require_tls": False} if auth else {}
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **extra)
    controller.start()
    monkeypatch.setenv("ALI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALI_SMTP_PORT", str(port))
    monkeypatch.setenv("ALI_SMTP_SECURITY", "none")
    monkeypatch.setenv("ALI_MAIL_FROM", "ALI Mentorship Committee <mentorship@example.org>")
    monkeypatch.setenv("ALI_MAIL_REPLY_TO", "Mentorship Chair <chair@example.org>")
    if auth:
        monkeypatch.setenv("ALI_SMTP_USER", USER)
        monkeypatch.setenv("ALI_SMTP_PASSWORD", SECRET)
    try:
        yield recorder
    finally:
        controller.stop()
