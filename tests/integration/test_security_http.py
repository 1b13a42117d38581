"""Issue 11, the HTTP layer: slow clients and bodies, IPv6 clients counted
by their /64 (point 4), file modes (point 9),
Cache-Control/nosniff on personal answers, %00 in path and query.

Every socket here connects to the daemon on 127.0.0.1. The whole of 127/8
is loopback on Linux, so a socket bound to 127.0.0.2 or 127.0.0.3 before it
connects is "another address" to the daemon: the probe that must get
through while 127.0.0.1 misbehaves, or the trusted reverse proxy.
"""
import json
import socket
import stat
import threading
import time

from conftest import OAUTH, PG, Business, assert_error, wait_for
from reviewkit import confirm_links, follow, submit

# Generous: the machine is small and shared.
SOCKET_TIMEOUT_S = 20


def connect(daemon, source="127.0.0.1"):
    s = socket.create_connection(("127.0.0.1", daemon.port),
                                 timeout=SOCKET_TIMEOUT_S,
                                 source_address=(source, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_all(s):
    chunks = []
    while True:
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def raw_get(daemon, path, source="127.0.0.1", headers=()):
    """One GET with Connection: close from source; returns (status, raw)."""
    s = connect(daemon, source)
    try:
        lines = ["GET %s HTTP/1.1" % path, "Host: reviewd.test",
                 "Connection: close"] + list(headers)
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        raw = read_all(s)
    finally:
        s.close()
    status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0
    return status, raw


def held_token_request(daemon, xff):
    """A token request through the trusted proxy 127.0.0.3 for client xff
    whose body never comes. Returns once the daemon has taken its head and
    counted it (its 100 Continue), so that no later request can race it."""
    s = connect(daemon, "127.0.0.3")
    s.sendall(("POST %s/accesstoken HTTP/1.1\r\n"
               "Host: reviewd.test\r\n"
               "X-Forwarded-For: %s\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               "Expect: 100-continue\r\n"
               "Content-Length: 100\r\n\r\n" % (OAUTH, xff)).encode())
    got = b""
    while b"\r\n\r\n" not in got:
        data = s.recv(4096)
        assert data, "closed before the head was taken: %r" % got
        got += data
    assert got.startswith(b"HTTP/1.1 100"), got
    return s


def closed_by_server(s, wait_s):
    """True when the server ends the connection within wait_s (reading
    gives EOF or a reset)."""
    s.settimeout(wait_s)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Dribbler:
    """Connections that send a request line, then one more header line
    every `interval` seconds, never finishing the head: slowloris."""

    def __init__(self, daemon, count, interval):
        self.socks = []
        for _ in range(count):
            try:
                s = connect(daemon)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: reviewd.test\r\n")
                self.socks.append(s)
            except OSError:
                pass  # refused outright: also what the limit may do
        self.stop = threading.Event()
        self.interval = interval
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        n = 0
        while not self.stop.wait(self.interval):
            n += 1
            for s in self.socks:
                try:
                    s.sendall(b"X-Dribble-%d: x\r\n" % n)
                except OSError:
                    pass

    def open_count(self):
        """How many the server has not closed."""
        alive = 0
        for s in self.socks:
            s.setblocking(False)
            try:
                alive += s.recv(1) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        return alive

    def close(self):
        self.stop.set()
        self.thread.join()
        for s in self.socks:
            s.close()


# Point 4: slowloris.

def test_one_address_cannot_take_every_connection(make_daemon):
    # A total limit the flood can exceed on its own, as 1,030 sockets
    # exceeded the default 1024 in the audit.
    d = make_daemon({"server": {"max_connections": "100",
                                "max_connections_per_ip": "20",
                                "connection_timeout_s": "60",
                                "request_head_timeout_s": "60"}})
    flood = Dribbler(d, 150, interval=2)
    try:
        # The limit shuts the connections past 20 at once.
        wait_for(lambda: flood.open_count() <= 20, timeout=30,
                 what="the connections past the per-address limit closed")
        assert flood.open_count() > 0
        # Another address still gets answers while the flood goes on.
        for _ in range(3):
            status, raw = raw_get(d, "/healthz", source="127.0.0.2")
            assert status == 200, raw
        assert flood.open_count() <= 20
    finally:
        flood.close()
    wait_for(lambda: "max_connections_per_ip=20" in d.stderr(),
             what="the refusals logged")


def test_request_head_has_a_deadline(make_daemon):
    d = make_daemon({"server": {"request_head_timeout_s": "3",
                                "connection_timeout_s": "60"}})
    slow = connect(d)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: reviewd.test\r\n")
    header = b"X-Slow: " + b"a" * 100
    started = time.monotonic()
    closed = False
    # One byte a second never lets the 60 s idle timeout run out; the
    # head deadline (3 s) must end it well before 40 s.
    for byte in header:
        try:
            slow.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        if closed_by_server(slow, 1):
            closed = True
            break
        if time.monotonic() - started > 40:
            break
    slow.close()
    assert closed, "a head dribbled a byte a second was never cut"
    # It was the head deadline, not an early refusal: the daemon took
    # the bytes of the first seconds.
    assert time.monotonic() - started >= 2
    wait_for(lambda: "without a complete request head" in d.stderr(),
             what="the closed head logged")
    # A complete head in time is served, and a kept-alive connection
    # serves its next request too.
    s = connect(d)
    try:
        for _ in range(2):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: reviewd.test\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data or not data.rstrip().endswith(
                    b"}"):
                chunk = s.recv(4096)
                assert chunk, data
                data += chunk
            assert data.startswith(b"HTTP/1.1 200"), data
    finally:
        s.close()


def dribble_body(s, wait_s):
    """Sends one body byte a second on s until the server ends the
    connection or wait_s pass. (cut, seconds, what the server sent)."""
    started = time.monotonic()
    answer = b""
    cut = False
    s.settimeout(1)
    while not cut and time.monotonic() - started < wait_s:
        try:
            s.sendall(b"x")
            data = s.recv(4096)
            answer += data
            cut = data == b""
        except socket.timeout:
            pass
        except OSError:  # reset, broken pipe
            cut = True
    return cut, time.monotonic() - started, answer


def test_request_body_has_a_deadline(make_daemon):
    d = make_daemon({"server": {"request_body_timeout_s": "3",
                                "min_body_rate_bytes_s": "512",
                                "connection_timeout_s": "60",
                                "request_head_timeout_s": "60"}})
    # An unauthenticated POST that declares 100000 bytes, then sends one
    # a second: the 60 s idle timeout never runs out, the body deadline
    # (3 s, plus 1/512 s a byte come) must end it well before 40 s.
    slow = connect(d)
    slow.sendall(b"POST /review/example.com HTTP/1.1\r\n"
                 b"Host: reviewd.test\r\n"
                 b"Content-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n")
    cut, took, answer = dribble_body(slow, 40)
    slow.close()
    assert cut, "a body dribbled a byte a second was never cut"
    # the deadline, not an early refusal
    assert took >= 2, answer
    # A 408 when the client reads it before the connection is gone.
    if answer:
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
        assert body["errorCode"] == 1008 and body["correlationId"], body
        assert "too slowly" in body["message"], body
    wait_for(lambda: "without a complete request body" in d.stderr(),
             what="the closed body logged")

    # A body that takes longer than request_body_timeout_s at twice the
    # minimum rate is served, as is the next request on its connection.
    domain = "paced-%d.example.com" % time.monotonic_ns()
    Business(d, domain)
    body = json.dumps({"stars": 4, "title": "Paced", "name": "Reviewer",
                       "email": "paced@example.com",
                       "text": "x" * 4000}).encode()
    assert len(body) > 4000
    s = connect(d, "127.0.0.2")
    try:
        s.sendall(("POST /review/%s HTTP/1.1\r\nHost: reviewd.test\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n" %
                   (domain, len(body))).encode())
        started = time.monotonic()
        for i in range(0, len(body), 500):
            time.sleep(0.5)
            s.sendall(body[i:i + 500])
        assert time.monotonic() - started > 3
        data = b""
        while not data.rstrip().endswith(b"}"):
            chunk = s.recv(4096)
            assert chunk, data
            data += chunk
        assert data.startswith(b"HTTP/1.1 202"), data
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: reviewd.test\r\n"
                  b"Connection: close\r\n\r\n")
        assert read_all(s).startswith(b"HTTP/1.1 200")
    finally:
        s.close()


def test_trusted_proxy_and_forwarded_clients(make_daemon):
    d = make_daemon({"server": {"max_connections_per_ip": "5",
                                "trusted_proxies": "127.0.0.3, 10.0.0.0/8",
                                "connection_timeout_s": "60",
                                "request_head_timeout_s": "60",
                                "request_body_timeout_s": "300"}})
    # The proxy's own connections are not limited per address: 12 idle
    # ones stay open and each is served.
    proxy = [connect(d, "127.0.0.3") for _ in range(12)]
    try:
        for s in proxy:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: reviewd.test\r\n"
                      b"Connection: close\r\n\r\n")
            assert read_all(s).startswith(b"HTTP/1.1 200")
    finally:
        for s in proxy:
            s.close()
    # Through the proxy, the limit counts requests in progress per
    # forwarded client: 5 token requests whose bodies never come.
    held = []
    try:
        for _ in range(5):
            held.append(held_token_request(d, "192.0.2.7"))

        def sixth(xff):
            return raw_get(d, "/healthz", source="127.0.0.3",
                           headers=["X-Forwarded-For: " + xff])

        status, raw = sixth("192.0.2.7")
        assert status == 429 and b"Retry-After: 1" in raw, raw
        # Entries left of the client's are the client's own words; the
        # trusted 10/8 hop right of it is skipped.
        assert sixth("203.0.113.9, 192.0.2.7")[0] == 429
        assert sixth("192.0.2.7, 10.1.2.3")[0] == 429
        # Another client behind the same proxy is served.
        assert sixth("192.0.2.8")[0] == 200
        assert sixth("192.0.2.8, 10.1.2.3")[0] == 200
        # From an address that is no trusted proxy, X-Forwarded-For is
        # not believed.
        status, raw = raw_get(d, "/healthz", source="127.0.0.2",
                              headers=["X-Forwarded-For: 192.0.2.7"])
        assert status == 200, raw
    finally:
        for s in held:
            s.close()
    # Once those end, 192.0.2.7 is served again.
    wait_for(lambda: raw_get(d, "/healthz", source="127.0.0.3", headers=[
        "X-Forwarded-For: 192.0.2.7"])[0] == 200, timeout=30,
        what="192.0.2.7 served again")


