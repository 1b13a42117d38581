"""`reviewd copy-data --to postgresql://...` (issue 17): the upgrade of a
SQLite installation to PostgreSQL. A real installation is made through
the daemon's HTTP API (units, apps and their tokens, reviews with
replies, invitations, a Find Reviewer request, link keys), copied into
a throwaway cluster (pgcluster.py), and the daemon started again on
PostgreSQL must serve the same data: the same answers, links, tokens and
counts, and take new writes (its identity sequences past the copied
ids). Refusals: a target that is not empty, a wrong URL, a source at
another schema version. Always run: CI installs postgresql."""
import configparser
import re
import shutil
import sqlite3

import pytest

import pgcluster
from conftest import Business, assert_error, run_cli, wait_for, write_ini
from reviewkit import mails, publish
from test_findreviewer import ask
from test_invitations import create, inv
from test_links import unique_query

LINK = r"/evaluate-link/[A-Za-z0-9_-]{43}"
FIND = r"/find-reviewer/[A-Za-z0-9_-]{43}"


@pytest.fixture(scope="module")
def cluster():
    c = pgcluster.Cluster().start()
    yield c
    c.stop()


def sections(config):
    p = configparser.ConfigParser(interpolation=None)
    p.read(config)
    return {s: dict(p[s]) for s in p.sections()}


def use_postgresql(d, url):
    """Rewrites d's configuration for PostgreSQL at url, with the master
    key the SQLite installation used (its generated file, unless the
    configuration names one)."""
    s = sections(d.config)
    s["database"].update({"backend": "postgresql", "url": url})
    links = s.setdefault("links", {})
    if not links.get("master_key"):
        links["master_key"] = (d.db_path.parent / (
            d.db_path.name + ".master-key")).read_text().strip()
    write_ini(d.config, s)


def sqlite_counts(path):
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND "
            "name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'")]
        return {n: con.execute('SELECT count(*) FROM "%s"' % n).fetchone()[0]
                for n in names}
    finally:
        con.close()


def printed_counts(stdout):
    return {m.group(1): int(m.group(2)) for m in
            re.finditer(r"^copied (\S+) rows=(\d+)$", stdout, re.M)}


def snapshot(d, shop, reviews, invitations, asked=None):
    """What the daemon serves of the installation, to compare."""
    key = {"apikey": shop.key}
    out = {
        "unit": d.get("/v1/business-units/" + shop.id, headers=key).json(),
        "public": d.get("/v1/business-units/%s/reviews" % shop.id,
                        headers=key, params={"perPage": 100}).json(),
        "private": shop.private("GET", "/v1/private/business-units/%s/"
                                "reviews" % shop.id,
                                params={"perPage": 100}).json(),
        "invitations": shop.private("GET", "/v1/private/business-units/%s/"
                                    "invitations" % shop.id,
                                    params={"perPage": 100}).json(),
    }
    for r in reviews:
        out["review " + r] = d.get("/v1/reviews/" + r, headers=key).json()
    if asked is not None:
        out["find"] = shop.private(
            "GET", "/v1/private/reviews/%s/find-reviewer" % asked).json()
    for i in invitations:
        out["inv " + i] = shop.private("GET", "/v1/private/invitations/" +
                                       i).json()
    return out


