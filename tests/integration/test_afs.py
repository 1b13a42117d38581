"""Automatic Feedback Service: order e-mails piped to `reviewd afs-receive`
or posted to /v1/inbound/afs become queued invitations."""
import base64
import subprocess

import pytest

from conftest import BIN, assert_error, wait_for


@pytest.fixture
def daemon(make_daemon):
    """With a master key the settings show the inbound address every time
    (sealed at rest); test_security_afs.py covers the daemon without one."""
    return make_daemon({"links": {
        "master_key": base64.b64encode(b"a" * 32).decode()}})

ORDER = """From: Shop <orders@shop.example>
To: =?UTF-8?B?SsO2cmcgS8OkdWZlcg==?= <joerg@example.com>
Subject: =?UTF-8?Q?Ihre_Bestellung?= Order #12345 =?UTF-8?Q?ist_unterwegs?=
Message-ID: <order-12345@shop.example>
Date: Sun, 22 Nov 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Thank you for your order.
"""

MULTIPART = """From: Shop <orders@shop.example>
To: "Mia Multi" <mia@example.com>, other@example.com
Subject: Shipped
Message-ID: <mp-1@shop.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Your order Order #9=
876 is on its way.
--inner
Content-Type: text/html; charset=UTF-8

<p>Order #1111</p>
--inner--
--outer--
"""


def settings(shop):
    r = shop.private("GET", "/v1/private/business-units/%s/afs" % shop.id)
    assert r.status_code == 200, r.text
    return r.json()


def pipe(daemon, recipient, message):
    return subprocess.run([BIN, "--config", str(daemon.config),
                           "afs-receive", "--recipient", recipient],
                          input=message.replace("\n", "\r\n"), text=True,
                          capture_output=True, timeout=60)


def invitations(shop):
    r = shop.private("GET", "/v1/private/business-units/%s/invitations"
                     % shop.id)
    return r.json()["invitations"]


def test_settings(business):
    s = settings(business)
    local, domain = s["address"].split("@")
    assert domain == "afs.localhost"
    assert local.startswith("afs-") and len(local) == 44
    assert s["delayDays"] == 7 and s["referencePattern"] is None
    assert settings(business)["address"] == s["address"]
    path = "/v1/private/business-units/%s/afs" % business.id
    r = business.private("PATCH", path, json={
        "delayDays": 3, "referencePattern": "Order #([0-9]+)"})
    assert r.status_code == 200
    assert r.json()["delayDays"] == 3
    assert_error(business.private("PATCH", path, json={
        "referencePattern": "([unclosed"}), 400, "referencePattern")
    assert_error(business.private("PATCH", path, json={"delayDays": -1}),
                 400, "delayDays")
    r = business.private("POST", path + "/rotate")
    assert r.json()["address"] != s["address"]


def test_piped_order_becomes_a_queued_invitation(business):
    d = business.daemon
    path = "/v1/private/business-units/%s/afs" % business.id
    business.private("PATCH", path, json={
        "delayDays": 3, "referencePattern": "Order #([0-9]+)"})
    address = settings(business)["address"]
    proc = pipe(d, address, ORDER)
    assert proc.returncode == 0, proc.stderr
    invs = invitations(business)
    assert len(invs) == 1
    inv = invs[0]
    assert inv["consumerEmail"] == "joerg@example.com"
    assert inv["consumerName"] == "Jörg Käufer"
    assert inv["referenceNumber"] == "12345"
    assert inv["origin"] == "afs" and inv["status"] == "queued"
    now = d.admin("GET", "/v1/admin/clock").json()["nowMs"]
    import datetime
    send = datetime.datetime.fromisoformat(
        inv["preferredSendTime"].replace("Z", "+00:00")).timestamp() * 1000
    assert abs(send - (now + 3 * 86400000)) < 120000
    # the same message again: nothing new
    assert pipe(d, address, ORDER).returncode == 0
    assert len(invitations(business)) == 1
    counts = settings(business)["messages"]
    assert counts == {"received": 2, "created": 1, "duplicates": 1,
                      "rejected": 0}
    # delivered after the delay
    d.advance_clock(3 * 86400 + 60)
    business.renew()
    wait_for(lambda: invitations(business)[0]["status"] == "sent")


