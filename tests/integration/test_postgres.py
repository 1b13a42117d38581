"""reviewd on PostgreSQL (issue 17, first slice): always run, on a
throwaway cluster these tests start (pgcluster.py); skipped only where
Debian's postgresql package is not installed (.ci/run installs it).

What the slice covers, checked against the real daemon over HTTP and
against the database itself (psql): migrate (and the schema version
check), start, health, business units and their tokens, invitations
(created, listed, dispatched as e-mail), reviews (published through the
public flow, listed, replied to)."""
import base64
import itertools
import pathlib
import re
import signal
import socket
import threading

import pytest

import pgcluster
from conftest import Business, assert_error, run_cli, wait_for, write_ini
from reviewkit import mails, publish

pytestmark = pytest.mark.skipif(
    not pgcluster.available(),
    reason="PostgreSQL server binaries (Debian package postgresql) missing")

MASTER_KEY = base64.b64encode(b"p" * 32).decode()
_names = itertools.count(1)


@pytest.fixture(scope="module")
def cluster():
    c = pgcluster.Cluster().start()
    yield c
    c.stop()


@pytest.fixture
def pg_db(cluster):
    """A new empty database: (its name, its URL)."""
    name = "t%d" % next(_names)
    return name, cluster.create_database(name)


def pg_settings(url):
    return {"database": {"backend": "postgresql", "url": url},
            "links": {"master_key": MASTER_KEY}}


@pytest.fixture
def pg_daemon(make_daemon, pg_db):
    return make_daemon(pg_settings(pg_db[1]))