def test_copy_serves_the_same_installation(make_daemon, cluster):
    d = make_daemon({"database": {"backend": "sqlite"}})
    shop = Business(d, "copy.example.com")
    other = Business(d, "other-copy.example.com")
    r = shop.private("POST", "/v1/private/business-units/%s/link-keys"
                     % shop.id)
    assert r.status_code == 201, r.text
    keys = r.json()
    first = publish(d, "copy.example.com", "ann@example.org", stars=4,
                    title="Tabs\tand\\slashes", text="Line one\nline two",
                    name="Ann")
    second = publish(d, "copy.example.com", "bob@example.org", stars=1,
                     title="Slow", name="Bob Ünicode")
    publish(d, "other-copy.example.com", "cy@example.org", stars=5,
            name="Cy")
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % second,
                     json={"message": "Sorry, Bob.\nWe will do better."})
    assert r.status_code == 201, r.text
    r = ask(shop, second)
    assert r.status_code in (200, 201), r.text
    invitations = []
    for n in range(3):
        r = create(shop, inv(email="cust%d@example.com" % n,
                             name="Cust %d" % n, ref="ORD-%d" % n))
        assert r.status_code == 201, r.text
        invitations.append(r.json()["id"])
    wait_for(lambda: len([m for m in mails(d)
                          if m["to"].startswith("cust")]) == 3,
             what="the invitation e-mails")
    wait_for(lambda: [m for m in mails(d) if m["to"] == "bob@example.org"
                      and re.search(FIND, m["text"])],
             what="the Find Reviewer e-mail")
    d.wait_outbox_idle()
    invite_link = d.link(LINK, [m for m in mails(d)
                                if m["to"] == "cust0@example.com"][0]["text"])
    find_link = d.link(FIND, [m for m in mails(d) if m["to"] ==
                              "bob@example.org" and
                              re.search(FIND, m["text"])][0]["text"])
    token = shop.token()
    unique = "/evaluate/copy.example.com?" + unique_query(
        keys["uniqueLinkSecret"], "uli@example.com", "U-5", "Uli Unique")
    # opening the link is an event of the invitation: before the snapshot
    assert "Cust 0" in d.get(invite_link).text
    before = snapshot(d, shop, [first, second], invitations, second)
    before_other = snapshot(d, other, [], [])
    assert before["unit"]["numberOfReviews"]["total"] == 2
    assert before["review " + second]["companyReply"]["text"].startswith(
        "Sorry, Bob.")
    assert d.stop() == 0

    # the copy, into an empty database
    name = "copy1"
    url = cluster.create_database(name)
    proc = run_cli(d.config, "copy-data", "--to", url)
    assert proc.returncode == 0, proc.stderr
    counts = printed_counts(proc.stdout)
    assert counts == sqlite_counts(d.db_path)
    assert counts["reviews"] == 3 and counts["invitations"] == 3
    assert counts["business_units"] == 2 and counts["link_keys"] == 1
    assert counts["find_reviewer_requests"] == 1
    assert counts["oauth_tokens"] >= 1 and counts["outbox"] >= 8
    assert re.search(r"^copy-data: ok tables=%d rows=%d ms=\d+ "
                     r"rows_per_s=\d+$" % (len(counts), sum(counts.values())),
                     proc.stdout, re.M), proc.stdout
    # the same rows byte for byte: a sealed key and a token's hash
    con = sqlite3.connect(d.db_path)
    sealed = con.execute("SELECT * FROM link_keys").fetchone()
    con.close()
    rows = cluster.psql("SELECT * FROM link_keys", name)
    assert rows == ["|".join("" if v is None else str(v) for v in sealed)]

    # a second copy into it is refused, and changes nothing
    again = run_cli(d.config, "copy-data", "--to", url)
    assert again.returncode == 1
    assert "not empty" in again.stderr
    assert cluster.psql("SELECT count(*) FROM reviews", name) == ["3"]

    use_postgresql(d, url)
    d.start()
    assert "migration" not in d.stderr()
    after = snapshot(d, shop, [first, second], invitations, second)
    for k in before:
        assert after[k] == before[k], k
    assert snapshot(d, other, [], []) == before_other
    # the access token issued on SQLite still works
    r = d.get("/v1/private/business-units/%s/invitations" % shop.id,
              headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200, r.text
    assert_error(d.get("/v1/private/business-units/%s/invitations" % shop.id,
                       headers={"Authorization": "Bearer " + token[:-1] +
                                ("A" if token[-1] != "A" else "B")}), 401)
    # the links made before: the invitation's, Find Reviewer's and a
    # Unique Link signed with the sealed secret
    assert "Cust 0" in d.get(invite_link).text
    assert d.get(find_link).status_code == 200
    r = d.get(unique, allow_redirects=False)
    assert r.status_code == 303, r.text
    assert "Uli Unique" in d.get(r.headers["Location"]).text

    # new writes: past the copied ids, counted by the triggers once
    r = create(shop, inv(email="new@example.com", name="New", ref="ORD-9"))
    assert r.status_code == 201, r.text
    third = publish(d, "copy.example.com", "dan@example.org", stars=4,
                    name="Dan")
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % first,
                     json={"message": "Thanks, Ann."})
    assert r.status_code == 201, r.text
    unit = d.get("/v1/business-units/" + shop.id,
                 headers={"apikey": shop.key}).json()
    assert unit["numberOfReviews"]["total"] == 3
    assert unit["numberOfReviews"]["fourStars"] == 2
    assert unit["numberOfReviews"]["oneStar"] == 1
    ids = [x["id"] for x in d.get("/v1/business-units/%s/reviews" % shop.id,
                                  headers={"apikey": shop.key}
                                  ).json()["reviews"]]
    assert ids == [third, second, first]
    d.wait_outbox_idle()


