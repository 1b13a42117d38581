#!/usr/bin/python3
"""CSV import: uploads one file of ROWS service rows (email, name,
reference) to a fresh daemon (real SQLite file, maildir) and prints the
time, rows/s, the size of the answer and the daemon's peak memory (VmHWM)
before and after.

The write-lock hold time is measured from outside: a probe takes SQLite's
write lock (BEGIN IMMEDIATE; COMMIT on the same database file) in a loop
during the upload; the longest it waited is the longest time anybody held
the lock. With WRITERS > 0, that many clients of another business create
invitations through the API during the upload; their answers by status
and slowest answer are printed (any non-2xx is a defect).

usage: bench/csv_import.py [ROWS] [WRITERS] [later]   (after make all;
REVIEWD_BIN picks another binary)
"""
import collections
import os
import pathlib
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent /
                       "tests" / "integration"))
import requests  # noqa: E402

from conftest import Business, Daemon  # noqa: E402

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
writers = int(sys.argv[2]) if len(sys.argv) > 2 else 0
# "later": every row is due in 2030, so no e-mail is dispatched during the
# upload (the import alone); default: due at once, as most files are
later = len(sys.argv) > 3 and sys.argv[3] == "later"


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


d = Daemon(pathlib.Path(tempfile.mkdtemp()),
           {"auth": {"token_requests_per_minute": "100000"},
            "server": {"connection_timeout_s": "600"}}).start()
shop = Business(d, "csv.example.com")
other = Business(d, "other.example.com")
data = ("email,name,reference,preferredSendTime\n" + "".join(
    "c%d@example.com,Customer Number %d,REF-%08d,%s\n" % (
        i, i, i, "2030-01-01T10:00:00" if later else "")
    for i in range(rows))).encode()
done = threading.Event()
waits = []
answers = collections.Counter()
slowest = [0.0]
lock = threading.Lock()


def probe():
    con = sqlite3.connect(d.db_path, timeout=600, isolation_level=None)
    while not done.is_set():
        t = time.monotonic()
        con.execute("BEGIN IMMEDIATE")
        con.execute("COMMIT")
        waits.append(time.monotonic() - t)
        time.sleep(0.002)
    con.close()


def writer(n):
    s = requests.Session()
    headers = other.headers()
    i = 0
    while not done.is_set():
        i += 1
        t = time.monotonic()
        r = s.post(d.url("/v1/private/business-units/%s/email-invitations"
                         % other.id), headers=headers, timeout=600, json={
            "consumerEmail": "w%d-%d@example.net" % (n, i),
            "consumerName": "W", "referenceNumber": "W%d-%d" % (n, i),
            "serviceReviewInvitation": {}})
        with lock:
            answers[r.status_code] += 1
            slowest[0] = max(slowest[0], time.monotonic() - t)


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


print("daemon pid %d" % d.proc.pid, flush=True)
before = vm_hwm_kb(d.proc.pid)
cpu_before = cpu_s(d.proc.pid)
pool = [threading.Thread(target=probe)]
pool += [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
for t in pool:
    t.start()
started = time.monotonic()
r = shop.private("POST", "/v1/private/business-units/%s/invitations/csv"
                 % shop.id, data=data, headers={"Content-Type": "text/csv"},
                 timeout=600)
elapsed = time.monotonic() - started
done.set()
for t in pool:
    t.join()
after = vm_hwm_kb(d.proc.pid)
cpu = cpu_s(d.proc.pid) - cpu_before
print("rows: %d (%.1f MB), answer %d, %d bytes" % (
    rows, len(data) / 1e6, r.status_code, len(r.content)))
print("upload: %.2f s, %.0f rows/s, daemon CPU %.2f s" % (
    elapsed, rows / elapsed, cpu))
print("longest wait for the write lock: %.3f s (%d probes)" % (
    max(waits) if waits else 0.0, len(waits)))
if writers:
    print("other tenant: %s, slowest %.3f s" % (dict(answers), slowest[0]))
print("daemon VmHWM: %d -> %d kB" % (before, after))
for line in d.stderr().splitlines():
    if "csv import=" in line:
        print("daemon:", line.strip())
rc = d.stop()
bad = {k: v for k, v in answers.items() if not 200 <= k < 300}
if r.status_code != 201 or bad or rc != 0:
    sys.exit("defect: upload %d, other answers %s, exit %s" % (
        r.status_code, bad, rc))
