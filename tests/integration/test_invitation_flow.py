"""From queue to verified review: dispatch to a real SMTP server, the
template and locale, the personal link in headless chromium, one-click
unsubscribe from the e-mail's header, and erasure of customer data."""
import json
import re

import requests

from conftest import Business, assert_error, wait_for
from test_browser import browser
from test_invitations import create, history, inv

LINK = r"/evaluate-link/[A-Za-z0-9_-]{43}"


def smtp_shop(make_daemon, sink, domain="flow.example.com"):
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port}})
    return Business(d, domain)


def mail_to(sink, address):
    return [m for m in sink.parsed()
            if m["To"].addresses[0].addr_spec == address]


def test_dispatch_link_and_verified_review(make_daemon, smtp_sink):
    sink = smtp_sink()
    shop = smtp_shop(make_daemon, sink)
    r = create(shop, inv(email="dora@example.com", name="Dora Danish",
                         ref="ORD-42", locale="da-DK",
                         senderName="Flow Shop",
                         replyTo="care@flow.example.com"))
    inv_id = r.json()["id"]
    wait_for(lambda: mail_to(sink, "dora@example.com"), what="the e-mail")
    msg = mail_to(sink, "dora@example.com")[0]
    assert msg["Subject"] == "Hvordan var din oplevelse med Shop " \
        "flow.example.com?"
    assert msg["From"].addresses[0].display_name == "Flow Shop via reviewd"
    assert msg["Reply-To"].addresses[0].addr_spec == "care@flow.example.com"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Unsubscribe"].startswith(
        "<%s/unsubscribe/" % shop.daemon.public_url)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Hej Dora Danish" in text
    path = shop.daemon.link(LINK, text)
    wait_for(lambda: shop.private("GET", "/v1/private/invitations/" +
                                  inv_id).json()["status"] == "sent")

    # the customer's locale is Danish: so is the form
    assert "Skriv en anmeldelse" in shop.daemon.get(path).text
    browser("invitation", shop.daemon.url(""), path, "Dora Danish", "Tak")

    reviews = shop.private("GET", "/v1/private/business-units/%s/reviews"
                           % shop.id, params={"referenceId": "ORD-42"}
                           ).json()["reviews"]
    assert len(reviews) == 1
    review = reviews[0]
    assert review["isVerified"] is True and review["source"] == "invitation"
    assert review["referenceId"] == "ORD-42"
    assert review["referralEmail"] == "dora@example.com"
    assert review["linkKind"] == "email_invitation"
    assert review["tags"] == [{"group": "generic", "value": "web"}]
    assert review["title"] == "Invited and happy"
    assert review["language"] == "da"
    public = shop.daemon.get("/v1/reviews/" + review["id"],
                             headers={"apikey": shop.key}).json()
    assert public["isVerified"] is True
    events = [e["kind"] for e in shop.private(
        "GET", "/v1/private/invitations/" + inv_id).json()["events"]]
    assert events == ["created", "sent", "opened", "reviewed"]
    # one review per link: a replayed POST creates nothing
    r = shop.daemon.post(path, data={"stars": "1", "title": "again",
                                     "text": "again"})
    assert "Din anmeldelse er offentliggjort" in r.text
    assert len(shop.private("GET", "/v1/private/business-units/%s/reviews"
                            % shop.id).json()["reviews"]) == 1


def test_product_invitation_asks_for_each_product(make_daemon, smtp_sink):
    sink = smtp_sink()
    shop = smtp_shop(make_daemon, sink, "products.example.com")
    shop.private("POST", "/v1/private/business-units/%s/products" % shop.id,
                 json={"products": [{"sku": "K1", "title": "Kettle"},
                                    {"sku": "T1", "title": "Toaster"}]})
    create(shop, inv(email="pp@example.com", ref="P-1",
                     productReviewInvitation={"productSkus": ["K1", "T1"]}))
    wait_for(lambda: mail_to(sink, "pp@example.com"))
    text = mail_to(sink, "pp@example.com")[0].get_body(
        preferencelist=("plain",)).get_content()
    path = shop.daemon.link(LINK, text)
    page = shop.daemon.get(path).text
    assert "Kettle" in page and "Toaster" in page
    r = shop.daemon.post(path, data={"stars_1": "4", "title_1": "Fine",
                                     "text_1": "Boils", "stars_2": "9",
                                     "title_2": "x", "text_2": "y"})
    # the problem stands by the product's block, in its name
    assert r.status_code == 400
    assert '<p class="error" id="err-stars_2">Toaster: choose from 1 to 5 ' \
        'stars</p>' in r.text
    assert '<fieldset aria-describedby="err-stars_2">' in r.text
    assert "products[1]" not in r.text
    r = shop.daemon.post(path, data={"stars_1": "4", "title_1": "Fine",
                                     "text_1": "Boils"})
    assert r.status_code == 200 and "Thank you" in r.text
    assert "published" in r.text
    items = shop.private("GET", "/v1/private/product-reviews/business-units/"
                         "%s/reviews" % shop.id).json()["productReviews"]
    assert [(p["product"]["sku"], p["stars"], p["isVerified"])
            for p in items] == [("K1", 4, True)]


