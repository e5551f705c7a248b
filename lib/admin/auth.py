"""Committee users: bcrypt hashes in DuckDB, roles, the first admin and the cookie key."""
from __future__ import annotations

import os
import math
import re
import secrets
import time
from datetime import datetime, timedelta
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import duckdb

from ..db import ConflictError, audit, first, scalar, transaction
from ..settings import get_settings

ROLES = ("admin", "committee")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10


class UserError(ValueError):
    """A user request that cannot be carried out, with a message for the person who made it."""


@dataclass(frozen=True)
class User:
    """A committee user as listed to admins (never with the hash)."""

    username: str
    name: str
    email: str | None
    role: str
    version: int


MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; a longer password would be silently cut


def hash_password(password: str) -> str:
    """Return the bcrypt hash of a password."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=get_settings().bcrypt_rounds)).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    """Tell whether a password matches a bcrypt hash (a password bcrypt cannot take never matches)."""
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        # Spend the same time as a real check, so the length is not told by the answer's speed.
        bcrypt.checkpw(b"-" * MAX_PASSWORD_BYTES, hashed.encode("ascii"))
        return False
    return bcrypt.checkpw(data, hashed.encode("ascii"))


@lru_cache(maxsize=4)
def _stand_in_hash(rounds: int) -> str:
    """A hash to check unknown usernames against, so they take as long as real ones."""
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def _validate(username: str, password: str | None, role: str | None) -> None:
    """Refuse malformed usernames, short passwords and unknown roles."""
    if not _USERNAME.match(username):
        raise UserError("A username is 2-32 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
    if password is not None and len(password) < MIN_PASSWORD:
        raise UserError(f"A password needs at least {MIN_PASSWORD} characters")
    if password is not None and len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise UserError(f"A password can be at most {MAX_PASSWORD_BYTES} bytes long (the limit of bcrypt, which "
                        f"stores it); this one is {len(password.encode('utf-8'))} bytes. Accented letters count "
                        "as two bytes.")
    if role is not None and role not in ROLES:
        raise UserError(f"Role must be one of: {', '.join(ROLES)}")


def add_user(conn: duckdb.DuckDBPyConnection, username: str, name: str, password: str,
             role: str = "committee", email: str | None = None, actor: str = "cli") -> User:
    """Create a user; refuses a username that exists."""
    username = username.strip().lower()
    _validate(username, password, role)
    if not name.strip():
        raise UserError("A user needs a display name")
    with transaction(conn):
        if scalar(conn, "SELECT count(*) FROM users WHERE username = ?", [username]):
            raise UserError(f"User '{username}' already exists")
        conn.execute(
            "INSERT INTO users (username, name, email, password_hash, role, token_version) VALUES (?, ?, ?, ?, ?, ?)",
            # A random start: a cookie of a removed user must not fit a new user given the same username.
            [username, name.strip(), (email or "").strip() or None, hash_password(password), role,
             secrets.randbelow(2**31)],
        )
        audit(conn, actor, "user.add", "user", username,
              {"before": None, "after": {"name": name.strip(), "email": (email or "").strip() or None, "role": role}})
    return get_user(conn, username)


def verify_user(conn: duckdb.DuckDBPyConnection, username: str, password: str) -> bool:
    """Tell whether a username and password match a stored user."""
    row = first(conn.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchall())
    return bool(row) and check_password(password, row[0])


class LoginRefused(ValueError):
    """A login that did not succeed, with the message to show (never saying which part was wrong)."""


def log_in(conn: duckdb.DuckDBPyConnection, username: str, password: str, now: datetime | None = None,
           client: str = "") -> User:
    """Check a login and return the user, or raise LoginRefused; every attempt is audited.

    Failures are counted per typed username and client address in the database: after login_max_failures in
    a row that address is locked out of the username for login_lock_minutes, even with the right password, while
    the user can still log in from anywhere else. login_max_failures_all failures from every address together
    lock the username for everyone. Unknown usernames are counted and locked the same way and cost the same
    bcrypt check, so neither the answer nor its timing tells whether a user exists.
    """
    settings = get_settings()
    typed = re.sub(r"\s+", " ", str(username or "")).strip().lower()[:64]
    row = first(conn.execute("SELECT password_hash FROM users WHERE username = ?", [typed]).fetchall())
    matches = check_password(str(password or ""), row[0] if row else _stand_in_hash(settings.bcrypt_rounds))
    refusal = _count_attempt(conn, typed, client, row is not None and matches, now or datetime.now(), "login")
    if refusal:
        raise LoginRefused(refusal or "Username or password is incorrect.")
    return get_user(conn, typed)


def check_current_password(conn: duckdb.DuckDBPyConnection, username: str, password: str, client: str = "",
                           now: datetime | None = None) -> None:
    """Check a logged-in user's current password (before changing it), limited like a login; LoginRefused if wrong."""
    row = first(conn.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchall())
    matches = bool(row) and check_password(str(password or ""), row[0])
    refusal = _count_attempt(conn, username, client, matches, now or datetime.now(), "account.password_check")
    if refusal:
        raise LoginRefused("The current password is not right." if refusal == _WRONG else refusal)


