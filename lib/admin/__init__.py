"""Running the dashboard: users and logins, the audit log, backups and restores, privacy requests and retention.

`auth` keeps the committee's users, passwords and login tokens, `audit` reads the log every change writes,
`backup` makes and keeps backups (the nightly one too) and `restore` checks one as untrusted data and rebuilds
it, `privacy` answers privacy requests and purges old years with `mentions` finding where a person is named,
`commands` is their command line (users, people, retention, backup, restore).
"""
