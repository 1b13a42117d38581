#!/usr/bin/python3
"""The PostgreSQL line of the bench (issue 17): the same data served by one
daemon on SQLite, one daemon on PostgreSQL and two daemons on one
PostgreSQL database, side by side in one run, as ratios to the SQLite
daemon. Not run by CI: numbers depend on the machine.

usage: BENCH_CACHE=DIR [REVIEWD_BIN=...] bench/pg.py [SECONDS] [REVIEWS] [UNITS]
bench/run.sh runs it at its end (SKIP_PG=1: not), on the same data.

The database is the one bench/run.sh seeded and keeps in BENCH_CACHE
(reviewd-REVIEWS-UNITS.db and its .json; run bench/run.sh once with
BENCH_CACHE set to make it; default 1000000 reviews over 100 units). A copy of it is
served on SQLite, then moved into a throwaway PostgreSQL cluster with
`reviewd copy-data` (its time is printed), which then serves it. The
cluster is durable (fsync and synchronous_commit on, as the SQLite daemon
is), on loopback. Lines (wrk -t2, SECONDS each, 64 connections for reads,
16 for writes; with two daemons, two wrk at once, each with half the
connections, to one daemon each, their rates summed):
public list page 1, ?stars=1&language=de, page 200, the private list
page 1, and POST email-invitations.
PG_SETTINGS="name=value ..." adds server settings (e.g.
log_min_duration_statement=5); PG_LOG=FILE keeps the server's log.
"""
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import pgcluster  # noqa: E402

seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
reviews = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
units = int(sys.argv[3]) if len(sys.argv) > 3 else 100
cache = pathlib.Path(os.environ.get("BENCH_CACHE", ""))
binary = os.environ.get("REVIEWD_BIN", str(ROOT / "build" / "reviewd"))
source = cache / ("reviewd-%d-%d.db" % (reviews, units))
seed_json = cache / ("reviewd-%d-%d.json" % (reviews, units))
if os.environ.get("BENCH_SEED_DB"):
    # bench/run.sh without a cache: the database it seeded, untouched
    source = pathlib.Path(os.environ["BENCH_SEED_DB"])
    seed_json = pathlib.Path(os.environ["BENCH_SEED_JSON"])
elif not os.environ.get("BENCH_CACHE") or not source.exists():
    sys.exit("bench/pg.py: %s missing: run bench/run.sh with BENCH_CACHE "
             "set first" % source)
info = json.loads(seed_json.read_text())
tenant, tenant_inv = info["tenants"][0], info["tenants"][1]
work = pathlib.Path(tempfile.mkdtemp(prefix="reviewd-bench-pg.",
                                     dir="/var/tmp"))
INVITE_LUA = """
local n, counter = 0, 0
function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
end
request = function()
	n = n + 1
	return wrk.format("POST", nil, nil, string.format(
	    '{"consumerEmail":"p%d-%d-%d@example.net","consumerName":"P %d",' ..
	    '"referenceNumber":"P%d-%d","locale":"en-US",' ..
	    '"serviceReviewInvitation":' ..
	    '{"preferredSendTime":"2030-01-01T10:00:00"}}',
	    tid, n, os.time(), n, tid, n))
end
"""


def log(text):
    print("bench: " + text, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(name, database, master_key=None):
    port = free_port()
    text = ("[server]\nlisten = 127.0.0.1:%d\nthreads = 4\n"
            "max_connections = 4096\nmax_connections_per_ip = 0\n"
            "connection_timeout_s = 600\n[database]\n%s\n"
            "[mail]\nmaildir = %s\n[admin]\n"
            "token = bench-admin-token-0123456789\n[auth]\n"
            "token_requests_per_minute = 100000\n[ratelimit]\n"
            "app_per_minute = 0\naddress_per_minute = 0\n[log]\n"
            "level = warn\n" % (port, database, work / (name + ".mail")))
    if master_key:
        text += "[links]\nmaster_key = %s\n" % master_key
    path = work / (name + ".ini")
    path.write_text(text)
    return path, port


def start(name, config, port):
    err = open(work / (name + ".stderr"), "w")
    proc = subprocess.Popen([binary, "--config", str(config), "serve"],
                            stdout=subprocess.DEVNULL, stderr=err)
    base = "http://127.0.0.1:%d" % port
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.1)
    sys.exit("bench/pg.py: %s did not start:\n%s" % (
        name, (work / (name + ".stderr")).read_text()))


def stop(proc):
    proc.terminate()
    proc.wait(timeout=60)


def token(base, key, secret):
    req = urllib.request.Request(
        base + "/v1/oauth/oauth-business-users-for-applications/"
        "accesstoken", data=b"grant_type=client_credentials")
    import base64
    req.add_header("Authorization", "Basic " + base64.b64encode(
        ("%s:%s" % (key, secret)).encode()).decode())
    with urllib.request.urlopen(req) as r:
        return json.load(r)["access_token"]


