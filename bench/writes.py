#!/usr/bin/python3
"""Write load: THREADS clients, each creating an invitation through the API
and submitting an organic review through the public form in a loop for
SECONDS, against a fresh daemon (real SQLite file, maildir). Prints the
answers by status, the rate, and the state of the invitations and the
outbox after a short drain. Any 5xx or lost row is a defect.

usage: bench/writes.py [SECONDS] [THREADS]   (after make all)
"""
import collections
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

seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 12
d = Daemon(pathlib.Path(tempfile.mkdtemp()),
           {"auth": {"token_requests_per_minute": "100000"},
            "reviews": {"submissions_per_address_day": "1000"}}).start()
shop = Business(d, "load.example.com")
headers = shop.headers()
answers = collections.Counter()
lock = threading.Lock()
stop = time.monotonic() + seconds


def client(n):
    s = requests.Session()
    i = 0
    while time.monotonic() < stop:
        i += 1
        a = s.post(d.url("/v1/private/business-units/%s/email-invitations"
                         % shop.id), headers=headers, json={
            "consumerEmail": "c%d-%d@example.com" % (n, i),
            "consumerName": "C", "referenceNumber": "R%d-%d" % (n, i),
            "locale": "en-US", "serviceReviewInvitation": {}})
        b = s.post(d.url("/review/load.example.com"), json={
            "stars": 5, "title": "t", "text": "x", "name": "n",
            "email": "o%d-%d@example.com" % (n, i)})
        with lock:
            answers["invitation %d" % a.status_code] += 1
            answers["review %d" % b.status_code] += 1


started = time.monotonic()
pool = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
elapsed = time.monotonic() - started
print("%d clients, %.1f s" % (threads, elapsed))
print("answers:", dict(answers))
print("writes/s: %.0f" % (sum(answers.values()) / elapsed))
time.sleep(3)
con = sqlite3.connect(d.db_path)
print("invitations:", dict(con.execute(
    "SELECT status, count(*) FROM invitations GROUP BY status")))
print("reviews:", dict(con.execute(
    "SELECT status, count(*) FROM reviews GROUP BY status")))
print("outbox:", dict(con.execute(
    "SELECT status, count(*) FROM outbox GROUP BY status")))
con.close()
rc = d.stop()
print("daemon exit:", rc)
bad = {k: v for k, v in answers.items() if not k.endswith((" 201", " 202"))}
if bad or rc != 0:
    sys.exit("defect: answers %s, exit %s" % (bad, rc))
