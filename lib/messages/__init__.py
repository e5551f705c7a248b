"""The year's messages, sent from the dashboard through the committee's own mail, or downloaded as drafts.

`templates` holds the committee's texts (versioned, with defaults), `compose` makes each recipient's message
holding only what they may see, `files` turns messages into mail, .eml drafts and a mail-merge CSV, `sending`
sends each once and keeps the log; the SMTP connection itself is lib/mail.py.
"""
from __future__ import annotations

from .compose import AUDIENCES, FACILITATOR, MEMBER, Message, messages
from .files import eml_files, eml_zip, file_name, merge_csv, merge_table, to_email
from .sending import FAILED, SENDING, SENT, STATUS_WORDS, Outcome, Planned, counts, log, plan, resend, send
from .templates import KINDS, TEMPLATES, Template, YearSettings, load, of_kind, save, save_survey_url, year_settings

__all__ = [
    "AUDIENCES", "FACILITATOR", "MEMBER", "Message", "messages", "eml_files", "eml_zip", "file_name", "merge_csv",
    "merge_table", "to_email", "FAILED", "SENDING", "SENT", "STATUS_WORDS", "Outcome", "Planned", "counts", "log",
    "plan", "resend", "send", "KINDS", "TEMPLATES", "Template", "YearSettings", "load", "of_kind", "save",
    "save_survey_url", "year_settings",
]
