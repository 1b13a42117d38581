"""Replies, review webhook events, and the reviewer's privacy."""
import json

import pytest

from conftest import Business, assert_error, wait_for
from reviewkit import mails, publish, submit
from test_webhooks import verify_standard_webhooks

SECRET_EMAIL = "secret.person@example.org"


@pytest.fixture
def shop(make_daemon):
    d = make_daemon({"webhooks": {"allow_private_targets": "true"},
                     "links": {"master_key":
                               "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3c="}})
    return Business(d, "replies.example.com")


def subscribe_all(shop, receiver):
    r = shop.private("POST", "/v1/private/business-units/%s/webhooks"
                     % shop.id, json={"url": receiver.url, "events": [
                         "service-review-created", "service-review-updated",
                         "service-review-reply-created",
                         "service-review-reply-updated",
                         "service-review-reply-deleted",
                         "product-review-created"]})
    assert r.status_code == 201
    return r.json()["secret"]


def events(receiver, secret):
    out = []
    for headers, body, _ in list(receiver.requests):
        h = {k.lower(): v for k, v in headers.items()}
        assert verify_standard_webhooks(secret, h, body)
        out.append(json.loads(body)["events"][0])
    return out


def test_reply_create_replace_delete(shop, receiver):
    d = shop.daemon
    secret = subscribe_all(shop, receiver)
    review_id = publish(d, "replies.example.com", SECRET_EMAIL,
                        name="Secret Person", anonymous=True, stars=2,
                        title="Late parcel")
    created = wait_for(lambda: [e for e in events(receiver, secret)
                                if e["eventName"] ==
                                "service-review-created"])
    data = created[0]["eventData"]
    assert created[0]["version"] == "1"
    assert data["id"] == review_id and data["stars"] == 2
    assert data["title"] == "Late parcel" and data["isVerified"] is False
    assert data["consumer"]["name"] == "Anonymous"
    assert data["link"].endswith("/v1/reviews/" + review_id)
    assert data["tags"] == [] and data["referenceId"] is None

    path = "/v1/private/reviews/%s/reply" % review_id
    r = shop.private("POST", path, json={"message": "Sorry <b>about</b> it",
                                         "authorBusinessUserId": "u1"})
    assert r.status_code == 201, r.text
    reply = r.json()["companyReply"]
    assert reply["text"] == "Sorry <b>about</b> it"
    assert reply["authorBusinessUserId"] == "u1"
    replies = wait_for(lambda: [m for m in mails(d) if m["to"] ==
                                SECRET_EMAIL and "replied" in m["subject"]])
    assert len(replies) == 1
    assert "Sorry <b>about</b> it" in replies[0]["text"]
    assert "Sorry &lt;b&gt;about&lt;/b&gt; it" in replies[0]["html"]
    wait_for(lambda: any(e["eventName"] == "service-review-reply-created"
                         for e in events(receiver, secret)))

    # replace, as a form (Trustpilot's Slack app does this)
    r = shop.private("POST", path, data={"message": "We refunded you."})
    assert r.status_code == 200, r.text
    assert r.json()["companyReply"]["text"] == "We refunded you."
    assert r.json()["companyReply"]["createdAt"] == reply["createdAt"]
    # an edit within a day is not mailed again (one mail a day at most)
    wait_for(lambda: any(e["eventName"] == "service-review-reply-updated"
                         for e in events(receiver, secret)))
    public = d.get("/v1/reviews/" + review_id,
                   headers={"apikey": shop.key}).json()
    assert public["companyReply"]["text"] == "We refunded you."
    page = d.get("/b/replies.example.com").text
    assert "We refunded you." in page
    assert len([m for m in mails(d) if m["to"] == SECRET_EMAIL and
                "replied" in m["subject"]]) == 1

    assert_error(shop.private("POST", path, json={"message": ""}), 400,
                 "message")
    assert_error(shop.private("POST", path, json={"message": 5}), 400,
                 "message")
    assert_error(shop.private("POST", path, json={"message": "x" * 5001}),
                 400, "message")
    assert_error(shop.private("POST", path, data={"other": "x"}), 400,
                 "message")

    r = shop.private("DELETE", path)
    assert r.status_code == 200 and r.json()["companyReply"] is None
    assert_error(shop.private("DELETE", path), 404)
    public = d.get("/v1/reviews/" + review_id,
                   headers={"apikey": shop.key}).json()
    assert public["companyReply"] is None
    wait_for(lambda: any(e["eventName"] == "service-review-reply-deleted"
                         for e in events(receiver, secret)))
    # the business's own replies never read as the reviewer's edits
    d.wait_outbox_idle()
    assert not [e for e in events(receiver, secret)
                if e["eventName"] == "service-review-updated"]


