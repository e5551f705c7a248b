"""Sending a kind of message for a program year: each once, failures kept with their reason, resumable.

Each message's life is written in its own transaction as it goes, so a send stopped halfway (a crash, a
closed browser) loses nothing and resumes where it stopped:

1. `sending` is recorded (attempts + 1) before the mail server is asked;
2. the server accepts (`sent`, with when and by whom) or refuses (`failed`, with the reason in words).

A message recorded `sent` is never sent again by a send; only `resend` of that one message does. A message
left `sending` was interrupted between the server and the record: it may have gone out, so no send repeats
it by itself either; it is listed as interrupted, and the committee resends it on purpose if its recipient did
not get it. Failed messages are tried again by the next send. Every outcome is audited.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import duckdb
import pandas as pd

from ..db import ConflictError, audit, first, scalar, writing
from . import mail
from .compose import MEMBER, Message, messages
from .files import to_email

SENDING, SENT, FAILED = "sending", "sent", "failed"
STATUS_WORDS = {SENDING: "interrupted (may have gone out)", SENT: "sent", FAILED: "failed"}


@dataclass
class Planned:
    """A message and what the log says of it: None (never tried), sending, sent or failed."""

    message: Message
    status: str | None = None
    reason: str | None = None
    log_id: int | None = None

    @property
    def to_send(self) -> bool:
        """Whether a send would try it: never tried or failed, and it has an address."""
        return self.status in (None, FAILED) and not self.message.problem


@dataclass
class Outcome:
    """What a send did: how many went out, were skipped, failed (with reasons), and why it stopped early."""

    sent: int = 0
    skipped: int = 0
    failed: list[dict] = field(default_factory=list)          # name, email, reason
    interrupted: list[dict] = field(default_factory=list)     # left 'sending' by an earlier send
    stopped: str | None = None                                # the server-wide failure that ended the batch
    not_tried: int = 0

    def as_dict(self) -> dict:
        """The outcome for scripts."""
        return {"sent": self.sent, "skipped": self.skipped, "failed": self.failed, "interrupted": self.interrupted,
                "stopped": self.stopped, "not_tried": self.not_tried}


def _log_rows(conn: duckdb.DuckDBPyConnection, cycle: str, kind: str) -> dict[tuple, tuple]:
    """The log of a kind and year by message key: (id, status, reason, version)."""
    rows = conn.execute("""SELECT person_id, audience, id, status, reason, version FROM messages
                           WHERE cycle = ? AND kind = ?""", [cycle, kind]).fetchall()
    return {(cycle, kind, p, a): (i, s, r, v) for p, a, i, s, r, v in rows}


def plan(conn: duckdb.DuckDBPyConnection, cycle: str, kind: str, audience: str = MEMBER,
         today: date | None = None, attach: bool = True) -> list[Planned]:
    """Every message of a kind and year with its state in the log (ValueError when it cannot be sent yet).

    attach=False names the attachments without writing them: a preview, several times faster.
    """
    logged = _log_rows(conn, cycle, kind)
    out = []
    for message in messages(conn, cycle, kind, audience, today, attach):
        row = logged.get(message.key)
        out.append(Planned(message, row[1] if row else None, row[2] if row else None, row[0] if row else None))
    return out


def counts(planned: list[Planned]) -> dict[str, int]:
    """How many a send would send, and how many are sent, interrupted, failed or have no address."""
    return {"to_send": sum(p.to_send for p in planned), "sent": sum(p.status == SENT for p in planned),
            "interrupted": sum(p.status == SENDING for p in planned),
            "failed": sum(p.status == FAILED for p in planned),
            "no_address": sum(bool(p.message.problem) and p.status != SENT for p in planned)}


def _claim(conn: duckdb.DuckDBPyConnection, message: Message, actor: str, resend: bool = False) -> int | None:
    """Record `sending` for a message; its log id, or None when it is sent or being sent already."""
    detail = {"cycle": message.cycle, "kind": message.kind, "template": message.template,
              "template_version": message.template_version, "to": message.to_email, "person_id": message.person_id}
    try:
        with writing(conn, "the message log") as tx:
            row = first(tx.execute("""SELECT id, status, version FROM messages WHERE cycle = ? AND kind = ?
                                      AND person_id = ? AND audience = ?""", list(message.key)).fetchall())
            if row is None:
                log_id = scalar(tx, """
                    INSERT INTO messages (cycle, kind, person_id, audience, template, template_version, recipient,
                                          subject, status, updated_by, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'sending', ?, now()::TIMESTAMP) RETURNING id""",
                                [*message.key, message.template, message.template_version, message.to_email,
                                 message.subject, actor])
            elif row[1] in (SENT, SENDING) and not resend:
                return None
            else:
                log_id = row[0]
                tx.execute("""UPDATE messages SET status = 'sending', reason = NULL, attempts = attempts + 1,
                              template = ?, template_version = ?, recipient = ?, subject = ?, updated_by = ?,
                              updated_at = now()::TIMESTAMP, version = version + 1 WHERE id = ? AND version = ?""",
                           [message.template, message.template_version, message.to_email, message.subject, actor,
                            log_id, row[2]])
            audit(tx, actor, "messages.resend" if resend else "messages.sending", "message", log_id, detail)
    except ConflictError:
        return None  # another send claimed it at the same moment: it is theirs
    return log_id


def _record(conn: duckdb.DuckDBPyConnection, log_id: int, actor: str, message_id: str,
            reason: str | None) -> None:
    """Record a message's outcome: sent (reason None) or failed with the reason."""
    with writing(conn, "the message log") as tx:
        status = SENT if reason is None else FAILED
        tx.execute("""UPDATE messages SET status = ?, reason = ?, message_id = ?, updated_by = ?,
                      updated_at = now()::TIMESTAMP, sent_at = CASE WHEN ? THEN now()::TIMESTAMP ELSE sent_at END,
                      version = version + 1 WHERE id = ?""",
                   [status, reason, message_id, actor, reason is None, log_id])
        audit(tx, actor, f"messages.{status}", "message", log_id, {"reason": reason} if reason else None)


