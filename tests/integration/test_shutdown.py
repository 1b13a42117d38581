"""SIGTERM: requests in flight complete, then the process exits 0."""
import json
import signal
import socket
import time

import requests

from conftest import wait_for


def test_sigterm_during_request_completes_it(daemon):
    body = json.dumps({"name": "Late", "domain": "late.example.com"}).encode()
    head = ("POST /v1/admin/business-units HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\n"
            "Authorization: Bearer test-admin-token-0123456789\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % len(body)).encode()
    s = socket.create_connection(("127.0.0.1", daemon.port), timeout=20)
    s.sendall(head + body[:10])
    # the request is now in flight (a loaded machine under ASan needs a
    # while to accept and read the head)
    time.sleep(1.0)
    daemon.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: "stopping signal=%d" % signal.SIGTERM in
             daemon.stderr(), what="the daemon to take the signal")
    assert daemon.proc.poll() is None, "exited with a request in flight"
    # meanwhile new requests are turned away, not served
    for path in ("/readyz", "/v1/admin/business-units"):
        r = requests.get(daemon.url(path), timeout=10)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        assert r.headers["Connection"] == "close"
    s.sendall(body[10:])
    response = b""
    while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
        chunk = s.recv(65536)
        if not chunk:
            break
        response += chunk
    s.close()
    assert response.startswith(b"HTTP/1.1 201"), response
    assert b'"displayName":"Late"' in response
    assert daemon.proc.wait(timeout=30) == 0
    assert "stopped" in daemon.stderr()


def test_sigterm_when_idle_exits_zero(daemon):
    assert daemon.stop() == 0
