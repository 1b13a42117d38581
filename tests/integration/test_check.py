"""reviewd check: validates the configuration, opens the database and
reports migrations due (without applying them), tries the mail transport
without sending, prints what it found; exit 0 ok, 2 configuration, 3
database, 4 mail (docs/operations.md, "Self-check")."""
import shutil
import socket
import sqlite3

import pytest

from conftest import PG, ROOT, run_cli, write_ini

# on PostgreSQL: nothing to check (said in the reason)
SQLITE_ONLY = pytest.mark.skipif(PG, reason=(
    "checks a SQLite file (absent, damaged, migrations due from a"
    " directory of SQLite migrations)"))


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def smtp(port, **kw):
    return {"mail": dict({"transport": "smtp",
                          "smtp_url": "smtp://127.0.0.1:%d" % port}, **kw)}


def test_all_good_with_a_started_database(make_daemon):
    d = make_daemon()
    assert d.stop() == 0
    r = d.cli("check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "config: ok: %s" % d.config in r.stdout
    if PG:
        assert "database: postgresql\n" in r.stdout
    else:
        assert "database: %s bytes=" % d.db_path in r.stdout
    assert "migrations: 0 due" in r.stdout
    assert "mail: ok: maildir %s is writable" % (d.dir / "mail") in r.stdout
    assert r.stdout.rstrip().endswith("check: ok")
    # the probe file is gone
    assert list((d.dir / "mail" / "tmp").iterdir()) == []


@SQLITE_ONLY
def test_before_the_first_start(make_daemon):
    d = make_daemon(start=False)
    r = d.cli("check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "does not exist yet; serve creates it" in r.stdout
    assert "migrations: all" in r.stdout
    assert not d.db_path.exists()       # check creates nothing


@SQLITE_ONLY
def test_migrations_due_are_reported_not_applied(make_daemon, tmp_path):
    mig = tmp_path / "mig"
    shutil.copytree(ROOT / "migrations", mig)
    d = make_daemon({"database": {"migrations": str(mig)}})
    assert d.stop() == 0
    (mig / "0999_extra.sql").write_text("CREATE TABLE extra (x);\n")
    r = d.cli("check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "  due 0999_extra.sql" in r.stdout
    assert "migrations: 1 due (serve applies them at start)" in r.stdout
    con = sqlite3.connect(str(d.db_path))
    try:
        assert con.execute("SELECT count(*) FROM schema_migrations "
                           "WHERE version = 999").fetchone()[0] == 0
    finally:
        con.close()


def test_smtp_sink_is_greeted_not_sent_to(make_daemon, smtp_sink):
    sink = smtp_sink()
    d = make_daemon(smtp(sink.port), start=False)
    r = d.cli("check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "mail: ok: smtp://127.0.0.1:%d: greeting, EHLO and NOOP " \
        "accepted (reply 250); nothing sent" % sink.port in r.stdout
    assert sink.count() == 0


def test_smtp_auth_is_tried(make_daemon, smtp_sink):
    sink = smtp_sink(credentials=("mailer", "s3cret"))
    d = make_daemon(smtp(sink.port, smtp_user="mailer",
                         smtp_password="s3cret"), start=False)
    r = d.cli("check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert ", AUTH and NOOP accepted" in r.stdout
    assert sink.logins == ["mailer"] and sink.count() == 0
    d2 = make_daemon(smtp(sink.port, smtp_user="mailer",
                          smtp_password="wrong", timeout_s="3"), start=False)
    r = d2.cli("check")
    assert r.returncode == 4, r.stdout + r.stderr
    assert "mail: FAILED: smtp://127.0.0.1:%d: " % sink.port in r.stdout
    assert sink.logins == ["mailer"]


def test_closed_smtp_port(make_daemon):
    port = closed_port()
    d = make_daemon(smtp(port), start=False)
    r = d.cli("check")
    assert r.returncode == 4, r.stdout + r.stderr
    assert "mail: FAILED: smtp://127.0.0.1:%d: Couldn't connect" % port \
        in r.stdout
    assert r.stdout.rstrip().endswith("check: FAILED")


def test_invalid_configuration(tmp_path):
    ini = write_ini(tmp_path / "bad.ini", {"server": {"threads": "zero"}})
    r = run_cli(ini, "check")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "config: FAILED: " in r.stdout and "threads" in r.stdout


@SQLITE_ONLY
def test_not_a_database(make_daemon):
    d = make_daemon(start=False)
    d.db_path.write_bytes(b"this is not a database file" * 100)
    r = d.cli("check")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "database: FAILED" in r.stdout
    # the mail transport is still checked
    assert "mail: ok" in r.stdout


@SQLITE_ONLY
def test_database_failure_wins_over_mail(make_daemon):
    d = make_daemon(smtp(closed_port()), start=False)
    d.db_path.write_bytes(b"x" * 4096)
    r = d.cli("check")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "mail: FAILED" in r.stdout
