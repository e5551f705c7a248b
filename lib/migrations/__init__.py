"""Numbered schema migrations: NNN_name.sql or NNN_name.py with apply(conn), recorded in schema_migrations."""
