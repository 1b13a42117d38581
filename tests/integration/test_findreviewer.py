"""Find Reviewer and reports: the request, the reviewer's answer in a
browser, the deadline (also across a restart), reports, hiding,
moderation, notifications, audit and privacy."""
import json

import pytest
import requests

from conftest import Business, assert_error, wait_for
from reviewkit import publish
from test_browser import browser
from test_invitations import create as create_invitation, inv
from test_webhooks import verify_standard_webhooks

REVIEWER = "hidden.reviewer@example.org"
LINK = r"/find-reviewer/[A-Za-z0-9_-]{43}"
EVENTS = ["find-reviewer-replied", "find-reviewer-expired",
          "review-report-created", "review-report-resolved",
          "service-review-deleted"]


@pytest.fixture
def setup(make_daemon, smtp_sink, receiver):
    sink = smtp_sink()
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port},
                     "webhooks": {"allow_private_targets": "true"},
                     "links": {"master_key":
                               "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3c="}})
    d.sink = sink
    shop = Business(d, "asks.example.com")
    r = shop.private("PATCH", "/v1/private/business-units/" + shop.id,
                     json={"notificationEmail": "owner@asks.example.com"})
    assert r.status_code == 200
    r = shop.private("POST", "/v1/private/business-units/%s/webhooks"
                     % shop.id, json={"url": receiver.url, "events": EVENTS})
    secret = r.json()["secret"]
    review = publish(d, "asks.example.com", REVIEWER, name="Hilde Hidden",
                     title="Never got it", stars=1)
    return d, shop, sink, receiver, secret, review


def events(receiver, secret, name=None):
    out = []
    for h, body, _ in list(receiver.requests):
        h = {k.lower(): v for k, v in h.items()}
        assert verify_standard_webhooks(secret, h, body)
        e = json.loads(body)["events"][0]
        if name is None or e["eventName"] == name:
            out.append(e)
    return out


def mails_to(sink, address):
    return [m for m in sink.parsed()
            if m["To"].addresses[0].addr_spec == address]


def request_mail(sink):
    """The Find Reviewer e-mail to the reviewer (not the confirmation)."""
    return [m for m in mails_to(sink, REVIEWER)
            if "would like to hear from you" in m["Subject"]]


def ask(shop, review, **body):
    body.setdefault("message", "Which order number was it?")
    return shop.private("POST", "/v1/private/reviews/%s/find-reviewer"
                        % review, json=body)


def public_ids(shop):
    r = shop.daemon.get("/v1/business-units/%s/reviews" % shop.id,
                        headers={"apikey": shop.key})
    return [x["id"] for x in r.json()["reviews"]]


def test_request_answered_in_a_browser(setup):
    d, shop, sink, receiver, secret, review = setup
    r = ask(shop, review, requestedInformation=["referenceId", "name"])
    assert r.status_code == 201, r.text
    thread = r.json()
    assert thread["requests"][0]["status"] == "open"
    # the review stays public and carries the label
    assert review in public_ids(shop)
    public = d.get("/v1/reviews/" + review,
                   headers={"apikey": shop.key}).json()
    assert public["reviewerContacted"] is True
    assert "Reviewer contacted" in d.get("/b/asks.example.com").text
    mail = wait_for(lambda: request_mail(sink))[0]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Which order number was it?" in text
    path = d.link(LINK, text)
    # the page asks for what the business asked for, and only that
    page = d.get(path).text
    assert 'id="referenceId"' in page and 'id="name"' in page
    assert 'id="phoneNumber"' not in page and 'id="address"' not in page

    browser("find-reviewer", d.url(""), path, "ORD-991")

    replied = wait_for(lambda: events(receiver, secret,
                                      "find-reviewer-replied"))
    data = replied[0]["eventData"]
    assert data["reviewId"] == review
    assert data["consumerResponse"]["referenceId"] == "ORD-991"
    assert data["consumerResponse"]["message"].startswith("I bought it")
    owner = wait_for(lambda: mails_to(sink, "owner@asks.example.com"))
    assert "ORD-991" in owner[0].get_body(
        preferencelist=("plain",)).get_content()
    r = shop.private("GET", "/v1/private/reviews/" + review)
    fr = r.json()["findReviewer"]
    assert fr["isEligible"] is True
    req = fr["requests"][0]
    assert req["status"] == "replied"
    assert req["consumerResponse"]["referenceId"] == "ORD-991"
    assert req["consumerResponse"]["submittedAt"]
    assert review in public_ids(shop)
    assert d.get("/v1/reviews/" + review, headers={"apikey": shop.key}
                 ).json()["reviewerContacted"] is True
    # answering again changes nothing
    r = d.post(path, data={"message": "again"})
    assert "answer was sent" in r.text
    assert len(events(receiver, secret, "find-reviewer-replied")) == 1


