"""Mail through the committee's own account: the SMTP settings, one connection for a batch, failures in words.

The standard library does the work (`smtplib`, `email`). A failure that concerns one message (a refused
recipient) is `MailError(fatal=False)`: the batch goes on. One that concerns the server (it does not answer,
refuses the password or the From address) is `fatal`: every further message would fail the same way, so the
batch stops and the messages not tried stay unsent.
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr

from ..settings import SMTP_SECURITY, get_settings

TIMEOUT = 30  # seconds a silent server is waited for


class MailError(RuntimeError):
    """A message was not accepted; `reason` says why in words, `fatal` when the whole batch must stop."""

    def __init__(self, reason: str, fatal: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fatal = fatal


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: the server, its security, the login, and the From and Reply-To addresses."""

    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)
    sender: Address | None
    reply_to: Address | None

    def describe(self) -> str:
        """'smtp.example.org:587 (STARTTLS) as mc@example.org', without the password."""
        security = {"starttls": "STARTTLS", "ssl": "SSL", "none": "no encryption"}[self.security]
        login = f" as {self.user}" if self.user else ""
        return f"{self.host}:{self.port} ({security}){login}"


def address(value: str, setting: str) -> Address | None:
    """'Name <a@b.org>' or 'a@b.org' as an Address; None when empty; ValueError naming the setting when malformed."""
    value = " ".join((value or "").split())
    if not value:
        return None
    name, addr = parseaddr(value)
    if "@" not in addr or " " in addr:
        raise ValueError(f"{setting}={value!r} is not an email address (write it like "
                         "'ALI Mentorship Committee <mentorship@example.org>').")
    user, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=user, domain=domain)


def sender_addresses() -> tuple[Address | None, Address | None]:
    """The From and Reply-To addresses of the settings (either may be None)."""
    settings = get_settings()
    return address(settings.mail_from, "ALI_MAIL_FROM"), address(settings.mail_reply_to, "ALI_MAIL_REPLY_TO")


def config() -> SmtpConfig | None:
    """The SMTP settings, or None when no server is set (messages are then downloaded as drafts).

    ValueError for settings that cannot work: an unknown security, a server without a From address.
    """
    settings = get_settings()
    if not settings.smtp_host:
        return None
    if settings.smtp_security not in SMTP_SECURITY:
        raise ValueError(f"ALI_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, not "
                         f"'{settings.smtp_security}'.")
    sender, reply_to = sender_addresses()
    if sender is None:
        raise ValueError("Set ALI_MAIL_FROM (the address messages come from) to send through "
                         f"{settings.smtp_host}.")
    return SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_security, settings.smtp_user,
                      settings.smtp_password, sender, reply_to)


class Mailer:
    """One logged-in connection to the server for a batch of messages (a context manager)."""

    def __init__(self, smtp: SmtpConfig) -> None:
        self.smtp = smtp
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        self._connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> None:
        """Open, secure and log in, or MailError(fatal) saying what the server did."""
        cfg = self.smtp
        where = f"the mail server {cfg.host}:{cfg.port}"
        try:
            if cfg.security == "ssl":
                client = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=TIMEOUT, context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(cfg.host, cfg.port, timeout=TIMEOUT)
            if cfg.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if cfg.user:
                client.login(cfg.user, cfg.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"{where} refused the user name or password ({_said(exc)}): check ALI_SMTP_USER and "
                            "ALI_SMTP_PASSWORD", fatal=True) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(f"{where} does not offer what ALI_SMTP_SECURITY={cfg.security} needs ({exc})",
                            fatal=True) from exc
        except smtplib.SMTPException as exc:
            raise MailError(f"{where} refused the connection ({_said(exc)})", fatal=True) from exc
        except ssl.SSLError as exc:
            raise MailError(f"{where}: secure connection failed ({exc.reason or exc}); check ALI_SMTP_SECURITY",
                            fatal=True) from exc
        except (OSError, socket.timeout) as exc:
            raise MailError(f"{where} did not answer ({exc.strerror or exc}): is it running, and are "
                            "ALI_SMTP_HOST and ALI_SMTP_PORT right?", fatal=True) from exc
        self._client = client

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; MailError when it is not accepted."""
        if self._client is None:
            self._connect()
        try:
            refused = self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            said = "; ".join(f"{rcpt}: {_said(err)}" for rcpt, err in exc.recipients.items())
            raise MailError(f"the mail server refused the address ({said})") from exc
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(f"the mail server refused the From address {exc.sender} ({_said(exc)}): check "
                            "ALI_MAIL_FROM", fatal=True) from exc
        except smtplib.SMTPServerDisconnected as exc:
            self._client = None  # the next message reconnects
            raise MailError(f"the mail server closed the connection ({exc})") from exc
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"the mail server refused the message ({_said(exc)})",
                            fatal=exc.smtp_code in (421, 454, 530, 535)) from exc
        except (OSError, socket.timeout) as exc:
            self._client = None
            raise MailError(f"the connection to the mail server failed ({exc.strerror or exc})", fatal=True) from exc
        if refused:
            said = "; ".join(f"{rcpt}: {_said(err)}" for rcpt, err in refused.items())
            raise MailError(f"the mail server refused the address ({said})")

    def close(self) -> None:
        """Say goodbye to the server (a server already gone is fine)."""
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._client = None


def _said(exc: object) -> str:
    """What the server answered, as '550 No such user' (its code and text)."""
    if isinstance(exc, tuple) and len(exc) == 2:
        code, text = exc
    else:
        code, text = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(part) for part in (code, text) if part not in (None, "")) or str(exc)
