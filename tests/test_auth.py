"""Committee users, roles, the first admin and the cookie key."""
from __future__ import annotations

import stat

import pytest

from lib.admin import auth
from lib.db import ConflictError

KEY = "a-signing-key-for-the-tests-of-forty-bytes"


def test_first_admin_is_created_once_with_a_random_password(conn):
    password = auth.ensure_first_admin(conn)
    assert password and len(password) >= 12
    assert auth.verify_user(conn, "admin", password)
    assert auth.get_user(conn, "admin").role == "admin"
    assert auth.ensure_first_admin(conn) is None
    assert auth.ensure_first_admin(conn) is None
    stored = conn.execute("SELECT password_hash FROM users").fetchall()[0][0]
    assert password not in stored and stored.startswith("$2")


def test_add_list_and_verify(conn):
    auth.add_user(conn, "Casey", "Casey Chair", "long-enough-pw", role="admin", email="c@x.edu")
    auth.add_user(conn, "morgan", "Morgan Member", "long-enough-pw")
    assert [(u.username, u.role) for u in auth.list_users(conn)] == [("casey", "admin"), ("morgan", "committee")]
    assert auth.verify_user(conn, "casey", "long-enough-pw")
    assert not auth.verify_user(conn, "casey", "wrong-password")
    assert not auth.verify_user(conn, "nobody", "long-enough-pw")


@pytest.mark.parametrize("username, password, role, message", [
    ("x", "long-enough-pw", "committee", "username"),
    ("bad name", "long-enough-pw", "committee", "username"),
    ("ok", "short", "committee", "at least 10"),
    ("ok", "long-enough-pw", "chair", "Role must be"),
])
def test_bad_users_are_refused_with_a_reason(conn, username, password, role, message):
    with pytest.raises(auth.UserError, match=message):
        auth.add_user(conn, username, "Name", password, role=role)
    assert auth.list_users(conn) == []


def test_duplicate_username_is_refused(conn):
    auth.add_user(conn, "casey", "Casey", "long-enough-pw")
    with pytest.raises(auth.UserError, match="already exists"):
        auth.add_user(conn, "casey", "Other", "long-enough-pw")


def test_the_last_admin_stays(conn):
    auth.add_user(conn, "casey", "Casey", "long-enough-pw", role="admin")
    auth.add_user(conn, "morgan", "Morgan", "long-enough-pw")
    with pytest.raises(auth.UserError, match="last admin"):
        auth.remove_user(conn, "casey")
    with pytest.raises(auth.UserError, match="last admin"):
        auth.update_user(conn, "casey", version=1, role="committee")
    auth.remove_user(conn, "morgan")
    assert [u.username for u in auth.list_users(conn)] == ["casey"]


def test_concurrent_edits_do_not_overwrite_each_other(conn):
    auth.add_user(conn, "casey", "Casey", "long-enough-pw", role="admin")
    auth.add_user(conn, "morgan", "Morgan", "long-enough-pw")
    seen_by_both = auth.get_user(conn, "morgan").version
    auth.update_user(conn, "morgan", version=seen_by_both, name="Morgan M.")
    with pytest.raises(ConflictError, match="changed by someone else"):
        auth.update_user(conn, "morgan", version=seen_by_both, role="admin")
    assert auth.get_user(conn, "morgan").role == "committee"
    assert auth.get_user(conn, "morgan").name == "Morgan M."


def test_every_change_is_audited(conn):
    auth.add_user(conn, "casey", "Casey", "long-enough-pw", role="admin", actor="tester")
    auth.set_password(conn, "casey", "another-long-pw", actor="tester")
    actions = [row[0] for row in conn.execute("SELECT action FROM audit_log WHERE actor = 'tester' ORDER BY id").fetchall()]
    assert actions == ["user.add", "user.set_password"]