def test_deadline_expiry_notifies_once_even_across_a_restart(setup):
    d, shop, sink, receiver, secret, review = setup
    assert ask(shop, review).status_code == 201
    path = d.link(LINK, wait_for(lambda: request_mail(sink))[0]
                  .get_body(preferencelist=("plain",)).get_content())
    d.advance_clock(4 * 86400)
    shop.renew()
    assert shop.private("GET", "/v1/private/reviews/%s/find-reviewer"
                        % review).json()["requests"][0]["status"] == "open"
    # stopped across the deadline: one more day passes while it is down
    assert d.stop() == 0
    con = d.sql()
    con.execute("UPDATE settings SET value = CAST(value AS BIGINT) + "
                "86400001 WHERE name = 'test_clock_offset_ms'")
    con.commit()
    con.close()
    d.start()
    shop.renew()
    expired = wait_for(lambda: events(receiver, secret,
                                      "find-reviewer-expired"))
    assert expired[0]["eventData"]["status"] == "expired"
    assert wait_for(lambda: mails_to(sink, "owner@asks.example.com"))
    d.advance_clock(86400)
    d.restart()
    shop.renew()
    d.advance_clock(60)
    # a scheduler pass after the jump, then whatever it queued is out
    d.wait_scheduler_pass()
    d.wait_outbox_idle()
    assert len(events(receiver, secret, "find-reviewer-expired")) == 1
    assert len(mails_to(sink, "owner@asks.example.com")) == 1
    r = d.get(path)
    assert r.status_code == 410 and "closed" in r.text
    browser("closed", d.url(""), path, "410", "time to answer has passed")
    r = d.post(path, data={"message": "late"})
    assert r.status_code == 410


def test_eligibility(setup):
    d, shop, sink, receiver, secret, review = setup
    assert ask(shop, review).status_code == 201
    body = assert_error(ask(shop, review), 409)
    assert "open" in body["message"]
    # a review written through our invitation cannot be asked about
    create_invitation(shop, inv(email="inv@example.com", ref="FR-1"))
    text = wait_for(lambda: mails_to(sink, "inv@example.com"))[0].get_body(
        preferencelist=("plain",)).get_content()
    link = d.link(r"/evaluate-link/\S+", text)
    d.post(link, data={"stars": "5", "title": "ok", "text": "ok"})
    invited = [x for x in shop.private(
        "GET", "/v1/private/business-units/%s/reviews" % shop.id).json()[
        "reviews"] if x["source"] == "invitation"][0]
    assert invited["findReviewer"]["isEligible"] is False
    body = assert_error(ask(shop, invited["id"]), 409)
    assert "invitation" in body["message"]
    assert_error(ask(shop, review, requestedInformation=["shoeSize"]), 400,
                 "requestedInformation")
    assert_error(ask(shop, "ffffffffffffffffffffffff"), 404)
    other = Business(d, "other-asks.example.com")
    assert_error(other.private("POST", "/v1/private/reviews/%s/"
                               "find-reviewer" % review, json={}), 404)


