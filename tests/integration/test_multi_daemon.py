"""Several daemons on one PostgreSQL database (issue 17): each due thing is
done once however many daemons run, a daemon killed with SIGKILL leaves
its claims to the others, and a write answered by one daemon is seen by
the next request to another. Runs only under REVIEWD_PG=1 (make test
PG=1), on the run's throwaway cluster (pgcluster.py via conftest); the
figures of the dispatch test are printed (pytest -s shows them)."""
import re
import time

import pytest

import conftest
import pgcluster
from conftest import Business, Daemon, SmtpSink, check_sanitizers, wait_for
from reviewkit import publish_many

pytestmark = [
    pytest.mark.skipif(not conftest.PG, reason="several daemons need "
                       "PostgreSQL: run with REVIEWD_PG=1 (make test PG=1)"),
    pytest.mark.skipif(not pgcluster.available(), reason="PostgreSQL "
                       "server binaries (Debian package postgresql) "
                       "missing"),
]

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)",
                        re.IGNORECASE | re.MULTILINE)


class Fleet:
    """n daemons on one new database of the run's cluster, mailing into
    one SMTP sink."""

    def __init__(self, tmp_path, n, sink, extra=None):
        pg = conftest.pg_settings()
        self.dbname = pg["database"]["url"].rsplit("/", 1)[1]
        overrides = {"database": pg["database"], "links": pg["links"],
                     "mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port},
                     "invitations": {"daily_limit_per_unit": "0"},
                     "ratelimit": {"app_per_minute": "0",
                                   "address_per_minute": "0"}}
        for section, keys in (extra or {}).items():
            overrides.setdefault(section, {}).update(keys)
        self.daemons = []
        for i in range(n):
            sub = tmp_path / ("fleet%d" % i)
            sub.mkdir()
            d = Daemon(sub, overrides)
            d.sink = sink
            self.daemons.append(d)
        # the first migrates; the others find the schema made
        for d in self.daemons:
            d.start()
        self.killed = set()

    def psql(self, sql):
        return conftest._pg["cluster"].psql(sql, self.dbname)

    def count(self, sql):
        return int(self.psql(sql)[0])

    def advance_clock(self, seconds):
        for i, d in enumerate(self.daemons):
            if i not in self.killed:
                d.advance_clock(seconds)

    def kill(self, i):
        self.daemons[i].proc.kill()     # SIGKILL: no clean-up at all
        self.daemons[i].proc.wait(timeout=30)
        self.killed.add(i)

    def stop(self):
        for i, d in enumerate(self.daemons):
            if d.proc is None or i in self.killed:
                continue
            rc = d.stop()
            text = d.all_stderr()
            check_sanitizers(text)
            assert rc == 0, "exit %s:\n%s" % (rc, text)


@pytest.fixture
def fleet(tmp_path):
    made = []

    def make(n, sink, extra=None):
        f = Fleet(tmp_path, n, sink, extra)
        made.append(f)
        return f
    yield make
    for f in made:
        f.stop()


@pytest.fixture
def sink():
    s = SmtpSink()
    yield s
    s.stop()


def queue_due(daemons, shop, emails):
    """Creates emails as invitations due in an hour (nothing sent yet),
    through the API, spread over the daemons by 12 clients at once."""
    import concurrent.futures
    import threading
    import requests
    now_ms = daemons[0].admin("GET", "/v1/admin/clock").json()["nowMs"]
    send = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                         time.gmtime(now_ms / 1000 + 3600))
    headers = shop.headers()
    local = threading.local()

    def create(i):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        d = daemons[i % len(daemons)]
        # a keep-alive connection the daemon closed as it was reused
        # fails before the request is read: tried again, under the same
        # Idempotency-Key, so that it is made once whatever happened
        for attempt in range(3):
            try:
                r = local.session.post(
                    d.url("/v1/private/business-units/%s/email-invitations"
                          % shop.id),
                    headers=dict(headers, **{"Idempotency-Key":
                                             "inv-%d" % i}),
                    timeout=60, json={
                        "consumerEmail": emails[i],
                        "consumerName": "Customer %d" % i,
                        "referenceNumber": "REF-%d" % i, "locale": "en-US",
                        "serviceReviewInvitation": {
                            "preferredSendTime": send}})
                break
            except requests.ConnectionError:
                if attempt == 2:
                    raise
                local.session = requests.Session()
        assert r.status_code == 202, r.text     # accepted, queued
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        list(pool.map(create, range(len(emails))))


