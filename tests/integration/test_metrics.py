"""GET /metrics: the Prometheus text exposition format, parsed strictly,
behind the admin token; its counters move with requests, connections and
deliveries; its gauges read the outbox and the database files."""
import os
import re
import socket

from conftest import PG, Business, wait_for

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)"
SAMPLE = re.compile(r"^(%s)(?:\{(%s(?:,%s)*)?\})? (%s)$" % (
    NAME, LABEL, LABEL, VALUE))
HELP = re.compile(r"^# HELP (%s) \S.*$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$"
                  % NAME)
SUFFIXES = ("_bucket", "_sum", "_count")


def parse(text):
    """{(name, frozenset of labels): value}, failing on any line that is
    not a HELP or TYPE comment or a sample of a declared family."""
    assert text.endswith("\n"), "the exposition ends with a newline"
    types, samples = {}, {}
    for line in text[:-1].split("\n"):
        if line.startswith("#"):
            m = TYPE.match(line)
            if m:
                assert m.group(1) not in types, "TYPE twice: " + line
                types[m.group(1)] = m.group(2)
                continue
            assert HELP.match(line), "not a HELP or TYPE line: %r" % line
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels, value = m.group(1), m.group(2), m.group(3)
        family = name
        if name not in types:
            for suffix in SUFFIXES:
                if name.endswith(suffix) and \
                        types.get(name[:-len(suffix)]) == "histogram":
                    family = name[:-len(suffix)]
        assert family in types, "sample before its TYPE: %r" % line
        pairs = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|'
                                     r'\\.)*)"', labels or ""))
        key = (name, pairs)
        assert key not in samples, "sample twice: %r" % line
        samples[key] = float(value)
    return types, samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(d):
    r = d.admin("GET", "/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert r.headers["Cache-Control"] == "no-store"
    return parse(r.text)


def test_metrics_need_the_admin_token(daemon):
    assert daemon.get("/metrics").status_code == 401
    r = daemon.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert r.status_code in (401, 403)
    assert "reviewd_http" not in r.text


def test_request_counters_and_histograms_move(daemon):
    types, before = scrape(daemon)
    assert types["reviewd_http_requests_total"] == "counter"
    assert types["reviewd_http_request_duration_seconds"] == "histogram"
    # /readyz: the fixture's start-up probes are /healthz, and the last
    # of them may be counted only after the first scrape (the count is
    # taken when the answer has gone out)
    for _ in range(5):
        assert daemon.get("/readyz").status_code == 200
    assert daemon.get("/no/such/path").status_code == 404
    _, after = scrape(daemon)
    health = dict(method="GET", route="/readyz")
    assert value(after, "reviewd_http_requests_total", status="200",
                 **health) - value(before, "reviewd_http_requests_total",
                                   status="200", **health) == 5
    assert value(after, "reviewd_http_requests_total", method="*",
                 route="(unmatched)", status="404") >= 1
    # the scrape before this one was counted under its own route
    assert value(after, "reviewd_http_requests_total", method="GET",
                 route="/metrics", status="200") >= 1
    count = value(after, "reviewd_http_request_duration_seconds_count",
                  **health)
    assert count - value(before,
                         "reviewd_http_request_duration_seconds_count",
                         **health) == 5
    # buckets are cumulative, end at +Inf with the count
    buckets = sorted(
        (float(dict(labels)["le"]), v) for (name, labels), v in after.items()
        if name == "reviewd_http_request_duration_seconds_bucket" and
        dict(labels)["route"] == "/readyz")
    assert len(buckets) == 14 and buckets[-1] == (float("inf"), count)
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
    assert value(after, "reviewd_http_request_duration_seconds_sum",
                 **health) > 0


def test_connections_and_database_gauges(daemon):
    idle = socket.create_connection(("127.0.0.1", daemon.port))
    try:
        wait_for(lambda: value(scrape(daemon)[1],
                               "reviewd_http_connections_open") >= 2,
                 what="the idle connection counted")
    finally:
        idle.close()
    _, s = scrape(daemon)
    assert value(s, "reviewd_http_connections_total") >= 2
    if PG:
        # the server's count of the database (the scheduler may have
        # added a page since); its WAL is the server's
        size = daemon.sql().execute(
            "SELECT pg_database_size(current_database())").fetchone()[0]
        assert abs(value(s, "reviewd_database_size_bytes") - size) < 1e6
        assert size > 0
        assert ("reviewd_database_wal_size_bytes", frozenset()) not in s
    else:
        size = daemon.db_path.stat().st_size
        assert value(s, "reviewd_database_size_bytes") == size > 0
        wal = daemon.db_path.with_name(daemon.db_path.name + "-wal")
        assert value(s, "reviewd_database_wal_size_bytes") == \
            (wal.stat().st_size if wal.exists() else 0)
    assert value(s, "reviewd_scheduler_lag_seconds") >= 0
    # -1 until the scheduler's first round has ended, then fresh
    s = wait_for(lambda: (lambda s: value(
        s, "reviewd_scheduler_heartbeat_age_seconds") >= 0 and s)(
        scrape(daemon)[1]), what="a scheduler heartbeat")
    assert value(s, "reviewd_scheduler_heartbeat_age_seconds") < 5


def test_a_sent_mail_is_counted(daemon):
    _, before = scrape(daemon)
    r = daemon.admin("POST", "/v1/admin/mail/test",
                     json={"to": "ops@example.com"})
    assert r.status_code == 202, r.text
    daemon.wait_outbox_idle()
    _, after = scrape(daemon)
    assert value(after, "reviewd_outbox_sent_total", kind="email") - \
        value(before, "reviewd_outbox_sent_total", kind="email") == 1
    assert value(after, "reviewd_outbox_failed_total", kind="email") == \
        value(before, "reviewd_outbox_failed_total", kind="email")
    assert value(after, "reviewd_outbox_rows", kind="email",
                 status="pending") == 0


def test_a_failing_mail_is_counted_and_waits(make_daemon, smtp_sink):
    sink = smtp_sink(start=False)       # its port refuses connections
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port}})
    r = d.admin("POST", "/v1/admin/mail/test", json={"to": "ops@example.com"})
    assert r.status_code == 202, r.text
    # the attempt is counted as it ends, the row waits again when its
    # outcome is stored: both, in either order
    s = wait_for(lambda: (lambda s: value(
        s, "reviewd_outbox_failed_total", kind="email") >= 1 and value(
        s, "reviewd_outbox_rows", kind="email", status="pending") == 1 and
        s)(scrape(d)[1]), what="a failed attempt counted, the row waiting")
    assert value(s, "reviewd_outbox_sent_total", kind="email") == 0
    assert value(s, "reviewd_outbox_rows", kind="webhook",
                 status="pending") == 0
    d.advance_clock(120)
    _, s = scrape(d)
    assert value(s, "reviewd_outbox_oldest_age_seconds", kind="email") >= 120
    assert value(s, "reviewd_outbox_oldest_age_seconds", kind="webhook") == 0


