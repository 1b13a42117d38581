#!/usr/bin/python3
"""The kill -9 campaign (issue 16) against the real daemon on 127.0.0.1.

Usage: run.py [--kills K] [--n N] [--writers W] [--keep]

(a) Dispatch: N invitations are queued for one time, an SMTP sink
    (aiosmtpd, a few ms per message) listens on loopback, the clock is moved
    so they are all due, and the daemon is killed with SIGKILL K times while
    it delivers, started again each time. Then the outbox must drain: every
    invitation's e-mail arrives (distinct recipients = N), and the figures
    are messages delivered, distinct Message-IDs, duplicates (resent after
    a kill, same Message-ID), never arrived, rows not delivered.
(b) Writes: W writer threads create invitations and replace replies to
    published reviews while the daemon is killed K times. Every write
    answered 2xx must be there after the restarts: each acknowledged
    invitation is read back by id; each review's reply must be the last
    acknowledged one or one sent after it (unanswered). The figure is
    acknowledged-and-lost, which must be 0.

Both daemons stop with SIGTERM (exit 0), their stderr free of sanitizer
reports, and their databases pass PRAGMA integrity_check. Exit status 1
when anything acknowledged was lost, a message never arrived, or a check
failed. Reuses tests/integration/conftest.py (Daemon, Business, the SMTP
controller) and reviewkit.py (publishing reviews through the public flow).
"""
import argparse
import asyncio
import email
import email.policy
import os
import pathlib
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
os.environ.setdefault("REVIEWD_BIN", str(ROOT / "build" / "reviewd"))

import requests  # noqa: E402

from conftest import (Business, Daemon, check_sanitizers,  # noqa: E402
                      smtp_controller, stop_controller, wait_for)
import reviewkit  # noqa: E402

BU = "/v1/private/business-units/%s"


class SlowSink:
    """An aiosmtpd sink on loopback that takes delay seconds per message,
    so that a kill lands in the middle of a dispatch. The interface of
    conftest.SmtpSink that reviewkit.mails() reads (parsed()); the
    Message-ID and recipient of each message are read as it arrives."""

    def __init__(self, delay):
        self.messages = []
        self.seen = []          # (Message-ID, To address)
        self.recipients = set()
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if delay:
                    await asyncio.sleep(delay)
                raw = envelope.original_content
                head = email.message_from_bytes(
                    raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n",
                    policy=email.policy.default)
                to = head["To"].addresses[0].addr_spec
                with sink.lock:
                    sink.messages.append(raw)
                    sink.seen.append((head["Message-ID"], to))
                    sink.recipients.add(to)
                return "250 OK"

        self.controller = smtp_controller(Handler())
        self.port = self.controller.port

    def count(self):
        with self.lock:
            return len(self.messages)

    def arrived(self):
        """How many distinct recipients got a message."""
        with self.lock:
            return len(self.recipients)

    def parsed(self):
        with self.lock:
            raw = list(self.messages)
        return [email.message_from_bytes(m, policy=email.policy.default)
                for m in raw]

    def headers(self):
        """(Message-ID, To address) of every message received."""
        with self.lock:
            return list(self.seen)

    def stop(self):
        stop_controller(self.controller)


def make_daemon(workdir, name, sink, overrides=None):
    path = pathlib.Path(workdir) / name
    path.mkdir()
    sections = {
        "mail": {"transport": "smtp",
                 "smtp_url": "smtp://127.0.0.1:%d" % sink.port,
                 "starttls": "off"},
        "invitations": {"daily_limit_per_unit": "0",
                        "repeat_period_days": "0"},
        "reviews": {"submissions_per_address_day": "1000",
                    "submissions_per_address_day_all": "100000"},
    }
    for section, keys in (overrides or {}).items():
        sections.setdefault(section, {}).update(keys)
    d = Daemon(path, sections)
    d.sink = sink
    return d.start()


def kill9(d):
    """SIGKILL, reaped; the log files of that run closed."""
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    d.stderr_file.close()
    d.stdout_file.close()


def finish(d, problems):
    """SIGTERM (exit 0 wanted), sanitizer reports, integrity_check."""
    rc = d.stop()
    if rc != 0:
        problems.append("%s: exit %s at SIGTERM" % (d.dir.name, rc))
    try:
        check_sanitizers(d.all_stderr())
    except AssertionError as e:
        problems.append("%s: %s" % (d.dir.name, str(e)[:2000]))
    con = sqlite3.connect(d.db_path, timeout=60)
    try:
        result = con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()
    if result != [("ok",)]:
        problems.append("%s: integrity_check %r" % (d.dir.name, result[:5]))