def test_reports_hide_and_moderation(setup):
    d, shop, sink, receiver, secret, review = setup
    path = "/v1/private/reviews/%s/reports" % review
    body = assert_error(shop.private("POST", path, json={
        "reason": "not_genuine_experience"}), 409, "reason")
    assert "Find Reviewer" in body["details"][0]["reason"]
    assert_error(shop.private("POST", path, json={"reason": "bad"}), 400,
                 "reason")
    assert ask(shop, review).status_code == 201
    d.advance_clock(5 * 86400 + 60)
    shop.renew()
    wait_for(lambda: events(receiver, secret, "find-reviewer-expired"))
    unit = "/v1/business-units/" + shop.id
    before = d.get(unit, headers={"apikey": shop.key}).json()
    assert before["numberOfReviews"]["total"] == 1

    r = shop.private("POST", path, json={"reason": "not_genuine_experience",
                                         "details": "No such order"})
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["hidesReview"] is True
    assert_error(shop.private("POST", path, json={"reason": "other"}), 409)
    # hidden at once from lists, pages, counts and the single read
    assert review not in public_ids(shop)
    assert "Never got it" not in d.get("/b/asks.example.com").text
    assert d.get(unit, headers={"apikey": shop.key}).json()[
        "numberOfReviews"]["total"] == 0
    assert_error(d.get("/v1/reviews/" + review,
                       headers={"apikey": shop.key}), 404)
    private = shop.private("GET", "/v1/private/reviews/" + review).json()
    assert private["status"] == "hidden"
    assert private["hiddenReason"] == "reported: not_genuine_experience"
    assert private["reportData"]["reason"] == "not_genuine_experience"
    wait_for(lambda: events(receiver, secret, "review-report-created"))
    wait_for(lambda: any("hidden" in m["Subject"]
                         for m in mails_to(sink, REVIEWER)))

    pending = d.admin("GET", "/v1/admin/reports?status=pending").json()
    assert [p["id"] for p in pending["reports"]] == [report["id"]]
    decide = "/v1/admin/reports/%s/decision" % report["id"]
    assert_error(d.admin("POST", decide, json={"decision": "maybe"}), 400,
                 "decision")
    r = d.admin("POST", decide, json={"decision": "reject",
                                      "note": "order found"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert_error(d.admin("POST", decide, json={"decision": "uphold"}), 409)
    assert review in public_ids(shop)
    assert d.get(unit, headers={"apikey": shop.key}).json()[
        "numberOfReviews"]["total"] == 1
    resolved = wait_for(lambda: events(receiver, secret,
                                       "review-report-resolved"))
    assert resolved[0]["eventData"]["status"] == "rejected"

    # a second report, upheld: removed for good
    r = shop.private("POST", path, json={"reason": "harmful_or_illegal"})
    assert r.status_code == 201
    r = d.admin("POST", "/v1/admin/reports/%s/decision" % r.json()["id"],
                json={"decision": "uphold"})
    assert r.json()["status"] == "upheld"
    assert review not in public_ids(shop)
    assert shop.private("GET", "/v1/private/reviews/" + review).json()[
        "hiddenReason"].startswith("removed after report")
    # removed for good: no new report can be rejected to bring it back
    body = assert_error(shop.private("POST", path, json={"reason": "other"}),
                        409)
    assert "removed" in body["message"]
    assert review not in public_ids(shop)
    wait_for(lambda: len(events(receiver, secret,
                                "review-report-resolved")) == 2)
    deleted = wait_for(lambda: events(receiver, secret,
                                      "service-review-deleted"))
    assert deleted[0]["eventData"] == {"id": review}
    audit = d.admin("GET", "/v1/admin/audit", params={
        "subject": "review:" + review}).json()["entries"]
    actions = [e["action"] for e in audit]
    assert actions == ["find-reviewer-requested", "find-reviewer-expired",
                       "report-created", "report-created"]
    decided = d.admin("GET", "/v1/admin/audit").json()["entries"]
    assert [e["action"] for e in decided].count("report-rejected") == 1
    assert [e["action"] for e in decided].count("report-upheld") == 1
    # the admin lists page like every other: perPage, next-page links
    for path, key in (("/v1/admin/audit", "entries"),
                      ("/v1/admin/reports", "reports")):
        whole = d.admin("GET", path).json()[key]
        walked, url = [], path + "?perPage=1"
        while url:
            body = d.admin("GET", url).json()
            assert len(body[key]) <= 1
            walked += body[key]
            nxt = [x["href"] for x in body["links"]
                   if x["rel"] == "next-page"]
            url = d.public_path(nxt[0]) if nxt else None
        assert walked == whole and len(whole) >= 2
    assert_error(shop.private("POST", "/v1/admin/reports/%s/decision"
                              % report["id"], json={"decision": "reject"}),
                 403)


def test_privacy_and_tokens(setup):
    d, shop, sink, receiver, secret, review = setup
    bodies = [ask(shop, review, requestedInformation=["email"]).text]
    text = wait_for(lambda: request_mail(sink))[0].get_body(
        preferencelist=("plain",)).get_content()
    path = d.link(LINK, text)
    token = path.rsplit("/", 1)[1]
    # wrong tokens: clear pages, nothing changes
    for bad in ("x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"),
                "short"):
        r = d.get("/find-reviewer/" + bad)
        assert r.status_code == 404 and "not valid" in r.text
        assert d.post("/find-reviewer/" + bad,
                      data={"message": "x"}).status_code == 404
    r = d.post(path, data={"message": "", "name": ""})
    assert r.status_code == 400 and "at least one" in r.text
    r = d.post(path, data=b"message=ok&phoneNumber=%FF", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "phoneNumber" in r.text
    r = d.post(path, data={"email": "shared.address@example.net"})
    assert r.status_code == 200
    browser("closed", d.url(""), path, "200", "answer was sent")
    browser("closed", d.url(""), "/find-reviewer/" + "y" * 43, "404",
            "not valid")
    wait_for(lambda: events(receiver, secret, "find-reviewer-replied"))
    for method, url in (("GET", "/v1/private/reviews/" + review),
                        ("GET", "/v1/private/reviews/%s/find-reviewer"
                         % review),
                        ("GET", "/v1/private/business-units/%s/reviews"
                         % shop.id)):
        bodies.append(shop.private(method, url).text)
    bodies += [b.decode() for _, b, _ in receiver.requests]
    owner = wait_for(lambda: mails_to(sink, "owner@asks.example.com"))
    bodies += [m.as_string() for m in owner]
    joined = "\n".join(bodies)
    assert "shared.address@example.net" in joined   # what they chose
    assert REVIEWER not in joined
    assert "hidden.reviewer" not in joined
    # tokens are 256-bit and stored only hashed: the request keeps a hash,
    # and the e-mail that carried the link lost its body once delivered
    assert len(token) == 43
    assert d.stop() == 0
    data = d.stored_bytes()
    assert token.encode() not in data
