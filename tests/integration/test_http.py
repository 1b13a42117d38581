"""HTTP core: routing, the error shape, limits, request ids, health."""
import socket

from conftest import assert_error, wait_for


def test_unknown_path_is_404(daemon):
    body = assert_error(daemon.get("/v1/nothing-here"), 404)
    assert body["errorCode"] == 1004
    assert_error(daemon.get("/healthz/"), 404)


def test_wrong_method_is_405_with_allow(daemon, business):
    r = daemon.request("DELETE", "/v1/private/business-units/" + business.id,
                       headers=business.headers())
    assert_error(r, 405)
    assert r.headers["Allow"] == "GET, HEAD, PATCH"
    r = daemon.request("PUT", "/v1/admin/business-units")
    assert_error(r, 405)
    assert r.headers["Allow"] == "GET, HEAD, POST"


def test_head_answers_like_get(daemon):
    r = daemon.request("HEAD", "/healthz")
    assert r.status_code == 200
    assert r.content == b""


def test_malformed_json_and_invalid_utf8(daemon):
    h = {"Content-Type": "application/json"}
    r = daemon.admin("POST", "/v1/admin/business-units", data=b"{nope",
                     headers=h)
    body = assert_error(r, 400, "body")
    assert "malformed JSON" in body["details"][0]["reason"]
    r = daemon.admin("POST", "/v1/admin/business-units",
                     data=b'{"name": "\xff\xfe", "domain": "x.com"}',
                     headers=h)
    assert_error(r, 400, "body")
    r = daemon.admin("POST", "/v1/admin/business-units", data=b"[1, 2]",
                     headers=h)
    assert_error(r, 400, "body")
    r = daemon.admin("POST", "/v1/admin/business-units",
                     data=b'{"name": "a", "name": "b", "domain": "x.com"}',
                     headers=h)
    assert_error(r, 400, "body")
    r = daemon.admin("POST", "/v1/admin/business-units", data=b"",
                     headers=h)
    assert_error(r, 400, "body")


def test_wrong_content_type_is_415(daemon):
    r = daemon.admin("POST", "/v1/admin/business-units",
                     data="name=a&domain=b.com",
                     headers={"Content-Type":
                              "application/x-www-form-urlencoded"})
    assert_error(r, 415, "Content-Type")
    r = daemon.admin("POST", "/v1/admin/business-units", data=b"{}")
    assert_error(r, 415, "Content-Type")


def test_body_over_limit_is_413(make_daemon):
    d = make_daemon({"server": {"max_body_bytes": "2048"}})
    big = b'{"name": "' + b"x" * 4096 + b'", "domain": "big.com"}'
    r = d.admin("POST", "/v1/admin/business-units", data=big,
                headers={"Content-Type": "application/json"})
    assert_error(r, 413)

    def chunks():                   # no Content-Length: counted as it comes
        for _ in range(8):
            yield b" " * 1024
        yield b"{}"
    r = d.admin("POST", "/v1/admin/business-units", data=chunks(),
                headers={"Content-Type": "application/json"})
    assert_error(r, 413)
    r = d.admin("GET", "/v1/admin/business-units")
    assert r.json()["businessUnits"] == []


def test_request_id_generated_or_echoed(daemon):
    r = daemon.get("/healthz")
    rid = r.headers["X-Request-Id"]
    assert len(rid) == 36
    assert daemon.get("/healthz").headers["X-Request-Id"] != rid
    r = daemon.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"
    r = daemon.get("/nope", headers={"X-Request-Id": "bad id\twith tab"})
    assert r.headers["X-Request-Id"] != "bad id\twith tab"
    assert r.json()["correlationId"] == r.headers["X-Request-Id"]


def test_access_log_line_per_request(daemon):
    daemon.get("/healthz", headers={"X-Request-Id": "log-check-1"})
    daemon.get("/missing", headers={"X-Request-Id": "log-check-2"})
    # the line is written when the connection is done with the request
    log = wait_for(lambda: "rid=log-check-2" in daemon.stderr() and
                   daemon.stderr())
    assert "access method=GET path=/healthz status=200" in log
    assert "path=/missing status=404" in log and "rid=log-check-2" in log
    assert "rid=log-check-1" in log


def test_health_and_readiness(daemon):
    r = daemon.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = daemon.get("/readyz")
    assert r.status_code == 200


def test_garbage_on_the_socket_does_not_hurt(daemon):
    for payload in (b"\x00\xff\x13garbage\r\n\r\n",
                    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
                    b"POST /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", daemon.port), timeout=5)
        try:
            s.sendall(payload)
            s.recv(4096)
        except OSError:
            pass
        finally:
            s.close()
    assert daemon.get("/healthz").status_code == 200


def test_test_clock_moves_forward_only(daemon, make_daemon):
    r = daemon.admin("GET", "/v1/admin/clock")
    now = r.json()["nowMs"]
    r = daemon.admin("POST", "/v1/admin/clock", json={"advanceSeconds": 86400})
    assert r.status_code == 200
    assert r.json()["nowMs"] - now >= 86400 * 1000
    r = daemon.admin("POST", "/v1/admin/clock", json={"advanceSeconds": -1})
    assert_error(r, 400, "advanceSeconds")
    r = daemon.admin("POST", "/v1/admin/clock", json={"now": "2001-01-01"})
    assert_error(r, 400, "now")
    r = daemon.admin("POST", "/v1/admin/clock", json={"later": 1})
    assert_error(r, 400, "later")
    off = make_daemon({"testing": {"clock_control": "false"}})
    assert_error(off.admin("GET", "/v1/admin/clock"), 404)


def test_test_clock_counts_scheduler_passes(daemon):
    # the scheduler runs at least once a second, so the count grows
    # without any request; a clock move wakes it early
    first = daemon.scheduler_passes()
    assert isinstance(first, int) and first >= 0
    wait_for(lambda: daemon.scheduler_passes() > first, timeout=10,
             what="a pass within the scheduler's longest sleep")
    daemon.wait_scheduler_pass()
    assert daemon.scheduler_passes() >= first + 3
