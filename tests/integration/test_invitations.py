"""Invitations: creation (API, batch, idempotency, CSV), the queue,
suppression, dispatch, personal links, erasure."""
import re
import subprocess

import pytest

from conftest import ROOT, Business, assert_error, wait_for

BU_PATH = "/v1/private/business-units/%s"


def inv(email="cust@example.com", name="Cust Omer", ref="ORDER-1", **extra):
    body = {"consumerEmail": email, "consumerName": name,
            "referenceNumber": ref, "locale": "en-US",
            "serviceReviewInvitation": {"tags": ["web"]}}
    body.update(extra)
    return body


def create(shop, body, **kw):
    """Creates and asks for the created invitations back (RFC 7240); the
    default answer, Trustpilot's 202 without a body, is checked in
    test_invitation_compat.py."""
    headers = dict(kw.pop("headers", {}))
    headers.setdefault("Prefer", "return=representation")
    return shop.private("POST", (BU_PATH + "/email-invitations") % shop.id,
                        json=body, headers=headers, **kw)


def history(shop, **params):
    r = shop.private("GET", (BU_PATH + "/invitations") % shop.id,
                     params=dict(params, perPage=100))
    assert r.status_code == 200, r.text
    return r.json()["invitations"]


def count_rows(daemon, table):
    con = daemon.sql()
    try:
        return con.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def shop(business):
    return business


def test_create_single_invitation(shop):
    r = create(shop, inv(serviceReviewInvitation={
        "preferredSendTime": "2099-01-01T10:00:00", "tags": ["vip"]}))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "queued"
    assert body["consumerEmail"] == "cust@example.com"
    assert body["referenceNumber"] == "ORDER-1"
    assert body["preferredSendTime"] == "2099-01-01T10:00:00.000Z"
    assert body["tags"] == ["vip"]
    assert [e["kind"] for e in body["events"]] == ["created"]
    r = shop.private("GET", "/v1/private/invitations/" + body["id"])
    assert r.json()["id"] == body["id"]
    # both of Trustpilot's time formats
    r = create(shop, inv(email="b@example.com", ref="O-2",
                         serviceReviewInvitation={
                             "preferredSendTime": "09/07/2099 13:37:00"}))
    assert r.json()["preferredSendTime"] == "2099-09-07T13:37:00.000Z"


def test_create_bad_input(shop, other_business):
    cases = [
        ({"consumerName": "x", "referenceNumber": "r",
          "serviceReviewInvitation": {}}, "consumerEmail"),
        (inv(consumerEmail="not-an-address"), "consumerEmail"),
        (inv(consumerName=""), "consumerName"),
        (inv(consumerName="A\r\nBcc: x@y.z"), "consumerName"),
        (inv(locale="english"), "locale"),
        (inv(serviceReviewInvitation={"preferredSendTime": "soon"}),
         "serviceReviewInvitation.preferredSendTime"),
        (inv(serviceReviewInvitation=None), "serviceReviewInvitation"),
        (inv(productReviewInvitation={"productSkus": ["NOPE"]},
             serviceReviewInvitation=None),
         "productReviewInvitation.productSkus"),
        (inv(type="sms"), "type"),
        (inv(serviceReviewInvitation={"tags": "web"}),
         "serviceReviewInvitation.tags"),
    ]
    for body, field in cases:
        assert_error(create(shop, body), 400, field)
    assert history(shop) == []
    r = other_business.private("POST", (BU_PATH + "/email-invitations")
                               % shop.id, json=inv())
    assert_error(r, 404)


def test_batch_is_all_or_nothing(shop):
    items = [inv(email="a%d@example.com" % i, ref="B-%d" % i)
             for i in range(5)]
    items[1]["consumerEmail"] = "broken"
    items[3]["consumerName"] = 7
    r = create(shop, {"invitations": items})
    body = assert_error(r, 400)
    assert sorted(d["field"] for d in body["details"]) == [
        "invitations[1].consumerEmail", "invitations[3].consumerName"]
    assert history(shop) == []
    items[1]["consumerEmail"] = "a1@example.com"
    items[3]["consumerName"] = "Three"
    r = create(shop, {"invitations": items})
    assert r.status_code == 201
    assert [x["status"] for x in r.json()["invitations"]] == ["queued"] * 5
    assert len(history(shop)) == 5


