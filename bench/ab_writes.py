#!/usr/bin/python3
"""Two builds side by side on the write lines of bench/run.sh that issue
13's goals 3 and 5 name: `POST email-invitations` with 16 clients (wrk,
the body of run.sh's invite.lua: unique addresses and references, sent in
2030) beside the single-commit fsync ceiling (bench/fsync_ceiling.py),
and one CSV upload of ROWS service rows due at once (run.sh's file).

Each round runs every line for build A, then for build B, each on a fresh
daemon (real SQLite file, maildir, rate limits off as in run.sh), so the
two see the same machine at nearly the same time: on a shared machine
compare the ratios of one run, not runs of different times.

usage: bench/ab_writes.py BIN_A BIN_B [SECONDS] [ROWS] [ROUNDS]
       (defaults 5 s, 100000 rows, 2 rounds; needs wrk)
"""
import pathlib
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent /
                       "tests" / "integration"))
import requests  # noqa: E402

import conftest  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
INVITE_LUA = """
local n, counter = 0, 0
function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
end
request = function()
	n = n + 1
	return wrk.format("POST", nil, nil, string.format(
	    '{"consumerEmail":"w%d-%d@example.net",' ..
	    '"consumerName":"W %d","referenceNumber":"W%d-%d",' ..
	    '"locale":"en-US","serviceReviewInvitation":' ..
	    '{"preferredSendTime":"2030-01-01T10:00:00"}}',
	    tid, n, n, tid, n))
end
"""

bins = sys.argv[1:3]
seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
rows = int(sys.argv[4]) if len(sys.argv) > 4 else 100000
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 2
if len(bins) != 2:
    sys.exit(__doc__)
csv = ("email,name,reference,preferredSendTime\n" + "".join(
    "c%d@example.com,Customer Number %d,REF-%08d,\n" % (i, i, i)
    for i in range(rows))).encode()


def daemon(binary):
    conftest.BIN = binary
    d = conftest.Daemon(pathlib.Path(tempfile.mkdtemp(prefix="abw-")), {
        "server": {"connection_timeout_s": "600",
                   "max_connections_per_ip": "0"},
        "auth": {"token_requests_per_minute": "100000"},
        "ratelimit": {"app_per_minute": "0", "address_per_minute": "0"},
        "log": {"level": "info"}})
    return d.start()


def ms(text):
    """wrk's latency ("812.00us", "3.2ms", "1.1s") in ms."""
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[
        m.group(2)]


def invite(binary):
    d = daemon(binary)
    try:
        shop = conftest.Business(d, "inv.example.com")
        lua = d.dir / "invite.lua"
        lua.write_text(INVITE_LUA)
        out = subprocess.run(
            ["wrk", "-t2", "-c16", "-d%ds" % seconds, "--timeout", "30s",
             "--latency", "-s", str(lua),
             "-H", "Authorization: Bearer " + shop.token(),
             "-H", "Content-Type: application/json",
             d.url("/v1/private/business-units/%s/email-invitations"
                   % shop.id)], capture_output=True, text=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = ms(re.search(r"\s99%\s+(\S+)", out).group(1))
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return rate, p99, int(bad.group(1)) if bad else 0
    finally:
        d.stop()


def upload(binary):
    d = daemon(binary)
    try:
        shop = conftest.Business(d, "csv.example.com")
        t = time.monotonic()
        r = shop.private("POST", "/v1/private/business-units/%s/"
                         "invitations/csv" % shop.id, data=csv,
                         headers={"Content-Type": "text/csv"}, timeout=600)
        elapsed = time.monotonic() - t
        created = r.json().get("created") if r.status_code == 201 else None
        line = [x for x in d.stderr().splitlines() if "csv import=" in x]
        return elapsed, r.status_code, created, line[-1] if line else ""
    finally:
        d.stop()


def ceiling():
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, str(HERE / "fsync_ceiling.py"),
             tmp + "/f.db", str(seconds), "1"],
            capture_output=True, text=True).stdout.split()
    return float(out[0])


names = ("A", "B")
for i, b in enumerate(bins):
    print("%s: %s" % (names[i], b))
with open("/proc/loadavg") as f:
    print("load before:", f.read().strip())
for rnd in range(rounds):
    fs = ceiling()
    print("round %d: fsync ceiling %.0f commits/s" % (rnd + 1, fs),
          flush=True)
    for i, b in enumerate(bins):
        rate, p99, bad = invite(b)
        print("  %s invite 16 clients: %.0f req/s (%.2f x ceiling), p99 "
              "%.1f ms, non-2xx %d" % (names[i], rate, rate / fs, p99, bad),
              flush=True)
    for i, b in enumerate(bins):
        s, status, created, line = upload(b)
        print("  %s CSV %d rows: %.2f s, answer %d, created %s" % (
            names[i], rows, s, status, created), flush=True)
        print("     ", line.split("info: ")[-1])
with open("/proc/loadavg") as f:
    print("load after:", f.read().strip())
