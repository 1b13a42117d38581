"""Issue 14, section 4: e-mail invitations, links and templates as
Trustpilot's clients expect them: the default answer of email-invitations
(202, no body) and the created invitations on request (RFC 7240), an
unknown templateId, invitation-links from a form, BGLs with SKUs outside
the catalogue, and cancel-queued without createdBefore."""
import json

import pytest

from conftest import Business, assert_error, wait_for
from test_invitations import BU_PATH, history, inv
from test_links import MASTER, bgl_payload, open_link

REPRESENTATION = {"Prefer": "return=representation"}


def post_invitation(shop, body, headers=None):
    return shop.private("POST", (BU_PATH + "/email-invitations") % shop.id,
                        json=body, headers=dict(headers or {}))


def test_default_answer_is_202_without_a_body(business):
    r = post_invitation(business, inv())
    assert r.status_code == 202, r.text
    assert r.content == b""
    assert "Content-Type" not in r.headers
    assert "Preference-Applied" not in r.headers
    # created all the same, and queued
    items = history(business)
    assert [i["consumerEmail"] for i in items] == ["cust@example.com"]
    assert items[0]["status"] in ("queued", "sending", "sent")
    # a batch too
    r = post_invitation(business, {"invitations": [
        inv(email="b1@example.com", ref="B-1"),
        inv(email="b2@example.com", ref="B-2")]})
    assert r.status_code == 202 and r.content == b""
    assert len(history(business)) == 3


def test_prefer_return_representation_gets_the_invitations(business):
    for prefer in ("return=representation", "respond-async, "
                   "return=representation", 'return="representation"',
                   "RETURN=REPRESENTATION; wait=10"):
        n = len(history(business))
        r = post_invitation(business, inv(email="p%d@example.com" % n,
                                          ref="P-%d" % n),
                            headers={"Prefer": prefer})
        assert r.status_code == 201, (prefer, r.text)
        assert r.headers["Preference-Applied"] == "return=representation"
        body = r.json()
        assert body["consumerEmail"] == "p%d@example.com" % n
        assert [e["kind"] for e in body["events"]] == ["created"]
    # other preferences get the default answer
    r = post_invitation(business, inv(email="m@example.com", ref="M-1"),
                        headers={"Prefer": "return=minimal"})
    assert r.status_code == 202 and r.content == b""
    r = post_invitation(business, {"invitations": [
        inv(email="r1@example.com", ref="R-1")]}, headers=REPRESENTATION)
    assert r.status_code == 201
    assert [i["referenceNumber"] for i in r.json()["invitations"]] == \
        ["R-1"]


def test_errors_keep_their_body(business):
    for headers in ({}, REPRESENTATION):
        assert_error(post_invitation(business, inv(consumerEmail="x"),
                                     headers), 400, "consumerEmail")
    assert history(business) == []


def test_idempotent_replay_answers_as_asked(business):
    key = {"Idempotency-Key": "order-1"}
    first = post_invitation(business, inv(ref="IK-1"), headers=key)
    assert first.status_code == 202 and first.content == b""
    again = post_invitation(business, inv(ref="IK-1"), headers=key)
    assert again.status_code == 202 and again.content == b""
    assert again.headers["Idempotent-Replayed"] == "true"
    full = post_invitation(business, inv(ref="IK-1"),
                           headers=dict(key, **REPRESENTATION))
    assert full.status_code == 201
    assert full.headers["Idempotent-Replayed"] == "true"
    assert full.json()["referenceNumber"] == "IK-1"
    assert len(history(business)) == 1


def test_unknown_template_falls_back_to_the_locale_default(business):
    r = post_invitation(business, inv(
        locale="de-DE", serviceReviewInvitation={
            "templateId": "507f191e810c19729de860ea",
            "preferredSendTime": "2099-01-01T00:00:00Z"}),
        headers=REPRESENTATION)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["templateId"] == "default-de"
    events = [(e["kind"], e.get("detail")) for e in body["events"]]
    assert events[0] == ("created", "api")
    kind, detail = events[1]
    assert kind == "template_fallback"
    assert "507f191e810c19729de860ea" in detail and "default-de" in detail
    # every language of the catalogue has its built-in
    r = post_invitation(business, inv(
        email="sv@example.com", ref="SV-1", locale="sv-SE",
        serviceReviewInvitation={"templateId": "nope"}),
        headers=REPRESENTATION)
    assert r.status_code == 201 and r.json()["templateId"] == "default-sv"
    # a locale without one: English
    r = post_invitation(business, inv(
        email="ja@example.com", ref="JA-1", locale="ja-JP",
        serviceReviewInvitation={"templateId": "nope"}),
        headers=REPRESENTATION)
    assert r.status_code == 201 and r.json()["templateId"] == "default-en"
    # a template of the unit and a built-in one are kept, no event
    r = post_invitation(business, inv(
        email="fr@example.com", ref="FR-1", locale="fr-FR",
        serviceReviewInvitation={"templateId": "default-fr"}),
        headers=REPRESENTATION)
    assert r.json()["templateId"] == "default-fr"
    assert [e["kind"] for e in r.json()["events"]] == ["created"]


