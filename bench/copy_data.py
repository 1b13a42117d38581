#!/usr/bin/python3
"""Times `reviewd copy-data` (issue 17) on a seeded SQLite installation.

usage: bench/copy_data.py [REVIEWS] [UNITS]
(after make all; REVIEWD_BIN picks another binary; defaults 100000
reviews over 100 units)

bench/seed_db.py makes the SQLite installation (REVIEWS published
reviews with their consumers, products, tags and counts); a throwaway
PostgreSQL cluster (tests/integration/pgcluster.py) takes the copy.
Prints copy-data's summary line, the wall time and peak RSS of the
copy-data process (bounded memory: it streams), and then starts the
daemon on the copied PostgreSQL database and runs `seed_db.py --check`
against it: every unit's counts as served over HTTP, compared with the
SQLite rows the copy came from. Exit 1 on any difference.
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
os.environ.setdefault("REVIEWD_BIN", str(ROOT / "build" / "reviewd"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import pgcluster  # noqa: E402
from conftest import Daemon, write_ini  # noqa: E402


def main(argv):
    reviews = int(argv[1]) if len(argv) > 1 else 100000
    units = int(argv[2]) if len(argv) > 2 else 100
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="copy_data."))
    db = tmp / "reviewd.db"
    seed_json = tmp / "seed.json"
    with open(seed_json, "w") as out:
        subprocess.run([sys.executable, str(HERE / "seed_db.py"), str(db),
                        str(reviews), str(units), "3"], stdout=out,
                       check=True)
    ini = write_ini(tmp / "sqlite.ini", {
        "database": {"path": str(db)},
        "mail": {"maildir": str(tmp / "mail")}})
    cluster = pgcluster.Cluster().start()
    try:
        url = cluster.create_database("copy")
        t0 = time.monotonic()
        with open(tmp / "out", "w") as out, open(tmp / "err", "w") as err:
            proc = subprocess.Popen([os.environ["REVIEWD_BIN"], "--config",
                                     str(ini), "copy-data", "--to", url],
                                    stdout=out, stderr=err)
            # wait4: the peak RSS of this child alone
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss_kib = usage.ru_maxrss
        stdout = (tmp / "out").read_text()
        stderr = (tmp / "err").read_text()
        if proc.returncode != 0:
            sys.exit("copy-data failed:\n" + stderr)
        rows = dict(re.findall(r"^copied (\S+) rows=(\d+)$", stdout, re.M))
        summary = re.search(r"^copy-data: ok .*$", stdout, re.M).group(0)
        print("reviews=%s consumers=%s review_tags=%s" % (
            rows["reviews"], rows["consumers"], rows["review_tags"]))
        print(summary)
        print("wall (migrations included): %.1f s, peak RSS %d MiB" % (
            wall, rss_kib // 1024))
        key = (tmp / "reviewd.db.master-key").read_text().strip()
        (tmp / "pg").mkdir()
        d = Daemon(tmp / "pg", {"database": {
            "path": str(db), "backend": "postgresql", "url": url},
            "links": {"master_key": key}})
        d.start()
        try:
            check = subprocess.run([sys.executable,
                                    str(HERE / "seed_db.py"), "--check",
                                    str(db), str(seed_json), d.url("")])
        finally:
            d.stop()
        print("check on PostgreSQL: %s" % (
            "ok" if check.returncode == 0 else "FAILED"))
        return check.returncode
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