_WRONG = "Username or password is incorrect."


def _count_attempt(conn: duckdb.DuckDBPyConnection, typed: str, client: str, ok: bool, now: datetime,
                   action: str) -> str | None:
    """Record one password attempt for (username, client address); the refusal to show, or None when it may pass."""
    settings = get_settings()
    client = str(client or "")[:64] or "unknown"
    window = timedelta(minutes=settings.login_lock_minutes)
    refusal = None
    with transaction(conn):  # the refusal is raised after the commit, so the audit record stays
        locked_until = scalar(conn, "SELECT max(locked_until) FROM login_failures WHERE username = ?"
                                    " AND client IN (?, '*') AND locked_until > ?", [typed, client, now])
        if locked_until is not None:
            audit(conn, typed or "(blank)", f"{action}.refused_locked", "user", typed, {"client": client})
            return _locked_message(locked_until, now)
        if ok:
            conn.execute("DELETE FROM login_failures WHERE username = ? AND client = ?", [typed, client])
            audit(conn, typed, action, "user", typed, {"client": client} if action != "login" else None)
            return None
        locks = {}
        for who, limit, in_a_row in ((client, settings.login_max_failures, True),
                                     ("*", settings.login_max_failures_all, False)):
            before = first(conn.execute("SELECT failures, last_failed_at, locked_until FROM login_failures"
                                        " WHERE username = ? AND client = ?", [typed, who]).fetchall())
            # Per address: failures in a row until a login succeeds. All addresses: within the lock's length.
            fresh = before is None or before[2] is not None or (not in_a_row and before[1] < now - window)
            failures = (0 if fresh else before[0]) + 1
            lock = now + window if failures >= limit else None
            conn.execute("""INSERT INTO login_failures (username, client, failures, last_failed_at, locked_until)
                            VALUES (?, ?, ?, ?, ?) ON CONFLICT (username, client) DO UPDATE SET
                            failures = excluded.failures, last_failed_at = excluded.last_failed_at,
                            locked_until = excluded.locked_until""", [typed, who, failures, now, lock])
            locks[who] = (failures, lock)
        audit(conn, typed or "(blank)", f"{action}.failed" if action != "login" else "login.failed", "user", typed,
              {"failures": locks[client][0], "client": client, "locked": bool(locks[client][1] or locks["*"][1]),
               "locked_for_everyone": bool(locks["*"][1])})
        lock = locks[client][1] or locks["*"][1]
        refusal = _locked_message(lock, now) if lock else _WRONG
    return refusal


def _locked_message(locked_until: datetime, now: datetime) -> str:
    """Say how long a locked username has to wait."""
    minutes = max(1, math.ceil((locked_until - now).total_seconds() / 60))
    return (f"Too many failed logins for this username: try again in {minutes} minute{'s' if minutes != 1 else ''}, "
            "or ask an admin to reset the password.")


def locked_users(conn: duckdb.DuckDBPyConnection, now: datetime | None = None) -> dict[str, datetime]:
    """Return the usernames locked after failed logins, with when the lock ends."""
    return dict(conn.execute("SELECT username, max(locked_until) FROM login_failures WHERE locked_until > ?"
                             " GROUP BY username", [now or datetime.now()]).fetchall())


def get_user(conn: duckdb.DuckDBPyConnection, username: str) -> User | None:
    """Return one user, or None."""
    row = first(conn.execute(
        "SELECT username, name, email, role, version FROM users WHERE username = ?", [username]
    ).fetchall())
    return User(*row) if row else None


def list_users(conn: duckdb.DuckDBPyConnection) -> list[User]:
    """Return all users, admins first."""
    rows = conn.execute(
        "SELECT username, name, email, role, version FROM users ORDER BY role, username"
    ).fetchall()
    return [User(*row) for row in rows]


def _admins_left_after(conn: duckdb.DuckDBPyConnection, username: str) -> int:
    """Count admins other than this user."""
    return scalar(conn, "SELECT count(*) FROM users WHERE role = 'admin' AND username <> ?", [username])


def remove_user(conn: duckdb.DuckDBPyConnection, username: str, actor: str = "cli") -> None:
    """Delete a user (their cookies stop working with them); the last admin cannot be removed."""
    with transaction(conn):
        user = get_user(conn, username)
        if user is None:
            raise UserError(f"No user '{username}'")
        if user.role == "admin" and _admins_left_after(conn, username) == 0:
            raise UserError("The last admin cannot be removed: make another user admin first")
        conn.execute("DELETE FROM users WHERE username = ?", [username])
        audit(conn, actor, "user.remove", "user", username,
              {"before": {"name": user.name, "email": user.email, "role": user.role}, "after": None})


