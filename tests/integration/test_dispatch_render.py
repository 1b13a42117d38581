"""Dispatch renders each batch of due invitations outside any transaction
and records it in one short one: every invitation of a large batch
arrives once, under its own Message-ID, and is `sent`; a cancellation
that commits while a batch is being rendered wins (no e-mail goes out for
a cancelled invitation)."""
import email
import email.policy
import os
import time

from conftest import Business, wait_for
from test_invitations import create, inv
from test_security_mail import (UNSUB, db_write, parts, plain_hash, sent_to,
                                template)


def query(daemon, sql):
    con = daemon.sql(30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def queue_due(d, shop, emails):
    """Uploads emails as invitations due in an hour (nothing sent yet)."""
    now_ms = d.admin("GET", "/v1/admin/clock").json()["nowMs"]
    send = time.strftime("%Y-%m-%dT%H:%M:%S",
                         time.gmtime(now_ms / 1000 + 3600))
    data = "email,name,reference,preferredSendTime\n" + "".join(
        "%s,Customer %d,REF-%d,%s\n" % (e, i, i, send)
        for i, e in enumerate(emails))
    r = shop.private("POST", "/v1/private/business-units/%s/invitations/csv"
                     % shop.id, data=data.encode(), timeout=300,
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 201, r.text


def maildir_messages(d):
    """(Message-ID, To address) of each message in new/."""
    new = d.dir / "mail" / "new"
    out = []
    for name in os.listdir(new):
        with open(new / name, "rb") as f:
            msg = email.message_from_binary_file(f,
                                                 policy=email.policy.default)
        out.append((msg["Message-ID"], msg["To"].addresses[0].addr_spec))
    return out


def test_a_batch_of_2000_arrives_once_each_and_is_sent(make_daemon):
    d = make_daemon({"invitations": {"daily_limit_per_unit": "0"}})
    shop = Business(d, "render.example.com")
    total = 2000
    emails = ["r%d@example.com" % i for i in range(total)]
    queue_due(d, shop, emails)
    assert os.listdir(d.dir / "mail" / "new") == []
    d.advance_clock(7200)

    def sent():
        return query(d, "SELECT count(*) FROM invitations "
                     "WHERE status = 'sent'")[0][0]
    wait_for(lambda: sent() == total, timeout=300,
             what="every invitation sent")
    d.wait_outbox_idle(timeout=60)
    assert query(d, "SELECT status, count(*) FROM invitations "
                 "GROUP BY status") == [("sent", total)]
    msgs = maildir_messages(d)
    assert len(msgs) == total
    assert len({mid for mid, _ in msgs}) == total    # distinct Message-IDs
    assert sorted(to for _, to in msgs) == sorted(emails)
    rows = query(d, "SELECT status, count(*) FROM outbox "
                 "WHERE owner LIKE 'invitation:%' GROUP BY status")
    assert rows == [("delivered", total)]
    assert os.listdir(d.dir / "mail" / "tmp") == []


def test_cancel_queued_during_dispatch_wins(make_daemon):
    """Small dispatch batches, a cancellation while they run: each
    invitation ends sent (one e-mail) or cancelled (none), never both."""
    d = make_daemon({"invitations": {"daily_limit_per_unit": "0",
                                     "dispatch_batch": "50"}})
    shop = Business(d, "cancel.example.com")
    total = 3000
    emails = ["k%d@example.com" % i for i in range(total)]
    queue_due(d, shop, emails)
    d.advance_clock(7200)
    wait_for(lambda: query(d, "SELECT count(*) FROM invitations WHERE "
                       "status IN ('sending', 'sent')")[0][0] > 0,
             interval=0.01, what="the dispatch to start")
    r = shop.private("POST", "/v1/private/business-units/%s/invitations/"
                     "cancel-queued" % shop.id)
    assert r.status_code == 200, r.text
    cancelled = r.json()["cancelled"]
    assert 0 < cancelled < total, "the dispatch was not under way"

    def settled():
        return query(d, "SELECT count(*) FROM invitations WHERE status "
                     "IN ('queued', 'sending')")[0][0] == 0
    wait_for(settled, timeout=300, what="every invitation settled")
    d.wait_outbox_idle(timeout=60)
    by_status = dict(query(d, "SELECT status, count(*) FROM invitations "
                           "GROUP BY status"))
    assert by_status == {"sent": total - cancelled, "cancelled": cancelled}
    sent_to = sorted(e for (e,) in query(
        d, "SELECT consumer_email FROM invitations WHERE status = 'sent'"))
    msgs = maildir_messages(d)
    assert sorted(to for _, to in msgs) == sent_to
    # a cancellation committed after the batch was read and before it
    # was recorded leaves nothing behind: no outbox row either
    assert query(d, "SELECT count(*) FROM outbox o JOIN invitations i "
                 "ON o.owner = 'invitation:' || i.id "
                 "WHERE i.status = 'cancelled'") == [(0,)]


def test_each_invitation_gets_its_own_template_across_a_read(make_daemon):
    """One read takes several batches, rendered by helper threads while
    the batches before are recorded, and copies each business template
    once: invitations with two templates of the business (one near the
    64 KiB limit) and the built-in one, interleaved over 6 batches of 20,
    each get their own subject and body, once."""
    d = make_daemon({"invitations": {"daily_limit_per_unit": "0",
                                     "dispatch_batch": "20"}})
    shop = Business(d, "templates.example.com")
    filler = "<p>" + "Thank you for shopping with us. " * 1900 + "</p>"
    tids = [template(shop, '<p>Alpha {{name}}</p><p><a href="{{link}}">'
                     'Review</a></p>' + filler,
                     subject="Alpha {{name}}").json()["id"],
            template(shop, '<p>Beta {{name}}</p><p><a href="{{link}}">'
                     'Review</a></p>', subject="Beta {{name}}").json()["id"],
            None]
    now_ms = d.admin("GET", "/v1/admin/clock").json()["nowMs"]
    send = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                         time.gmtime(now_ms / 1000 + 3600))
    total = 200
    for i in range(total):
        sri = {"preferredSendTime": send}
        if tids[i % 3] is not None:
            sri["templateId"] = tids[i % 3]
        r = create(shop, inv(email="t%d@example.com" % i, name="Cust %d" % i,
                             ref="T-%d" % i, serviceReviewInvitation=sri))
        assert r.status_code in (201, 202), r.text
    d.advance_clock(7200)
    wait_for(lambda: query(d, "SELECT count(*) FROM invitations "
                       "WHERE status = 'sent'")[0][0] == total,
             timeout=120, what="every invitation sent")
    new = d.dir / "mail" / "new"
    seen = set()
    for name in os.listdir(new):
        with open(new / name, "rb") as f:
            msg = email.message_from_binary_file(f,
                                                 policy=email.policy.default)
        to = msg["To"].addresses[0].addr_spec
        i = int(to[1:].split("@")[0])
        seen.add(i)
        html = msg.get_body(("html",)).get_content()
        if i % 3 == 0:
            assert msg["Subject"] == "Alpha Cust %d" % i
            assert "<p>Alpha Cust %d</p>" % i in html and filler in html
        elif i % 3 == 1:
            assert msg["Subject"] == "Beta Cust %d" % i
            assert "<p>Beta Cust %d</p>" % i in html
            assert "Thank you for shopping" not in html
        else:
            assert "Alpha" not in msg["Subject"] and \
                "Beta" not in msg["Subject"]
            assert "Thank you for shopping" not in html
    assert seen == set(range(total))
    assert os.listdir(d.dir / "mail" / "tmp") == []


def test_an_address_that_unsubscribed_after_queueing_is_skipped(
        make_daemon):
    """The rendering threads hash the addresses under the unsubscribe
    secret and the batch's transaction looks them up: an invitation queued
    before its address unsubscribed is skipped at dispatch, so is one
    whose address is in a row stored before the secret (a bare hash,
    re-keyed then), and the others of the read are sent."""
    d = make_daemon({"invitations": {"daily_limit_per_unit": "0",
                                     "repeat_period_days": "0"}})
    shop = Business(d, "leaving.example.com")
    r = create(shop, inv(email="Leaver@example.com", ref="NOW"))
    assert r.status_code == 201, r.text
    wait_for(lambda: sent_to(d, "Leaver@example.com"), what="the mail")
    now_ms = d.admin("GET", "/v1/admin/clock").json()["nowMs"]
    send = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                         time.gmtime(now_ms / 1000 + 3600))
    later = ["leaver@example.com", "legacy@example.com"] + [
        "s%d@example.com" % i for i in range(150)]
    ids = {}
    for i, e in enumerate(later):
        r = create(shop, inv(email=e, ref="Q-%d" % i,
                             serviceReviewInvitation={
                                 "preferredSendTime": send}))
        assert r.status_code == 201 and r.json()["status"] == "queued", \
            r.text
        ids[e] = r.json()["id"]
    text, _ = parts(sent_to(d, "Leaver@example.com")[0])
    r = d.post(d.link(UNSUB, text), data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200, r.text
    db_write(d, "INSERT INTO unsubscribes (business_unit_id, address_hash, "
             "created_at) VALUES (?, ?, 0)", shop.id,
             plain_hash("legacy@example.com"))
    d.advance_clock(7200)
    wait_for(lambda: query(d, "SELECT count(*) FROM invitations WHERE "
                       "status IN ('queued', 'sending')")[0][0] == 0,
             timeout=60, what="the dispatch")
    rows = dict(query(d, "SELECT id, status || ': ' || "
                      "coalesce(skip_reason, '') FROM invitations"))
    for e in later[:2]:
        assert rows[ids[e]] == "skipped: the address unsubscribed from " \
            "this business's invitations"
    assert all(rows[ids[e]] == "sent: " for e in later[2:])
    hashes = [h for (h,) in query(d, "SELECT address_hash FROM unsubscribes")]
    assert len(hashes) == 2 and plain_hash("legacy@example.com") not in \
        hashes
    assert len(sent_to(d, "Leaver@example.com")) == 1   # the first only