def test_migrate_applies_every_migration_once(tmp_path, cluster, pg_db):
    name, url = pg_db
    config = write_ini(tmp_path / "reviewd.ini", {
        "database": {"path": str(tmp_path / "unused.db"),
                     "backend": "postgresql", "url": url},
        "links": {"master_key": MASTER_KEY},
        "mail": {"maildir": str(tmp_path / "mail")}})
    proc = run_cli(config, "migrate")
    assert proc.returncode == 0, proc.stderr
    applied = [line.split()[1] for line in proc.stdout.splitlines()]
    # every SQLite migration has its PostgreSQL twin, same number and name
    root = pathlib.Path(__file__).resolve().parents[2]
    sqlite = sorted(p.name for p in (root / "migrations").glob("*.sql"))
    assert applied == sqlite
    assert applied == sorted(
        p.name for p in (root / "migrations_pg").glob("*.sql"))
    # in the database, not in a file beside the configuration
    assert not (tmp_path / "unused.db").exists()
    rows = cluster.psql("SELECT version FROM schema_migrations "
                        "ORDER BY version", name)
    assert [int(v) for v in rows] == [int(a[:4]) for a in applied]
    tables = set(cluster.psql(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public'", name))
    assert {"business_units", "reviews", "invitations", "outbox",
            "product_review_summaries", "conversations"} <= tables

    # again: nothing to apply
    proc = run_cli(config, "migrate")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""

    # a database a newer reviewd migrated is refused, by migrate and serve
    cluster.psql("INSERT INTO schema_migrations VALUES "
                 "(9999, '9999_future.sql', 0)", name)
    for command in ("migrate", "serve"):
        proc = run_cli(config, command)
        assert proc.returncode != 0
        assert "schema version 9999, newer than this reviewd's %d" % \
            int(applied[-1][:4]) in proc.stderr, proc.stderr


def test_config_needs_url_and_shared_master_key(tmp_path):
    config = write_ini(tmp_path / "a.ini", {
        "database": {"backend": "postgresql"}})
    proc = run_cli(config, "migrate")
    assert proc.returncode != 0
    assert "[database] backend = postgresql needs [database] url" in \
        proc.stderr
    config = write_ini(tmp_path / "b.ini", {
        "database": {"backend": "postgresql",
                     "url": "postgresql://postgres@127.0.0.1:1/x"}})
    proc = run_cli(config, "migrate")
    assert proc.returncode != 0
    assert "needs [links] master_key" in proc.stderr
    config = write_ini(tmp_path / "c.ini", {
        "database": {"backend": "mysql"}})
    proc = run_cli(config, "migrate")
    assert proc.returncode != 0 and "sqlite or postgresql" in proc.stderr
    config = write_ini(tmp_path / "d.ini", {
        "database": {"backend": "postgresql", "url": "/var/lib/x.db"},
        "links": {"master_key": MASTER_KEY}})
    proc = run_cli(config, "migrate")
    assert proc.returncode != 0 and "postgresql://" in proc.stderr


def test_unreachable_database_fails_start(tmp_path):
    port = pgcluster.free_port()     # nothing listens there
    config = write_ini(tmp_path / "reviewd.ini", {
        "database": {"backend": "postgresql",
                     "url": "postgresql://postgres@127.0.0.1:%d/x" % port},
        "links": {"master_key": MASTER_KEY}})
    proc = run_cli(config, "migrate")
    assert proc.returncode != 0
    assert "cannot connect to PostgreSQL" in proc.stderr


def test_health_business_and_token(pg_daemon, cluster, pg_db):
    d = pg_daemon
    assert d.get("/healthz").status_code == 200
    r = d.get("/readyz")
    assert r.status_code == 200, r.text
    shop = Business(d, "pg-shop.example.com")
    # the unit, its app and user are rows of PostgreSQL
    rows = cluster.psql("SELECT domain FROM business_units", pg_db[0])
    assert rows == ["pg-shop.example.com"]
    assert cluster.psql("SELECT count(*) FROM api_apps", pg_db[0]) == ["1"]
    # usernames compare without case, as COLLATE NOCASE does on SQLite
    proc = d.cli("user", "create", "--business", shop.id, "--username",
                 shop.username.upper(), input="another password\n")
    assert proc.returncode != 0
    r = shop.token_response()
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    r = d.get("/v1/private/business-units/%s/invitations" % shop.id,
              headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200, r.text
    assert r.json()["invitations"] == []
    # a wrong secret is refused, and so is a token of nobody
    r = d.post("/v1/oauth/oauth-business-users-for-applications/"
               "accesstoken", auth=(shop.key, "wrong"),
               data={"grant_type": "client_credentials"})
    assert r.status_code == 401
    assert_error(d.get("/v1/private/business-units/%s/invitations" % shop.id,
                       headers={"Authorization": "Bearer nope"}), 401)
    # the public unit is found by its domain
    r = d.get("/v1/business-units/find", params={"name":
                                                 "pg-shop.example.com"},
              headers={"apikey": shop.key})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == shop.id


def test_invitations_created_listed_and_sent(pg_daemon, cluster, pg_db):
    d = pg_daemon
    shop = Business(d, "pg-inv.example.com")
    path = "/v1/private/business-units/%s/email-invitations" % shop.id
    ids = []
    for i in range(3):
        r = shop.private("POST", path, headers={
            "Prefer": "return=representation"}, json={
            "consumerEmail": "cust%d@example.com" % i,
            "consumerName": "Cust %d" % i, "referenceNumber": "ORD-%d" % i,
            "locale": "en-US",
            "serviceReviewInvitation": {"tags": ["web"]}})
        assert r.status_code == 201, r.text
        assert r.json()["status"] in ("queued", "sending", "sent")
        ids.append(r.json()["id"])
    # a bad one changes nothing
    assert_error(shop.private("POST", path, json={
        "consumerEmail": "not an address", "consumerName": "X",
        "locale": "en-US", "serviceReviewInvitation": {}}), 400,
        "consumerEmail")
    r = shop.private("GET", "/v1/private/business-units/%s/invitations"
                     % shop.id, params={"perPage": 100})
    assert r.status_code == 200, r.text
    listed = r.json()["invitations"]
    assert sorted(i["id"] for i in listed) == sorted(ids)
    # dispatched by the scheduler through the outbox into the maildir
    wait_for(lambda: len([m for m in mails(d)
                          if m["to"].startswith("cust")]) == 3,
             what="three invitation e-mails")
    d.wait_outbox_idle()
    for inv_id in ids:
        r = shop.private("GET", "/v1/private/invitations/" + inv_id)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "sent", r.text
    assert cluster.psql("SELECT count(*) FROM invitations WHERE "
                        "status = 'sent'", pg_db[0]) == ["3"]
    assert cluster.psql("SELECT count(*) FROM outbox WHERE "
                        "status = 'delivered'", pg_db[0]) == ["3"]


def test_reviews_published_listed_and_replied(pg_daemon, cluster, pg_db):
    d = pg_daemon
    shop = Business(d, "pg-rev.example.com")
    first = publish(d, "pg-rev.example.com", "ann@example.org", stars=4,
                    title="Quick", name="Ann")
    second = publish(d, "pg-rev.example.com", "bob@example.org", stars=2,
                     title="Slow", name="Bob")
    r = d.get("/v1/business-units/%s/reviews" % shop.id,
              headers={"apikey": shop.key})
    assert r.status_code == 200, r.text
    reviews = r.json()["reviews"]
    assert [x["id"] for x in reviews] == [second, first]
    assert [x["stars"] for x in reviews] == [2, 4]
    # the counts the triggers keep (PL/pgSQL on PostgreSQL)
    unit = d.get("/v1/business-units/" + shop.id,
                 headers={"apikey": shop.key}).json()
    assert unit["numberOfReviews"]["total"] == 2
    assert unit["numberOfReviews"]["fourStars"] == 1
    assert unit["numberOfReviews"]["twoStars"] == 1
    assert cluster.psql("SELECT review_count FROM consumers ORDER BY email",
                        pg_db[0]) == ["1", "1"]

    path = "/v1/private/reviews/%s/reply" % second
    r = shop.private("POST", path, json={"message": "Sorry, Bob."})
    assert r.status_code == 201, r.text
    assert r.json()["companyReply"]["text"] == "Sorry, Bob."
    wait_for(lambda: [m for m in mails(d) if m["to"] == "bob@example.org"
                      and "replied" in m["subject"]],
             what="the reply e-mail")
    public = d.get("/v1/reviews/" + second,
                   headers={"apikey": shop.key}).json()
    assert public["companyReply"]["text"] == "Sorry, Bob."
    assert_error(shop.private("POST", path, json={"message": ""}), 400,
                 "message")
    r = shop.private("DELETE", path)
    assert r.status_code == 200 and r.json()["companyReply"] is None
    assert_error(shop.private("DELETE", path), 404)


def test_private_lists_by_tag_and_source(pg_daemon, cluster, pg_db):
    # the list shapes of migration 0023: a tag's copy of its review's
    # unit, date and seq is made by a trigger (BEFORE INSERT on PostgreSQL)
    d = pg_daemon
    shop = Business(d, "pg-tags.example.com")
    ids = [publish(d, "pg-tags.example.com", "t%d@example.org" % i,
                   stars=1 + i, title="T%d" % i, name="T%d" % i)
           for i in range(3)]
    for review in ids[:2]:
        r = shop.private("PUT", "/v1/private/reviews/%s/tags" % review,
                         json={"tags": [{"group": "generic",
                                         "value": "vip"}]})
        assert r.status_code == 200, r.text
    assert cluster.psql("SELECT count(*) FROM review_tags WHERE "
                        "review_seq IS NOT NULL AND created_at IS NOT NULL",
                        pg_db[0]) == ["2"]
    path = "/v1/private/business-units/%s/reviews" % shop.id
    r = shop.private("GET", path, params={"tagGroup": "generic",
                                          "tagValue": "vip"})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["reviews"]] == [ids[1], ids[0]]
    r = shop.private("GET", path, params={"source": "organic"})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["reviews"]] == ids[::-1]


def test_reconnects_after_the_server_drops_its_connections(
        pg_daemon, cluster, pg_db):
    # a restart, a failover or an idle timeout: every connection of the
    # daemon's threads is gone; reads run again on a new one at once, a
    # write may fail once (503) on each thread that finds it dropped
    d = pg_daemon
    shop = Business(d, "pg-drop.example.com")
    unit = "/v1/private/business-units/" + shop.id
    killed = cluster.psql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = '%s'" % pg_db[0])
    assert int(killed[0]) >= 1
    for _ in range(12):
        r = d.get("/v1/business-units/" + shop.id,
                  headers={"apikey": shop.key})
        assert r.status_code == 200, r.text
    answers = []
    for i in range(12):
        r = shop.private("PATCH", unit, json={"phone": "+45 %d" % i})
        answers.append(r.status_code)
    assert set(answers) <= {200, 503}, answers
    assert answers[-3:] == [200, 200, 200], answers
    assert cluster.psql("SELECT phone FROM business_units WHERE id = '%s'"
                        % shop.id, pg_db[0]) == ["+45 11"]
    assert d.get("/readyz").status_code == 200
    assert "reconnected to PostgreSQL" in d.stderr()


def test_data_survives_a_restart(pg_daemon):
    d = pg_daemon
    shop = Business(d, "pg-restart.example.com")
    d.restart()
    r = shop.token_response()
    assert r.status_code == 200, r.text
    r = d.get("/v1/business-units/" + shop.id, headers={"apikey": shop.key})
    assert r.status_code == 200 and r.json()["id"] == shop.id


def test_check_backup_and_metrics(pg_daemon, tmp_path):
    d = pg_daemon
    proc = d.cli("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "database: postgresql\n" in proc.stdout
    newest = sorted(pathlib.Path(__file__).resolve().parents[2].glob(
        "migrations_pg/*.sql"))[-1].name[:4]
    assert "schema: %s (this binary: %s)" % (newest, newest) in proc.stdout
    assert "migrations: 0 due" in proc.stdout
    assert "postgresql://" not in proc.stdout     # the URL may hold a secret
    proc = d.cli("backup", str(tmp_path / "copy.db"))
    assert proc.returncode != 0
    assert "pg_dump" in proc.stderr
    assert not (tmp_path / "copy.db").exists()
    r = d.get("/metrics", headers={"Authorization":
                                   "Bearer test-admin-token-0123456789"})
    assert r.status_code == 200
    # the server's size of the database; its WAL is the server's to watch
    size = re.search(r"^reviewd_database_size_bytes (\d+)$", r.text, re.M)
    assert size and int(size.group(1)) > 1000000, r.text
    assert "reviewd_database_wal_size_bytes" not in r.text


def test_idempotency_key_replays_and_expires(pg_daemon, cluster, pg_db):
    """INSERT OR REPLACE (rewritten as ON CONFLICT ... DO UPDATE) keeps
    one row a key, replaced once the key expired."""
    d = pg_daemon
    shop = Business(d, "pg-idem.example.com")
    path = "/v1/private/business-units/%s/email-invitations" % shop.id

    def create(ref, email="idem@example.com"):
        return shop.private("POST", path, headers={
            "Prefer": "return=representation",
            "Idempotency-Key": "order-1"}, json={
            "consumerEmail": email, "consumerName": "Idem",
            "referenceNumber": ref, "locale": "en-US",
            "serviceReviewInvitation": {
                "preferredSendTime": "2099-01-01T00:00:00Z"}})

    first = create("IK-1")
    assert first.status_code == 201, first.text
    again = create("IK-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert_error(create("IK-2"), 409, "Idempotency-Key")
    d.advance_clock(25 * 3600)
    shop.renew()
    later = create("IK-2", "later@example.com")
    assert later.status_code == 201 and "Idempotent-Replayed" not in \
        later.headers
    assert later.json()["id"] != first.json()["id"]
    rows = cluster.psql("SELECT count(*) FROM idempotency_keys", pg_db[0])
    assert rows == ["1"]


class StallingProxy:
    """A TCP relay to the cluster that can turn into a server that
    accepts and never answers (a hung or half failed-over PostgreSQL)."""

    def __init__(self, target_port):
        self.target = target_port
        self.stalling = False
        self.held = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(client)
            if self.stalling:
                continue
            server = socket.create_connection(("127.0.0.1", self.target))
            self.held.append(server)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.listener.close()
        for s in self.held:
            s.close()


def test_stop_does_not_wait_for_a_server_that_never_answers(
        make_daemon, cluster, pg_db):
    # The server's connections drop and every new one is accepted and
    # never answered: the LISTEN thread's reconnection watches the stop,
    # and every other connection gives up after connect_timeout (10 s
    # unless the URL names one), so SIGTERM ends the daemon.
    name, url = pg_db
    proxy = StallingProxy(cluster.port)
    try:
        d = make_daemon(pg_settings(url.replace(
            ":%d/" % cluster.port, ":%d/" % proxy.port)))
        assert d.get("/readyz").status_code == 200
        proxy.stalling = True
        cluster.psql("SELECT count(pg_terminate_backend(pid)) FROM "
                     "pg_stat_activity WHERE datname = '%s'" % name)
        wait_for(lambda: "listener: lost its connection" in d.stderr())
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(timeout=30) == 0, d.stderr()
    finally:
        proxy.close()
