"""Typed settings of the dashboard, each overridable by an environment variable."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env_path(name: str, default: Path) -> Path:
    """Return a path from the environment, relative paths resolved against the project root."""
    value = os.environ.get(name)
    if not value:
        return default
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def _env_float(name: str, default: float) -> float:
    """Return a float from the environment, failing loudly on a malformed value."""
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"Setting {name}={value!r} is not a number") from exc


SMTP_SECURITY = {"starttls": 587, "ssl": 465, "none": 25}


def _smtp_table() -> dict:
    """The [smtp] table of the secrets file, or {} when there is none (a malformed file fails loudly)."""
    import tomllib

    path = _env_path("ALI_SECRETS_FILE", ROOT / ".streamlit" / "secrets.toml")
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("smtp", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from exc
    return table if isinstance(table, dict) else {}


def _smtp(name: str, key: str, default: str = "") -> str:
    """One mail setting: the environment variable, else the secrets file's [smtp] key, else the default."""
    value = os.environ.get(name)
    if value not in (None, ""):
        return value.strip()
    found = _smtp_table().get(key)
    return str(found).strip() if found not in (None, "") else default


def _smtp_port() -> int:
    """ALI_SMTP_PORT, else the usual port of the chosen security (587, 465 or 25)."""
    value = _smtp("ALI_SMTP_PORT", "port")
    if not value:
        return SMTP_SECURITY.get(_smtp("ALI_SMTP_SECURITY", "security", "starttls").lower(), 587)
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"Setting ALI_SMTP_PORT={value!r} is not a port number") from exc


@dataclass(frozen=True)
class Settings:
    """Everything that varies between installations; read once per process."""

    db_path: Path = field(default_factory=lambda: _env_path("ALI_DB", ROOT / "data" / "ali.duckdb"))
    demo_dir: Path = field(default_factory=lambda: _env_path("ALI_DEMO_DIR", ROOT / "data" / "demo"))
    reference_dir: Path = ROOT / "data" / "reference"
    # Kept beside the database so each database has its own key, and outside git.
    cookie_key_file: Path = field(
        default_factory=lambda: _env_path("ALI_COOKIE_KEY_FILE", _env_path("ALI_DB", ROOT / "data" / "ali.duckdb").parent / ".cookie_key")
    )
    cookie_name: str = field(default_factory=lambda: os.environ.get("ALI_COOKIE_NAME", "ali_mentorship_auth"))
    cookie_expiry_days: float = field(default_factory=lambda: _env_float("ALI_COOKIE_EXPIRY_DAYS", 7.0))
    # Failed logins in a row for one username from one client address before that address is locked out of it,
    # and for how long; failures from all addresses together (within that time) before the username is locked
    # for everyone, which stops guessing spread over many addresses.
    login_max_failures: int = field(default_factory=lambda: int(_env_float("ALI_LOGIN_MAX_FAILURES", 5)))
    login_lock_minutes: float = field(default_factory=lambda: _env_float("ALI_LOGIN_LOCK_MINUTES", 15.0))
    login_max_failures_all: int = field(default_factory=lambda: int(_env_float("ALI_LOGIN_MAX_FAILURES_ALL", 50)))
    # Behind a reverse proxy every request comes from the proxy: name the header it sets to the client's address
    # (e.g. X-Real-IP). Only a header the proxy always overwrites: a client could type any other.
    client_address_header: str = field(default_factory=lambda: os.environ.get("ALI_CLIENT_ADDRESS_HEADER", "").strip())
    # bcrypt work factor; tests lower it because hashing is deliberately slow.
    bcrypt_rounds: int = field(default_factory=lambda: int(_env_float("ALI_BCRYPT_ROUNDS", 12)))
    # Timestamps are US month/day unless the forms' sheet uses a day-first locale.
    day_first: bool = field(default_factory=lambda: os.environ.get("ALI_DAY_FIRST", "").lower() in ("1", "true", "yes"))
    circle_min: int = 4
    circle_max: int = 6
    eligible_months: int = 36
    # Outcome breakdowns with fewer responses than this are suppressed (small numbers identify people).
    suppress_below: int = 3
    deadline_month: int = 10
    deadline_day: int = 1
    # Confidential data (applications, survey comments) of program years older than this many years is purged
    # when the committee runs the retention purge.
    retention_years: int = field(default_factory=lambda: int(_env_float("ALI_RETENTION_YEARS", 5)))
    # Where the Backups page and `python -m lib backup` without a folder put backups.
    backup_dir: Path = field(default_factory=lambda: _env_path(
        "ALI_BACKUP_DIR", _env_path("ALI_DB", ROOT / "data" / "ali.duckdb").parent / "backups"))
    # When the running dashboard makes its nightly backup (HH:MM, server time; empty: never), and how many
    # nightly backups it keeps in backup_dir.
    backup_at: str = field(default_factory=lambda: os.environ.get("ALI_BACKUP_AT", "02:00"))
    backup_keep: int = field(default_factory=lambda: int(_env_float("ALI_BACKUP_KEEP", 30)))
    # Sending the year's messages: an ALI_SMTP_* / ALI_MAIL_* variable wins over the [smtp] table of
    # .streamlit/secrets.toml (keys host, port, security, user, password, from, reply_to). No host: no sending,
    # the messages are downloaded as drafts instead.
    secrets_file: Path = field(default_factory=lambda: _env_path("ALI_SECRETS_FILE",
                                                                 ROOT / ".streamlit" / "secrets.toml"))
    smtp_host: str = field(default_factory=lambda: _smtp("ALI_SMTP_HOST", "host"))
    smtp_security: str = field(default_factory=lambda: _smtp("ALI_SMTP_SECURITY", "security", "starttls").lower())
    smtp_port: int = field(default_factory=lambda: _smtp_port())
    smtp_user: str = field(default_factory=lambda: _smtp("ALI_SMTP_USER", "user"))
    smtp_password: str = field(default_factory=lambda: _smtp("ALI_SMTP_PASSWORD", "password"), repr=False)
    mail_from: str = field(default_factory=lambda: _smtp("ALI_MAIL_FROM", "from"))
    mail_reply_to: str = field(default_factory=lambda: _smtp("ALI_MAIL_REPLY_TO", "reply_to"))
    # Whether the running dashboard builds the directory's search index in the background when it opens the
    # database and again after each change made through it, so no visitor waits for one (0: only on demand).
    warm_search_index: bool = field(default_factory=lambda: os.environ.get("ALI_WARM_SEARCH_INDEX", "1") != "0")

    @property
    def backup_time(self) -> time | None:
        """backup_at as a time of day, or None when nightly backups are off (ValueError when malformed)."""
        if not self.backup_at.strip():
            return None
        hours, _, minutes = self.backup_at.strip().partition(":")
        try:
            return time(int(hours), int(minutes or 0))
        except ValueError as exc:
            raise ValueError(f"ALI_BACKUP_AT must be a time like 02:00, not '{self.backup_at}'") from exc


def get_settings() -> Settings:
    """Read the settings from the environment now (tests change it between calls)."""
    return Settings()
