"""The maildir path of dispatch: the scheduler writes each batch of due
invitations into the maildir itself (tmp/, one syncfs, the renames inside
the transaction that records the batch sent) and keeps no message body in
the outbox. Each e-mail is named after its invitation, so a batch sent
again after a kill -9 replaces its messages instead of doubling them, and
the links in new/ are the ones recorded. When the maildir fails, the
outbox path takes the batches, and nothing is lost or doubled."""
import email
import email.policy
import os
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import PG, Business, wait_for
from test_dispatch_render import queue_due as queue_csv
from test_invitations import create, inv

LINK = r"/evaluate-link/[A-Za-z0-9_-]{43}"


def queue_due(d, shop, emails):
    """Queues emails as invitations due in an hour (nothing sent yet):
    through the CSV upload, or on PostgreSQL (whose CSV upload is not
    this test's subject) one request each."""
    if PG:
        now_ms = d.admin("GET", "/v1/admin/clock").json()["nowMs"]
        send = time.strftime("%Y-%m-%dT%H:%M:%S",
                             time.gmtime(now_ms / 1000 + 3600))

        def one(i):
            r = create(shop, inv(email=emails[i], name="Customer %d" % i,
                                 ref="REF-%d" % i,
                                 serviceReviewInvitation={
                                     "preferredSendTime": send + "Z"}))
            assert r.status_code in (201, 202), r.text
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, range(len(emails))))
        return
    queue_csv(d, shop, emails)


def messages(d):
    """{maildir name: parsed message} of new/."""
    new = d.dir / "mail" / "new"
    out = {}
    for name in os.listdir(new):
        with open(new / name, "rb") as f:
            out[name] = email.message_from_binary_file(
                f, policy=email.policy.default)
    return out


def check_delivered_once(d, emails):
    """Every address has one message in new/, named after its outbox row,
    which is delivered and keeps the envelope only; tmp/ is empty."""
    msgs = messages(d)
    rows = d.outbox_rows("delivered")
    assert sorted(msgs) == sorted(row["id"] + ".reviewd" for row in rows)
    assert sorted(m["To"].addresses[0].addr_spec for m in msgs.values()) \
        == sorted(emails)
    for row in rows:
        assert row["payload"]["to"] in emails
        assert "subject" in row["payload"]
        assert not {"text", "html", "headers"} & set(row["payload"])
    for name, m in msgs.items():
        assert m["Message-ID"] == "<%s@localhost>" % name[:-len(".reviewd")]
    assert os.listdir(d.dir / "mail" / "tmp") == []
    return msgs, rows


def test_kill9_in_a_5k_dispatch_sends_each_invitation_once(make_daemon):
    d = make_daemon({"invitations": {"daily_limit_per_unit": "0",
                                     "dispatch_batch": "500"}})
    shop = Business(d, "direct.example.com")
    total = 5000
    emails = ["m%d@example.com" % i for i in range(total)]
    queue_due(d, shop, emails)
    new = d.dir / "mail" / "new"
    d.advance_clock(7200)
    wait_for(lambda: len(os.listdir(new)) >= 1000, timeout=120,
             interval=0.01, what="the dispatch to be under way")
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    assert len(os.listdir(new)) < total, "finished before the kill"
    d.stderr_file.close()
    d.stdout_file.close()
    d.start()
    wait_for(lambda: len(os.listdir(new)) >= total and
             d.outbox_idle(), timeout=300, what="every invitation sent")
    wait_for(lambda: len(d.outbox_rows("delivered")) == total,
             timeout=60, what="every e-mail recorded")
    msgs, rows = check_delivered_once(d, emails)
    # nothing went through the lane: each row was written delivered
    assert {row["attempts"] for row in rows} == {1}
    assert d.outbox_rows("pending") == [] and \
        d.outbox_rows("delivering") == []
    r = shop.private("GET", "/v1/private/business-units/%s/invitations"
                     % shop.id, params={"status": "queued", "perPage": 1})
    assert r.json()["invitations"] == []
    # the links in new/, including any replaced after the kill, are the
    # recorded ones
    for m in random.sample(list(msgs.values()), 25):
        text = m.get_body(preferencelist=("plain",)).get_content()
        path = d.link(LINK, text)
        assert d.get(path).status_code == 200, path
    assert d.get("/evaluate-link/" + "A" * 43).status_code != 200