def set_password(conn: duckdb.DuckDBPyConnection, username: str, password: str, actor: str = "cli") -> None:
    """Replace a user's password; every session and cookie of the user ends, and a login lock is lifted."""
    _validate(username, password, None)
    with transaction(conn):
        if get_user(conn, username) is None:
            raise UserError(f"No user '{username}'")
        conn.execute(
            "UPDATE users SET password_hash = ?, version = version + 1, token_version = token_version + 1"
            " WHERE username = ?",
            [hash_password(password), username],
        )
        conn.execute("DELETE FROM login_failures WHERE username = ?", [username])  # a new password unlocks
        # Never the password or its hash: only that it changed.
        audit(conn, actor, "user.set_password", "user", username, {"before": "(a password)", "after": "(a new one)"})


def update_user(conn: duckdb.DuckDBPyConnection, username: str, *, version: int, name: str | None = None,
                email: str | None = None, role: str | None = None, actor: str = "cli") -> User:
    """Change a user's name, email or role, refusing if someone else changed it since `version`."""
    _validate(username, None, role)
    with transaction(conn):
        user = get_user(conn, username)
        if user is None:
            raise UserError(f"No user '{username}'")
        if user.version != version:
            raise ConflictError(f"User '{username}' was changed by someone else; reload and try again")
        if role and role != "admin" and user.role == "admin" and _admins_left_after(conn, username) == 0:
            raise UserError("The last admin must stay admin: make another user admin first")
        conn.execute(
            "UPDATE users SET name = ?, email = ?, role = ?, version = version + 1 WHERE username = ? AND version = ?",
            [name.strip() if name else user.name, user.email if email is None else (email.strip() or None),
             role or user.role, username, version],
        )
        after = get_user(conn, username)
        audit(conn, actor, "user.update", "user", username,
              {"before": {"name": user.name, "email": user.email, "role": user.role},
               "after": {"name": after.name, "email": after.email, "role": after.role}})
    return get_user(conn, username)


def ensure_first_admin(conn: duckdb.DuckDBPyConnection) -> str | None:
    """Create user 'admin' with a random password when there are no users; return that password once."""
    if scalar(conn, "SELECT count(*) FROM users"):
        return None
    password = secrets.token_urlsafe(12)
    try:
        add_user(conn, "admin", "Administrator", password, role="admin", actor="system")
    except UserError:
        return None  # another process created it first
    return password


def announce_first_admin(password: str | None) -> None:
    """Print the first admin's password in the terminal, the only place it is ever shown."""
    if password:
        line = "=" * 64
        print(f"\n{line}\nCreated the first user.\n  username: admin\n  password: {password}\n"
              f"Write it down: it is not stored anywhere in clear text.\n"
              f"Change it with: python -m lib users set-password admin\n{line}\n", flush=True)


TOKEN_ALGORITHM = "HS256"


def issue_token(conn: duckdb.DuckDBPyConnection, username: str, key: str, now: float | None = None) -> str:
    """Return a signed login token for a user, bound to the user's current token version."""
    import jwt

    version = scalar(conn, "SELECT token_version FROM users WHERE username = ?", [username])
    if version is None:
        raise UserError(f"No user '{username}'")
    issued = time.time() if now is None else now
    expires = issued + get_settings().cookie_expiry_days * 86400
    return jwt.encode({"sub": username, "tv": int(version), "iat": int(issued), "exp": int(expires)}, key,
                      algorithm=TOKEN_ALGORITHM)


def user_for_token(conn: duckdb.DuckDBPyConnection, token: object, key: str) -> User | None:
    """Return the user a login token stands for, or None for any token that is not valid now.

    Malformed, forged (another key, another algorithm, `alg: none`), expired and revoked tokens (the user
    logged out, changed the password or was removed since) are all simply "not logged in".
    """
    import jwt

    if not isinstance(token, str) or not token or len(token) > 4096:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=[TOKEN_ALGORITHM], options={"require": ["sub", "tv", "exp"]})
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    username, version = claims.get("sub"), claims.get("tv")
    if not isinstance(username, str) or not isinstance(version, int):
        return None
    row = first(conn.execute("SELECT token_version FROM users WHERE username = ?", [username]).fetchall())
    if row is None or row[0] != version:
        return None
    return get_user(conn, username)


def end_sessions(conn: duckdb.DuckDBPyConnection, username: str, actor: str, reason: str = "logout") -> None:
    """End every session and cookie of a user on the server (logout, new password, removal)."""
    with transaction(conn):
        _revoke(conn, username)
        audit(conn, actor, f"user.{reason}", "user", username)


def _revoke(conn: duckdb.DuckDBPyConnection, username: str) -> None:
    """Move a user's token version on, inside the caller's transaction."""
    conn.execute("UPDATE users SET token_version = token_version + 1 WHERE username = ?", [username])


def cookie_key(path: Path | None = None) -> str:
    """Return the cookie signing key: ALI_COOKIE_KEY, else a random key kept in a file outside git."""
    from_env = os.environ.get("ALI_COOKIE_KEY")
    if from_env:
        return from_env
    path = path or get_settings().cookie_key_file
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key
