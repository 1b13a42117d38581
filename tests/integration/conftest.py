"""Fixtures that run the real reviewd binary against a temp SQLite file.

Each test gets its own daemon on a kernel-chosen loopback port (listen =
127.0.0.1:0; the port is read from the "listening" log line), its own
database and its own business. Its public_url (the base of the links in
answers and e-mails) is set here, not left to the built-in default, and
tests read it from the daemon (Daemon.public_url, .link(), .public_path()).
Teardown sends SIGTERM, asserts exit status 0 and fails on any sanitizer
report in the daemon's stderr.
"""
import json
import os
import pathlib
import re
import signal
import subprocess
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("REVIEWD_BIN") or str(ROOT / "build" / "reviewd")
ADMIN_TOKEN = "test-admin-token-0123456789"


def _asan_build():
    """Whether BIN is an AddressSanitizer build: it keeps freed memory in
    quarantine (256 MB by default), so a peak-memory bound is ASan's."""
    try:
        with open(BIN, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


ASAN = _asan_build()
START_DEADLINE_S = 30
SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "SUMMARY: UndefinedBehaviorSanitizer",
    "a transaction was left open",
)
OAUTH = "/v1/oauth/oauth-business-users-for-applications"
# Not the built-in default (http://127.0.0.1:8080): a test that wrote the
# default into its expectations instead of asking the daemon fails. Nothing
# listens there; tests open the path of a link on the daemon's real port.
PUBLIC_URL = "http://127.0.0.1:18080"


def check_sanitizers(text):
    for marker in SANITIZER_MARKERS:
        assert marker not in text, "sanitizer report:\n" + text


def run_cli(config, *args, input=None):
    """Runs a reviewd CLI command; returns the CompletedProcess."""
    cmd = [BIN]
    if config is not None:
        cmd += ["--config", str(config)]
    proc = subprocess.run(cmd + list(args), input=input, capture_output=True,
                          text=True, timeout=60)
    check_sanitizers(proc.stderr)
    return proc


def write_ini(path, sections):
    lines = []
    for section, keys in sections.items():
        lines.append("[%s]" % section)
        for key, value in keys.items():
            lines.append("%s = %s" % (key, value))
        lines.append("")
    path.write_text("\n".join(lines))
    return path


# issue 17: REVIEWD_PG=1 (make test PG=1) runs every daemon on PostgreSQL:
# one throwaway cluster for the run (pgcluster.py), a new database per
# daemon, the same [links] master key for all (a test's own wins).
PG = os.environ.get("REVIEWD_PG") == "1"
_pg = {"cluster": None, "databases": 0}


def pg_settings():
    import atexit
    import pgcluster
    if _pg["cluster"] is None:
        _pg["cluster"] = pgcluster.Cluster().start()
        atexit.register(_pg["cluster"].stop)
    _pg["databases"] += 1
    url = _pg["cluster"].create_database("d%d" % _pg["databases"])
    return {"database": {"backend": "postgresql", "url": url},
            "links": {"master_key":
                      "cGdwZ3BncGdwZ3BncGdwZ3BncGdwZ3BncGdwZ3BncGc="}}


def _pg_params(sql):
    """SQLite's `?` placeholders as psycopg2's `%s` (a literal `%` doubled),
    outside quoted strings and identifiers."""
    out, quote = [], None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        if ch == "%":
            ch = "%%"
        out.append(ch)
    return "".join(out)


