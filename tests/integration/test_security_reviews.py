"""Issue 11, what a dishonest business may try against reviewers: unmask
or silence an anonymous organic reviewer (point 1), mail one reviewer
without end (6), probe private tags from the public list (8), have a link
scanner publish a review (10), and serve javascript: links (11)."""
import json
import re

import pytest

from conftest import Business, assert_error, wait_for
from reviewkit import confirm_links, follow, mails, publish, submit
from test_invitations import create as create_invitation, inv
from test_links import MASTER, bgl_payload, unique_query

TARGET = "target@example.org"
LINK = r"/evaluate-link/[A-Za-z0-9_-]{43}"


@pytest.fixture
def shop(make_daemon, receiver):
    d = make_daemon({"links": {"master_key": MASTER},
                     "webhooks": {"allow_private_targets": "true"}})
    s = Business(d, "unmask.example.com")
    r = s.private("POST", "/v1/private/business-units/%s/webhooks" % s.id,
                  json={"url": receiver.url,
                        "events": ["service-review-created"]})
    assert r.status_code == 201, r.text
    s.receiver = receiver
    return s


def private_reviews(shop, **params):
    r = shop.private("GET", "/v1/private/business-units/%s/reviews"
                     % shop.id, params=dict(params, perPage=100))
    assert r.status_code == 200, r.text
    return r.json()["reviews"]


def link_review(shop, email, ref, title):
    """The business writes a review itself through an invitation link it
    made for email: what it hands out proves nothing about the address."""
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "invitation-links" % shop.id,
                     json={"email": email, "name": "Target", "referenceId":
                           ref})
    assert r.status_code in (200, 201), r.text
    form = shop.daemon.public_path(r.json()["url"])
    r = shop.daemon.post(form, data={"stars": "1", "title": title,
                                     "text": "Written by the business"})
    assert r.status_code == 200, r.text
    return [x for x in private_reviews(shop) if x["title"] == title][0]


def created_events(shop):
    return [json.loads(body)["events"][0]["eventData"]["id"]
            for _, body, _ in list(shop.receiver.requests)]


def test_a_business_cannot_silence_and_unmask_an_organic_reviewer(shop):
    """The exact steps of the audit: a link review under the target's
    address, reported so it is hidden; then the target's own anonymous
    organic review. It must be published, and the business must learn
    nothing it did not already know."""
    d = shop.daemon
    fake = link_review(shop, TARGET, "UNMASK-1", "Planted")
    r = shop.private("POST", "/v1/private/reviews/%s/reports" % fake["id"],
                     json={"reason": "harmful_or_illegal"})
    assert r.status_code == 201, r.text
    assert private_reviews(shop)[0]["status"] == "hidden"

    r = submit(d, "unmask.example.com", TARGET, title="My own words",
               name="Tara Target", anonymous=True)
    assert r.status_code == 202, r.text
    own = r.json()["id"]
    # before confirmation the business sees nothing of it
    assert own not in [x["id"] for x in private_reviews(shop)]
    assert_error(shop.private("GET", "/v1/private/reviews/" + own), 404)
    link = wait_for(lambda: confirm_links(d).get(TARGET),
                    what="the confirmation e-mail")
    r = follow(d, link)
    assert r.status_code == 200 and "published" in r.text, r.text
    assert "Already reviewed" not in r.text
    mine = shop.private("GET", "/v1/private/reviews/" + own)
    assert mine.status_code == 200, mine.text
    mine = mine.json()
    assert mine["status"] == "active" and mine["hiddenReason"] is None
    assert mine["consumer"]["displayName"] == "Anonymous"
    assert mine["consumer"]["id"] != fake["consumer"]["id"]
    assert own in [x["id"] for x in d.get(
        "/v1/business-units/%s/reviews" % shop.id,
        headers={"apikey": shop.key}).json()["reviews"]]
    # nothing in the private list or the events ties the two together
    listed = {x["id"]: x for x in private_reviews(shop)}
    assert set(listed) == {fake["id"], own}
    assert TARGET not in json.dumps(listed[own])
    wait_for(lambda: own in created_events(shop),
             what="the created event of the organic review")