def test_ipv6_clients_count_by_their_64(make_daemon):
    # Through a trusted proxy, so that the daemon sees IPv6 clients that
    # the one loopback address of the machine could not be.
    d = make_daemon({"server": {"max_connections_per_ip": "3",
                                "trusted_proxies": "127.0.0.3",
                                "connection_timeout_s": "60",
                                "request_head_timeout_s": "60",
                                "request_body_timeout_s": "300"}})

    def get(xff):
        return raw_get(d, "/healthz", source="127.0.0.3",
                       headers=["X-Forwarded-For: " + xff])[0]

    # Three token requests whose bodies never come, from three addresses
    # of one /64 (and one IPv4 client written as IPv4-mapped IPv6).
    held = []
    try:
        for xff in ("2001:db8:0:1::1", "2001:db8:0:1:ffff::2",
                    "2001:db8:0:1::3", "::ffff:192.0.2.7"):
            held.append(held_token_request(d, xff))
        # Any other address of that /64 is the same client, over the
        # limit; counted address by address, each would be new.
        assert get("2001:db8:0:1::99") == 429
        assert get("2001:db8:0:1:abcd:ef01:2345:6789") == 429
        # The next /64 is another client.
        assert get("2001:db8:0:2::1") == 200
        # The mapped address is its IPv4 one, counted apart: room left.
        assert get("192.0.2.7") == 200
    finally:
        for s in held:
            s.close()