def test_reply_to_pending_review_is_refused(shop):
    d = shop.daemon
    review_id = submit(d, "replies.example.com", "p@example.com").json()["id"]
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % review_id,
                     json={"message": "hello"})
    assert_error(r, 404)    # never published: not the business's


def test_bad_form_reply_names_the_field_and_stores_nothing(shop):
    d = shop.daemon
    review_id = publish(d, "replies.example.com", "f@example.com")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    path = "/v1/private/reviews/%s/reply" % review_id
    for body, field in [(b"message=%FF", "message"),
                        (b"message=a%00b", "message"),
                        (b"message=" + b"x" * 30000, "message"),
                        (b"message=bell%07", "message"),
                        (b"authorBusinessUserId=u", "message"),
                        (b"message=ok&authorBusinessUserId=%C3",
                         "authorBusinessUserId")]:
        assert_error(shop.private("POST", path, data=body, headers=form),
                     400, field)
    r = shop.private("GET", "/v1/private/reviews/" + review_id)
    assert r.status_code == 200 and r.json()["companyReply"] is None
    # the form reply with valid text works like JSON
    r = shop.private("POST", path, data={"message": "Danke schön"})
    assert r.status_code in (200, 201), r.text
    r = shop.private("GET", "/v1/private/reviews/" + review_id)
    assert r.json()["companyReply"]["text"] == "Danke schön"


def test_reviewer_email_never_reaches_the_business(shop, receiver):
    """Scans every private and webhook body the flows produce."""
    d = shop.daemon
    secret = subscribe_all(shop, receiver)
    bodies = []
    review_id = publish(d, "replies.example.com", SECRET_EMAIL,
                        name="Secret Person")
    for method, path, kw in [
        ("GET", "/v1/private/reviews/" + review_id, {}),
        ("GET", "/v1/private/business-units/%s/reviews" % shop.id, {}),
        ("GET", "/v1/private/business-units/%s/reviews?pageToken=" % shop.id,
         {}),
        ("POST", "/v1/private/reviews/%s/reply" % review_id,
         {"json": {"message": "Thanks"}}),
        ("PUT", "/v1/private/reviews/%s/tags" % review_id,
         {"json": {"tags": [{"group": "generic", "value": "x"}]}}),
        ("GET", "/v1/private/business-units/%s/webhooks/deliveries"
         % shop.id, {}),
    ]:
        r = shop.private(method, path, **kw)
        assert r.status_code in (200, 201), (path, r.text)
        bodies.append(r.text)
    bodies.append(d.get("/v1/business-units/%s/reviews" % shop.id,
                        headers={"apikey": shop.key}).text)
    bodies.append(d.get("/b/replies.example.com").text)
    wait_for(lambda: len(receiver.requests) >= 2)
    bodies += [b.decode() for _, b, _ in receiver.requests]
    # the delivery log pages with next-page links
    path = "/v1/private/business-units/%s/webhooks/deliveries" % shop.id
    first = wait_for(lambda: (lambda b: len(b["links"]) == 1 and b)(
        shop.private("GET", path + "?perPage=1").json()))
    assert first["links"][0]["rel"] == "next-page"
    assert "page=2" in first["links"][0]["href"]
    bodies.append(json.dumps(first))
    events(receiver, secret)
    for body in bodies:
        assert SECRET_EMAIL not in body
        assert "secret.person" not in body.lower()