def test_bgl_and_unique_link_reviews_never_block_a_reviewer(shop):
    """BGL and Unique Links are made by the business too: reviews through
    them under the target's address block neither the target's organic
    review nor, once published, hide it."""
    d = shop.daemon
    r = shop.private("POST", "/v1/private/business-units/%s/link-keys"
                     % shop.id)
    assert r.status_code == 201, r.text
    keys = r.json()
    p = bgl_payload(keys["encryptKey"], keys["authKey"],
                    {"email": TARGET, "name": "Target", "ref": "BGL-1"})
    r = d.get("/evaluate-bgl/unmask.example.com?p=" + p,
              allow_redirects=False)
    assert r.status_code == 303, r.text
    assert d.post(r.headers["Location"], data={
        "stars": "1", "title": "Via BGL", "text": "x"}).status_code == 200
    q = unique_query(keys["uniqueLinkSecret"], TARGET, "UL-1", "Target")
    r = d.get("/evaluate/unmask.example.com?" + q, allow_redirects=False)
    assert r.status_code == 303, r.text
    assert d.post(r.headers["Location"], data={
        "stars": "1", "title": "Via Unique Link",
        "text": "x"}).status_code == 200
    assert {x["linkKind"] for x in private_reviews(shop)} == \
        {"bgl", "unique_link"}
    own = publish(d, "unmask.example.com", TARGET, title="Really mine")
    r = shop.private("GET", "/v1/private/reviews/" + own)
    assert r.status_code == 200 and r.json()["status"] == "active", r.text


def test_only_a_delivered_email_invitation_counts_as_a_duplicate(make_daemon,
                                                                 smtp_sink):
    """A review written through an invitation e-mail we delivered to the
    mailbox is that person's: their organic review of the same business
    is then a duplicate, and told so only on their own confirmation page."""
    sink = smtp_sink()
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port}})
    d.sink = sink
    shop = Business(d, "twice.example.com")
    r = create_invitation(shop, inv(email="Twice@Example.com", name="Tom",
                                    ref="ORD-7"))
    assert r.status_code == 201, r.text
    text = wait_for(lambda: [m["text"] for m in mails(d)
                             if m["to"] == "Twice@Example.com"],
                    what="the invitation e-mail")[0]
    form = d.link(LINK, text)
    assert d.post(form, data={"stars": "5", "title": "Invited",
                              "text": "First"}).status_code == 200
    r = submit(d, "twice.example.com", "twice@example.com", title="Again")
    assert r.status_code == 202
    link = wait_for(lambda: confirm_links(d).get("twice@example.com"))
    r = follow(d, link)
    assert r.status_code == 409 and "Already reviewed" in r.text
    # the refused one is the reviewer's business, not the shop's
    titles = [x["title"] for x in private_reviews(shop)]
    assert titles == ["Invited"]


def test_never_published_reviews_are_not_the_business_s(shop):
    """Pending and expired reviews: not in private lists (any status
    filter), not readable by id, not reportable, not askable, no event."""
    d = shop.daemon
    r = submit(d, "unmask.example.com", "late@example.org", title="Pending")
    pending = r.json()["id"]
    assert private_reviews(shop) == []
    for status in ("pending", "expired"):
        assert_error(shop.private(
            "GET", "/v1/private/business-units/%s/reviews" % shop.id,
            params={"status": status}), 400, "status")
    path = "/v1/private/reviews/" + pending
    assert_error(shop.private("GET", path), 404)
    assert_error(shop.private("POST", path + "/reports",
                              json={"reason": "other"}), 404)
    assert_error(shop.private("POST", path + "/find-reviewer", json={}), 404)
    assert_error(shop.private("GET", path + "/find-reviewer"), 404)
    assert_error(shop.private("POST", path + "/reply",
                              json={"message": "Who are you?"}), 404)
    d.advance_clock(30 * 86400)
    shop.renew()
    wait_for(lambda: d.sql().execute(
        "SELECT status FROM reviews WHERE id = ?", (pending,)).fetchone()[0]
        == "expired", what="the scheduler to expire the review")
    assert private_reviews(shop) == []
    assert_error(shop.private("GET", path), 404)
    assert pending not in created_events(shop)