def test_trusted_proxies_are_validated(make_daemon):
    for bad in ("localhost", "10.0.0.0/33", "::1/129", "1.2.3.4/",
                ",".join(["10.0.0.%d" % i for i in range(17)])):
        d = make_daemon({"server": {"trusted_proxies": bad}}, start=False)
        proc = d.cli("migrate")
        assert proc.returncode == 2, (bad, proc.stderr)
        assert "trusted_proxies" in proc.stderr, proc.stderr


# Point 9: file modes.

def no_world_bits(path):
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode & 0o007 == 0, "%s is %o" % (path, mode)
    return mode


def test_state_files_are_not_world_readable(make_daemon):
    d = make_daemon()
    r = d.admin("POST", "/v1/admin/mail/test",
                json={"to": "ops@example.com"})
    assert r.status_code in (200, 202), r.text
    new = d.dir / "mail" / "new"
    mail = wait_for(lambda: next(iter(new.iterdir()), None),
                    what="the test e-mail in the maildir")
    for sub in ("", "tmp", "new", "cur"):
        assert no_world_bits(d.dir / "mail" / sub) & 0o700 == 0o700
    no_world_bits(mail)
    if PG:
        # PostgreSQL's files are the server's (initdb makes them 0700)
        assert not (d.dir / "reviewd.db").exists()
        return
    # while the daemon runs: the database, its WAL and shared memory
    for suffix in ("", "-wal", "-shm"):
        path = d.dir / ("reviewd.db" + suffix)
        assert path.exists(), path
        assert no_world_bits(path) & 0o600 == 0o600
    # A database made world-readable before (an older version) is
    # tightened at the next start.
    assert d.stop() == 0
    (d.dir / "reviewd.db").chmod(0o644)
    d.start()
    assert stat.S_IMODE((d.dir / "reviewd.db").stat().st_mode) == 0o640
    assert "removed world access" in d.stderr()


