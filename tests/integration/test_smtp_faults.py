"""SMTP faults (issue 16, defects 4 and 5): a refusal that is not about the
message pauses the e-mail lane instead of killing the queue; slow servers
get each message once; a batch goes over one connection."""
import re
import socket
import threading
import time

import pytest

from conftest import Business, wait_for


class FaultySmtp:
    """A small SMTP server on loopback whose faults the test sets while it
    runs: the greeting, the reply to MAIL FROM, a delay before the reply
    to the end of DATA. Counts connections and keeps every message."""

    def __init__(self):
        self.greeting = "220 faulty.test ESMTP"
        self.mail_reply = "250 2.1.0 OK"
        self.data_delay = 0.0
        self.connections = 0
        self.messages = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = "smtp://127.0.0.1:%d" % self.port
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self.serve, args=(c,),
                             daemon=True).start()

    def serve(self, c):
        try:
            f = c.makefile("rb")

            def say(line):
                c.sendall(line.encode() + b"\r\n")
            say(self.greeting)
            if not self.greeting.startswith("2"):
                return
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    say("250-faulty.test")
                    say("250 8BITMIME")
                elif verb == b"MAIL":
                    reply = self.mail_reply
                    say(reply)
                    if reply.startswith("421"):
                        return
                elif verb == b"DATA":
                    say("354 go ahead")
                    data = b""
                    while True:
                        chunk = f.readline()
                        if not chunk:
                            return
                        if chunk == b".\r\n":
                            break
                        data += chunk
                    time.sleep(self.data_delay)
                    with self.lock:
                        self.messages.append(data)
                    say("250 2.0.0 queued")
                elif verb == b"QUIT":
                    say("221 bye")
                    return
                elif verb in (b"HELO", b"RCPT", b"RSET", b"NOOP"):
                    say("250 OK")
                else:
                    say("502 not implemented")
        except OSError:
            pass
        finally:
            c.close()

    def message_ids(self):
        with self.lock:
            return [re.search(rb"^Message-ID: (\S+)", m, re.M | re.I)
                    .group(1).decode() for m in self.messages]

    def stop(self):
        self.sock.close()


@pytest.fixture
def faulty():
    s = FaultySmtp()
    yield s
    s.stop()


def smtp_daemon(make_daemon, sink, **mail):
    conf = {"transport": "smtp", "smtp_url": sink.url}
    conf.update(mail)
    return make_daemon({"mail": conf, "outbox": {"retry_base_s": "5"}})


def invite(shop, i):
    r = shop.private("POST", "/v1/private/business-units/%s/email-invitations"
                     % shop.id, json={
                         "consumerEmail": "cust%d@example.com" % i,
                         "consumerName": "Cust %d" % i,
                         "referenceNumber": "ORDER-%d" % i,
                         "locale": "en-US",
                         "serviceReviewInvitation": {}},
                     headers={"Prefer": "return=representation"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def invitation(shop, i):
    r = shop.private("GET", "/v1/private/invitations/" + i)
    assert r.status_code == 200, r.text
    return r.json()


def emails(d, status):
    return [r for r in d.outbox_rows(status) if r["kind"] == "email"]


@pytest.mark.parametrize("fault", ["530 MAIL", "554 greeting"])
def test_a_refusal_of_the_session_pauses_mail_and_kills_nothing(
        make_daemon, faulty, fault):
    if fault == "530 MAIL":
        faulty.mail_reply = "530 5.7.0 Authentication required"
    else:
        faulty.greeting = "554 5.3.2 faulty.test not accepting mail"
    d = smtp_daemon(make_daemon, faulty)
    shop = Business(d, "faults.example.com")
    ids = [invite(shop, i) for i in range(5)]
    # every row is tried and put back, none is dead
    wait_for(lambda: emails(d, "pending") and not emails(d, "delivering")
             and any(r["lastError"] for r in emails(d, "pending")),
             what="the first attempt")
    # the lane stays paused across several rounds: after each move every
    # row is due, and the outbox is idle only once the lane has tried
    # them again and put them back for later
    for _ in range(3):
        tried = faulty.connections
        d.advance_clock(3600)
        d.wait_outbox_idle()
        assert faulty.connections > tried, "no round after the move"
    assert emails(d, "dead") == []
    assert len(emails(d, "pending")) == 5
    assert faulty.message_ids() == []
    assert all(invitation(shop, i)["status"] in ("queued", "sending")
               for i in ids)
    code = fault.split()[0]
    r = d.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "degraded", body
    assert code in body["mail"]["reason"], body
    # the log says why once, not once per message or round
    paused = [l for l in d.stderr().splitlines()
              if "outbox: email paused" in l]
    assert len(paused) == 1, paused
    assert code in paused[0]

    # the server recovers: everything goes out, once, over one connection
    faulty.mail_reply = "250 2.1.0 OK"
    faulty.greeting = "220 faulty.test ESMTP"
    before = faulty.connections
    d.advance_clock(3600)
    wait_for(lambda: len(emails(d, "delivered")) == 5, what="the mail")
    assert emails(d, "dead") == []
    assert all(invitation(shop, i)["status"] == "sent" for i in ids)
    assert sorted(faulty.message_ids()) == sorted(
        "<%s@localhost>" % r["id"] for r in emails(d, "delivered"))
    assert faulty.connections - before == 1
    assert d.get("/readyz").json()["status"] == "ok"
    assert "outbox: email resumed" in d.stderr()


def test_a_refused_sender_is_not_the_message(make_daemon, faulty):
    """MAIL FROM names our [mail] from, the same for every message: its
    refusal is the transport's, not this message's failure (a refused
    recipient is: test_invitations.py, undeliverable)."""
    d = smtp_daemon(make_daemon, faulty)
    faulty.mail_reply = "550 5.7.1 sender refused"
    r = d.admin("POST", "/v1/admin/mail/test", json={"to": "a@example.com"})
    assert r.status_code == 202
    wait_for(lambda: any(x["lastError"] for x in emails(d, "pending")),
             what="the refusal")
    assert emails(d, "dead") == []


def test_a_slow_server_gets_each_message_once(make_daemon, faulty):
    """The end of DATA answered after 7 s, with [mail] timeout_s = 5 (the
    wait for the other replies): the wait for that reply is
    [mail] data_timeout_s (RFC 5321 4.5.3.2: 10 minutes), so nothing is
    sent twice."""
    faulty.data_delay = 7
    d = smtp_daemon(make_daemon, faulty, timeout_s="5")
    ids = []
    for i in range(2):
        r = d.admin("POST", "/v1/admin/mail/test",
                    json={"to": "slow%d@example.com" % i})
        assert r.status_code == 202
        ids.append(r.json()["id"])
    wait_for(lambda: len(emails(d, "delivered")) == 2, timeout=120,
             what="both messages")
    d.advance_clock(3600)           # any retry would now be due
    d.wait_scheduler_pass()
    d.wait_outbox_idle(timeout=120)
    assert sorted(faulty.message_ids()) == sorted(
        "<%s@localhost>" % i for i in ids)
    assert all(r["attempts"] == 1 for r in emails(d, "delivered"))