def test_the_reviewer_is_mailed_once_a_day_about_replies(shop):
    """The first reply is mailed at once; edits inside the day are mailed
    once, when the day is over, with the text of that moment."""
    d = shop.daemon
    review = publish(d, "unmask.example.com", "replied@example.org",
                     name="Rita")
    path = "/v1/private/reviews/%s/reply" % review

    def reply_mails():
        return [m["text"] for m in mails(d)
                if m["to"] == "replied@example.org" and
                "/review/confirm/" not in m["text"]]

    for i in range(5):
        r = shop.private("POST", path, json={"message": "Edit %d" % i})
        assert r.status_code in (200, 201), r.text
    wait_for(lambda: reply_mails(), what="the reply e-mail")
    # deleting and replying again is one more edit, not a first reply
    assert shop.private("DELETE", path).status_code == 200
    assert shop.private("POST", path, json={
        "message": "Again"}).status_code == 201
    d.advance_clock(3600)
    shop.renew()
    assert shop.private("POST", path, json={
        "message": "Later that day"}).status_code == 200
    assert len(reply_mails()) == 1 and "Edit 0" in reply_mails()[0]
    # the day over: one e-mail with the last text
    d.advance_clock(86400)
    shop.renew()
    wait_for(lambda: len(reply_mails()) == 2, what="the deferred e-mail")
    assert any("Later that day" in t for t in reply_mails())
    # a new day: the next edit is mailed at once again
    d.advance_clock(86400)
    shop.renew()
    assert shop.private("POST", path, json={
        "message": "Next day"}).status_code == 200
    wait_for(lambda: len(reply_mails()) == 3, what="the next day's e-mail")
    assert any("Next day" in t for t in reply_mails())


def test_find_reviewer_asks_once_at_a_time_never_after_no_at_most_3(shop):
    d = shop.daemon
    ask_path = "/v1/private/reviews/%s/find-reviewer"
    decliner = publish(d, "unmask.example.com", "says.no@example.org")
    r = shop.private("POST", ask_path % decliner, json={})
    assert r.status_code == 201, r.text
    assert_error(shop.private("POST", ask_path % decliner, json={}), 409)
    link = wait_for(lambda: [re.search(r"(/find-reviewer/[A-Za-z0-9_-]{43})",
                                       m["text"]).group(1)
                             for m in mails(d)
                             if m["to"] == "says.no@example.org" and
                             "/find-reviewer/" in m["text"]],
                    what="the Find Reviewer e-mail")[0]
    r = d.post(link, data={"decline": "1"})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in shop.private(
        "GET", ask_path % decliner).json()["requests"]] == ["declined"]
    body = assert_error(shop.private("POST", ask_path % decliner,
                                     json={}), 409)
    assert "declined" in body["message"] + json.dumps(body["details"])

    quiet = publish(d, "unmask.example.com", "silent@example.org")
    for _ in range(3):
        assert shop.private("POST", ask_path % quiet,
                            json={}).status_code == 201
        d.advance_clock(5 * 86400 + 60)
        shop.renew()
        wait_for(lambda: "open" not in [x["status"] for x in shop.private(
            "GET", ask_path % quiet).json()["requests"]],
            what="the request to expire")
    body = assert_error(shop.private("POST", ask_path % quiet, json={}), 409)
    assert "3 times" in body["message"] + json.dumps(body["details"])


def test_public_lists_do_not_filter_by_private_tags(shop):
    d = shop.daemon
    tagged = publish(d, "unmask.example.com", "tagged@example.org",
                     title="Tagged")
    publish(d, "unmask.example.com", "plain@example.org", title="Plain")
    r = shop.private("POST", "/v1/private/reviews/%s/tags" % tagged,
                     json={"tags": [{"group": "vip", "value": "yes"}]})
    assert r.status_code in (200, 201), r.text
    public = "/v1/business-units/%s/reviews" % shop.id
    for params in ({"tagGroup": "vip"}, {"tagGroup": "vip", "tagValue": "yes"},
                   {"tagGroup": "nope"}, {"tagValue": "yes"}):
        r = d.get(public, params=params, headers={"apikey": shop.key})
        assert r.status_code == 200, r.text
        assert len(r.json()["reviews"]) == 2, params
    # privately the filter works
    assert [x["id"] for x in private_reviews(shop, tagGroup="vip")] == \
        [tagged]


def test_a_link_scanner_does_not_publish_a_review(shop):
    d = shop.daemon
    r = submit(d, "unmask.example.com", "scanned@example.org",
               title="Scanned")
    review = r.json()["id"]
    link = wait_for(lambda: confirm_links(d).get("scanned@example.org"))
    for _ in range(3):   # scanners open links, some more than once
        r = d.get(link)
        assert r.status_code == 200
        assert "<form method=\"post\"" in r.text
    assert d.get("/v1/reviews/" + review,
                 headers={"apikey": shop.key}).status_code == 404
    assert d.post(link).status_code == 200
    assert d.get("/v1/reviews/" + review,
                 headers={"apikey": shop.key}).status_code == 200
    # once published, the link says so
    assert "published" in d.get(link).text
    assert d.post("/review/confirm/" + "x" * 43).status_code == 404