def dispatch(workdir, n, kills, problems):
    """(a): returns the figures."""
    sink = SlowSink(delay=0.002)
    d = make_daemon(workdir, "dispatch", sink)
    try:
        shop = Business(d, "chaos-dispatch.example.com")
        now_ms = d.admin("GET", "/v1/admin/clock").json()["nowMs"]
        send = time.strftime("%Y-%m-%dT%H:%M:%S",
                             time.gmtime(now_ms / 1000 + 3600))
        emails = ["c%d@example.com" % i for i in range(n)]
        data = "email,name,reference,preferredSendTime\n" + "".join(
            "%s,Customer %d,REF-%d,%s\n" % (e, i, i, send)
            for i, e in enumerate(emails))
        r = shop.private("POST", (BU + "/invitations/csv") % shop.id,
                         data=data.encode(), timeout=600,
                         headers={"Content-Type": "text/csv"})
        if r.status_code != 201:
            raise AssertionError("CSV import: %d %s" % (r.status_code,
                                                        r.text[:500]))
        start = time.monotonic()
        d.advance_clock(7200)               # all due now
        done_kills = during = 0
        for k in range(kills):
            # spread the kills over the dispatch
            target = n * (k + 1) // (kills + 1)
            wait_for(lambda: sink.count() >= target, timeout=600,
                     interval=0.005, what="deliveries before kill %d" %
                     (k + 1))
            kill9(d)
            done_kills += 1
            if sink.arrived() < n:
                during += 1
            d.start()
            d.advance_clock(120)            # leases of the killed run end
        emails_set = set(emails)
        try:
            wait_for(lambda: sink.arrived() >= n, timeout=max(120, n / 20),
                     interval=0.2, what="every invitation's e-mail")
            d.wait_outbox_idle(timeout=120)
        except AssertionError as e:
            problems.append("dispatch: %s" % e)
        seconds = time.monotonic() - start
        got = sink.headers()
        ids = [mid for mid, _ in got]
        arrived = emails_set & {to for _, to in got}
        not_delivered = sum(len(d.outbox_rows(s)) for s in
                            ("pending", "delivering", "dead"))
        figures = {"kills": done_kills, "during": during, "n": n,
                   "delivered": len(got), "distinct": len(set(ids)),
                   "duplicates": len(ids) - len(set(ids)),
                   "never": n - len(arrived),
                   "not_delivered": not_delivered, "seconds": seconds}
        if figures["never"] or not_delivered:
            problems.append("dispatch: %d e-mails never arrived, %d "
                            "outbox rows not delivered" % (
                                figures["never"], not_delivered))
        if len(set(ids)) != len(arrived):
            problems.append("dispatch: %d distinct Message-IDs for %d "
                            "recipients" % (len(set(ids)), len(arrived)))
        return figures
    finally:
        if d.proc is not None and d.proc.poll() is None:
            finish(d, problems)
        sink.stop()


class Writer(threading.Thread):
    """Writes until stopped; a request that fails or gets no answer is
    retried with the next key after a short pause."""

    def __init__(self, d, shop, kind, wid, review_id=None):
        super().__init__(daemon=True)
        self.d, self.shop, self.kind, self.wid = d, shop, kind, wid
        self.review_id = review_id
        self.stop = threading.Event()
        self.acked = []         # invitations: ids; replies: seqs
        self.sent = 0
        self.unanswered = 0
        self.session = requests.Session()

    def request(self, method, path, **kw):
        # the created invitation's id: the default answer has no body
        headers = {"Authorization": "Bearer " + self.shop.token(),
                   "Prefer": "return=representation"}
        return self.session.request(method, self.d.url(path),
                                    headers=headers, timeout=30, **kw)

    def run(self):
        seq = 0
        while not self.stop.is_set():
            seq += 1
            try:
                if self.kind == "invitation":
                    r = self.request("POST", (BU + "/email-invitations") %
                                     self.shop.id, json={
                                         "consumerEmail":
                                         "w%d-%d@example.com" % (self.wid,
                                                                 seq),
                                         "consumerName": "W %d" % seq,
                                         "referenceNumber":
                                         "W%d-%d" % (self.wid, seq),
                                         "locale": "en-US",
                                         "serviceReviewInvitation": {
                                             "preferredSendTime":
                                             "2099-01-01T10:00:00"}})
                else:
                    r = self.request("POST", "/v1/private/reviews/%s/reply"
                                     % self.review_id, json={
                                         "message": "reply %d-%d" % (
                                             self.wid, seq)})
                self.sent += 1
            except (requests.ConnectionError, requests.Timeout):
                # daemon down (port changed or refused) or cut mid-answer
                self.unanswered += 1
                time.sleep(0.02)
                continue
            if 200 <= r.status_code < 300:
                self.acked.append(r.json()["id"] if self.kind ==
                                  "invitation" else seq)
            else:
                self.unanswered += 1
                time.sleep(0.02)


