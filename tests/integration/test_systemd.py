"""docs/reviewd.service: `systemd-analyze verify` clean and `systemd-analyze
security` exposure below 3.0; the watchdog: WATCHDOG=1 only while the HTTP
server answers and the scheduler ends its rounds (a fake NOTIFY_SOCKET
stands in for systemd)."""
import pathlib
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import PG, Business, BIN, ROOT

# on PostgreSQL: nothing to check (said in the reason)
SQLITE_ONLY = pytest.mark.skipif(PG, reason=(
    "holds SQLite's write lock from another process; PostgreSQL "
    "has no such file lock"))

UNIT = ROOT / "docs" / "reviewd.service"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None,
                                   reason="systemd-analyze is not installed")


def local_unit(tmp_path):
    """The unit with ExecStart on the binary under test (verify checks
    that the command exists)."""
    text = UNIT.read_text().replace("/usr/local/bin/reviewd", BIN)
    path = tmp_path / "reviewd.service"
    path.write_text(text)
    return path


def test_unit_has_the_hardening():
    text = UNIT.read_text()
    keys = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
    assert keys["Type"] == "notify"
    assert keys.get("DynamicUser") == "yes" or keys.get("User") == "reviewd"
    for key, value in [("StateDirectory", "reviewd"),
                       ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                       ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"),
                       ("MemoryDenyWriteExecute", "yes")]:
        assert keys.get(key) == value, key
    assert "SystemCallFilter=@system-service" in text
    assert "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" in text
    assert re.search(r"^WatchdogSec=\S+", text, re.M)


@needs_analyze
def test_verify_is_clean(tmp_path):
    p = subprocess.run([ANALYZE, "verify", str(local_unit(tmp_path))],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout + p.stderr == ""


@needs_analyze
def test_security_exposure_below_3(tmp_path):
    unit = local_unit(tmp_path)
    p = subprocess.run([ANALYZE, "security", "--offline=yes", str(unit)],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0 and "offline" in p.stderr:
        pytest.skip("systemd-analyze security --offline is not supported")
    m = re.search(r"Overall exposure level for reviewd\.service: "
                  r"(\d+\.\d+)", p.stdout)
    assert m, p.stdout + p.stderr
    assert float(m.group(1)) < 3.0
    # and systemd's own threshold check agrees (exposure x 10)
    p = subprocess.run([ANALYZE, "security", "--offline=yes",
                        "--threshold=29", str(unit)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr


class FakeSystemd:
    """The notification socket systemd would give the service."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.path = path

    def collect(self, seconds):
        """Messages received within seconds."""
        got, deadline = [], time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return got
            self.sock.settimeout(left)
            try:
                got.append(self.sock.recv(4096).decode())
            except socket.timeout:
                return got

    def wait_for(self, message, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if message in self.collect(min(0.2, deadline -
                                           time.monotonic())):
                return True
        return False

    def close(self):
        self.sock.close()


@pytest.fixture
def fake_systemd(tmp_path, monkeypatch):
    fs = FakeSystemd(tmp_path / "notify")
    monkeypatch.setenv("NOTIFY_SOCKET", str(fs.path))
    monkeypatch.setenv("WATCHDOG_USEC", "1500000")     # pings every 0.5 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield fs
    fs.close()


def metric(d, name):
    r = d.admin("GET", "/metrics")
    assert r.status_code == 200
    m = re.search(r"^%s (\S+)$" % re.escape(name), r.text, re.M)
    return float(m.group(1))


@SQLITE_ONLY
def test_watchdog_stops_while_the_writer_hangs(make_daemon, fake_systemd):
    """Mail no longer runs in the scheduler's rounds (its own lane), so a
    silent mail server hangs nothing the watchdog watches. What can hang
    is a thread waiting on the database: another process holding the
    write lock keeps the writer's group waiting (SQLite's busy timeout),
    and the pings stop until it is let go."""
    import sqlite3
    import threading
    d = make_daemon(start=False)
    d.start()
    shop = Business(d, "watched.example.com")
    assert fake_systemd.wait_for("READY=1", 10)
    assert fake_systemd.collect(2).count("WATCHDOG=1") >= 2
    # the token first: its request would wait on the lock in an HTTP
    # thread, not in the writer this test is about
    shop.headers()
    holder = sqlite3.connect(str(d.db_path), timeout=30)
    holder.execute("BEGIN IMMEDIATE")
    answers = []
    writer = threading.Thread(target=lambda: answers.append(shop.private(
        "POST", "/v1/private/business-units/%s/products" % shop.id,
        json={"products": [{"sku": "W1", "title": "Watched"}]})))
    try:
        writer.start()
        time.sleep(2.5)             # a period (1.5 s) and a ping's time
        fake_systemd.collect(0.6)   # drain what was sent before
        assert "WATCHDOG=1" not in fake_systemd.collect(1)
        # the scheduler's round waits on the same lock: either says so
        assert re.search(r"watchdog: not pinging systemd: the (writer has "
                         r"not finished a group|scheduler has not ended a "
                         r"round)", d.stderr())
    finally:
        holder.rollback()
        holder.close()
    writer.join(30)
    assert answers and answers[0].status_code in (200, 201), answers
    assert fake_systemd.wait_for("WATCHDOG=1", 10)
    assert "watchdog: pinging again" in d.stderr()
    assert d.stop() == 0
    assert "STOPPING=1" in fake_systemd.collect(1)


def test_watchdog_stops_while_http_does_not_answer(make_daemon,
                                                   fake_systemd):
    d = make_daemon({"server": {"max_connections": "4",
                                "request_head_timeout_s": "30"}},
                    start=False)
    d.start()
    assert fake_systemd.wait_for("WATCHDOG=1", 10)
    idle = [socket.create_connection(("127.0.0.1", d.port))
            for _ in range(4)]
    try:
        time.sleep(1.0)
        fake_systemd.collect(0.1)
        assert "WATCHDOG=1" not in fake_systemd.collect(2)
        assert "watchdog: not pinging systemd: GET /healthz did not " \
            "answer 200" in d.stderr()
    finally:
        for s in idle:
            s.close()
    assert fake_systemd.wait_for("WATCHDOG=1", 10)


def test_no_watchdog_thread_without_systemd(daemon):
    assert "watchdog:" not in daemon.stderr()


def test_threads_are_named_for_top_and_perf(daemon):
    """`top -H`, `ps -L` and `perf --sort comm` tell the daemon's threads
    apart: the writer's group commits from the scheduler's dispatch and
    the outbox's mail."""
    names = []
    for task in pathlib.Path("/proc/%d/task" % daemon.proc.pid).iterdir():
        try:
            names.append((task / "comm").read_text().strip())
        except FileNotFoundError:   # a thread that ended meanwhile
            pass
    assert {"writer", "long lane", "scheduler", "outbox email",
            "outbox webhook", "http guard", "MHD-worker"} <= set(names)
    assert names.count("long lane") == 2
    # the systemd watchdog's thread runs only under systemd
    assert "watchdog" not in names
