"""The outbox and the mailer: maildir, SMTP, retries, crash recovery."""
import email
import email.policy
import os
import signal
from concurrent.futures import ThreadPoolExecutor

from conftest import assert_error, wait_for


def queue_test_mail(daemon, **fields):
    r = daemon.admin("POST", "/v1/admin/mail/test", json=fields)
    assert r.status_code == 202, r.text
    return r.json()["id"]


def outbox_row(daemon, row_id):
    r = daemon.admin("GET", "/v1/admin/outbox?perPage=100")
    assert r.status_code == 200
    for row in r.json()["outbox"]:
        if row["id"] == row_id:
            return row
    raise AssertionError("no outbox row " + row_id)


def check_headers(msg, row_id, to, to_name, subject):
    assert msg["Message-ID"] == "<%s@localhost>" % row_id
    assert msg["Date"].datetime is not None
    assert msg["From"].addresses[0].addr_spec == "noreply@localhost"
    assert msg["To"].addresses[0].addr_spec == to
    assert msg["To"].addresses[0].display_name == to_name
    assert msg["Subject"] == subject
    assert msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p for p in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    for part in parts.values():
        assert part.get_content_charset() == "utf-8"
    return parts


def test_mail_test_reaches_the_maildir(daemon):
    row_id = queue_test_mail(daemon, to="ops@example.com",
                             toName="Örsted <Ops>", subject="Prüfung ✓ ok")
    new = daemon.dir / "mail" / "new"
    files = wait_for(lambda: list(new.iterdir()), what="a maildir file")
    assert len(files) == 1
    assert list((daemon.dir / "mail" / "tmp").iterdir()) == []
    raw = files[0].read_bytes()
    assert b"Pr\xc3\xbcfung" not in raw         # RFC 2047, not raw UTF-8
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = check_headers(msg, row_id, "ops@example.com", "Örsted <Ops>",
                          "Prüfung ✓ ok")
    assert "Hello Örsted <Ops>" in parts["text/plain"].get_content()
    # the HTML part escapes what we put in it
    assert "Örsted &lt;Ops&gt;" in parts["text/html"].get_content()
    row = wait_for(lambda: outbox_row(daemon, row_id)["status"] ==
                   "delivered" and outbox_row(daemon, row_id))
    assert row["attempts"] == 1 and row["deliveredAt"]


def test_templates_have_locales_with_fallback(daemon):
    queue_test_mail(daemon, to="a@example.com", locale="de-DE")
    queue_test_mail(daemon, to="b@example.com", locale="xx")
    new = daemon.dir / "mail" / "new"
    files = wait_for(lambda: len(list(new.iterdir())) == 2 and
                     list(new.iterdir()))
    subjects = sorted(email.message_from_bytes(
        f.read_bytes(), policy=email.policy.default)["Subject"]
        for f in files)
    assert subjects == ["reviewd test message", "reviewd-Testnachricht"]


def test_mail_test_over_smtp(make_daemon, smtp_sink):
    sink = smtp_sink()
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port}})
    row_id = queue_test_mail(d, to="ops@example.com", toName="Ops Team")
    wait_for(lambda: sink.count() == 1, what="the SMTP sink")
    envelope = sink.messages[0]
    assert envelope.mail_from == "noreply@localhost"
    assert envelope.rcpt_tos == ["ops@example.com"]
    check_headers(sink.parsed()[0], row_id, "ops@example.com", "Ops Team",
                  "reviewd test message")


def test_smtp_down_then_back_delivers_once(make_daemon, smtp_sink):
    sink = smtp_sink(start=False)       # its port refuses for now
    d = make_daemon({"mail": {"transport": "smtp",
                              "smtp_url": "smtp://127.0.0.1:%d" % sink.port}})
    row_id = queue_test_mail(d, to="ops@example.com")
    row = wait_for(lambda: (lambda r: r["attempts"] >= 1 and
                            r["status"] == "pending" and r)(
        outbox_row(d, row_id)), what="a failed attempt")
    assert row["lastError"]
    assert row["nextAttemptAt"] > row["createdAt"]
    sink.start()
    assert sink.count() == 0
    d.advance_clock(3600)
    wait_for(lambda: outbox_row(d, row_id)["status"] == "delivered",
             what="delivery after the server came back")
    d.advance_clock(3600)
    d.wait_outbox_idle()        # a row still due would go out first
    ids = [m["Message-ID"] for m in sink.parsed()]
    assert ids == ["<%s@localhost>" % row_id]


