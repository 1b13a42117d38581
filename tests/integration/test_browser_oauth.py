"""The authorization-code flow in a real browser (headless Debian chromium
via playwright-core): a helpdesk sends a business user to the consent
page, the user signs in (after one wrong password) and allows, the browser
lands on the helpdesk's callback with a code that, with the PKCE verifier,
buys tokens for the user's business unit; a refused consent goes back with
access_denied; a wrong redirect URI shows an error page and goes nowhere.
"""
import base64
import hashlib
import http.server
import json
import secrets
import subprocess
import threading
import urllib.parse

import pytest

from conftest import OAUTH, ROOT, Business

DRIVER = ROOT / "tests" / "browser" / "oauth.mjs"


def browser(*args):
    proc = subprocess.run(["node", str(DRIVER)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=120,
                          cwd=DRIVER.parent)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout.strip()


@pytest.fixture
def helpdesk():
    """The third-party application's callback: a loopback HTTP server that
    records the queries it is sent."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/oauth/callback"):
                seen.append(self.path)
            body = b"<!doctype html><title>Helpdesk</title><h1>Connected</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.seen = seen
    server.callback = "http://127.0.0.1:%d/oauth/callback" % \
        server.server_address[1]
    yield server
    server.shutdown()
    server.server_close()


def pkce():
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def test_authorization_code_flow_in_a_browser(daemon, helpdesk):
    d = daemon
    shop = Business(d, "teapots.example.com")
    vendor = Business(d, "helpdesk-vendor.example.com")
    proc = d.cli("app", "create", "--business", vendor.id, "--name",
                 "Acme Helpdesk", "--redirect-uri", helpdesk.callback,
                 "--public")
    assert proc.returncode == 0, proc.stderr
    app = json.loads(proc.stdout)
    base = d.url("")

    # the full flow with PKCE (a public client: no secret at all)
    verifier, challenge = pkce()
    q = urllib.parse.urlencode({
        "client_id": app["key"], "redirect_uri": helpdesk.callback,
        "response_type": "code", "state": "st-1", "code_challenge":
        challenge, "code_challenge_method": "S256"})
    landed = browser("allow", base, "/oauth/authorize?" + q, shop.username,
                     shop.password, helpdesk.callback)
    params = query_of(landed)
    assert params["state"] == ["st-1"]
    assert helpdesk.seen and helpdesk.seen[-1].startswith(
        "/oauth/callback?code=")
    r = d.post(OAUTH + "/accesstoken", data={
        "grant_type": "authorization_code", "code": params["code"][0],
        "redirect_uri": helpdesk.callback, "client_id": app["key"],
        "code_verifier": verifier})
    assert r.status_code == 200, r.text
    tok = r.json()
    assert tok["refresh_token"]
    r = d.get("/v1/private/business-units/%s" % shop.id,
              headers={"Authorization": "Bearer " + tok["access_token"]})
    assert r.status_code == 200, r.text

    # a refused consent goes back with access_denied and the state
    q = urllib.parse.urlencode({
        "client_id": app["key"], "redirect_uri": helpdesk.callback,
        "response_type": "code", "state": "st-2", "code_challenge":
        challenge, "code_challenge_method": "S256"})
    landed = browser("deny", base, "/oauth/authorize?" + q,
                     helpdesk.callback)
    params = query_of(landed)
    assert params["error"] == ["access_denied"]
    assert params["state"] == ["st-2"]
    assert "code" not in params

    # a wrong redirect URI: an error page, the browser goes nowhere
    before = len(helpdesk.seen)
    q = urllib.parse.urlencode({
        "client_id": app["key"], "redirect_uri": helpdesk.callback + "x",
        "response_type": "code", "state": "st-3", "code_challenge":
        challenge, "code_challenge_method": "S256"})
    browser("refused", base, "/oauth/authorize?" + q)
    assert len(helpdesk.seen) == before
