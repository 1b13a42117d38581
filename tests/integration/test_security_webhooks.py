"""Issue 11, webhooks: the address guard judges IPv6 forms that carry an
IPv4 address by that address (point 12), and signing secrets are sealed at
rest with the master key."""
import base64

import pytest

from conftest import Business, assert_error, wait_for
from test_security_afs import database_bytes
from test_webhooks import verify_standard_webhooks

MASTER = base64.b64encode(b"k" * 32).decode()

# Each carries 127.0.0.1, 10.0.0.1 or 169.254.169.254 inside IPv6; refused
# on the literal, before any connection is tried.
EMBEDDED = [
    "http://[64:ff9b::7f00:1]/",            # NAT64, 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/latest",   # NAT64, 169.254.169.254
    "http://[64:ff9b:1::7f00:1]/",          # NAT64 local use
    "http://[2002:7f00:1::]/",              # 6to4, 127.0.0.1
    "http://[2002:a00:1::1]:8080/",         # 6to4, 10.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, 127.0.0.1
    "http://[::ffff:127.0.0.1]/",           # IPv4-mapped
    "http://[::ffff:0:a00:1]/",             # IPv4-translated, 10.0.0.1
    "http://[::127.0.0.1]/",                # IPv4-compatible
    "http://[::a9fe:a9fe]/",                # IPv4-compatible, link-local
]


def hooks_path(shop):
    return "/v1/private/business-units/%s/webhooks" % shop.id


@pytest.fixture
def guarded(make_daemon):
    """The guard on (the default), with a master key so that only the
    address can be the reason for a refusal."""
    d = make_daemon({"links": {"master_key": MASTER}})
    return Business(d, "guarded.example.com")


@pytest.mark.parametrize("url", EMBEDDED)
def test_ipv4_inside_ipv6_is_refused(guarded, url):
    r = guarded.private("POST", hooks_path(guarded), json={
        "url": url, "events": ["service-review-created"]})
    assert_error(r, 400, "url")
    assert guarded.private("GET", hooks_path(guarded)).json()[
        "webhooks"] == []


@pytest.fixture
def sealing(make_daemon):
    d = make_daemon({"webhooks": {"allow_private_targets": "true"},
                     "links": {"master_key": MASTER}})
    return Business(d, "sealing.example.com")


def send_test(shop, sub_id):
    r = shop.private("POST", hooks_path(shop) + "/%s/test" % sub_id)
    assert r.status_code == 202, r.text
    return r.json()["eventId"]


def test_secret_is_sealed_and_still_signs(sealing, receiver):
    d = sealing.daemon
    r = sealing.private("POST", hooks_path(sealing), json={
        "url": receiver.url, "events": ["service-review-created"]})
    assert r.status_code == 201, r.text
    sub = r.json()
    secret = sub["secret"]
    assert secret.startswith("whsec_")
    raw = base64.b64decode(secret[len("whsec_"):])
    send_test(sealing, sub["id"])
    wait_for(lambda: receiver.count() == 1, what="the webhook")
    headers, body, _ = receiver.requests[0]
    headers = {k.lower(): v for k, v in headers.items()}
    assert verify_standard_webhooks(secret, headers, body)
    assert d.stop() == 0
    data = database_bytes(d)
    assert secret[len("whsec_"):].encode() not in data
    assert raw not in data


def test_clear_secrets_of_older_versions_are_sealed(sealing, receiver):
    """A subscription as versions before sealing stored it ("whsec_..." in
    clear) is sealed at the next start and keeps signing with its key."""
    d = sealing.daemon
    r = sealing.private("POST", hooks_path(sealing), json={
        "url": receiver.url, "events": ["service-review-created"]})
    assert r.status_code == 201, r.text
    sub_id = r.json()["id"]
    assert d.stop() == 0
    old = "whsec_" + base64.b64encode(b"o" * 32).decode()
    db = d.sql()
    with db:
        db.execute("UPDATE webhook_subscriptions SET secret = ? "
                   "WHERE id = ?", (old, sub_id))
    db.close()
    d.start()
    sealing.renew()
    assert "sealed 1 signing secrets" in d.stderr()
    send_test(sealing, sub_id)
    wait_for(lambda: receiver.count() == 1, what="the webhook")
    headers, body, _ = receiver.requests[0]
    headers = {k.lower(): v for k, v in headers.items()}
    assert verify_standard_webhooks(old, headers, body)
    assert d.stop() == 0
    assert old[len("whsec_"):].encode() not in database_bytes(d)


def test_subscription_needs_a_master_key(make_daemon, receiver):
    d = make_daemon({"links": {"generate_master_key": "false"}})
    business = Business(d, "nokey.example.com")
    r = business.private("POST", hooks_path(business), json={
        "url": "https://203.0.113.5/x",
        "events": ["service-review-created"]})
    body = assert_error(r, 409)
    assert "master_key" in str(body)
    assert business.private("GET", hooks_path(business)).json()[
        "webhooks"] == []
