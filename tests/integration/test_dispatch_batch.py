"""Batch dispatch into the maildir: invitations become outbox rows a batch
to a transaction, and the outbox delivers a batch with one fsync pass and
one commit. A kill -9 in the middle loses nothing and repeats at most the
batch in flight, under the same Message-IDs and maildir names."""
import email
import email.policy
import os
import signal
import time

from conftest import Business, wait_for

BATCH = 200


def query(daemon, sql):
    con = daemon.sql(30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_kill9_in_a_large_batch_delivers_each_invitation_once(
        make_daemon):
    d = make_daemon({"outbox": {"batch_size": str(BATCH)},
                     "invitations": {"daily_limit_per_unit": "0"}})
    shop = Business(d, "batch.example.com")
    total = 5000
    now_ms = d.admin("GET", "/v1/admin/clock").json()["nowMs"]
    send = time.strftime("%Y-%m-%dT%H:%M:%S",
                         time.gmtime(now_ms / 1000 + 3600))
    emails = ["c%d@example.com" % i for i in range(total)]
    data = "email,name,reference,preferredSendTime\n" + "".join(
        "%s,Customer %d,REF-%d,%s\n" % (e, i, i, send)
        for i, e in enumerate(emails))
    r = shop.private("POST", "/v1/private/business-units/%s/invitations/csv"
                     % shop.id, data=data.encode(), timeout=300,
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    new = d.dir / "mail" / "new"
    tmp = d.dir / "mail" / "tmp"
    assert os.listdir(new) == []
    d.advance_clock(7200)
    wait_for(lambda: len(os.listdir(new)) >= 2 * BATCH, timeout=120,
             interval=0.01, what="deliveries to start")
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    at_kill = len(os.listdir(new))
    assert at_kill < total, "finished before the kill: nothing shown"
    d.stderr_file.close()
    d.stdout_file.close()
    d.start()
    d.advance_clock(120)            # leases of the killed process expire

    def sent():
        return query(d, "SELECT count(*) FROM invitations "
                     "WHERE status = 'sent'")[0][0]
    wait_for(lambda: sent() == total, timeout=300,
             what="every invitation sent")
    d.wait_outbox_idle(timeout=60)

    rows = query(d, "SELECT public_id, status, attempts FROM outbox "
                 "WHERE owner LIKE 'invitation:%'")
    assert len(rows) == total                   # one e-mail each
    assert {status for _, status, _ in rows} == {"delivered"}
    # only the batch in flight at the kill was sent a second time
    assert all(1 <= attempts <= 2 for _, _, attempts in rows)
    assert sum(1 for _, _, attempts in rows if attempts == 2) <= BATCH
    names = sorted(os.listdir(new))
    assert names == sorted(row_id + ".reviewd" for row_id, _, _ in rows)
    assert os.listdir(tmp) == []
    to = []
    for name in names:
        with open(new / name, "rb") as f:
            msg = email.message_from_binary_file(f,
                                                 policy=email.policy.default)
        assert msg["Message-ID"] == "<%s@localhost>" % name[:-8]
        to.append(msg["To"].addresses[0].addr_spec)
    assert sorted(to) == sorted(emails)         # every address once


def test_a_failing_maildir_retries_the_whole_batch(make_daemon):
    """new/ cannot take the batch: nothing is recorded delivered, every
    row is retried, and once new/ is back each arrives once."""
    d = make_daemon({"outbox": {"batch_size": "20"}})
    new = d.dir / "mail" / "new"
    away = d.dir / "mail" / "new.away"
    os.rename(new, away)
    new.write_text("")          # a file, not a directory: renames fail
    try:
        ids = []
        for i in range(30):
            r = d.admin("POST", "/v1/admin/mail/test",
                        json={"to": "u%d@example.com" % i})
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        wait_for(lambda: len(d.outbox_rows("pending")) == 30 and all(
            row["attempts"] == 1 and row["lastError"]
            for row in d.outbox_rows("pending")),
            what="every row back to pending after a failed flush")
        assert d.outbox_rows("delivered") == []
    finally:
        new.unlink()
        os.rename(away, new)
    d.advance_clock(3600)
    wait_for(lambda: len(d.outbox_rows("delivered")) == 30,
             what="every row delivered")
    assert sorted(os.listdir(new)) == sorted(i + ".reviewd" for i in ids)
    assert os.listdir(d.dir / "mail" / "tmp") == []


def test_unflushed_messages_do_not_outlive_a_restart(make_daemon):
    """A batch written to tmp/ but never flushed (a crash) leaves files
    holding whole messages; the next start removes ours (their rows are
    sent again or were erased) and nothing else."""
    d = make_daemon(start=False)
    tmp = d.dir / "mail" / "tmp"
    tmp.mkdir(parents=True)
    ours = tmp / "0123456789abcdef01234567.reviewd"
    ours.write_text("Subject: left by a crash\n\nreview token\n")
    other = tmp / "1700000000.M1P2.host"
    other.write_text("Subject: another program's\n\n")
    d.start()
    assert not ours.exists()
    assert other.exists()
    wait_for(lambda: "removed unflushed tmp/" in d.stderr(),
             what="the removal logged")
