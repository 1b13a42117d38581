"""Issue 11, AFS: a business's referencePattern cannot stall the writes of
other tenants (point 2), and inbound address tokens are kept only as hashes
(sealed with the master key when there is one)."""
import base64
import threading
import time

from conftest import Business, assert_error

MASTER = base64.b64encode(b"s" * 32).decode()


def afs_path(shop):
    return "/v1/private/business-units/%s/afs" % shop.id


def settings(shop):
    r = shop.private("GET", afs_path(shop))
    assert r.status_code == 200, r.text
    return r.json()


def post_mail(daemon, address, message, timeout=60):
    return daemon.post("/v1/inbound/afs", params={"recipient": address},
                       data=message, timeout=timeout,
                       headers={"Content-Type": "message/rfc822"})


def order(to, msgid, body):
    return ("From: Shop <orders@shop.example>\r\n"
            "To: %s\r\nSubject: Your order\r\nMessage-ID: <%s>\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n"
            % (to, msgid, body)).encode()


def invitations(shop):
    r = shop.private("GET", "/v1/private/business-units/%s/invitations"
                     % shop.id)
    assert r.status_code == 200, r.text
    return r.json()["invitations"]


def database_bytes(daemon):
    """What the database holds (the file and its WAL on SQLite)."""
    return daemon.stored_bytes()


def test_slow_pattern_does_not_stall_other_tenants(daemon):
    """`([a-z]+)x` against 64 KB of letters backtracks quadratically. The
    match must run outside the write transaction and stop at its limits:
    another tenant writing meanwhile gets 2xx every time (before: the
    match held the write lock for many seconds and the other tenant got
    503 after busy_timeout), and the mail still becomes an invitation,
    referenced by its Message-ID."""
    shop = Business(daemon, "slow-%d.example.com" % time.monotonic_ns())
    other = Business(daemon, "busy-%d.example.com" % time.monotonic_ns())
    r = shop.private("PATCH", afs_path(shop),
                     json={"referencePattern": "([a-z]+)x"})
    assert r.status_code == 200, r.text
    address = r.json()["address"]
    other.token()
    settings(other)
    body = "a" * 60000 + "-x " + "b" * 8000
    outcome = {}

    def deliver():
        outcome["response"] = post_mail(
            daemon, address, order("slow@example.com", "slow-1@shop.example",
                                   body), timeout=120)

    worker = threading.Thread(target=deliver)
    worker.start()
    statuses = []
    deadline = time.monotonic() + 120
    while ((worker.is_alive() or len(statuses) < 20)
           and time.monotonic() < deadline):
        r = other.private("PATCH", afs_path(other),
                          json={"delayDays": 1 + len(statuses) % 30},
                          timeout=60)
        statuses.append(r.status_code)
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert all(200 <= s < 300 for s in statuses), statuses
    r = outcome["response"]
    assert r.status_code == 202 and r.json()["result"] == "created", r.text
    invs = invitations(shop)
    assert [i["referenceNumber"] for i in invs] == ["slow-1@shop.example"]
    assert "stopped at its limits" in daemon.stderr()
    # a pattern that does find its reference still does, in the body too
    r = shop.private("PATCH", afs_path(shop),
                     json={"referencePattern": "Order #([0-9]+)"})
    assert r.status_code == 200, r.text
    r = post_mail(daemon, address, order(
        "found@example.com", "found-1@shop.example",
        "x" * 60000 + " Order #4711 shipped"))
    assert r.status_code == 202, r.text
    got = {i["consumerEmail"]: i["referenceNumber"] for i in invitations(shop)}
    assert got["found@example.com"] == "4711"


def test_backreferences_are_refused(business):
    before = settings(business)
    for pattern in ("^(a+)+\\1b", "(?<n>a)\\k<n>"):
        body = assert_error(business.private(
            "PATCH", afs_path(business),
            json={"referencePattern": pattern}), 400, "referencePattern")
        assert "backreference" in str(body)
    assert_error(business.private(
        "PATCH", afs_path(business), json={"referencePattern": "([a"}),
        400, "referencePattern")
    assert settings(business)["referencePattern"] == \
        before["referencePattern"]


def test_address_token_is_stored_hashed(make_daemon):
    """Without a master key: the address is shown when it is made (and
    rotated), then no more; it works; its token is nowhere in the file."""
    d = make_daemon({"links": {"generate_master_key": "false"}})
    shop = Business(d, "hashed-%d.example.com" % time.monotonic_ns())
    address = settings(shop)["address"]
    token = address.split("@")[0][len("afs-"):].encode()
    assert len(token) == 40
    assert settings(shop)["address"] is None
    r = post_mail(d, address, order("h@example.com", "h-1@shop.example",
                                    "thanks"))
    assert r.status_code == 202, r.text
    assert token not in database_bytes(d)
    r = shop.private("POST", afs_path(shop) + "/rotate")
    assert r.status_code == 200, r.text
    rotated = r.json()["address"]
    assert rotated is not None and rotated != address
    assert rotated.split("@")[0][len("afs-"):].encode() not in \
        database_bytes(d)
    assert_error(post_mail(d, address, order("h@example.com", "h-2@x",
                                             "x")), 404, "recipient")
    assert post_mail(d, rotated, order("h@example.com", "h-3@x",
                                       "x")).status_code == 202


def test_address_is_sealed_with_the_master_key(make_daemon):
    d = make_daemon({"links": {"master_key": MASTER}})
    shop = Business(d, "sealed-%d.example.com" % time.monotonic_ns())
    address = settings(shop)["address"]
    assert settings(shop)["address"] == address
    assert address.split("@")[0][len("afs-"):].encode() not in \
        database_bytes(d)
    assert post_mail(d, address, order("s@example.com", "s-1@x",
                                       "x")).status_code == 202


def test_clear_tokens_of_older_versions_are_converted(make_daemon):
    """A row as versions before migration 0011 left it (the token in
    clear) is hashed and sealed at start; the address keeps working."""
    d = make_daemon({"links": {"master_key": MASTER}})
    shop = Business(d, "legacy-%d.example.com" % time.monotonic_ns())
    settings(shop)
    assert d.stop() == 0
    old = "0123456789abcdef0123456789abcdef01234567"
    db = d.sql()
    with db:
        db.execute("UPDATE afs_settings SET token_hash = ?, "
                   "token_sealed = NULL WHERE business_unit_id = ?",
                   (old, shop.id))
    db.close()
    d.start()
    shop.renew()
    address = "afs-%s@afs.localhost" % old
    assert settings(shop)["address"] == address
    assert post_mail(d, address, order("l@example.com", "l-1@x",
                                       "x")).status_code == 202
    assert d.stop() == 0
    assert old.encode() not in database_bytes(d)
