"""Migrations: applied once each, in order, each in its own transaction."""
import pathlib
import shutil
import sqlite3

import pytest

from conftest import PG, ROOT, run_cli, write_ini

# on PostgreSQL: nothing to check (said in the reason)
SQLITE_ONLY = pytest.mark.skipif(PG, reason=(
    "SQLite's PRAGMAs (WAL) on the daemon's file"))


def schema(db_path):
    con = sqlite3.connect(db_path)
    try:
        return sorted(con.execute(
            "SELECT type, name, sql FROM sqlite_master").fetchall())
    finally:
        con.close()


def applied(db_path):
    con = sqlite3.connect(db_path)
    try:
        return [r[0] for r in con.execute(
            "SELECT name FROM schema_migrations ORDER BY version")]
    finally:
        con.close()


def test_fresh_database_migrates_and_second_run_is_noop(tmp_path):
    cfg = write_ini(tmp_path / "r.ini",
                    {"database": {"path": str(tmp_path / "r.db")}})
    proc = run_cli(cfg, "migrate")
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (ROOT / "migrations").glob("*.sql"))
    assert proc.stdout.splitlines() == ["applied %s" % n for n in names]
    assert applied(tmp_path / "r.db") == names
    before = schema(tmp_path / "r.db")

    proc = run_cli(cfg, "migrate")
    assert proc.returncode == 0
    assert "applied" not in proc.stdout
    assert schema(tmp_path / "r.db") == before


def test_daemon_start_applies_nothing_twice(daemon):
    assert "applied 0001_init.sql" in daemon.stderr()
    daemon.restart()
    assert "applied" not in daemon.stderr()


def test_broken_migration_changes_nothing(tmp_path):
    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", migrations)
    cfg = write_ini(tmp_path / "r.ini", {"database": {
        "path": str(tmp_path / "r.db"), "migrations": str(migrations)}})
    assert run_cli(cfg, "migrate").returncode == 0
    before = schema(tmp_path / "r.db")
    names = applied(tmp_path / "r.db")

    broken = migrations / "9001_broken.sql"
    broken.write_text("CREATE TABLE half_done (a INTEGER);\n"
                      "INSERT INTO no_such_table VALUES (1);\n")
    proc = run_cli(cfg, "migrate")
    assert proc.returncode == 1
    assert "9001_broken.sql: no such table: no_such_table" in proc.stderr
    assert schema(tmp_path / "r.db") == before
    assert applied(tmp_path / "r.db") == names

    # start-up stops the same way, naming the file
    proc = run_cli(cfg, "serve")
    assert proc.returncode == 1
    assert "9001_broken.sql" in proc.stderr
    assert schema(tmp_path / "r.db") == before

    # once fixed, it applies, and only it
    broken.write_text("CREATE TABLE half_done (a INTEGER);\n")
    proc = run_cli(cfg, "migrate")
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["applied 9001_broken.sql"]


@SQLITE_ONLY
def test_database_pragmas(daemon):
    con = sqlite3.connect(daemon.db_path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        con.close()


def test_invitations_left_sending_by_a_dead_mail_are_backfilled(tmp_path):
    """0009: an invitation whose e-mail died before the outbox told owners
    becomes skipped as undeliverable; others are left as they are."""
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for p in sorted((ROOT / "migrations").glob("*.sql")):
        if p.name < "0009":
            shutil.copy(p, migrations / p.name)
    cfg = write_ini(tmp_path / "r.ini", {"database": {
        "path": str(tmp_path / "r.db"), "migrations": str(migrations)}})
    assert run_cli(cfg, "migrate").returncode == 0
    con = sqlite3.connect(tmp_path / "r.db")
    for i, (inv_status, mail_status) in enumerate(
            [("sending", "dead"), ("sending", "pending"), ("sent", "dead")]):
        con.execute(
            "INSERT INTO invitations (id, business_unit_id, locale, service, "
            "origin, status, send_at, created_at, updated_at) VALUES "
            "(?, 'bu', 'en-US', 1, 'api', ?, 1, 1, 1)", ("inv%d" % i,
                                                       inv_status))
        con.execute(
            "INSERT INTO outbox (public_id, kind, payload, status, "
            "next_attempt_at, last_error, created_at, give_up_at, owner) "
            "VALUES (?, 'email', '{}', ?, 1, '550 no such user', 1, 1, ?)",
            ("m%d" % i, mail_status, "invitation:inv%d" % i))
    con.commit()
    shutil.copy(ROOT / "migrations" / "0009_undeliverable_invitations.sql",
                migrations)
    proc = run_cli(cfg, "migrate")
    assert proc.returncode == 0, proc.stderr
    rows = con.execute("SELECT id, status, skip_reason FROM invitations "
                       "ORDER BY id").fetchall()
    assert rows == [("inv0", "skipped", "undeliverable: 550 no such user"),
                    ("inv1", "sending", None), ("inv2", "sent", None)]
    assert con.execute("SELECT invitation_id, kind, detail FROM "
                       "invitation_events").fetchall() == [
        ("inv0", "undeliverable", "550 no such user")]
    con.close()