def test_fallback_invitation_is_sent_in_its_language(business):
    r = post_invitation(business, inv(
        email="anna@example.com", locale="de-DE",
        serviceReviewInvitation={"templateId": "unknown-one"}),
        headers=REPRESENTATION)
    inv_id = r.json()["id"]
    wait_for(lambda: business.private(
        "GET", "/v1/private/invitations/" + inv_id).json()["status"] ==
        "sent", what="the invitation to be sent")
    got = business.private("GET", "/v1/private/invitations/" + inv_id)
    assert [e["kind"] for e in got.json()["events"]][:2] == \
        ["created", "template_fallback"]


def test_cancel_queued_refuses_created_before(business):
    later = {"preferredSendTime": "2099-01-01T00:00:00Z"}
    for i in range(2):
        post_invitation(business, inv(email="q%d@example.com" % i,
                                      ref="Q-%d" % i,
                                      serviceReviewInvitation=later))
    path = (BU_PATH + "/invitations/cancel-queued") % business.id
    body = assert_error(business.private("POST", path, json={
        "createdBefore": "2099-01-01T00:00:00Z"}), 400, "createdBefore")
    assert "all together" in body["details"][0]["reason"]
    assert_error(business.private("POST", path, json={"only": ["x"]}), 400,
                 "only")
    assert {i["status"] for i in history(business)} == {"queued"}
    # an empty object or no body: every queued one
    r = business.private("POST", path, json={})
    assert r.status_code == 200 and r.json() == {"cancelled": 2}
    assert {i["status"] for i in history(business)} == {"cancelled"}
    r = business.private("POST", path)
    assert r.status_code == 200 and r.json() == {"cancelled": 0}


def test_invitation_links_take_a_form(business, other_business):
    path = (BU_PATH + "/invitation-links") % business.id
    r = business.private("POST", path, data={
        "email": "form@example.com", "name": "Form Filler",
        "referenceId": "F-1", "locale": "da-DK", "tags": ["a", "b,c"],
        "redirectUri": "https://shop.example/thanks"})
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["url"].startswith(business.daemon.public_url +
                                  "/evaluate-link/")
    page = business.daemon.get(business.daemon.public_path(link["url"]))
    assert page.status_code == 200 and "Form Filler" in page.text
    items = history(business)
    assert [(i["referenceNumber"], i["tags"], i["locale"]) for i in items] \
        == [("F-1", ["a", "b", "c"], "da-DK")]
    # a long redirectUri fits a form as it fits JSON
    long_uri = "https://shop.example/thanks?" + "x" * 2000
    r = business.private("POST", path, data={
        "email": "long@example.com", "name": "Long", "redirectUri":
        long_uri})
    assert r.status_code == 201, r.text
    # the JSON body still works
    r = business.private("POST", path, json={"email": "j@example.com",
                                             "name": "Jay"})
    assert r.status_code == 201, r.text
    # bad forms name the field and store nothing
    for data, field in [({"name": "No Mail"}, "email"),
                        ({"email": "x@example.com", "name": "X",
                          "colour": "red"}, "colour"),
                        ("email=a%40example.com&name=A&name=B", "name"),
                        ("email=%zz&name=A", "email"),
                        ({"email": "not-an-address", "name": "N"},
                         "email")]:
        assert_error(business.private("POST", path, data=data, headers={
            "Content-Type": "application/x-www-form-urlencoded"}), 400,
            field)
    assert len(history(business)) == 3
    body = assert_error(business.private("POST", path, data="x", headers={
        "Content-Type": "text/plain"}), 415, "Content-Type")
    assert "x-www-form-urlencoded" in body["details"][0]["reason"]
    r = other_business.private("POST", path, data={
        "email": "o@example.com", "name": "O"})
    assert_error(r, 404)


