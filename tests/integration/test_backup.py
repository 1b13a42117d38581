"""reviewd backup --to FILE while the daemon takes writes: the copy passes
integrity_check, holds every write acknowledged before the backup began,
and a daemon started on it serves them; check-backup reports it."""
import shutil
import sqlite3
import threading
import time

import requests

import pytest

from conftest import ADMIN_TOKEN, PG


pytestmark = pytest.mark.skipif(PG, reason=(
    "reviewd backup and check-backup copy and check the SQLite "
    "file; PostgreSQL is backed up with its own tools "
    "(docs/operations.md)"))


def writer(d, stop, acked, errors, tag):
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + ADMIN_TOKEN
    i = 0
    while not stop.is_set():
        i += 1
        r = s.post(d.url("/v1/admin/business-units"), timeout=30,
                   json={"name": "Load %s %d" % (tag, i),
                         "domain": "load-%s-%d.example.com" % (tag, i)})
        if r.status_code == 201:
            acked.append((time.monotonic(), r.json()["id"]))
        else:
            errors.append((r.status_code, r.text))


def all_units(d):
    ids, page = set(), 1
    while True:
        r = d.admin("GET", "/v1/admin/business-units",
                    params={"page": page, "perPage": 100})
        assert r.status_code == 200, r.text
        batch = r.json()["businessUnits"]
        ids |= {u["id"] for u in batch}
        if len(batch) < 100:
            return ids
        page += 1


def test_backup_under_write_load_restores_every_acknowledged_write(
        make_daemon, tmp_path):
    d = make_daemon()
    stop, acked, errors = threading.Event(), [], []
    threads = [threading.Thread(target=writer,
                                args=(d, stop, acked, errors, t))
               for t in ("a", "b", "c")]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 30
        while len(acked) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        began = time.monotonic()
        before = {uid for at, uid in list(acked) if at < began}
        target = tmp_path / "backup.db"
        r = d.cli("backup", "--to", str(target))
        ended = time.monotonic()
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("backup: %s bytes=" % target)
    assert errors == []
    assert len(before) >= 100
    # the daemon went on acknowledging writes while the copy was made
    assert any(began < at < ended for at, _ in acked)
    assert not (tmp_path / "backup.db.partial").exists()
    assert oct(target.stat().st_mode & 0o777) == "0o640"

    con = sqlite3.connect("file:%s?mode=ro" % target, uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        copied = {row[0] for row in
                  con.execute("SELECT id FROM business_units")}
    finally:
        con.close()
    assert before - copied == set()
    # a self-contained file: no -wal beside it
    assert not (tmp_path / "backup.db-wal").exists()

    r = d.cli("check-backup", str(target))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "integrity: ok" in r.stdout
    assert "migrations: 0 due" in r.stdout
    assert "business_units=%d " % len(copied) in r.stdout
    assert r.stdout.rstrip().endswith("check-backup: ok")

    # restore: the documented steps, a daemon on the copy
    restored = make_daemon(start=False)
    shutil.copyfile(target, restored.db_path)
    restored.start()
    served = all_units(restored)
    assert before - served == set()
    assert served == copied


def test_backup_never_overwrites(daemon, tmp_path):
    target = tmp_path / "exists.db"
    target.write_bytes(b"keep me")
    r = daemon.cli("backup", "--to", str(target))
    assert r.returncode == 1
    assert "exists" in r.stderr
    assert target.read_bytes() == b"keep me"
    assert daemon.cli("backup").returncode == 2


def test_check_backup_refuses_a_damaged_copy(daemon, tmp_path):
    target = tmp_path / "b.db"
    assert daemon.cli("backup", "--to", str(target)).returncode == 0
    data = bytearray(target.read_bytes())
    # scribble over the pages after the first (the schema stays readable)
    for off in range(4096 * 3, len(data) - 4096, 4096):
        data[off + 100:off + 400] = b"\xa5" * 300
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data))
    r = daemon.cli("check-backup", str(damaged))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "integrity: FAILED" in r.stdout or \
        "integrity: cannot check" in r.stdout, r.stdout
    assert "check-backup: FAILED" in r.stdout
    r = daemon.cli("check-backup", str(tmp_path / "missing.db"))
    assert r.returncode == 1