class PgConnection:
    """The few sqlite3.Connection calls the tests use, on psycopg2:
    execute(sql, args) with `?` parameters returning a cursor (fetchone,
    fetchall, iteration), commit, close and `with con:`. Autocommit: every
    statement is its own transaction (no snapshot or lock is held between
    a test's polls), so commit and `with` have nothing to do."""

    def __init__(self, url, timeout=30):
        import psycopg2
        self.con = psycopg2.connect(url, connect_timeout=int(timeout))
        self.con.autocommit = True

    def execute(self, sql, args=()):
        cur = self.con.cursor()
        cur.execute(_pg_params(sql), tuple(args))
        return cur

    def commit(self):
        pass

    def close(self):
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Daemon:
    def __init__(self, tmp_path, overrides=None):
        self.dir = tmp_path
        self.db_path = tmp_path / "reviewd.db"
        sections = {
            "server": {"listen": "127.0.0.1:0", "threads": "4",
                       "connection_timeout_s": "10",
                       "public_url": PUBLIC_URL},
            "database": {"path": str(self.db_path)},
            "mail": {"maildir": str(tmp_path / "mail")},
            "admin": {"token": ADMIN_TOKEN},
            "log": {"level": "info"},
            "testing": {"clock_control": "true"},
        }
        for section, keys in (pg_settings() if PG else {}).items():
            sections.setdefault(section, {}).update(keys)
        for section, keys in (overrides or {}).items():
            sections.setdefault(section, {}).update(keys)
        links = (overrides or {}).get("links", {})
        if links.get("generate_master_key") == "false" and \
                "master_key" not in links:
            # a test that wants no master key has none on PostgreSQL too
            sections["links"].pop("master_key", None)
        self.config = write_ini(tmp_path / "reviewd.ini", sections)
        self.backend = sections["database"].get("backend", "sqlite")
        self.db_url = sections["database"].get("url")
        self.public_url = sections["server"]["public_url"]
        self.runs = 0
        self.proc = None
        self.port = None
        self.session = requests.Session()

    # process

    def start(self):
        self.runs += 1
        self.stderr_path = self.dir / ("stderr%d.log" % self.runs)
        self.stdout_path = self.dir / ("stdout%d.log" % self.runs)
        self.stderr_file = open(self.stderr_path, "w")
        self.stdout_file = open(self.stdout_path, "w")
        self.proc = subprocess.Popen(
            [BIN, "--config", str(self.config), "serve"],
            stdout=self.stdout_file, stderr=self.stderr_file)
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("reviewd exited %d:\n%s" % (
                    self.proc.returncode, self.stderr()))
            m = re.search(r"listening on \S+ port=(\d+)", self.stderr())
            if m:
                self.port = int(m.group(1))
                try:
                    if requests.get(self.url("/healthz"),
                                    timeout=2).status_code == 200:
                        return self
                except requests.ConnectionError:
                    pass
            time.sleep(0.05)
        raise AssertionError("reviewd did not start:\n" + self.stderr())

    def stop(self):
        """SIGTERM; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        self.stderr_file.close()
        self.stdout_file.close()
        return rc

    def restart(self):
        rc = self.stop()
        assert rc == 0, "exit %s:\n%s" % (rc, self.stderr())
        check_sanitizers(self.stderr())
        return self.start()

    def stderr(self):
        """The stderr of the current (or last) run."""
        return self.stderr_path.read_text(errors="replace")

    def all_stderr(self):
        return "".join(
            (self.dir / ("stderr%d.log" % i)).read_text(errors="replace")
            for i in range(1, self.runs + 1))

    def sql(self, timeout=30):
        """A DB-API connection to this daemon's database on either engine
        (sqlite3, or psycopg2 through PgConnection); `?` parameters on
        both. Write portable SQL; the caller closes it."""
        if self.backend == "postgresql":
            return PgConnection(self.db_url, timeout)
        import sqlite3
        return sqlite3.connect(str(self.db_path), timeout=timeout)

    def dump(self):
        """Every row of every table of the database as text (what a dump
        of it would hold), on either engine."""
        con = self.sql()
        try:
            if self.backend == "postgresql":
                q = ("SELECT table_name FROM information_schema.tables "
                     "WHERE table_schema = 'public'")
            else:
                q = "SELECT name FROM sqlite_master WHERE type = 'table'"
            tables = [r[0] for r in con.execute(q).fetchall()]
            return "\n".join("%s %r" % (t, row) for t in tables
                             for row in con.execute(
                                 'SELECT * FROM "%s"' % t).fetchall())
        finally:
            con.close()

    def stored_bytes(self):
        """What the database holds, as bytes: the SQLite file and its WAL
        as they are on disk; on PostgreSQL (whose files are the server's)
        every row, as dump() gives them."""
        if self.backend == "postgresql":
            return self.dump().encode()
        data = b""
        for suffix in ("", "-wal"):
            f = self.db_path.parent / (self.db_path.name + suffix)
            if f.exists():
                data += f.read_bytes()
        return data

    def cli(self, *args, input=None):
        return run_cli(self.config, *args, input=input)

    # HTTP

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.url(path), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def admin(self, method, path, **kw):
        headers = kw.pop("headers", {})
        headers["Authorization"] = "Bearer " + ADMIN_TOKEN
        return self.request(method, path, headers=headers, **kw)

    def public_path(self, url):
        """The path (and query) of a URL under this daemon's public_url,
        to open on its real port; fails for a URL elsewhere."""
        assert url.startswith(self.public_url + "/"), \
            (url, self.public_url)
        return url[len(self.public_url):]

    def link(self, path_pattern, text):
        """The path of the first link under public_url in text whose path
        matches path_pattern (a regular expression); fails if none does."""
        m = re.search(re.escape(self.public_url) + "(" + path_pattern + ")",
                      text)
        assert m, "no link %s%s in:\n%s" % (self.public_url, path_pattern,
                                             text)
        return m.group(1)

    def outbox_rows(self, status):
        """Every outbox row with that status (all pages)."""
        rows, page = [], 1
        while True:
            r = self.admin("GET", "/v1/admin/outbox", params={
                "status": status, "perPage": 100, "page": page})
            assert r.status_code == 200, r.text
            batch = r.json()["outbox"]
            rows += batch
            if len(batch) < 100:
                return rows
            page += 1

    def outbox_idle(self):
        """True when the outbox has nothing to do now: no row being
        delivered and no pending row due by the daemon's clock. The rows a
        request adds commit with it, so once its answer is in and the
        outbox is idle, every e-mail and webhook it caused has been
        delivered (or failed and waits for a retry, not due yet)."""
        now = self.admin("GET", "/v1/admin/clock").json()["nowMs"]
        # pending before delivering: a row moves pending -> delivering ->
        # delivered, so this order cannot miss one in between
        if any(iso_ms(row["nextAttemptAt"]) <= now
               for row in self.outbox_rows("pending")):
            return False
        return not self.outbox_rows("delivering")

    def wait_outbox_idle(self, timeout=30):
        wait_for(self.outbox_idle, timeout=timeout, what="an idle outbox")

    def advance_clock(self, seconds):
        r = self.admin("POST", "/v1/admin/clock",
                       json={"advanceSeconds": seconds})
        assert r.status_code == 200, r.text
        return r.json()

    def scheduler_passes(self):
        return self.admin("GET", "/v1/admin/clock").json()["schedulerPasses"]

    def wait_scheduler_pass(self, timeout=30):
        """Returns once a whole scheduler pass began after this call: every
        scheduler job (deadlines, dispatch) has run at the clock as it is
        now (one in progress at the call may have seen an older clock,
        hence two). The outbox's lanes deliver on their own threads: the
        pass only wakes them; wait_outbox_idle waits for them."""
        seen = self.scheduler_passes()
        wait_for(lambda: self.scheduler_passes() >= seen + 2,
                 timeout=timeout, what="a scheduler pass")


class Business:
    """A business unit with an API application and a business user."""

    def __init__(self, daemon, domain):
        self.daemon = daemon
        proc = daemon.cli("business", "create", "--name", "Shop " + domain,
                          "--domain", domain)
        assert proc.returncode == 0, proc.stderr
        self.unit = json.loads(proc.stdout)
        self.id = self.unit["id"]
        proc = daemon.cli("app", "create", "--business", self.id)
        assert proc.returncode == 0, proc.stderr
        app = json.loads(proc.stdout)
        self.key, self.secret = app["key"], app["secret"]
        self.username = "owner@" + domain
        self.password = "correct horse battery"
        proc = daemon.cli("user", "create", "--business", self.id,
                          "--username", self.username,
                          input=self.password + "\n")
        assert proc.returncode == 0, proc.stderr
        self._token = None

    def token_response(self, grant="client_credentials", **form):
        data = {"grant_type": grant}
        data.update(form)
        return self.daemon.post(OAUTH + "/accesstoken",
                                auth=(self.key, self.secret), data=data)

    def token(self):
        if self._token is None:
            r = self.token_response()
            assert r.status_code == 200, r.text
            self._token = r.json()["access_token"]
        return self._token

    def renew(self):
        """A new token, after the test clock jumped past the old one."""
        self._token = None
        return self.token()

    def headers(self):
        return {"Authorization": "Bearer " + self.token()}

    def private(self, method, path, **kw):
        headers = kw.pop("headers", {})
        headers.update(self.headers())
        return self.daemon.request(method, path, headers=headers, **kw)


def assert_error(r, status, field=None):
    """Checks status and the one error shape; returns the body."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    body = r.json()
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errorCode"], int)
    assert body["correlationId"] == r.headers["X-Request-Id"]
    assert isinstance(body["details"], list)
    if field is not None:
        fields = [d["field"] for d in body["details"]]
        assert field in fields, body
    return body


@pytest.fixture
def make_daemon(tmp_path):
    daemons = []

    def make(overrides=None, start=True):
        sub = tmp_path / ("d%d" % len(daemons))
        sub.mkdir()
        d = Daemon(sub, overrides)
        daemons.append(d)
        return d.start() if start else d

    yield make
    for d in daemons:
        if d.proc is not None:
            rc = d.stop()
            text = d.all_stderr()
            check_sanitizers(text)
            assert rc == 0, "exit %s:\n%s" % (rc, text)


@pytest.fixture
def daemon(make_daemon):
    return make_daemon()


@pytest.fixture
def business(daemon):
    return Business(daemon, "shop-%d.example.com" % time.monotonic_ns())


@pytest.fixture
def other_business(daemon):
    return Business(daemon, "other-%d.example.com" % time.monotonic_ns())


def iso_ms(text):
    """Milliseconds since the epoch of an API time (2026-11-22T23:45:36.165Z).
    """
    import datetime
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(t.timestamp() * 1000)


def wait_for(predicate, timeout=30, interval=0.05, what="condition"):
    """Polls predicate until it returns a true value; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def smtp_controller(handler, start=True, **kw):
    """aiosmtpd's Controller for handler on a loopback port the kernel
    picks: the socket is bound here, so .port is known at once, and until
    .start() the port refuses connections (bound, not listening), as a mail
    server that is down does. stop_controller() releases it either way."""
    import socket
    from aiosmtpd.controller import Controller

    class Loopback(Controller):
        def _create_server(self):
            return self.loop.create_server(self._factory_invoker,
                                           sock=self.sock,
                                           ssl=self.ssl_context)

    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", 0))
        controller = Loopback(handler, hostname="127.0.0.1",
                              port=sock.getsockname()[1], **kw)
    except BaseException:
        sock.close()
        raise
    controller.sock = sock
    if start:
        controller.start()
    return controller


def stop_controller(controller):
    if controller._thread is not None:
        controller.stop()          # closes its loop and the socket
    else:
        controller.loop.close()
        controller.sock.close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message.
    With start=False its port refuses connections until .start()."""

    def __init__(self, credentials=None, start=True):
        from aiosmtpd.smtp import AuthResult
        import threading
        self.messages = []
        self.logins = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    sink.messages.append(envelope)
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, data):
            ok = credentials is not None and \
                (data.login.decode(), data.password.decode()) == credentials
            if ok:
                sink.logins.append(data.login.decode())
            return AuthResult(success=ok)

        kw = {}
        if credentials is not None:
            kw = dict(authenticator=authenticator, auth_required=True,
                      auth_require_tls=False)
        self.controller = smtp_controller(Handler(), start=start, **kw)
        self.port = self.controller.port

    def start(self):
        self.controller.start()

    def stop(self):
        stop_controller(self.controller)

    def parsed(self):
        import email
        import email.policy
        with self.lock:
            return [email.message_from_bytes(e.original_content,
                                             policy=email.policy.default)
                    for e in self.messages]

    def count(self):
        with self.lock:
            return len(self.messages)


@pytest.fixture
def smtp_sink():
    sinks = []

    def make(credentials=None, start=True):
        s = SmtpSink(credentials, start)
        sinks.append(s)
        return s
    yield make
    for s in sinks:
        s.stop()


class WebhookReceiver:
    """An HTTP server on loopback recording every request it gets; answers
    with the statuses queued in `replies` (then 200)."""

    def __init__(self):
        import http.server
        import threading
        self.requests = []
        self.replies = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        (dict(self.headers.items()), body, time.monotonic()))
                    status, headers = (receiver.replies.pop(0)
                                       if receiver.replies else (200, {}))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/hook" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def count(self):
        with self.lock:
            return len(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.stop()