def test_one_click_unsubscribe_from_the_header(make_daemon, smtp_sink):
    sink = smtp_sink()
    shop = smtp_shop(make_daemon, sink, "unsub.example.com")
    create(shop, inv(email="out@example.com", ref="U-1"))
    wait_for(lambda: mail_to(sink, "out@example.com"))
    header = mail_to(sink, "out@example.com")[0]["List-Unsubscribe"]
    url = shop.daemon.url(shop.daemon.public_path(header.strip("<>")))
    # a GET (link scanners) does not unsubscribe
    assert "Unsubscribe" in requests.get(url).text
    later = create(shop, inv(email="out@example.com", ref="U-2",
                             serviceReviewInvitation={
                                 "preferredSendTime": "2099-01-01"})).json()
    # RFC 8058: a POST with List-Unsubscribe=One-Click
    r = requests.post(url, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "unsubscribed" in r.text
    shop.daemon.advance_clock(40 * 86400)
    shop.renew()
    r = create(shop, inv(email="OUT@example.com", ref="U-3"))
    assert r.json()["status"] == "skipped"
    assert "unsubscribed" in r.json()["skipReason"]
    # the one queued before the unsubscribe is skipped when it falls due
    shop.daemon.admin("POST", "/v1/admin/clock", json={"now": "2099-01-02"})
    shop.renew()
    wait_for(lambda: shop.private("GET", "/v1/private/invitations/" +
                                  later["id"]).json()["status"] ==
             "skipped")
    assert len(mail_to(sink, "out@example.com")) == 1
    assert requests.post(url.rsplit("/", 1)[0] + "/" + "x" * 43
                         ).status_code == 404


def test_erasure_leaves_no_trace_in_the_database(make_daemon, smtp_sink):
    sink = smtp_sink()
    shop = smtp_shop(make_daemon, sink, "erase.example.com")
    create(shop, inv(email="gone.person@example.com", name="Gunnar Gone",
                     ref="E-1"), headers={"Idempotency-Key": "erase-1"})
    create(shop, inv(email="kept.person@example.com", name="Karen Kept",
                     ref="E-2"))
    wait_for(lambda: mail_to(sink, "gone.person@example.com"))
    text = mail_to(sink, "gone.person@example.com")[0].get_body(
        preferencelist=("plain",)).get_content()
    path = shop.daemon.link(LINK, text)
    r = shop.daemon.post(path, data={"stars": "5", "title": "Great",
                                     "text": "Really"})
    assert r.status_code == 200
    wait_for(lambda: all(i["status"] == "sent" for i in history(shop)))
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "invitation-data/delete" % shop.id,
                     json={"customerEmails": ["gone.person@example.com"]})
    assert r.status_code == 200 and r.json()["erasedInvitations"] == 1
    assert_error(shop.private("POST", "/v1/private/business-units/%s/"
                              "invitation-data/delete" % shop.id, json={}),
                 400, "customerEmails")
    # counts are kept
    assert len(history(shop)) == 2
    assert shop.daemon.stop() == 0
    data = shop.daemon.stored_bytes()
    for needle in (b"gone.person@example.com", b"Gunnar Gone", b"Gunnar"):
        assert needle not in data, needle
    assert b"kept.person@example.com" in data


def test_erasure_ignores_case_and_later_mail_is_skipped(make_daemon,
                                                        smtp_sink):
    """Erasing an address reaches what the business gave: the invitation
    and the review written through it, whose writer then gets no more
    mail. The same person's organic review is theirs and stays as it is
    (a business typing an address learns nothing and cuts no one off)."""
    from reviewkit import publish
    sink = smtp_sink()
    shop = smtp_shop(make_daemon, sink, "case.example.com")
    shop.daemon.sink = sink
    organic = publish(shop.daemon, "case.example.com",
                      "mixed.case@example.com", name="Mia Mixed")
    create(shop, inv(email="Mixed.Case@example.com", name="Mia Mixed",
                     ref="C-1"))
    mail = wait_for(lambda: mail_to(sink, "Mixed.Case@example.com"))
    path = shop.daemon.link(LINK, mail[0].get_body(
        preferencelist=("plain",)).get_content())
    assert shop.daemon.post(path, data={"stars": "4", "title": "Invited",
                                        "text": "Via the link"}
                            ).status_code == 200
    invited = [x for x in shop.private(
        "GET", "/v1/private/business-units/%s/reviews" % shop.id
    ).json()["reviews"] if x["source"] == "invitation"][0]["id"]
    before_organic = shop.private("GET", "/v1/private/reviews/" +
                                  organic).json()
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "invitation-data/delete" % shop.id,
                     json={"customerEmails": ["MIXED.CASE@EXAMPLE.COM"]})
    assert r.json()["erasedInvitations"] == 1
    assert history(shop)[0]["consumerEmail"] is None
    gone = shop.private("GET", "/v1/private/reviews/" + invited).json()
    assert gone["consumer"]["displayName"] == "Anonymous"
    assert gone["referralEmail"] is None
    assert shop.private("GET", "/v1/private/reviews/" +
                        organic).json() == before_organic
    # the invited review's writer is gone: replying works, no mail
    before = len(sink.messages)
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % invited,
                     json={"message": "Thanks"})
    assert r.status_code == 201, r.text
    r = shop.private("POST", "/v1/private/reviews/%s/reports" % invited,
                     json={"reason": "harmful_or_illegal"})
    assert r.status_code == 201, r.text
    r = shop.daemon.admin("POST", "/v1/admin/reports/%s/decision"
                          % r.json()["id"], json={"decision": "reject"})
    assert r.status_code == 200, r.text
    shop.daemon.wait_outbox_idle()      # what they queued is out
    assert len(sink.messages) == before
    # the organic review's writer still hears of a reply
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % organic,
                     json={"message": "Thanks to you too"})
    assert r.status_code == 201, r.text
    wait_for(lambda: any("Thanks to you too" in m.get_body(
        preferencelist=("plain",)).get_content()
        for m in mail_to(sink, "mixed.case@example.com")))


