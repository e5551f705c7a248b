"""The year's messages, sent from the dashboard through the committee's own mail, or downloaded as drafts.

`templates` holds the committee's texts (versioned, with defaults), `compose` makes each recipient's message
holding only what they may see, `files` turns messages into mail, .eml drafts and a mail-merge CSV, `sending`
sends each once and keeps the log, `mail` is the SMTP connection from the settings, `commands` its command line.
"""