# Cache-Control: no-store on personal answers, nosniff everywhere.

def test_personal_answers_are_not_stored(daemon, business):
    domain = business.username.split("@", 1)[1]
    public = daemon.get("/v1/business-units/%s/reviews" % business.id,
                        headers={"apikey": business.key})
    assert public.status_code == 200, public.text
    assert "no-store" not in public.headers.get("Cache-Control", "")
    assert public.headers["X-Content-Type-Options"] == "nosniff"

    token = business.token_response()
    assert token.status_code == 200, token.text
    private = business.private("GET", "/v1/private/business-units/%s" %
                               business.id)
    admin = daemon.admin("GET", "/v1/admin/clock")
    for r in (token, private, admin):
        assert r.status_code == 200, r.text
        assert r.headers["Cache-Control"] == "no-store", r.url
        assert r.headers["X-Content-Type-Options"] == "nosniff", r.url
    # errors of private routes too
    r = business.private("GET", "/v1/private/reviews/%s" % ("0" * 24))
    assert_error(r, 404)
    assert r.headers["Cache-Control"] == "no-store"

    # a reviewer's confirmation link, from the e-mail
    email = "nostore-%d@example.com" % time.monotonic_ns()
    r = submit(daemon, domain, email)
    assert r.status_code == 202, r.text
    assert r.headers["Cache-Control"] == "no-store"
    link = wait_for(lambda: confirm_links(daemon).get(email),
                    what="the confirmation e-mail")
    r = follow(daemon, link)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    # every other page behind a token in the path, whatever the answer
    for path in ("/find-reviewer/x", "/evaluate-link/x", "/unsubscribe/x",
                 "/review/confirm/x", "/evaluate-bgl/%s?p=x" % domain,
                 "/evaluate/%s?a=1&b=x&e=y" % domain):
        r = daemon.get(path, allow_redirects=False)
        assert r.headers.get("Cache-Control") == "no-store", (path, r)
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
    # the public profile page is for everyone
    r = daemon.get("/b/%s" % domain)
    assert r.status_code == 200, r.text
    assert "no-store" not in r.headers.get("Cache-Control", "")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # an unknown path's JSON error
    r = daemon.get("/nothing-here")
    assert_error(r, 404)
    assert r.headers["X-Content-Type-Options"] == "nosniff"


