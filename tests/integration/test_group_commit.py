"""The single writer's group commit (writer.h): concurrent writes share one
commit, one request's failure leaves the others of its group standing,
and a write that was answered survives kill -9."""
import re
import signal
import threading

import requests

import pytest

from conftest import PG, Business, wait_for

# on PostgreSQL: nothing to check (said in the reason)
SQLITE_ONLY = pytest.mark.skipif(PG, reason=(
    "the SQLite writer thread's group commit (writer.c); on "
    "PostgreSQL each worker commits on its own connection"))

BU_PATH = "/v1/private/business-units/%s"

WRITERS = 16


def unlimited(make_daemon, **more):
    overrides = {"ratelimit": {"app_per_minute": "0",
                               "address_per_minute": "0"},
                 "log": {"level": "debug"}}
    overrides.update(more)
    return make_daemon(overrides)


def invitation(ref):
    return {"consumerEmail": "%s@example.net" % ref, "consumerName": "C",
            "referenceNumber": ref, "locale": "en-US",
            "serviceReviewInvitation": {"tags": ["group"]}}


def stored_refs(d):
    con = d.sql()
    try:
        return {r[0] for r in con.execute(
            "SELECT reference_number FROM invitations")}
    finally:
        con.close()


def write_until(shop, stop, acked, errors, prefix):
    """Creates invitations until stop is set; their references answered
    2xx go to acked."""
    s = requests.Session()
    token = shop.token()
    url = shop.daemon.url((BU_PATH + "/email-invitations") % shop.id)
    n = 0
    while not stop.is_set():
        ref = "%s-%d" % (prefix, n)
        n += 1
        try:
            r = s.post(url, json=invitation(ref), timeout=30, headers={
                "Authorization": "Bearer " + token,
                "Prefer": "return=representation"})
        except requests.RequestException:
            return
        if r.status_code in (200, 201, 202):
            acked.append(ref)
        else:
            errors.append((r.status_code, r.text))


def run_writers(shops, seconds=None, until=None):
    stop = threading.Event()
    acked, errors = [], []
    threads = [threading.Thread(target=write_until, args=(
        shops[i % len(shops)], stop, acked, errors, "w%d" % i))
        for i in range(WRITERS)]
    for t in threads:
        t.start()
    try:
        if until is not None:
            until(acked)
        else:
            stop.wait(seconds)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    return acked, errors


@SQLITE_ONLY
def test_concurrent_writes_share_commits(make_daemon):
    d = unlimited(make_daemon)
    shops = [Business(d, "group-%d.example.com" % i) for i in range(4)]
    acked, errors = run_writers(shops, until=lambda a: wait_for(
        lambda: len(a) >= 400, timeout=300, what="400 writes"))
    assert errors == []
    assert set(acked) <= stored_refs(d)
    groups = [int(n) for n in re.findall(r"writer: group of (\d+)",
                                         d.stderr())]
    # every answered write went through the writer, and 16 writers
    # waiting together shared commits
    assert sum(groups) >= len(acked)
    assert max(groups) > 1, groups[:50]
    assert len(groups) < sum(groups)


@SQLITE_ONLY
def test_a_failing_request_leaves_its_group_standing(make_daemon):
    d = unlimited(make_daemon)
    shop = Business(d, "mixed.example.com")
    results = []

    def good(i):
        r = shop.private("POST", (BU_PATH + "/email-invitations") % shop.id,
                         json=invitation("ok-%d" % i))
        results.append(("ok-%d" % i, r.status_code))

    def bad(i):
        # a reply to a review that does not exist: 404 after the
        # handler has begun its transaction
        r = shop.private("POST", "/v1/private/reviews/%024x/reply" % i,
                         json={"message": "thanks"})
        results.append(("bad", r.status_code))

    threads = [threading.Thread(target=good if i % 2 else bad, args=(i,))
               for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted({s for k, s in results if k == "bad"}) == [404]
    oks = [k for k, s in results if k != "bad"]
    assert len(oks) == 32
    assert all(s in (200, 201, 202) for k, s in results if k != "bad")
    assert set(oks) <= stored_refs(d)


def test_answered_writes_survive_kill_9(make_daemon):
    d = unlimited(make_daemon)
    shops = [Business(d, "kill-%d.example.com" % i) for i in range(2)]

    def kill_after_some(acked):
        wait_for(lambda: len(acked) >= 300, timeout=300, what="300 writes")
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(30)

    acked, errors = run_writers(shops, until=kill_after_some)
    assert errors == []
    d.start()
    stored = stored_refs(d)
    lost = [ref for ref in acked if ref not in stored]
    assert lost == [], "%d answered writes lost: %s" % (len(lost), lost[:10])
    assert len(acked) >= 300
