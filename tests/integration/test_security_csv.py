"""Issue 11 point 3: one CSV upload must not hold the database for its
whole length. A 200,000-row file (about 12 MB) is stored in chunks while
another tenant keeps writing: every one of its writes succeeds; the answer
is small (counts and problem rows only); every row's outcome is paged from
the import; the daemon's peak memory grows by a bounded amount.

The plain run uses 200,000 rows. Against an AddressSanitizer build the
file has 20,000 rows and the memory bound is wide: ASan keeps freed
memory in quarantine (256 MB by default), so VmHWM measures ASan, not the
import. REVIEWD_CSV_ROWS and REVIEWD_CSV_GROWTH_MB override both."""
import os
import signal
import threading
import time

import pytest
import requests

from conftest import ASAN, PG, Business, assert_error, wait_for

ROWS = int(os.environ.get("REVIEWD_CSV_ROWS",
                          "20000" if ASAN else "200000"))
# VmHWM growth allowed over the upload (the old code: 437 MB at 200k rows)
GROWTH_MB = int(os.environ.get("REVIEWD_CSV_GROWTH_MB",
                               "1024" if ASAN else "100"))


def upload(shop, data, query="", headers=None):
    h = {"Content-Type": "text/csv"}
    h.update(headers or {})
    return shop.private("POST", "/v1/private/business-units/%s/invitations/"
                        "csv%s" % (shop.id, query), data=data, headers=h,
                        timeout=300)


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for %d" % pid)


def big_file(n):
    head = "email,name,reference\n"
    return (head + "".join("c%d@example.com,Customer Number %d,REF-%08d\n"
                           % (i, i, i) for i in range(n))).encode()


@pytest.fixture
def daemon(make_daemon):
    """Files here are bigger than a day's sending quota (re-uploads count
    again): the quota is off, test_security_mail tests it with CSV."""
    return make_daemon({"invitations": {"daily_limit_per_unit": "0"}})


def test_big_upload_lets_other_tenants_write(business, other_business):
    data = big_file(ROWS)
    if ROWS == 200000:
        assert len(data) > 10 * 1024 * 1024
    pid = business.daemon.proc.pid
    url = business.daemon.url("/v1/private/business-units/%s/"
                              "email-invitations" % other_business.id)
    headers = dict(other_business.headers())
    # warm up both tenants' paths before taking the baseline
    r = upload(business, b"email\nwarm@example.com\n")
    assert r.status_code == 201, r.text
    before = vm_hwm_kb(pid)

    done = threading.Event()
    writes = []             # (status, seconds, during the upload)

    def other_tenant():
        # one kept-alive connection: it may belong to the libmicrohttpd
        # thread that received the upload, which must not be running it
        # (uploads run on the writer's long lane)
        s = requests.Session()
        i = 0
        while not done.is_set():
            t = time.monotonic()
            r = s.post(url, headers=headers, timeout=60, json={
                "consumerEmail": "o%d@example.net" % i,
                "consumerName": "Other %d" % i,
                "referenceNumber": "OTHER-%d" % i,
                "serviceReviewInvitation": {}})
            writes.append((r.status_code, time.monotonic() - t,
                           not done.is_set()))
            i += 1

    writer = threading.Thread(target=other_tenant)
    writer.start()
    try:
        t0 = time.monotonic()
        r = upload(business, data)
        upload_s = time.monotonic() - t0
    finally:
        done.set()
        writer.join(timeout=120)
    after = vm_hwm_kb(pid)

    during = [w for w in writes if w[2]]
    growth_mb = (after - before) / 1024
    slowest = max(w[1] for w in writes)
    print("rows=%d upload=%.1fs answer=%d bytes other writes=%d slowest="
          "%.3fs VmHWM %d -> %d kB (+%.1f MB)" % (
              ROWS, upload_s, len(r.content), len(during), slowest, before,
              after, growth_mb))
    assert r.status_code == 201, r.text[:500]
    bad = [w for w in writes if not 200 <= w[0] < 300]
    assert bad == [], "other tenant's writes refused: %r of %d" % (
        bad[:5], len(writes))
    # writes went on during the import (no timing asserted: how long
    # they waited is in the printed line, and bench/csv_import.py)
    assert len(during) >= 3, (upload_s, writes)
    # counts and links, not one entry per row (the old answer: 15 MB)
    assert len(r.content) < 4096, len(r.content)
    assert growth_mb < GROWTH_MB, (before, after)
    body = r.json()
    assert (body["total"], body["created"], body["skipped"],
            body["invalid"], body["problems"]) == (ROWS, ROWS, 0, 0, 0)
    assert body["rows"] == [] and body["status"] == "completed"

    # the summary and every row's outcome, paged
    rows_href = [l["href"] for l in body["links"] if l["rel"] == "rows"][0]
    self_href = [l["href"] for l in body["links"] if l["rel"] == "self"][0]
    path = self_href[self_href.index("/v1/"):]
    r = business.private("GET", path)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed"
    assert r.json()["processed"] == ROWS == r.json()["created"]
    rows_path = rows_href[rows_href.index("/v1/"):]
    last = (ROWS - 1) // 1000 + 1
    r = business.private("GET", rows_path, params={"perPage": 1000,
                                                   "page": last})
    assert r.status_code == 200, r.text
    page = r.json()["rows"]
    assert page[-1]["line"] == ROWS + 1 and r.json()["links"] == []
    assert all(row["status"] == "queued" and len(row["invitationId"]) == 24
               for row in page)
    r = business.private("GET", rows_path, params={"perPage": 2})
    assert [row["line"] for row in r.json()["rows"]] == [2, 3]
    assert r.json()["links"][0]["rel"] == "next-page"

    # another business's import is not found, whichever unit it names
    import_id = body["importId"]
    for unit in (other_business.id, business.id):
        r = other_business.private(
            "GET", "/v1/private/business-units/%s/invitation-imports/%s"
            % (unit, import_id))
        assert_error(r, 404)
        r = other_business.private(
            "GET", "/v1/private/business-units/%s/invitation-imports/%s/"
            "rows" % (unit, import_id))
        assert_error(r, 404)