def make_source(make_daemon):
    d = make_daemon({"database": {"backend": "sqlite"}})
    Business(d, "src.example.com")
    assert d.stop() == 0
    return d


def test_refusals(make_daemon, cluster, tmp_path):
    d = make_source(make_daemon)
    # a wrong URL, an unreachable server
    for bad in ("mysql://x@127.0.0.1/db", "127.0.0.1:5432",
                "postgresql://nobody@127.0.0.1:%d/none" %
                pgcluster.free_port()):
        proc = run_cli(d.config, "copy-data", "--to", bad)
        assert proc.returncode == 1, (bad, proc.stdout, proc.stderr)
        assert "reviewd: copy-data:" in proc.stderr
        assert "copied" not in proc.stdout
    proc = run_cli(d.config, "copy-data")
    assert proc.returncode == 2
    # a target with other data: nothing of ours is added
    url = cluster.create_database("busy")
    cluster.psql("CREATE TABLE theirs (x int); INSERT INTO theirs "
                 "VALUES (1)", "busy")
    proc = run_cli(d.config, "copy-data", "--to", url)
    assert proc.returncode == 1
    assert "not empty (table theirs has rows)" in proc.stderr
    assert cluster.psql("SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema = 'public'", "busy") == ["1"]
    # a source older or newer than this binary
    for change, hint in (
            ("DELETE FROM schema_migrations WHERE version = "
             "(SELECT max(version) FROM schema_migrations)",
             "reviewd migrate"),
            ("INSERT INTO schema_migrations VALUES (9999, "
             "'9999_future.sql', 0)", "the reviewd that wrote it")):
        copy = tmp_path / "old.db"
        shutil.copy(d.db_path, copy)
        con = sqlite3.connect(copy)
        con.execute(change)
        con.commit()
        con.close()
        s = sections(d.config)
        s["database"]["path"] = str(copy)
        config = write_ini(tmp_path / "old.ini", s)
        url = cluster.create_database("v%d" % len(hint))
        proc = run_cli(config, "copy-data", "--to", url)
        assert proc.returncode == 1
        assert "schema version" in proc.stderr and hint in proc.stderr
        assert cluster.psql("SELECT count(*) FROM information_schema."
                            "tables WHERE table_schema = 'public'",
                            "v%d" % len(hint)) == ["0"]
        copy.unlink()
    # a role that may not turn triggers off: told so, nothing copied
    cluster.psql("CREATE ROLE plain LOGIN")
    cluster.psql('CREATE DATABASE "plain" OWNER plain')
    url = "postgresql://plain@127.0.0.1:%d/plain" % cluster.port
    proc = run_cli(d.config, "copy-data", "--to", url)
    assert proc.returncode == 1
    assert "session_replication_role" in proc.stderr
    assert cluster.psql("SELECT count(*) FROM business_units",
                        "plain") == ["0"]
    # a database `reviewd migrate` prepared holds no rows: taken
    url = cluster.create_database("premigrated")
    s = sections(d.config)
    s["database"].update({"backend": "postgresql", "url": url})
    s.setdefault("links", {})["master_key"] = "cA" * 21 + "c="
    config = write_ini(tmp_path / "pg.ini", s)
    assert run_cli(config, "migrate").returncode == 0
    proc = run_cli(d.config, "copy-data", "--to", url)
    assert proc.returncode == 0, proc.stderr
    assert "applied" not in proc.stdout
    assert printed_counts(proc.stdout)["business_units"] == 1
    # a PostgreSQL configuration is no source
    proc = run_cli(config, "copy-data", "--to", url)
    assert proc.returncode == 1 and "backend" in proc.stderr