@pytest.fixture
def linked_hooks(make_daemon, receiver):
    d = make_daemon({"links": {"master_key": MASTER},
                     "webhooks": {"allow_private_targets": "true"}})
    shop = Business(d, "skus.example.com")
    r = shop.private("POST", (BU_PATH + "/link-keys") % shop.id)
    assert r.status_code == 201, r.text
    shop.keys = r.json()
    r = shop.private("POST", (BU_PATH + "/products") % shop.id, json={
        "products": [{"sku": "KNOWN-1", "title": "Kettle"}]})
    assert r.status_code == 200, r.text
    r = shop.private("POST", (BU_PATH + "/webhooks") % shop.id, json={
        "url": receiver.url, "events": ["invitation-link-unknown-skus"]})
    assert r.status_code == 201, r.text
    return shop


def test_bgl_with_skus_outside_the_catalogue(linked_hooks, receiver):
    shop = linked_hooks
    # Trustpilot's own example payload, plus one product we know
    p = bgl_payload(shop.keys["encryptKey"], shop.keys["authKey"], {
        "email": "sku.buyer@example.com", "name": "Sam Skus",
        "ref": "BGL-SKU", "skus": ["sku1", "KNOWN-1", "sku2", "sku3"]})
    path = "/evaluate-bgl/skus.example.com?p=" + p
    r = open_link(shop, path)
    assert r.status_code == 303, r.text
    form = r.headers["Location"]
    page = shop.daemon.get(form).text
    assert "Sam Skus" in page and "Kettle" in page
    assert "sku1" not in page
    # the service review and the known product's can be written
    r = shop.daemon.post(form, data={
        "stars": "4", "title": "Good shop", "text": "Fast delivery",
        "stars_1": "5", "title_1": "Good kettle", "text_1": "Boils"})
    assert r.status_code == 200, r.text
    reviews = shop.private("GET", (BU_PATH + "/reviews") % shop.id).json()
    assert [x["stars"] for x in reviews["reviews"]] == [4]
    items = history(shop)
    assert len(items) == 1
    events = {e["kind"]: e.get("detail") for e in items[0]["events"]}
    assert events["unknown_skus"] == "sku1, sku2, sku3"
    assert [p["sku"] for p in items[0]["products"]] == ["KNOWN-1"]
    # and the business is told
    wait_for(lambda: receiver.count() == 1, what="the webhook")
    body = json.loads(receiver.requests[0][1])
    event = body["events"][0]
    assert event["eventName"] == "invitation-link-unknown-skus"
    data = event["eventData"]
    assert data["invitationId"] == items[0]["id"]
    assert data["unknownSkus"] == ["sku1", "sku2", "sku3"]
    assert data["knownSkus"] == ["KNOWN-1"]
    assert data["referenceId"] == "BGL-SKU" and data["linkKind"] == "bgl"
    assert "sku.buyer@example.com" not in receiver.requests[0][1].decode()
    # opened again: the same invitation, told once
    open_link(shop, path)
    assert len(history(shop)) == 1
    shop.daemon.wait_outbox_idle()
    assert receiver.count() == 1


def test_bgl_with_only_unknown_skus_shows_the_service_form(linked_hooks):
    shop = linked_hooks
    p = bgl_payload(shop.keys["encryptKey"], shop.keys["authKey"], {
        "email": "only@example.com", "name": "Only Unknown",
        "ref": "BGL-2", "skus": ["sku1", "sku2"]})
    r = open_link(shop, "/evaluate-bgl/skus.example.com?p=" + p)
    assert r.status_code == 303, r.text
    form = r.headers["Location"]
    assert "Only Unknown" in shop.daemon.get(form).text
    r = shop.daemon.post(form, data={"stars": "5", "title": "Fine",
                                     "text": "All good"})
    assert r.status_code == 200, r.text
    assert history(shop)[0]["products"] == []


def test_email_invitation_skus_still_checked(business):
    """productSkus of an e-mail invitation the business sends itself are
    still refused when unknown: it can fix its request, a customer holding
    a link cannot."""
    assert_error(post_invitation(business, inv(
        productReviewInvitation={"productSkus": ["NOPE"]})), 400,
        "productReviewInvitation.productSkus")