def test_one_worker_thread_serves_others_during_an_import(make_daemon):
    """With one libmicrohttpd worker every connection shares the thread
    that received the upload: the import runs on the writer's long lane,
    so another tenant's kept-alive connection is served meanwhile (it
    waited for the whole import when the upload ran on its worker)."""
    d = make_daemon({"server": {"threads": "1"},
                     "invitations": {"daily_limit_per_unit": "0"}})
    shop = Business(d, "one-thread.example.com")
    other = Business(d, "one-thread-other.example.com")
    session = requests.Session()
    url = d.url("/v1/private/business-units/%s/email-invitations"
                % other.id)
    answers = []
    # long enough to be under way for a while on every engine and build
    data = big_file(20000 if ASAN or PG else ROWS)
    t = threading.Thread(target=lambda: answers.append(upload(shop, data)))
    t.start()
    con = d.sql(30)
    wait_for(lambda: con.execute("SELECT count(*) FROM invitation_imports "
                                 "WHERE created > 0").fetchone()[0] == 1,
             timeout=120, what="the import under way")
    con.close()
    during = 0
    while t.is_alive() and during < 3:
        r = session.post(url, headers=other.headers(), timeout=60, json={
            "consumerEmail": "o%d@example.net" % during,
            "consumerName": "Other", "referenceNumber": "O-%d" % during,
            "serviceReviewInvitation": {}})
        assert r.status_code in (201, 202), r.text
        if t.is_alive():
            during += 1
    t.join(timeout=300)
    assert answers and answers[0].status_code == 201, answers
    assert during >= 1, "no write of the other tenant during the import"


