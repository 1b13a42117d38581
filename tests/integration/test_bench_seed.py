"""bench/seed_db.py (issue 13): the rows it writes with SQL agree with
what the daemon's own triggers would have kept, checked by its --check
against a daemon serving the seeded file; and the check fails when a
count is wrong."""
import json
import pathlib
import sqlite3
import subprocess
import sys

import pytest

from conftest import PG

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEED = ROOT / "bench" / "seed_db.py"

pytestmark = pytest.mark.skipif(PG, reason="the seeder writes SQLite")


def seed(path, reviews, units, tenants):
    proc = subprocess.run([sys.executable, str(SEED), str(path), str(reviews),
                           str(units), str(tenants)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def check(db, seed_json, daemon):
    return subprocess.run([sys.executable, str(SEED), "--check", str(db),
                           str(seed_json), daemon.url(""), "2"],
                          capture_output=True, text=True, timeout=300)


def test_seeded_rows_agree_with_the_daemon_and_their_counts(tmp_path,
                                                            make_daemon):
    db = tmp_path / "seeded.db"
    info = seed(db, 3000, 5, 2)
    assert len(info["units"]) == 5 and len(info["tenants"]) == 2
    (tmp_path / "seed.json").write_text(json.dumps(info))
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 3000
    # the variety the issue asks for, in every unit
    for bu in info["units"]:
        stars, langs = con.execute(
            "SELECT count(DISTINCT stars), count(DISTINCT language) FROM "
            "reviews WHERE business_unit_id = ?", (bu,)).fetchone()
        assert stars == 5 and langs >= 2
    named, anonymous_reviews = con.execute(
        "SELECT (SELECT sum(named_count) FROM consumers), (SELECT count(*) "
        "FROM reviews WHERE anonymous = 1)").fetchone()
    assert anonymous_reviews > 0 and named == 3000 - anonymous_reviews
    assert con.execute("SELECT count(*) FROM review_tags").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM product_review_summaries"
                       ).fetchone()[0] > 0
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()

    d = make_daemon({"database": {"path": str(db)}})
    proc = check(db, tmp_path / "seed.json", d)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all agree" in proc.stdout

    # counts the triggers would keep, made wrong: the check says so
    con = sqlite3.connect(db)
    con.execute("UPDATE consumers SET named_count = named_count + 1 "
                "WHERE rowid = 1")
    con.execute("UPDATE product_review_summaries SET stars5 = stars5 + 1 "
                "WHERE (business_unit_id, sku) = (SELECT business_unit_id, "
                "sku FROM product_review_summaries LIMIT 1)")
    con.commit()
    con.close()
    proc = check(db, tmp_path / "seed.json", d)
    assert proc.returncode == 1
    assert "1 consumers with a wrong named_count" in proc.stdout
    assert "product_review_summaries differ from the rows" in proc.stdout