def test_header_injection_is_refused(daemon):
    before = len(daemon.admin("GET", "/v1/admin/outbox").json()["outbox"])
    cases = [
        ({"to": "a@example.com\r\nBcc: victim@example.com"}, "to"),
        ({"to": "a@example.com", "toName": "X\r\nBcc: v@example.com"},
         "toName"),
        ({"to": "a@example.com", "subject": "Hi\nBcc: v@example.com"},
         "subject"),
        ({"to": "a@example.com", "toName": "X\rY"}, "toName"),
        ({"to": "not-an-address"}, "to"),
        ({"to": "a@example.com", "subject": 5}, "subject"),
        ({}, "to"),
    ]
    for body, field in cases:
        r = daemon.admin("POST", "/v1/admin/mail/test", json=body)
        assert_error(r, 400, field)
    assert len(daemon.admin("GET", "/v1/admin/outbox").json()["outbox"]) \
        == before


def test_admin_outbox_filters_and_retry_errors(daemon):
    assert_error(daemon.admin("GET", "/v1/admin/outbox?status=lost"), 400,
                 "status")
    assert_error(daemon.admin("GET", "/v1/admin/outbox?kind=fax"), 400,
                 "kind")
    r = daemon.admin("POST", "/v1/admin/outbox/ffffffffffffffffffffffff/"
                     "retry")
    assert_error(r, 404)
    row_id = queue_test_mail(daemon, to="ops@example.com")
    wait_for(lambda: outbox_row(daemon, row_id)["status"] == "delivered")
    assert_error(daemon.admin("POST", "/v1/admin/outbox/%s/retry" % row_id),
                 409)
    r = daemon.admin("GET", "/v1/admin/outbox?status=delivered&kind=email")
    assert [row["id"] for row in r.json()["outbox"]] == [row_id]


def test_kill9_while_delivering_loses_nothing(make_daemon, smtp_sink):
    sink = smtp_sink()
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port},
                     "outbox": {"batch_size": "50"}})
    total = 1000

    def queue(i):
        return queue_test_mail(d, to="user%d@example.com" % i)
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(queue, range(total)))
    assert len(ids) == total
    wait_for(lambda: sink.count() >= 100, what="deliveries to start")
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    assert sink.count() < total, "finished before the kill: nothing shown"
    d.stderr_file.close()
    d.stdout_file.close()
    d.start()
    d.advance_clock(120)            # leases of the killed process expire

    def delivered():
        con = d.sql()
        try:
            return con.execute("SELECT count(*) FROM outbox WHERE "
                               "status = 'delivered'").fetchone()[0]
        finally:
            con.close()
    wait_for(lambda: delivered() == total, timeout=180,
             what="every message delivered")
    seen = [m["Message-ID"] for m in sink.parsed()]
    expected = {"<%s@localhost>" % i for i in ids}
    assert set(seen) == expected
    assert len(seen) - len(set(seen)) <= 50


def test_smtp_auth(make_daemon, smtp_sink):
    sink = smtp_sink(credentials=("mailer", "s3cret"))
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port,
                              "smtp_user": "mailer",
                              "smtp_password": "s3cret"}})
    row_id = queue_test_mail(d, to="ops@example.com")
    wait_for(lambda: outbox_row(d, row_id)["status"] == "delivered")
    assert sink.count() == 1 and sink.logins == ["mailer"]


def test_smtp_wrong_password_is_not_delivered(make_daemon, smtp_sink):
    sink = smtp_sink(credentials=("mailer", "s3cret"))
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port,
                              "smtp_user": "mailer",
                              "smtp_password": "wrong", "timeout_s": "3"}})
    row_id = queue_test_mail(d, to="ops@example.com")
    row = wait_for(lambda: (lambda r: r["attempts"] >= 1 and
                            r["status"] != "delivering" and r)(
        outbox_row(d, row_id)))
    # refused logins are retried: the messages wait for fixed credentials
    assert row["status"] == "pending" and row["lastError"]
    assert sink.count() == 0


def test_starttls_required_refuses_a_plaintext_server(make_daemon,
                                                      smtp_sink):
    sink = smtp_sink()
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port,
                              "starttls": "required"}})
    row_id = queue_test_mail(d, to="ops@example.com")
    row = wait_for(lambda: (lambda r: r["attempts"] >= 1 and
                            r["status"] == "pending" and r)(
        outbox_row(d, row_id)))
    assert row["lastError"]
    assert sink.count() == 0