@pytest.mark.parametrize("field", ["link", "imageLink"])
@pytest.mark.parametrize("url", ["javascript:alert(1)",
                                 "JavaScript:alert(document.domain)",
                                 "data:text/html,<script>1</script>",
                                 "//evil.example/x", "http:/nohost"])
def test_product_links_are_http_only(shop, field, url):
    path = "/v1/private/business-units/%s/products" % shop.id
    before = shop.private("GET", path).json()
    r = shop.private("POST", path, json={"products": [
        {"sku": "S-1", "title": "Kettle", field: url}]})
    assert_error(r, 400, "products[0].%s" % field)
    assert shop.private("GET", path).json() == before
    ok = shop.private("POST", path, json={"products": [
        {"sku": "S-1", "title": "Kettle", field: "https://shop.example/k"}]})
    assert ok.status_code == 200, ok.text


def test_invitation_product_urls_are_http_only(shop):
    r = create_invitation(shop, inv(productReviewInvitation={"products": [
        {"sku": "S-2", "name": "Pot", "productUrl": "javascript:alert(1)"}]}))
    assert_error(r, 400)
    assert "productUrl" in r.text


def test_a_business_erasure_does_not_stop_mail_owed_to_a_reviewer(
        make_daemon, smtp_sink):
    """The business erases 'its customer' target@x while the platform owes
    target@x the confirmation of their own organic review: that mail is not
    the business's to stop (it would silence the review)."""
    down = smtp_sink(start=False)
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % down.port}})
    shop = Business(d, "erase.example.com")
    r = submit(d, "erase.example.com", TARGET, title="Mine")
    assert r.status_code == 202, r.text

    def mails(attempts):
        # the payload filtered here, not in SQL (instr is SQLite's)
        con = d.sql()
        try:
            rows = con.execute(
                "SELECT status, payload FROM outbox WHERE kind = 'email' "
                "AND attempts >= ?", (attempts,)).fetchall()
        finally:
            con.close()
        return [(status,) for status, payload in rows
                if TARGET in (payload if isinstance(payload, str)
                              else bytes(payload).decode("utf-8", "replace"))]

    def confirmation():
        return mails(0)

    def attempted():
        return mails(1)

    # the SMTP server is down: the mail waits for its next attempt (not
    # merely queued, which is "pending" too, before its first attempt)
    wait_for(lambda: attempted() == [("pending",)],
             what="the confirmation to wait in the outbox")
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "invitation-data/delete" % shop.id,
                     json={"customerEmails": [TARGET]})
    assert r.status_code == 200, r.text
    assert confirmation() == [("pending",)]


def submit_from(daemon, source, domain, email, title):
    """The public form posted from another loopback address (source)."""
    import http.client
    port = int(daemon.url("").rsplit(":", 1)[1].strip("/"))
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                     source_address=(source, 0))
    try:
        con.request("POST", "/review/" + domain, body=json.dumps({
            "stars": 5, "title": title, "text": "x", "name": "N",
            "email": email}), headers={"Content-Type": "application/json"})
        return con.getresponse().status
    finally:
        con.close()


def test_typing_someones_address_cannot_use_up_their_confirmations(shop):
    """The form's mail limit is per client: a business that submits five
    reviews under target@x from its machine does not stop target@x's own
    review from theirs; many clients together meet a larger limit."""
    d = shop.daemon
    for i in range(5):
        assert submit(d, "unmask.example.com", TARGET,
                      title="Fake %d" % i).status_code == 202
    assert_error(submit(d, "unmask.example.com", TARGET), 429, "email")
    assert submit_from(d, "127.0.0.2", "unmask.example.com", TARGET,
                       "Really mine") == 202
    # 20 in all from any clients, then the address gets no more mail
    for source in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
        for i in range(5 if source != "127.0.0.5" else 4):
            assert submit_from(d, source, "unmask.example.com", TARGET,
                               "More %d" % i) == 202
    assert submit_from(d, "127.0.0.6", "unmask.example.com", TARGET,
                       "One too many") == 429