def test_operator_erases_one_reviewer_everywhere(make_daemon, smtp_sink,
                                                 receiver):
    """`reviewd reviewer erase --email`: an erasure request from the person
    behind an address reaches every unit (invitations, invited reviews,
    e-mails, the names in stored webhook events) and their own identity
    (organic reviews become anonymous, no more mail), which no business can
    do. A longer address that contains this one is someone else."""
    from reviewkit import publish
    sink = smtp_sink()
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port},
                     "webhooks": {"allow_private_targets": "true"},
                     "links": {"master_key":
                               "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3c="}})
    d.sink = sink
    shop = Business(d, "first.example.com")
    other = Business(d, "second.example.com")
    for unit in (shop, other):
        r = unit.private("POST", "/v1/private/business-units/%s/webhooks"
                         % unit.id, json={"url": receiver.url, "events": [
                             "service-review-created"]})
        assert r.status_code == 201, r.text
    create(other, inv(email="maggreta.gone@example.com", name="Mag Else",
                      ref="M-1"))
    create(shop, inv(email="greta.gone@example.com", name="Greta Gone",
                     ref="G-1"))
    mail = wait_for(lambda: mail_to(sink, "greta.gone@example.com"))
    path = d.link(LINK, mail[0].get_body(
        preferencelist=("plain",)).get_content())
    assert d.post(path, data={"stars": "5", "title": "Invited",
                              "text": "Greta was here"}).status_code == 200
    organic = publish(d, "second.example.com", "greta.gone@example.com",
                      name="Greta Gone", country="DK")
    create(other, inv(email="Greta.Gone@example.com", name="Greta Gone",
                      ref="G-2", serviceReviewInvitation={
                          "preferredSendTime": "2099-01-01T00:00:00Z"}))
    proc = d.cli("reviewer", "erase", "--email", "GRETA.GONE@example.com")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"erasedInvitations": 2,
                                       "businessUnits": 2,
                                       "anonymisedReviews": 1}
    assert any(m["To"].addresses[0].addr_spec == "maggreta.gone@example.com"
               for m in sink.parsed())
    wait_for(lambda: len(receiver.requests) >= 2, what="the webhooks")
    assert any(b"Greta Gone" in body for _, body, _ in receiver.requests)
    mine = other.private("GET", "/v1/private/reviews/" + organic).json()
    assert mine["consumer"]["displayName"] == "Anonymous"
    assert mine["consumer"]["displayLocation"] is None
    invited = shop.private("GET", "/v1/private/business-units/%s/reviews"
                           % shop.id).json()["reviews"][0]
    assert invited["consumer"]["displayName"] == "Anonymous"
    assert invited["referralEmail"] is None
    by_ref = {i["referenceNumber"]: i for i in history(other)}
    assert by_ref["G-2"]["status"] == "cancelled"
    assert by_ref["M-1"]["consumerEmail"] == "maggreta.gone@example.com"
    # no more mail reaches the person
    before = len(sink.messages)
    for unit, review in ((other, organic), (shop, invited["id"])):
        r = unit.private("POST", "/v1/private/reviews/%s/reply" % review,
                         json={"message": "Anyone there?"})
        assert r.status_code == 201, r.text
    d.wait_outbox_idle()                # what they queued is out
    assert len(sink.messages) == before
    assert d.stop() == 0
    data = d.stored_bytes()
    # the address itself, not the one it is part of
    assert not re.search(rb"(?i)(?<![a-z0-9.])greta\.gone@example\.com",
                         data)
    assert b"maggreta.gone@example.com" in data
    assert b"Greta Gone" not in data
    # bad calls change nothing and say why
    assert d.cli("reviewer", "erase").returncode == 2
    assert d.cli("reviewer", "erase", "--email", "nope").returncode == 2