def writes(workdir, kills, nwriters, problems):
    """(b): returns the figures."""
    sink = SlowSink(delay=0)
    d = make_daemon(workdir, "writes", sink)
    try:
        shop = Business(d, "chaos-writes.example.com")
        nrepliers = max(1, nwriters // 2)
        reviews = reviewkit.publish_many(d, "chaos-writes.example.com", [
            {"email": "reviewer%d@example.org" % i, "title": "Review %d" % i}
            for i in range(nrepliers)])
        shop.token()
        writers = [Writer(d, shop, "reply", i, review_id=reviews[i])
                   for i in range(nrepliers)]
        writers += [Writer(d, shop, "invitation", 100 + i)
                    for i in range(nwriters - nrepliers)]
        for w in writers:
            w.start()
        rng = random.Random(16)
        start = time.monotonic()
        for _ in range(kills):
            time.sleep(rng.uniform(0.5, 1.5))
            kill9(d)
            time.sleep(rng.uniform(0.0, 0.3))
            d.start()
        time.sleep(0.5)
        for w in writers:
            w.stop.set()
        for w in writers:
            w.join(timeout=60)
        seconds = time.monotonic() - start
        lost = []
        inv_acked = rep_acked = 0
        for w in writers:
            if w.kind == "invitation":
                inv_acked += len(w.acked)
                for inv_id in w.acked:
                    r = shop.private("GET", "/v1/private/invitations/" +
                                     inv_id)
                    if r.status_code != 200:
                        lost.append("invitation %s: %d" % (inv_id,
                                                           r.status_code))
            else:
                rep_acked += len(w.acked)
                if not w.acked:
                    continue
                r = shop.private("GET", "/v1/private/reviews/" +
                                 w.review_id)
                reply = (r.json().get("companyReply") or {}).get("text") \
                    if r.status_code == 200 else None
                last = max(w.acked)
                seq = None
                if reply and reply.startswith("reply %d-" % w.wid):
                    seq = int(reply.rsplit("-", 1)[1])
                if seq is None or seq < last:
                    lost.append("review %s: reply %r, last acknowledged "
                                "%d" % (w.review_id, reply, last))
        figures = {"kills": kills, "writers": nwriters,
                   "invitations": inv_acked, "replies": rep_acked,
                   "unanswered": sum(w.unanswered for w in writers),
                   "lost": len(lost), "seconds": seconds}
        if lost:
            problems.append("writes: acknowledged and lost: " +
                            "; ".join(lost[:20]))
        return figures
    finally:
        if d.proc is not None and d.proc.poll() is None:
            finish(d, problems)
        sink.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--keep", action="store_true",
                    help="keep the daemons' directories")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="reviewd-chaos-")
    problems = []
    print("chaos: %s, %d kills, %d invitations, %d writers, in %s" % (
        os.environ["REVIEWD_BIN"], args.kills, args.n, args.writers,
        workdir), flush=True)
    try:
        a = dispatch(workdir, args.n, args.kills, problems)
        print("chaos: dispatch: kills %d (%d during delivery); "
              "invitations %d; delivered %d, distinct Message-IDs %d, "
              "duplicates %d, never arrived %d, rows not delivered %d; "
              "%.1f s" % (a["kills"], a["during"], a["n"], a["delivered"],
                          a["distinct"], a["duplicates"], a["never"],
                          a["not_delivered"], a["seconds"]), flush=True)
        b = writes(workdir, args.kills, args.writers, problems)
        print("chaos: writes: kills %d; writers %d; acknowledged: "
              "invitations %d, replies %d; unanswered (retried) %d; "
              "acknowledged-and-lost %d; %.1f s" % (
                  b["kills"], b["writers"], b["invitations"], b["replies"],
                  b["unanswered"], b["lost"], b["seconds"]), flush=True)
    except Exception as e:          # a failed step is a failed campaign
        problems.append("%s: %s" % (type(e).__name__, str(e)[:2000]))
    for p in problems:
        print("chaos: FAIL: " + p)
    print("chaos: %s" % ("ok" if not problems else "FAILED"))
    if not args.keep and not problems:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