def test_posted_order_with_header_and_mime_body(business):
    d = business.daemon
    path = "/v1/private/business-units/%s/afs" % business.id
    business.private("PATCH", path, json={
        "referencePattern": "Order #([0-9]+)"})
    address = settings(business)["address"]
    with_header = ORDER.replace("Message-ID: <order-12345@shop.example>",
                                "Message-ID: <h-1@shop.example>\n"
                                "X-Order-Reference: REF-HEADER")
    r = d.post("/v1/inbound/afs", params={"recipient": address},
               data=with_header.encode(),
               headers={"Content-Type": "message/rfc822"})
    assert r.status_code == 202 and r.json()["result"] == "created", r.text
    r = d.post("/v1/inbound/afs", params={"recipient": address},
               data=MULTIPART.encode(),
               headers={"Content-Type": "message/rfc822"})
    assert r.status_code == 202, r.text
    got = {i["consumerEmail"]: i for i in invitations(business)}
    assert got["joerg@example.com"]["referenceNumber"] == "REF-HEADER"
    assert got["mia@example.com"]["referenceNumber"] == "9876"
    assert got["mia@example.com"]["consumerName"] == "Mia Multi"
    r = d.post("/v1/inbound/afs", params={"recipient": address},
               data=MULTIPART.encode(),
               headers={"Content-Type": "message/rfc822"})
    assert r.json()["result"] == "duplicate"
    # without a pattern match or header: the Message-ID is the reference
    plain = MULTIPART.replace("mp-1", "mp-2").replace("Order #", "No ")
    business.private("PATCH", path, json={"referencePattern": None})
    plain = plain.replace("mia@example.com", "noref@example.com")
    d.post("/v1/inbound/afs", params={"recipient": address},
           data=plain.encode(), headers={"Content-Type": "message/rfc822"})
    got = {i["consumerEmail"]: i for i in invitations(business)}
    assert got["noref@example.com"]["referenceNumber"] == "mp-2@shop.example"


def test_unknown_and_unusable_messages(business):
    d = business.daemon
    address = settings(business)["address"]
    proc = pipe(d, "afs-" + "0" * 40 + "@afs.localhost", ORDER)
    assert proc.returncode == 67
    proc = pipe(d, address, "Subject: no recipient\n\nbody\n")
    assert proc.returncode == 65 and "To" in proc.stderr
    r = d.post("/v1/inbound/afs", params={"recipient": "nobody@x.example"},
               data=ORDER.encode(),
               headers={"Content-Type": "message/rfc822"})
    assert_error(r, 404, "recipient")
    r = d.post("/v1/inbound/afs", params={"recipient": address},
               data=b"garbage without headers",
               headers={"Content-Type": "message/rfc822"})
    assert_error(r, 400, "message")
    r = d.post("/v1/inbound/afs", params={"recipient": address},
               data=ORDER.encode(), headers={"Content-Type": "text/csv"})
    assert_error(r, 415)
    r = d.post("/v1/inbound/afs", data=ORDER.encode(),
               headers={"Content-Type": "message/rfc822"})
    assert_error(r, 400, "recipient")
    assert invitations(business) == []
    assert settings(business)["messages"]["rejected"] == 2
    # a rotated address no longer takes mail
    business.private("POST", "/v1/private/business-units/%s/afs/rotate"
                     % business.id)
    assert pipe(d, address, ORDER).returncode == 67


def test_empty_to_header_is_refused_not_fatal(business):
    address = settings(business)["address"]
    r = business.daemon.post("/v1/inbound/afs", params={"recipient": address},
                             data=b"To:\r\nSubject: x\r\n\r\nbody\r\n",
                             headers={"Content-Type": "message/rfc822"})
    assert_error(r, 400, "message")
    assert business.daemon.get("/healthz").status_code == 200


def test_text_in_a_stray_charset_is_not_stored(business):
    """Raw Latin-1 in the To: name and the reference header: the invitation
    still comes, named by the address and referenced by the Message-ID,
    and every list that shows it still answers."""
    address = settings(business)["address"]
    message = (b"From: Shop <orders@shop.example>\r\n"
               b"To: J\xf6rg K\xe4ufer <latin@example.com>\r\n"
               b"Subject: Order\r\n"
               b"X-Order-Reference: R\xe9f-1\r\n"
               b"Message-ID: <latin-1@shop.example>\r\n\r\nbody\r\n")
    r = business.daemon.post("/v1/inbound/afs", params={"recipient": address},
                             data=message,
                             headers={"Content-Type": "message/rfc822"})
    assert r.status_code in (200, 201, 202), r.text
    invs = invitations(business)
    assert len(invs) == 1
    assert invs[0]["consumerEmail"] == "latin@example.com"
    assert invs[0]["consumerName"] == "latin"
    assert invs[0]["referenceNumber"] == "latin-1@shop.example"
    r = business.private("GET", "/v1/private/invitations/%s" % invs[0]["id"])
    assert r.status_code == 200, r.text