@pytest.mark.parametrize("broken,batch", [("new", 40), ("tmp", 200)])
def test_a_failing_maildir_hands_the_batches_to_the_outbox(make_daemon,
                                                           broken, batch):
    """new/ cannot take a batch (the renames fail), or tmp/ cannot take a
    message (in every rendering thread of a batch of 200): nothing is
    recorded, the outbox path takes over (rows pending, retried with
    backoff), and once the folder is back each invitation arrives once,
    under its own id."""
    d = make_daemon({"invitations": {"daily_limit_per_unit": "0",
                                     "dispatch_batch": str(batch)},
                     "outbox": {"batch_size": "25"}})
    shop = Business(d, "failing.example.com")
    total = 300 if broken == "tmp" else 100
    emails = ["f%d@example.com" % i for i in range(total)]
    queue_due(d, shop, emails)
    new = d.dir / "mail" / broken
    away = d.dir / "mail" / (broken + ".away")
    os.rename(new, away)
    new.write_text("")          # a file, not a directory: writes fail
    try:
        d.advance_clock(7200)
        wait_for(lambda: "the outbox sends invitations" in d.stderr(),
                 what="the maildir path to give way")
        # every row tried once by the outbox path (into the same maildir,
        # which still refuses it) before new/ comes back
        wait_for(lambda: len([r for r in d.outbox_rows("pending")
                              if r["attempts"] >= 1]) == total,
                 timeout=120, what="every invitation tried by the outbox")
        assert d.outbox_rows("delivered") == []
    finally:
        new.unlink()
        os.rename(away, new)
    d.advance_clock(3600)
    wait_for(lambda: len(d.outbox_rows("delivered")) == total,
             timeout=120, what="every row delivered")
    msgs, rows = check_delivered_once(d, emails)
    assert all(row["attempts"] >= 2 for row in rows)   # one failed first


def test_a_maildir_failing_in_the_middle_of_a_round(make_daemon):
    """A round reads several batches: the rename of one message of its
    second batch fails. The first batch stays delivered; nothing of the
    second and later batches is recorded or left in tmp/; the outbox
    takes them, and once the maildir is back each invitation arrives
    once."""
    if PG:
        pytest.skip("a round is one batch on PostgreSQL (row claims)")
    d = make_daemon({"invitations": {"daily_limit_per_unit": "0",
                                     "dispatch_batch": "100"},
                     "outbox": {"batch_size": "25"}})
    shop = Business(d, "midway.example.com")
    total = 300
    emails = ["w%d@example.com" % i for i in range(total)]
    queue_due(d, shop, emails)
    con = d.sql(10)
    try:        # the order of the round's read: send time, then insertion
        ids = [i for (i,) in con.execute(
            "SELECT id FROM invitations WHERE status = 'queued' "
            "ORDER BY send_at, rowid")]
    finally:
        con.close()
    assert len(ids) == total
    blocker = d.dir / "mail" / "new" / (ids[150] + ".reviewd")
    (blocker / "x").mkdir(parents=True)     # a rename onto it fails
    d.advance_clock(7200)
    wait_for(lambda: "the outbox sends invitations" in d.stderr(),
             what="the maildir path to give way")

    def status():
        con = d.sql(10)
        try:
            return dict(con.execute("SELECT id, status FROM invitations"))
        finally:
            con.close()
    wait_for(lambda: "queued" not in status().values(), timeout=120,
             what="every invitation taken")
    first = status()
    assert all(first[i] == "sent" for i in ids[:100])
    assert first[ids[150]] == "sending"
    wait_for(lambda: any(r["id"] == ids[150] and r["lastError"]
                         for r in d.outbox_rows("pending")),
             timeout=60, what="the outbox's try to fail on it too")
    (blocker / "x").rmdir()
    blocker.rmdir()
    d.advance_clock(3600)
    wait_for(lambda: len(d.outbox_rows("delivered")) == total,
             timeout=120, what="every row delivered")
    check_delivered_once(d, emails)
    assert set(status().values()) == {"sent"}