def _deliver(conn: duckdb.DuckDBPyConnection, mailer: mail.Mailer, message: Message, log_id: int, actor: str,
             outcome: Outcome) -> bool:
    """Send one claimed message and record what happened; False when the server failure ends the batch."""
    email = to_email(message)
    try:
        mailer.send(email)
    except mail.MailError as exc:
        _record(conn, log_id, actor, email["Message-ID"], exc.reason)
        outcome.failed.append({"name": message.to_name, "email": message.to_email, "reason": exc.reason})
        if exc.fatal:
            outcome.stopped = exc.reason
            return False
        return True
    _record(conn, log_id, actor, email["Message-ID"], None)
    outcome.sent += 1
    return True


def _mailer(smtp: mail.SmtpConfig | None) -> mail.Mailer:
    """A mailer for the settings, or ValueError when no server is set."""
    if smtp is None:
        raise ValueError("No mail server is set up (ALI_SMTP_HOST and ALI_MAIL_FROM, or [smtp] in "
                         ".streamlit/secrets.toml): download the messages as drafts instead.")
    return mail.Mailer(smtp)


def send(conn: duckdb.DuckDBPyConnection, cycle: str, kind: str, actor: str, audience: str = MEMBER,
         progress: Callable[[int, int, str], None] | None = None, today: date | None = None,
         smtp: mail.SmtpConfig | None = None) -> Outcome:
    """Send every message of a kind and year not sent yet (failed ones again); what happened.

    `progress(done, total, name)` is called after each message. ValueError (nothing sent) when no mail server
    is set up or the messages cannot be made yet (no final circles, no survey address).
    """
    mailer = _mailer(smtp or mail.config())
    planned = plan(conn, cycle, kind, audience, today)
    outcome = Outcome()
    todo = []
    for item in planned:
        who = {"name": item.message.to_name, "email": item.message.to_email}
        if item.to_send:
            todo.append(item.message)
        elif item.status == SENDING:
            outcome.interrupted.append({**who, "reason": STATUS_WORDS[SENDING]})
        elif item.message.problem and item.status != SENT:
            outcome.failed.append({**who, "reason": item.message.problem})
        else:
            outcome.skipped += 1
    with writing(conn, "the message log") as tx:
        audit(tx, actor, "messages.send", "cycle", cycle,
              {"kind": kind, "audience": audience, "to_send": len(todo), "skipped": outcome.skipped})
    if not todo:
        return outcome
    try:
        with mailer:
            for done, message in enumerate(todo, 1):
                log_id = _claim(conn, message, actor)
                if log_id is None:
                    outcome.skipped += 1
                elif not _deliver(conn, mailer, message, log_id, actor, outcome):
                    outcome.not_tried = len(todo) - done
                    break
                if progress:
                    progress(done, len(todo), message.to_name)
    except mail.MailError as exc:  # the server could not be reached or refused the login: nothing was claimed
        outcome.stopped = exc.reason
        outcome.not_tried = len(todo)
    return outcome


def resend(conn: duckdb.DuckDBPyConnection, log_id: int, actor: str, today: date | None = None,
           smtp: mail.SmtpConfig | None = None) -> Outcome:
    """Send one logged message again on purpose, as its template reads now; what happened."""
    row = first(conn.execute("SELECT cycle, kind, person_id, audience FROM messages WHERE id = ?",
                             [log_id]).fetchall())
    if row is None:
        raise ValueError(f"No message {log_id} in the log.")
    cycle, kind, person_id, audience = row
    message = next((m for m in messages(conn, cycle, kind, audience, today) if m.key == tuple(row)), None)
    if message is None:
        raise ValueError(f"Message {log_id} cannot be made again: its recipient is no longer among this "
                         f"{kind} message's recipients.")
    if message.problem:
        raise ValueError(f"Not sent: {message.problem}.")
    mailer, outcome = _mailer(smtp or mail.config()), Outcome()
    try:
        with mailer:
            claimed = _claim(conn, message, actor, resend=True)
            _deliver(conn, mailer, message, claimed, actor, outcome)
    except mail.MailError as exc:
        outcome.stopped = exc.reason
        outcome.not_tried = 1
    return outcome


def log(conn: duckdb.DuckDBPyConnection, cycle: str, kind: str | None = None) -> pd.DataFrame:
    """The message log of a year (or one kind), newest first: who got what, when, by whom, with what result."""
    return conn.execute("""
        SELECT m.id, m.kind, m.template, m.template_version, coalesce(p.name, p.email) AS about, m.audience,
               m.recipient, m.subject, m.status, m.reason, m.attempts, m.updated_by, m.updated_at, m.sent_at
        FROM messages m LEFT JOIN people p ON p.id = m.person_id
        WHERE m.cycle = ? AND (? IS NULL OR m.kind = ?)
        ORDER BY m.updated_at DESC, m.id DESC""", [cycle, kind, kind]).df()