def test_idempotency_key(shop):
    h = {"Idempotency-Key": "order-77-invite"}
    first = create(shop, inv(ref="IK-1"), headers=h)
    assert first.status_code == 201
    again = create(shop, inv(ref="IK-1"), headers=h)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(history(shop)) == 1
    r = create(shop, inv(ref="IK-2"), headers=h)
    assert_error(r, 409, "Idempotency-Key")
    assert create(shop, inv(email="other@example.com", ref="IK-3"), headers={
        "Idempotency-Key": "unused-later"}).status_code == 201
    # keys are kept [invitations] idempotency_hours (24): then new again,
    # and the scheduler deletes the old ones
    shop.daemon.advance_clock(25 * 3600)
    shop.renew()
    r = create(shop, inv(email="third@example.com", ref="IK-2"), headers=h)
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    assert r.json() != first.json()
    wait_for(lambda: count_rows(shop.daemon, "idempotency_keys") == 1,
             what="the expired key purged")


def test_suppression_reasons_in_history(shop):
    assert create(shop, inv(email="one@example.com", ref="R-1")) \
        .json()["status"] == "queued"
    r = create(shop, inv(email="two@example.com", ref="R-1"))
    assert r.json()["status"] == "skipped"
    assert "reference" in r.json()["skipReason"]
    r = create(shop, inv(email="ONE@example.com", ref="R-2"))
    assert r.json()["status"] == "skipped"
    assert "repeat period" in r.json()["skipReason"]
    skipped = history(shop, status="skipped")
    assert {x["skipReason"] for x in skipped} == {
        "this reference number was already invited",
        "the address was invited within the repeat period"}
    assert all("skipped" in [e["kind"] for e in x["events"]]
               for x in skipped)
    shop.daemon.advance_clock(31 * 86400)
    shop.renew()
    r = create(shop, inv(email="one@example.com", ref="R-3"))
    assert r.json()["status"] == "queued"


def test_reschedule_cancel_and_refusals(shop):
    later = create(shop, inv(email="l@example.com", ref="Q-1",
                             serviceReviewInvitation={
                                 "preferredSendTime": "2099-01-01"})).json()
    r = shop.private("PATCH", "/v1/private/invitations/" + later["id"],
                     json={"preferredSendTime": "2099-02-01T08:00:00Z"})
    assert r.status_code == 200
    assert r.json()["preferredSendTime"] == "2099-02-01T08:00:00.000Z"
    assert [e["kind"] for e in r.json()["events"]] == ["created",
                                                       "rescheduled"]
    assert_error(shop.private("PATCH", "/v1/private/invitations/" +
                              later["id"], json={"preferredSendTime": "x"}),
                 400, "preferredSendTime")
    body = assert_error(shop.private("DELETE", "/v1/private/invitations/" +
                                     later["id"]), 409)
    assert "cancel-queued" in body["message"]
    # a second one, and one already sent
    create(shop, inv(email="m@example.com", ref="Q-2",
                     serviceReviewInvitation={
                         "preferredSendTime": "2099-01-01"}))
    sent = create(shop, inv(email="now@example.com", ref="Q-3")).json()
    wait_for(lambda: shop.private("GET", "/v1/private/invitations/" +
                                  sent["id"]).json()["status"] == "sent",
             what="the immediate invitation to be sent")
    r = shop.private("POST", (BU_PATH + "/invitations/cancel-queued")
                     % shop.id)
    assert r.status_code == 200 and r.json() == {"cancelled": 2}
    assert {x["status"] for x in history(shop)} == {"cancelled", "sent"}
    body = assert_error(shop.private(
        "PATCH", "/v1/private/invitations/" + later["id"],
        json={"preferredSendTime": "2099-03-01"}), 409)
    assert "re-activated" in body["message"]
    body = assert_error(shop.private(
        "PATCH", "/v1/private/invitations/" + sent["id"],
        json={"preferredSendTime": "2099-03-01"}), 409)
    assert "retracted" in body["message"]
    assert_error(shop.private("DELETE", "/v1/private/invitations/" +
                              sent["id"]), 409)
    r = shop.private("POST", (BU_PATH + "/invitations/cancel-queued")
                     % shop.id)
    assert r.json() == {"cancelled": 0}
    assert_error(shop.private("GET", "/v1/private/invitations/"
                              "ffffffffffffffffffffffff"), 404)