def test_a_token_stands_for_its_user_until_the_sessions_end(conn):
    auth.add_user(conn, "casey", "Casey Chair", "long-enough-pw", role="admin")
    token = auth.issue_token(conn, "casey", KEY)
    assert auth.user_for_token(conn, token, KEY).name == "Casey Chair"
    assert auth.user_for_token(conn, token, "another-key-of-thirty-two-bytes-or-more!") is None
    auth.end_sessions(conn, "casey", actor="casey")
    assert auth.user_for_token(conn, token, KEY) is None
    fresh = auth.issue_token(conn, "casey", KEY)
    assert auth.user_for_token(conn, fresh, KEY).username == "casey"
    auth.set_password(conn, "casey", "another-long-pw")
    assert auth.user_for_token(conn, fresh, KEY) is None


def test_cookie_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("ALI_COOKIE_KEY")
    path = tmp_path / "keys" / ".cookie_key"
    key = auth.cookie_key(path)
    assert len(key) == 64 and auth.cookie_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("ALI_COOKIE_KEY", "from-the-environment")
    assert auth.cookie_key(path) == "from-the-environment"


@pytest.mark.parametrize("username, password", [("casey", "long-enough-pw"), ("casey", "wrong-password"),
                                                ("nobody", "wrong-password"), ("casey", "é" * 60),
                                                ("", ""), ("locked", "long-enough-pw")])
def test_every_login_costs_exactly_one_bcrypt_check(conn, monkeypatch, username, password):
    """Same work whether the user exists, the password is right, too long or the name locked: timing tells nothing."""
    import bcrypt

    auth.add_user(conn, "casey", "Casey", "long-enough-pw")
    auth.add_user(conn, "locked", "Lou", "long-enough-pw")
    monkeypatch.setenv("ALI_LOGIN_MAX_FAILURES", "1")
    with pytest.raises(auth.LoginRefused):
        auth.log_in(conn, "locked", "wrong-password")
    checks = []
    original = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda pw, hashed: checks.append(len(hashed)) or original(pw, hashed))
    try:
        auth.log_in(conn, username, password)
    except auth.LoginRefused:
        pass
    assert checks == [60]


def test_the_stand_in_hash_costs_what_a_real_hash_costs(conn):
    auth.add_user(conn, "casey", "Casey", "long-enough-pw")
    real = conn.execute("SELECT password_hash FROM users WHERE username = 'casey'").fetchall()[0][0]
    assert auth._stand_in_hash(4)[:7] == real[:7] == "$2b$04$"


def test_failures_lock_then_expire_and_a_success_resets_them(conn, monkeypatch):
    from datetime import datetime, timedelta

    monkeypatch.setenv("ALI_LOGIN_MAX_FAILURES", "3")
    auth.add_user(conn, "casey", "Casey", "long-enough-pw")
    start = datetime(2026, 1, 5, 9, 0)
    for minute in range(2):
        with pytest.raises(auth.LoginRefused, match="incorrect"):
            auth.log_in(conn, "casey", "nope", now=start + timedelta(minutes=minute))
    assert auth.log_in(conn, "casey", "long-enough-pw", now=start + timedelta(minutes=2)).username == "casey"
    for minute in range(3):  # the success started the count again
        with pytest.raises(auth.LoginRefused):
            auth.log_in(conn, "casey", "nope", now=start + timedelta(minutes=3 + minute))
    with pytest.raises(auth.LoginRefused, match="try again in 15 minutes"):
        auth.log_in(conn, "casey", "long-enough-pw", now=start + timedelta(minutes=5, seconds=1))
    assert auth.locked_users(conn, now=start + timedelta(minutes=6)) == {"casey": start + timedelta(minutes=20)}
    assert auth.log_in(conn, "casey", "long-enough-pw", now=start + timedelta(minutes=21)).username == "casey"


def test_passwords_longer_than_bcrypt_takes_are_refused_with_a_reason(conn):
    with pytest.raises(auth.UserError, match="at most 72 bytes"):
        auth.add_user(conn, "casey", "Casey", "x" * 73)
    auth.add_user(conn, "casey", "Casey", "x" * 72)
    with pytest.raises(auth.UserError, match="this one is 80 bytes. Accented letters count as two bytes"):
        auth.set_password(conn, "casey", "é" * 40)
    with pytest.raises(auth.LoginRefused):
        auth.log_in(conn, "casey", "x" * 72 + "y")  # bcrypt would have cut it to the real password