def test_ten_thousand_invitations_once_though_a_daemon_is_killed(fleet,
                                                                 sink):
    batch = 100
    f = fleet(3, sink, {"outbox": {"batch_size": str(batch),
                                   "lease_s": "5"},
                        "invitations": {"dispatch_batch": "200"}})
    a, b, c = f.daemons
    shop = Business(a, "fleet.example.com")
    total = 10000
    emails = ["f%d@example.com" % i for i in range(total)]
    # the token issued by a works on b and c
    start = time.monotonic()
    queue_due(f.daemons, shop, emails)
    created = time.monotonic() - start
    assert f.count("SELECT count(*) FROM invitations WHERE status = "
                   "'queued'") == total
    assert sink.count() == 0
    start = time.monotonic()
    f.advance_clock(7200)
    # b dies in the middle of the dispatch, with rows claimed and leased
    wait_for(lambda: sink.count() >= total // 5, timeout=600,
             interval=0.01, what="the dispatch to be under way")
    f.kill(1)
    killed_at = sink.count()

    def sent():
        return f.count("SELECT count(*) FROM invitations WHERE "
                       "status = 'sent'")
    wait_for(lambda: sent() == total, timeout=900, interval=0.5,
             what="every invitation sent")
    wait_for(lambda: f.count("SELECT count(*) FROM outbox WHERE status "
                             "<> 'delivered'") == 0, timeout=120,
             what="an idle outbox")
    elapsed = time.monotonic() - start
    with sink.lock:
        raw = [e.original_content for e in sink.messages]
    ids = []
    for content in raw:
        m = MESSAGE_ID.search(content)
        assert m, content[:500]
        ids.append(m.group(1))
    distinct = len(set(ids))
    duplicates = len(ids) - distinct
    print("\nmulti-daemon dispatch: 3 daemons, one SIGKILLed after %d "
          "messages: delivered %d, distinct Message-IDs %d, duplicates %d "
          "(outbox batch %d), %.1f s from due to delivered; %.1f s to create "
          "them over the API" % (killed_at, len(ids), distinct,
                                 duplicates, batch, elapsed, created))
    assert distinct == total
    assert duplicates <= batch
    assert f.count("SELECT count(*) FROM outbox WHERE owner LIKE "
                   "'invitation:%' AND status = 'delivered'") == total
    assert f.count("SELECT count(*) FROM invitations WHERE status <> "
                   "'sent'") == 0


def test_hundred_find_reviewer_deadlines_notify_once_each(fleet, sink):
    f = fleet(3, sink)
    a, b, c = f.daemons
    shop = Business(a, "deadlines.example.com")
    r = shop.private("PATCH", "/v1/private/business-units/" + shop.id,
                     json={"notificationEmail": "owner@deadlines.example.com"})
    assert r.status_code == 200, r.text
    n = 100
    reviews = publish_many(b, "deadlines.example.com", [
        {"email": "r%d@example.org" % i, "name": "Reviewer %d" % i}
        for i in range(n)])
    shop.daemon = c
    for review in reviews:
        r = shop.private("POST", "/v1/private/reviews/%s/find-reviewer"
                         % review, json={"message": "Which order?"})
        assert r.status_code == 201, r.text
    assert f.count("SELECT count(*) FROM find_reviewer_requests WHERE "
                   "status = 'open'") == n
    f.advance_clock(6 * 86400)

    def owner_mails():
        return [m for m in sink.parsed() if m["To"].addresses[0].addr_spec
                == "owner@deadlines.example.com"]
    wait_for(lambda: len(owner_mails()) >= n, timeout=120,
             what="a notification per expired request")
    # more passes of every scheduler, and more time: nothing more
    f.advance_clock(60)
    for d in f.daemons:
        d.wait_scheduler_pass()
    wait_for(lambda: f.count("SELECT count(*) FROM outbox WHERE status "
                             "<> 'delivered'") == 0, what="an idle outbox")
    assert len(owner_mails()) == n
    assert f.count("SELECT count(*) FROM find_reviewer_requests WHERE "
                   "status = 'expired'") == n
    assert f.count("SELECT count(*) FROM audit_log WHERE action = "
                   "'find-reviewer-expired'") == n
    assert f.count("SELECT count(DISTINCT detail) FROM audit_log WHERE "
                   "action = 'find-reviewer-expired'") == n


