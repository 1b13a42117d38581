#!/usr/bin/python3
"""Dispatch: N invitations (default 100,000) are queued through the CSV
upload with a send time one hour ahead (daily_limit_per_unit = 0, so the
quota does not cut them), then the test clock moves past it, and the time
until N messages are in the maildir's new/ is printed, with the rate and
the daemon's CPU time. Any other [outbox] batch_size goes as the second
argument; DISPATCH_BATCH=N sets [invitations] dispatch_batch,
LOG_LEVEL=debug the daemon's log level.

usage: bench/dispatch.py [N] [BATCH_SIZE]   (after make all; REVIEWD_BIN
picks another binary; PERF=FILE records `perf record --call-graph dwarf`
of the daemon during the dispatch into FILE; KEEP=1 keeps the daemon's
folder, printed at the end, instead of removing it)

The bytes the daemon wrote during the dispatch are printed too (the
messages, the same in any build, plus the WAL and its checkpoints: less
noisy than the time on a shared disk), and its peak RSS (VmHWM) after
the upload and after the dispatch. So is the latency of the API for
another business unit (one client: an invitation created, due in ten
days, then a page of its invitations read, in turn), idle for 3 s before
the dispatch and during it, with the ratio of the p99s (issue 13: at
most 2); NOPROBE=1 leaves the probe out (it adds its own load to the
dispatch).
"""
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent /
                       "tests" / "integration"))
from conftest import Business, Daemon  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
overrides = {"auth": {"token_requests_per_minute": "100000"},
             "server": {"connection_timeout_s": "600"},
             "invitations": {"daily_limit_per_unit": "0"}}
if len(sys.argv) > 2:
    overrides["outbox"] = {"batch_size": sys.argv[2]}
if os.environ.get("LOG_LEVEL"):
    overrides["log"] = {"level": os.environ["LOG_LEVEL"]}
if os.environ.get("DISPATCH_BATCH"):
    overrides["invitations"]["dispatch_batch"] = os.environ["DISPATCH_BATCH"]


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def written_mib(pid):
    """bytes the daemon handed to write(2) and its kin: the maildir's
    messages, the same in any build, plus the WAL and the checkpoints"""
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1]) / 1048576


def hwm_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def probe(d, other, stop, out):
    """Times the API for other until stop: a write and a read in turn."""
    later = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(
        d.admin("GET", "/v1/admin/clock").json()["nowMs"] / 1000 + 864000))
    base = "/v1/private/business-units/%s" % other.id
    session = requests.Session()
    i = 0
    while not stop.is_set():
        i += 1
        for method, path, kw in (
                ("POST", base + "/email-invitations", {"json": {
                    "consumerEmail": "p%d@example.com" % i,
                    "consumerName": "Probe %d" % i,
                    "referenceNumber": "P-%d-%d" % (len(out), i),
                    "locale": "en-US", "serviceReviewInvitation": {
                        "preferredSendTime": later}}}),
                ("GET", base + "/invitations", {"params": {"perPage": 20}})):
            t = time.monotonic()
            r = session.request(method, d.url(path), headers=other.headers(),
                                timeout=60, **kw)
            out.append(time.monotonic() - t)
            if r.status_code >= 300:
                sys.exit("defect: the probe's %s answered %d: %s"
                         % (method, r.status_code, r.text))


def p99_ms(samples):
    s = sorted(samples)
    return 1000 * s[min(len(s) - 1, int(len(s) * 0.99))] if s else 0.0


d = Daemon(pathlib.Path(tempfile.mkdtemp()), overrides).start()
shop = Business(d, "dispatch.example.com")
other = Business(d, "probe.example.com")
now_ms = d.admin("GET", "/v1/admin/clock").json()["nowMs"]
send = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now_ms / 1000 + 3600))
data = ("email,name,reference,preferredSendTime\n" + "".join(
    "c%d@example.com,Customer Number %d,REF-%08d,%s\n" % (i, i, i, send)
    for i in range(n))).encode()
r = shop.private("POST", "/v1/private/business-units/%s/invitations/csv"
                 % shop.id, data=data, headers={"Content-Type": "text/csv"},
                 timeout=600)
if r.status_code != 201:
    sys.exit("defect: upload answered %d: %s" % (r.status_code, r.text))
upload_hwm = hwm_mib(d.proc.pid)
new = d.dir / "mail" / "new"
perf = None
if os.environ.get("PERF"):
    perf = subprocess.Popen(["perf", "record", "--call-graph", "dwarf,16384", "-F", "300", "-o",
                             os.environ["PERF"], "-p", str(d.proc.pid)],
                            stdout=subprocess.DEVNULL)
    time.sleep(1)
probing = not os.environ.get("NOPROBE")
idle, busy, stop = [], [], threading.Event()
prober = threading.Thread(target=probe, args=(d, other, stop, idle))
if probing:
    prober.start()
    time.sleep(3)
    stop.set()
    prober.join()
before = len(os.listdir(new))
cpu_before = cpu_s(d.proc.pid)
written_before = written_mib(d.proc.pid)
started = time.monotonic()
d.advance_clock(7200)
stop = threading.Event()
prober = threading.Thread(target=probe, args=(d, other, stop, busy))
if probing:
    prober.start()
count = before
while count - before < n:
    time.sleep(0.05)
    count = len(os.listdir(new))
    if time.monotonic() - started > 1800:
        sys.exit("defect: %d of %d after 30 min" % (count - before, n))
elapsed = time.monotonic() - started
stop.set()
if probing:
    prober.join()
if perf is not None:
    perf.send_signal(signal.SIGINT)
    perf.wait()
print("%d invitations -> maildir new/: %.2f s, %.0f/s, daemon CPU %.2f s, "
      "written %.0f MiB; VmHWM after the upload %.1f MiB, after the "
      "dispatch %.1f MiB"
      % (n, elapsed, n / elapsed, cpu_s(d.proc.pid) - cpu_before,
         written_mib(d.proc.pid) - written_before, upload_hwm,
         hwm_mib(d.proc.pid)))
if probing:
    print("API p99 (another unit, one client, a create and a list in turn): "
          "idle %.1f ms (%d requests), during the dispatch %.1f ms (%d): "
          "%.2f x idle" % (p99_ms(idle), len(idle), p99_ms(busy),
                           len(busy), p99_ms(busy) / max(p99_ms(idle),
                                                         0.001)))
rc = d.stop()
if rc != 0:
    sys.exit("defect: the daemon exited %s" % rc)
print(d.dir) if os.environ.get("KEEP") else shutil.rmtree(d.dir)
