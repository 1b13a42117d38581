#!/usr/bin/python3
"""CSV upload alone: N invitations (default 100,000) in one
POST .../invitations/csv to a fresh daemon, due in a day (so nothing is
dispatched meanwhile); prints the binary, the answer's status and the
seconds until it came. Compare builds in turns in one sitting: the
disk's speed changes from minute to minute.

usage: bench/csv_upload.py [N]   (after make all; REVIEWD_BIN picks
another binary)
"""
import os
import pathlib
import shutil
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent /
                       "tests" / "integration"))
from conftest import Business, Daemon  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
overrides = {"auth": {"token_requests_per_minute": "100000"},
             "server": {"connection_timeout_s": "600"},
             "invitations": {"daily_limit_per_unit": "0"}}
d = Daemon(pathlib.Path(tempfile.mkdtemp()), overrides).start()
try:
    shop = Business(d, "csv.example.com")
    now_ms = d.admin("GET", "/v1/admin/clock").json()["nowMs"]
    send = time.strftime("%Y-%m-%dT%H:%M:%S",
                         time.gmtime(now_ms / 1000 + 86400))
    data = ("email,name,reference,preferredSendTime\n" + "".join(
        "c%d@example.com,Customer Number %d,REF-%08d,%s\n" % (i, i, i, send)
        for i in range(n))).encode()
    start = time.monotonic()
    r = shop.private("POST", "/v1/private/business-units/%s/invitations/csv"
                     % shop.id, data=data,
                     headers={"Content-Type": "text/csv"}, timeout=600)
    print("%s: %d rows answered %d in %.2f s"
          % (os.environ.get("REVIEWD_BIN", "build/reviewd"), n,
             r.status_code, time.monotonic() - start))
finally:
    d.stop()
    shutil.rmtree(d.dir)