# %00 in path parameters and query values.

def test_nul_in_path_or_query_is_refused(daemon, business):
    key = {"apikey": business.key}
    r = daemon.get("/v1/business-units/%s%%00def" % business.id,
                   headers=key)
    body = assert_error(r, 400, "businessUnitId")
    assert "%00" in body["details"][0]["reason"]
    r = daemon.get("/v1/business-units/abc%00", headers=key)
    assert_error(r, 400, "businessUnitId")
    r = business.private("GET", "/v1/private/reviews/%s%%00" % ("0" * 24))
    assert_error(r, 400, "reviewId")
    r = daemon.get("/unsubscribe/abc%00def")
    assert_error(r, 400, "token")
    # a query value, and a name
    r = daemon.get("/v1/business-units/%s/reviews?language=en%%00x" %
                   business.id, headers=key)
    assert_error(r, 400, "language")
    r = daemon.get("/v1/business-units/%s/reviews?a%%00b=1" % business.id,
                   headers=key)
    assert_error(r, 400, "query")
    # what is no NUL still reads as before
    r = daemon.get("/v1/business-units/%s" % business.id, headers=key)
    assert r.status_code == 200, r.text
    r = daemon.get("/v1/business-units/%s/reviews?language=en&x=%%41" %
                   business.id, headers=key)
    assert r.status_code == 200, r.text


def test_a_busy_worker_does_not_make_its_clients_slow(make_daemon):
    """A client whose request waits unread because the worker thread that
    owns its connection is busy with another request is not the slow side:
    the head deadline must not cut it (seen: a tenant's write lost during
    another tenant's CSV import)."""
    import requests
    from test_invitation_csv import upload
    # the kept-alive connection's next head is due 3 s after its first
    # answer; the import holds the only worker for longer than that (and
    # less than libmicrohttpd's own idle timeout, which, blind to unread
    # bytes too, would close the connection itself)
    d = make_daemon({"server": {"threads": "1", "request_head_timeout_s": "3",
                                "connection_timeout_s": "300"},
                     "invitations": {"daily_limit_per_unit": "0"}})
    shop = Business(d, "busy.example.com")
    shop.token()
    rows = "".join("b%d@example.com,B %d,B-%d\n" % (i, i, i)
                   for i in range(100000))
    s = requests.Session()
    assert s.get(d.url("/healthz")).status_code == 200
    done = threading.Event()
    answer = []

    def big():
        # the sanitizer build on a loaded machine imports 100k rows in
        # minutes, not seconds: only the outcome matters here
        try:
            answer.append(upload(shop, rows, timeout=900))
        except Exception as e:  # shown by the assertion below
            answer.append(e)
        done.set()
    t = threading.Thread(target=big)
    t.start()
    try:
        time.sleep(0.3)          # the import has the only worker now
        assert not done.is_set(), "the import was too quick to test"
        r = s.get(d.url("/healthz"), timeout=120)
        assert r.status_code == 200
    finally:
        t.join(timeout=900)
    assert answer and getattr(answer[0], "status_code", None) == 201, answer
