"""`python -m lib` as a user runs it, in a subprocess, against ALI_DB."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lib import db
from lib.admin import auth

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, stdin: str = "", env_db: Path | None = None) -> subprocess.CompletedProcess:
    """Run the command line with the test's settings."""
    env = dict(os.environ)
    if env_db:
        env["ALI_DB"] = str(env_db)
    return subprocess.run([sys.executable, "-m", "lib", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


@pytest.fixture
def demo_db(demo_db_file, tmp_path) -> Path:
    """A private copy of the demo database file."""
    path = tmp_path / "cli.duckdb"
    shutil.copy(demo_db_file, path)
    return path


def test_init_creates_the_first_admin_and_prints_the_password_once(tmp_path):
    path = tmp_path / "new.duckdb"
    first = run("init", env_db=path)
    assert first.returncode == 0, first.stderr
    assert "username: admin" in first.stdout and "password: " in first.stdout
    again = run("init", env_db=path)
    assert again.returncode == 0 and "password" not in again.stdout


def test_stats_json_has_the_documented_keys(demo_db):
    result = run("stats", "--json", env_db=demo_db)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert {"people", "directory_published", "skills", "institutions", "cycles", "applications", "circles",
            "outcome_responses"} <= set(stats)
    assert stats["cycles"] == ["2023-24", "2024-25", "2025-26"]
    assert stats["applications"]["2023-24"] == 5 and stats["circles"]["2025-26"] == 3
    assert stats["outcome_responses"] == {"2023-24": 5, "2024-25": 10, "2025-26": 14}
    assert stats["skills"] == 87 and stats["institutions"] == 46 and stats["people"] > 400


def test_users_add_list_set_password_remove(demo_db):
    added = run("users", "add", "riley", "--name", "Riley Reed", "--role", "committee", stdin="a-long-password\n",
                env_db=demo_db)
    assert added.returncode == 0, added.stderr
    listed = run("users", "list", env_db=demo_db)
    assert "riley\tcommittee\tRiley Reed" in listed.stdout
    assert run("users", "set-password", "riley", stdin="another-password\n", env_db=demo_db).returncode == 0
    conn = db.connect(demo_db)
    try:
        assert auth.verify_user(conn, "riley", "another-password")
        assert not auth.verify_user(conn, "riley", "a-long-password")
    finally:
        conn.close()
    assert run("users", "remove", "riley", env_db=demo_db).returncode == 0
    assert "riley" not in run("users", "list", env_db=demo_db).stdout


def test_users_errors_exit_2_with_a_reason(demo_db):
    short = run("users", "add", "riley", "--name", "Riley", stdin="short\n", env_db=demo_db)
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    missing = run("users", "remove", "nobody", env_db=demo_db)
    assert missing.returncode == 2 and "No user 'nobody'" in missing.stderr


def test_import_json_and_refusals(demo_db, demo_exports, tmp_path):
    again = run("import", str(demo_exports / "skills_survey_2024-25.csv"), "--json", env_db=demo_db)
    assert again.returncode == 0, again.stderr
    body = json.loads(again.stdout)
    assert body["kind"] == "skills" and body["new"] == 0 and body["unchanged"] == body["rows"]
    assert {"cycle", "rows", "updated", "errors", "warnings", "batch_id"} <= set(body)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = run("import", str(empty), env_db=demo_db)
    assert refused.returncode == 2 and "empty" in refused.stderr


def test_demo_scales_up(tmp_path):
    result = run("demo", "--people", "600", "--out", str(tmp_path / "exports"), env_db=tmp_path / "scaled.duckdb")
    assert result.returncode == 0, result.stderr
    stats = json.loads(run("stats", "--json", env_db=tmp_path / "scaled.duckdb").stdout)
    assert stats["people"] > 600


def test_a_busy_database_is_explained(demo_db):

    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(demo_db)!r});"
                               " print('ready', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = run("stats", env_db=demo_db)
        assert result.returncode == 2 and "in use by another program" in result.stderr
    finally:
        holder.kill()


def test_import_with_map_dry_run_json_and_undo(demo_db, tmp_path):
    export = tmp_path / "renamed.csv"
    export.write_text("Timestamp,Email Address,Nom,Institution,Expertise,Publish?\n"
                      "10/2/2025 9:00:00,cli.person@example.edu,Cléo Person,Purdue University,\"Cataloging, GIS\",Yes\n",
                      encoding="utf-8")
    refused = run("import", str(export), "--kind", "skills", env_db=demo_db)
    assert refused.returncode == 2 and "'Name' (field name)" in refused.stderr and "--map" in refused.stderr
    people = json.loads(run("stats", "--json", env_db=demo_db).stdout)["people"]
    dry = run("import", str(export), "--kind", "skills", "--map", "Nom=name", "--dry-run", "--json", env_db=demo_db)
    assert dry.returncode == 0, dry.stderr
    body = json.loads(dry.stdout)
    assert body["new"] == 1 and body["batch_id"] is None and body["dry_run"] is True
    assert json.loads(run("stats", "--json", env_db=demo_db).stdout)["people"] == people  # nothing written
    done = json.loads(run("import", str(export), "--kind", "skills", "--map", "Nom=name", "--json",
                          env_db=demo_db).stdout)
    assert done["batch_id"] and done["new_people"] == 1
    conn = db.connect(demo_db)
    try:
        assert conn.execute("SELECT name FROM people WHERE email = 'cli.person@example.edu'").fetchall() == \
            [("Cléo Person",)]
    finally:
        conn.close()
    listed = run("imports", "list", env_db=demo_db)
    assert "renamed.csv" in listed.stdout
    undone = run("imports", "undo", str(done["batch_id"]), env_db=demo_db)
    assert undone.returncode == 0 and "people 1" in undone.stdout
    again = run("imports", "undo", str(done["batch_id"]), env_db=demo_db)
    assert again.returncode == 2 and "already undone" in again.stderr


def test_import_errors_as_json_name_row_and_column(demo_db, tmp_path):
    export = tmp_path / "bad.csv"
    export.write_text("Timestamp,Email Address,Name,Institution,Areas of expertise,Publish in the directory?\n"
                      "someday,x@example.edu,X,Purdue University,GIS,Yes\n", encoding="utf-8")
    result = run("import", str(export), "--json", env_db=demo_db)
    assert result.returncode == 2
    body = json.loads(result.stdout)
    assert body["errors"] == [{"row": 2, "column": "Timestamp", "value": "someday",
                               "message": "not a date and time (expected e.g. 9/15/2025 10:32:11 or 2025/09/15 10:32:11 AM EDT)"}]