def test_a_write_on_one_daemon_is_read_on_another_at_once(fleet, sink):
    f = fleet(2, sink)
    a, b = f.daemons
    # each daemon's listener waits for the others' wake-ups on its own
    # connection (LISTEN reviewd_wake)
    wait_for(lambda: f.count("SELECT count(*) FROM pg_stat_activity WHERE "
                             "datname = current_database() AND query LIKE "
                             "'%reviewd_wake'") == 2,
             what="a listener per daemon")
    shop = Business(a, "ryw.example.com")
    token = shop.token()                # issued by a
    on_b = {"Authorization": "Bearer " + token}
    # an invitation made on a, read on b by the next request
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "email-invitations" % shop.id, headers={
                         "Prefer": "return=representation"}, json={
                         "consumerEmail": "ryw@example.com",
                         "consumerName": "Ryw", "locale": "en-US",
                         "referenceNumber": "ORD-1",
                         "serviceReviewInvitation": {}})
    assert r.status_code == 201, r.text
    inv = r.json()["id"]
    r = b.get("/v1/private/invitations/" + inv, headers=on_b)
    assert r.status_code == 200, r.text
    # a review published through a, listed by b at once (the public list
    # cache is per daemon; its generation is in the database)
    before = b.get("/v1/business-units/%s/reviews" % shop.id,
                   headers={"apikey": shop.key})
    assert before.status_code == 200, before.text
    assert before.json()["reviews"] == []
    review = publish_many(a, "ryw.example.com", [
        {"email": "seen@example.org", "name": "Seen"}])[0]
    r = b.get("/v1/business-units/%s/reviews" % shop.id,
              headers={"apikey": shop.key})
    assert [x["id"] for x in r.json()["reviews"]] == [review]
    # a reply written on b, shown by a's next answer
    r = b.request("POST", "/v1/private/reviews/%s/reply" % review,
                  headers=on_b, json={"message": "Thank you!"})
    assert r.status_code == 201, r.text
    public = a.get("/v1/reviews/" + review, headers={"apikey": shop.key})
    assert public.json()["companyReply"]["text"] == "Thank you!"
    r = a.get("/v1/business-units/%s/reviews" % shop.id,
              headers={"apikey": shop.key})
    assert r.json()["reviews"][0]["companyReply"]["text"] == "Thank you!"
    # deleted on a: gone from b's next answer
    r = shop.private("DELETE", "/v1/private/reviews/%s/reply" % review)
    assert r.status_code == 200, r.text
    public = b.get("/v1/reviews/" + review, headers={"apikey": shop.key})
    assert public.json()["companyReply"] is None
    # a token rotated on a is refused by b's next request, and b serves
    # the new one
    r = shop.token_response("password", username=shop.username,
                            password=shop.password)
    assert r.status_code == 200, r.text
    first = r.json()
    path = "/v1/private/business-units/" + shop.id
    old = {"Authorization": "Bearer " + first["access_token"]}
    assert b.get(path, headers=old).status_code == 200
    r = a.post(conftest.OAUTH + "/refresh", auth=(shop.key, shop.secret),
               data={"grant_type": "refresh_token",
                     "refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    assert b.get(path, headers=old).status_code == 401
    new = {"Authorization": "Bearer " + r.json()["access_token"]}
    assert b.get(path, headers=new).status_code == 200


def test_a_client_spread_over_two_daemons_gets_one_limit(fleet, sink):
    """[ratelimit] buckets are shared through the database about once a
    second: a client that spends its minute on daemon a finds its bucket
    empty on daemon b, not a second minute's worth."""
    limit = 60          # one a second refills
    f = fleet(2, sink, {"server": {"trusted_proxies": "127.0.0.1"},
                        "ratelimit": {"address_per_minute": str(limit)}})
    a, b = f.daemons
    Business(a, "shared-limit.example.com")
    client = {"X-Forwarded-For": "198.51.100.23"}

    def page(d):
        return d.get("/b/shared-limit.example.com", headers=client)
    served = 0
    while served < 3 * limit:
        r = page(a)
        if r.status_code != 200:
            break
        served += 1
    assert r.status_code == 429 and served >= limit, (served, r.text)
    emptied = time.monotonic()          # a's bucket: empty now
    # a's spending reaches the table, then b's bucket
    wait_for(lambda: f.count("SELECT count(*) FROM rate_limit_debts "
                             "WHERE debt > 0") == 1,
             what="a's spending shared")
    assert f.count("SELECT count(*) FROM rate_limit_debts WHERE key LIKE "
                   "'%198.51%'") == 0          # a keyed hash, no address
    page(b)             # b's bucket exists from now and is shared
    time.sleep(2.5)     # two rounds of b's: it reads a's debt
    statuses = [page(b).status_code for _ in range(20)]
    # what refilled since a emptied the bucket (one a second, and b's
    # first request), not 20 fresh ones
    refilled = time.monotonic() - emptied + 2
    assert statuses.count(200) <= refilled, (statuses, refilled)
    assert 429 in statuses, statuses
    for d in (a, b):
        assert "ratelimit: sharing failed" not in d.stderr()
        assert "cannot delete idle debts" not in d.stderr()
    # another client is not touched
    r = b.get("/b/shared-limit.example.com",
              headers={"X-Forwarded-For": "198.51.100.99"})
    assert r.status_code == 200, r.text
