"""A message as mail: the EmailMessage the server gets, .eml drafts in one ZIP, and a mail-merge CSV.

Headers are built by the `email` package from parts (an Address with its display name), never by pasting
text: a name holding a newline, a quote or accents is encoded as a name and cannot add a header.
"""
from __future__ import annotations

import io
import zipfile
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pandas as pd

from ..exports import to_csv
from .compose import Message
from .mail import sender_addresses


def _address(name: str, email: str) -> Address:
    """The recipient as an Address; ValueError for an address that is not one."""
    user, at, domain = email.strip().rpartition("@")
    if not at or not user or not domain or any(ch in email for ch in " \r\n<>,;"):
        raise ValueError(f"'{email}' is not an email address")
    return Address(display_name=" ".join((name or "").split()), username=user, domain=domain)


def to_email(message: Message, draft: bool = False, message_id: str | None = None) -> EmailMessage:
    """The message as mail: plain text, From and Reply-To from the settings, the circle's calendar attached.

    A draft carries `X-Unsent: 1`, so Outlook, Apple Mail and Thunderbird open it ready to send, and no From
    when none is set (the mail program then uses its own account).
    """
    sender, reply_to = sender_addresses()
    mail = EmailMessage()
    mail["Subject"] = " ".join(message.subject.split())
    if sender is not None:
        mail["From"] = sender
    mail["To"] = _address(message.to_name, message.to_email)
    if reply_to is not None:
        mail["Reply-To"] = reply_to
    mail["Date"] = formatdate(localtime=True)
    domain = sender.domain if sender is not None else "ali-mentorship.invalid"
    mail["Message-ID"] = message_id or make_msgid(idstring=message.kind, domain=domain)
    if draft:
        mail["X-Unsent"] = "1"
    mail.set_content(message.body + "\n")
    for file_name, data in message.attachments:
        if data is None:
            raise ValueError(f"{file_name} was not written: make the messages with attach=True to send them")
        mail.add_attachment(data, maintype="text", subtype="calendar", filename=file_name,
                            params={"method": "PUBLISH"})
    return mail


def _file_name(number: int, message: Message) -> str:
    """'0001-placed-jose-alvarez.eml': numbered, so two people with one name stay two files."""
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in message.to_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:40] or "recipient"
    return f"{number:04d}-{message.template}-{slug}.eml"


def eml_zip(messages: list[Message]) -> bytes:
    """Every message with an address as an unsent .eml draft, in one ZIP."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, message in enumerate((m for m in messages if not m.problem), 1):
            archive.writestr(_file_name(number, message), to_email(message, draft=True).as_bytes())
    return out.getvalue()


def eml_files(messages: list[Message]) -> list[tuple[str, bytes]]:
    """The same drafts as (file name, bytes), for a folder."""
    return [(_file_name(n, m), to_email(m, draft=True).as_bytes())
            for n, m in enumerate((m for m in messages if not m.problem), 1)]


def merge_table(messages: list[Message]) -> pd.DataFrame:
    """One row per recipient for a mail merge: name, address, subject, body, attachment, and any problem."""
    return pd.DataFrame([{"Name": m.to_name, "Email": m.to_email, "Subject": m.subject, "Body": m.body,
                          "Message": m.template, "Attachment": "; ".join(n for n, _ in m.attachments),
                          "Problem": m.problem or ""} for m in messages],
                        columns=["Name", "Email", "Subject", "Body", "Message", "Attachment", "Problem"])


def merge_csv(messages: list[Message]) -> bytes:
    """The mail-merge table as CSV (UTF-8 with a BOM, formulas defused)."""
    return to_csv(merge_table(messages))


def file_name(cycle: str, kind: str, ext: str) -> str:
    """'ali-messages-2025-26-decisions.zip'."""
    return f"ali-messages-{cycle}-{kind}.{ext}"
