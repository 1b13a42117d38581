#!/usr/bin/python3
"""The single-commit fsync ceiling of this machine, the reference for
durable writes (issue 13): SQLite in WAL mode with synchronous=FULL, one
small insert per transaction, for SECONDS. WRITERS threads, each with its
own connection, take turns through a lock (a queue: nobody sleeps in
SQLite's busy handler), so the rate is what the disk's flushes allow and
the latency is what a request waiting for its own commit would see.

usage: bench/fsync_ceiling.py DBFILE [SECONDS] [WRITERS]
prints: commits/s, p50 and p99 of one commit (ms), writers
"""
import sqlite3
import sys
import threading
import time

path = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5
writers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
con = sqlite3.connect(path, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, "
            "v TEXT NOT NULL, at INTEGER NOT NULL)")
con.close()
turn = threading.Lock()
lat = []
stop = time.monotonic() + seconds


def writer(n):
    c = sqlite3.connect(path, isolation_level=None, timeout=60,
                        check_same_thread=False)
    c.execute("PRAGMA synchronous=FULL")
    mine = []
    i = 0
    while time.monotonic() < stop:
        i += 1
        t = time.monotonic()
        with turn:
            c.execute("BEGIN IMMEDIATE")
            c.execute("INSERT INTO t (v, at) VALUES (?, ?)",
                      ("writer %d row %d" % (n, i), int(t * 1000)))
            c.execute("COMMIT")
        mine.append(time.monotonic() - t)
    c.close()
    lat.extend(mine)


began = time.monotonic()
pool = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
for t in pool:
    t.start()
for t in pool:
    t.join()
elapsed = time.monotonic() - began
lat.sort()
print("%.0f %.2f %.2f %d" % (len(lat) / elapsed,
                             lat[len(lat) // 2] * 1000,
                             lat[min(len(lat) - 1, len(lat) * 99 // 100)] *
                             1000, writers))