def test_delivery_time_moves_with_the_clock(shop):
    r = create(shop, inv(serviceReviewInvitation={
        "preferredSendTime": "2099-01-01T00:00:00Z"}))
    inv_id = r.json()["id"]
    shop.private("PATCH", "/v1/private/invitations/" + inv_id,
                 json={"preferredSendTime": "2030-01-01T00:00:00Z"})
    now = shop.daemon.admin("GET", "/v1/admin/clock").json()["now"]
    assert now < "2030"
    shop.daemon.admin("POST", "/v1/admin/clock",
                      json={"now": "2030-01-01T00:00:01Z"})
    shop.renew()
    wait_for(lambda: shop.private("GET", "/v1/private/invitations/" +
                                  inv_id).json()["status"] == "sent")


def test_templates(shop):
    path = (BU_PATH + "/templates") % shop.id
    builtins = shop.private("GET", path).json()["templates"]
    # one built-in a language of the catalogue (lang/xx.txt)
    languages = sorted(p.stem for p in ROOT.glob("lang/*.txt"))
    assert sorted(t["id"][len("default-"):] for t in builtins
                  if t["isDefaultTemplate"]) == languages
    assert {t["locale"] for t in builtins} >= {"en-US", "de-DE", "fr-FR",
                                               "da-DK", "sv-SE", "pt-PT"}
    r = shop.private("POST", path, json={
        "name": "Ours", "locale": "en-GB", "subject": "Hi {{name}}",
        "text": "Review us: {{link}}", "html": "<a href='{{link}}'>go</a>"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    assert_error(shop.private("POST", path, json={
        "name": "Bad", "locale": "en-GB", "subject": "x", "text": "no link",
        "html": "{{link}}"}), 400, "text")
    assert_error(shop.private("POST", path, json={
        "name": "Bad", "locale": "en-GB", "subject": "Hi {{firstName}}",
        "text": "{{link}}", "html": "{{link}}"}), 400, "subject")
    r = shop.private("PUT", path + "/" + tid, json={
        "name": "Ours v2", "locale": "en-GB", "subject": "Hello {{name}}",
        "text": "Please: {{link}}",
        "html": "<p><a href=\"{{link}}\">Review</a></p>"})
    assert r.status_code == 200 and r.json()["name"] == "Ours v2"
    assert_error(shop.private("PUT", path + "/ffffffffffffffffffffffff",
                              json={"name": "x", "locale": "en-GB",
                                    "subject": "s", "text": "{{link}}",
                                    "html": "<a href='{{link}}'>go</a>"}),
                 404)
    r = create(shop, inv(serviceReviewInvitation={"templateId": tid}))
    assert r.status_code == 201 and r.json()["templateId"] == tid


def test_undeliverable_invitation_is_not_left_sending(make_daemon):
    """The mail server refuses the address for good (550): the invitation
    ends as skipped, undeliverable, with the server's reason; the other
    one is sent."""
    from conftest import smtp_controller, stop_controller

    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address,
                              options):
            if address.startswith("gone@"):
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    controller = smtp_controller(Refusing())
    try:
        d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                                  "smtp://127.0.0.1:%d" % controller.port}})
        shop = Business(d, "refused.example.com")
        gone = create(shop, inv(email="gone@example.com")).json()["id"]
        fine = create(shop, inv(email="fine@example.com",
                                ref="ORDER-2")).json()["id"]

        def status(i):
            return shop.private("GET", "/v1/private/invitations/" +
                                i).json()
        wait_for(lambda: status(fine)["status"] == "sent")
        body = wait_for(lambda: (lambda b: b["status"] != "sending" and b)(
            status(gone)))
        assert body["status"] == "skipped", body
        assert body["skipReason"].startswith("undeliverable: ")
        assert "550" in body["skipReason"] or "no such user" in \
            body["skipReason"], body
        assert body["events"][-1]["kind"] == "undeliverable"
    finally:
        stop_controller(controller)


def test_erasing_a_queued_invitation_cancels_it_with_an_event(shop):
    i = create(shop, inv(email="later@example.com", serviceReviewInvitation={
        "preferredSendTime": "2099-01-01T00:00:00Z"})).json()["id"]
    r = shop.private("POST", (BU_PATH + "/invitation-data/delete") % shop.id,
                     json={"customerEmails": ["later@example.com"]})
    assert r.status_code == 200 and r.json()["erasedInvitations"] == 1
    body = shop.private("GET", "/v1/private/invitations/" + i).json()
    assert body["status"] == "cancelled" and body["cancelledAt"]
    assert [(e["kind"], e["detail"]) for e in body["events"]] == [
        ("created", "api"), ("cancelled", "erased"), ("erased", None)]