def test_a_new_user_with_a_removed_users_name_does_not_inherit_their_tokens(conn):
    auth.add_user(conn, "casey", "Casey", "long-enough-pw", role="admin")
    auth.add_user(conn, "other", "Other Admin", "long-enough-pw", role="admin")
    token = auth.issue_token(conn, "casey", KEY)
    auth.remove_user(conn, "casey", actor="other")
    auth.add_user(conn, "casey", "Another Casey", "long-enough-pw", role="committee")
    assert auth.user_for_token(conn, token, KEY) is None


def test_a_stranger_typing_wrong_passwords_locks_only_their_own_address(conn):
    from datetime import datetime, timedelta

    auth.add_user(conn, "admin", "Ada Admin", "long-enough-pw", role="admin")
    start = datetime(2026, 1, 5, 9, 0)
    for attempt in range(5):
        with pytest.raises(auth.LoginRefused):
            auth.log_in(conn, "admin", f"guess-{attempt}", now=start, client="203.0.113.7")
    with pytest.raises(auth.LoginRefused, match="try again in 14 minutes"):  # that address: locked, even if right
        auth.log_in(conn, "admin", "long-enough-pw", now=start + timedelta(minutes=1), client="203.0.113.7")
    # The admin, at another address, logs in as usual.
    assert auth.log_in(conn, "admin", "long-enough-pw", now=start + timedelta(minutes=1),
                       client="198.51.100.2").username == "admin"
    assert auth.locked_users(conn, now=start + timedelta(minutes=1)) == {"admin": start + timedelta(minutes=15)}


def test_guessing_spread_over_many_addresses_still_locks_the_username(conn, monkeypatch):
    from datetime import datetime, timedelta

    monkeypatch.setenv("ALI_LOGIN_MAX_FAILURES_ALL", "12")
    auth.add_user(conn, "admin", "Ada Admin", "long-enough-pw", role="admin")
    start = datetime(2026, 1, 5, 9, 0)
    for attempt in range(12):  # four addresses, three guesses each: none reaches its own limit of 5
        with pytest.raises(auth.LoginRefused, match="incorrect" if attempt < 11 else "try again"):
            auth.log_in(conn, "admin", f"guess-{attempt}", now=start + timedelta(seconds=attempt),
                        client=f"203.0.113.{attempt % 4}")
    with pytest.raises(auth.LoginRefused, match="try again in 15 minutes"):  # now locked for everyone
        auth.log_in(conn, "admin", "long-enough-pw", now=start + timedelta(seconds=30), client="198.51.100.2")
    assert auth.log_in(conn, "admin", "long-enough-pw", now=start + timedelta(minutes=16),
                       client="198.51.100.2").username == "admin"
    # Failures far apart never add up to a lock for everyone.
    for day in range(20):
        with pytest.raises(auth.LoginRefused, match="incorrect"):
            auth.log_in(conn, "admin", "typo", now=start + timedelta(days=1 + day), client=f"192.0.2.{day}")


def test_the_current_password_check_is_limited_like_a_login(conn):
    from datetime import datetime

    auth.add_user(conn, "casey", "Casey", "long-enough-pw")
    now = datetime(2026, 1, 5, 9, 0)
    for attempt in range(4):
        with pytest.raises(auth.LoginRefused, match="The current password is not right"):
            auth.check_current_password(conn, "casey", f"guess-{attempt}", client="203.0.113.7", now=now)
    with pytest.raises(auth.LoginRefused, match="try again in 15 minutes"):
        auth.check_current_password(conn, "casey", "guess-4", client="203.0.113.7", now=now)
    with pytest.raises(auth.LoginRefused, match="try again in 15 minutes"):  # even the right one, from there
        auth.check_current_password(conn, "casey", "long-enough-pw", client="203.0.113.7", now=now)
    auth.check_current_password(conn, "casey", "long-enough-pw", client="198.51.100.2", now=now)
    actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE 'account.%'"
                                          " ORDER BY id").fetchall()]
    assert actions == ["account.password_check.failed"] * 5 + ["account.password_check.refused_locked",
                                                                "account.password_check"]