def test_the_log_is_folded_by_the_checkpointer_not_by_commits(make_daemon):
    """SQLite: a commit that leaves 1,000 pages or more in the write-ahead
    log wakes the checkpointer thread instead of copying them back itself
    (an API request or a dispatch batch would wait for that)."""
    if PG:
        d = make_daemon()
        _, s = scrape(d)
        assert ("reviewd_database_checkpoints_total",
                frozenset({("by", "checkpointer")})) not in s
        return
    d = make_daemon({"invitations": {"daily_limit_per_unit": "0"}})
    shop = Business(d, "fold.example.com")
    _, s = scrape(d)
    assert value(s, "reviewd_database_checkpoints_total",
                 by="checkpointer") == 0
    total = 6000
    data = "email,name,reference\n" + "".join(
        "c%d@example.com,Customer %d,REF-%d\n" % (i, i, i)
        for i in range(total))
    r = shop.private("POST", "/v1/private/business-units/%s/invitations/csv"
                     % shop.id, data=data.encode(), timeout=300,
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    wait_for(lambda: len(os.listdir(d.dir / "mail" / "new")) == total,
             timeout=300, what="every invitation in the maildir")
    s = wait_for(lambda: (lambda s: value(
        s, "reviewd_database_checkpoints_total", by="checkpointer") >= 1
        and s)(scrape(d)[1]), what="a checkpoint by the checkpointer")
    assert value(s, "reviewd_database_checkpoints_total", by="commit") == 0