def test_answer_holds_only_problem_rows_bounded(business):
    lines = ["email,name,reference"]
    lines += ["bad-%d,Bad,B-%d" % (i, i) for i in range(300)]
    lines += ["ok%d@example.com,Ok,K-%d" % (i, i) for i in range(50)]
    data = ("\n".join(lines) + "\n").encode()
    body = assert_error(upload(business, data), 400, "line 2: consumerEmail")
    assert (body["total"], body["invalid"], body["problems"],
            body["created"]) == (350, 300, 300, 0)
    assert len(body["rows"]) == 100 and len(body["details"]) == 16
    assert body["rows"][99]["line"] == 101
    r = business.private("GET", "/v1/private/business-units/%s/invitations"
                         % business.id)
    assert r.json()["invitations"] == []

    r = upload(business, data, "?skipInvalid=true",
               {"Idempotency-Key": "csv-1"})
    assert r.status_code == 201, r.text[:300]
    first = r.json()
    assert (first["created"], first["invalid"], len(first["rows"])) == \
        (50, 300, 100)
    # a retry with the key answers the same import again
    r = upload(business, data, "?skipInvalid=true",
               {"Idempotency-Key": "csv-1"})
    assert r.status_code == 201
    assert r.headers.get("Idempotent-Replayed") == "true"
    assert r.json()["importId"] == first["importId"]
    # a re-upload without it invites nobody twice: each row is skipped
    r = upload(business, data, "?skipInvalid=true")
    assert r.status_code == 201
    again = r.json()
    assert (again["created"], again["skipped"], again["invalid"]) == \
        (0, 50, 300)
    assert again["importId"] != first["importId"]
    path = "/v1/private/business-units/%s/invitation-imports/%s/rows" % (
        business.id, again["importId"])
    r = business.private("GET", path, params={"status": "skipped",
                                              "perPage": 100})
    rows = r.json()["rows"]
    assert len(rows) == 50 and all(
        row["reason"] == "this reference number was already invited"
        for row in rows)
    assert_error(business.private("GET", path, params={"status": "nope"}),
                 400, "status")
    assert_error(business.private("GET", path, params={"perPage": 1001}),
                 400, "perPage")
    assert_error(business.private(
        "GET", "/v1/private/business-units/%s/invitation-imports/%s"
        % (business.id, "0" * 24)), 404)


def test_interrupted_import_keeps_its_chunks_and_reupload_adds_the_rest(
        daemon, business):
    """A daemon killed during an import: the chunks committed stay with
    their outcomes, the import reads as interrupted, and the same file
    uploaded again invites only the rows not stored yet."""
    n = 100000 if not ASAN else 20000
    data = big_file(n)
    failure = []

    def upload_and_lose():
        try:
            upload(business, data)
        except requests.RequestException as e:
            failure.append(e)

    t = threading.Thread(target=upload_and_lose)
    t.start()
    con = daemon.sql(30)

    def progress():
        row = con.execute("SELECT id, created FROM invitation_imports"
                          ).fetchone()
        return row if row is not None and row[1] > 0 else None

    import_id, _ = wait_for(progress, timeout=120, what="a chunk stored")
    daemon.proc.kill()                  # the daemon dies mid-import
    daemon.proc.wait()
    t.join(timeout=60)
    assert failure, "the upload finished before the kill"
    con.close()
    daemon.start()

    path = "/v1/private/business-units/%s/invitation-imports/%s" % (
        business.id, import_id)
    daemon.advance_clock(120)
    business.renew()
    r = business.private("GET", path)
    assert r.status_code == 200, r.text
    state = r.json()
    assert state["status"] == "interrupted"
    kept = state["created"]
    assert 0 < kept < n and state["processed"] == kept
    # the committed rows' outcomes are there, in order from line 2
    rows = business.private("GET", path + "/rows",
                            params={"perPage": 1000}).json()["rows"]
    assert rows[0]["line"] == 2 and rows[-1]["line"] == min(kept, 1000) + 1
    con = daemon.sql(30)
    stored = con.execute("SELECT count(*) FROM invitations").fetchone()[0]
    con.close()
    assert stored == kept

    # uploading the same file again adds only the rows not stored yet
    r = upload(business, data)
    assert r.status_code == 201, r.text[:300]
    body = r.json()
    assert (body["created"], body["skipped"]) == (n - kept, kept)
    assert body["problems"] == kept and len(body["rows"]) == 100
    assert body["rows"][0]["reason"] == \
        "this reference number was already invited"
    con = daemon.sql(30)
    queued = con.execute("SELECT count(*) FROM invitations WHERE status "
                         "<> 'skipped'").fetchone()[0]
    con.close()
    assert queued == n


def test_sigterm_during_import_finishes_it(daemon, business):
    """SIGTERM while an import runs on the writer's long lane: the import
    ends, its answer reaches the client, and the process exits 0."""
    n = 20000
    data = big_file(n)
    answers = []
    t = threading.Thread(target=lambda: answers.append(
        upload(business, data)))
    t.start()
    con = daemon.sql(30)

    def progress():
        row = con.execute("SELECT created FROM invitation_imports "
                          "WHERE created > 0").fetchone()
        return row is not None

    wait_for(progress, timeout=120, what="a chunk stored")
    con.close()
    daemon.proc.send_signal(signal.SIGTERM)
    t.join(timeout=120)
    assert daemon.proc.wait(timeout=60) == 0
    assert len(answers) == 1 and answers[0].status_code == 201, answers
    body = answers[0].json()
    assert (body["total"], body["created"]) == (n, n), body