def wrk_start(url, conns, extra):
    return subprocess.Popen(["wrk", "-t2", "-c%d" % conns,
                             "-d%ds" % seconds, "--timeout", "30s",
                             "--latency"] + extra + [url],
                            stdout=subprocess.PIPE, text=True)


def wrk_result(proc):
    """(req/s, p99 ms, non-2xx) of a wrk run."""
    out = proc.communicate()[0]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))
    bad = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)",
                                         out))
    return rate, p99, bad


def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[
        m.group(2)]


def lines(bases):
    """Each line on the daemons given: {name: (req/s, p99, errors)}."""
    pub = ["-H", "apikey: " + tenant["key"]]
    bearer = token(bases[0], tenant["key"], tenant["secret"])
    bearer_inv = token(bases[0], tenant_inv["key"], tenant_inv["secret"])
    lua = work / "invite.lua"
    lua.write_text(INVITE_LUA)
    shapes = [
        ("public list page 1", 64, "/v1/business-units/%s/reviews" %
         tenant["unit"], pub),
        ("public ?stars=1&language=de", 64,
         "/v1/business-units/%s/reviews?stars=1&language=de" %
         tenant["unit"], pub),
        ("public page 200", 64, "/v1/business-units/%s/reviews?page=200" %
         tenant["unit"], pub),
        ("private list page 1", 64,
         "/v1/private/business-units/%s/reviews" % tenant["unit"],
         ["-H", "Authorization: Bearer " + bearer]),
        ("POST email-invitations", 16,
         "/v1/private/business-units/%s/email-invitations" %
         tenant_inv["unit"],
         ["-H", "Authorization: Bearer " + bearer_inv, "-H",
          "Content-Type: application/json", "-s", str(lua)]),
    ]
    result = {}
    for name, conns, path, extra in shapes:
        for b in bases:      # warm each daemon's connections and cache
            wrk_short = ["wrk", "-t1", "-c4", "-d1s"] + extra + [b + path]
            subprocess.run(wrk_short, capture_output=True)
        each = max(1, conns // len(bases))
        got = [wrk_result(p) for p in
               [wrk_start(b + path, each, extra) for b in bases]]
        rate = sum(g[0] for g in got)
        p99 = max(g[1] for g in got)
        bad = sum(g[2] for g in got)
        result[name] = (rate, p99, bad)
        log("%-32s %d daemon(s) %9.0f req/s  p99 %7.1f ms  errors %d" % (
            name, len(bases), rate, p99, bad))
    return result


def main():
    db = work / "reviewd.db"
    log("copying %s" % source)
    shutil.copy(source, db)
    settings = os.environ.get("PG_SETTINGS", "").split()
    cluster = pgcluster.Cluster(durable=True, settings=settings).start()
    try:
        config, port = write_config("sqlite", "path = %s" % db)
        proc, base = start("sqlite", config, port)
        log("SQLite, one daemon")
        sqlite = lines([base])
        stop(proc)
        key_file = pathlib.Path(str(db) + ".master-key")
        master_key = key_file.read_text().strip() if key_file.exists() \
            else None
        url = cluster.create_database("bench")
        log("copy-data into PostgreSQL")
        t0 = time.monotonic()
        out = subprocess.run([binary, "--config", str(config), "copy-data",
                              "--to", url], capture_output=True, text=True)
        copy_s = time.monotonic() - t0
        if out.returncode != 0:
            sys.exit("copy-data failed:\n" + out.stdout + out.stderr)
        summary = [ln for ln in out.stdout.splitlines()
                   if ln.startswith("copy-data: ok")]
        log("%s (%.0f s)" % (summary[-1] if summary else "copied", copy_s))
        pg = "backend = postgresql\nurl = %s" % url
        c1, p1 = write_config("pg1", pg, master_key)
        c2, p2 = write_config("pg2", pg, master_key)
        proc1, base1 = start("pg1", c1, p1)
        log("PostgreSQL, one daemon")
        one = lines([base1])
        proc2, base2 = start("pg2", c2, p2)
        log("PostgreSQL, two daemons")
        two = lines([base1, base2])
        stop(proc2)
        stop(proc1)
    finally:
        if os.environ.get("PG_LOG"):
            pathlib.Path(os.environ["PG_LOG"]).write_text(cluster.log())
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("| line | SQLite, 1 daemon | PostgreSQL, 1 daemon | "
          "PostgreSQL, 2 daemons |")
    print("|---|---|---|---|")
    for name, (rate, p99, bad) in sqlite.items():
        cells = ["%.0f req/s, p99 %.1f ms%s" % (
            rate, p99, ", %d errors" % bad if bad else "")]
        for other in (one, two):
            r, q, b = other[name]
            cells.append("%.0f (%.2f ×), p99 %.1f ms%s" % (
                r, r / rate if rate else 0, q,
                ", %d errors" % b if b else ""))
        print("| %s | %s |" % (name, " | ".join(cells)))
    print("\ncopy-data of %d reviews: %.0f s; %s" % (
        reviews, copy_s, summary[-1] if summary else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
