"""Issue 14 section 5: a reviewer changes or deletes their own review from
the link mailed to them; the webhooks tell the business what changed."""
import re

import pytest
import requests

from conftest import Business, wait_for
from reviewkit import confirm_links, follow, mails, publish, submit
from test_review_replies import events

DOMAIN = "edit.example.com"
EDIT = re.compile(r"(/review/edit/[A-Za-z0-9_-]{43})")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{32})"')


@pytest.fixture
def shop(make_daemon):
    d = make_daemon({"webhooks": {"allow_private_targets": "true"},
                     "links": {"master_key":
                               "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3c="}})
    return Business(d, DOMAIN)


def subscribe(shop, receiver, events):
    r = shop.private("POST", "/v1/private/business-units/%s/webhooks"
                     % shop.id, json={"url": receiver.url, "events": events})
    assert r.status_code == 201, r.text
    return r.json()["secret"]


def edit_link(d, email):
    """The edit link of the newest mail to email that carries one."""
    for m in mails(d):
        found = EDIT.search(m["text"])
        if m["to"] == email and found:
            return found.group(1)
    return None


def published(d, email, **kw):
    review_id = publish(d, DOMAIN, email, **kw)
    return review_id, edit_link(d, email)


class Browser:
    """A reviewer's browser: its own cookies."""

    def __init__(self, d):
        self.d = d
        self.s = requests.Session()

    def get(self, path):
        return self.s.get(self.d.url(path), timeout=30)

    def post(self, path, data, cookies=None):
        return self.s.post(self.d.url(path), data=data, timeout=30,
                           cookies=cookies)

    def form(self, path):
        r = self.get(path)
        assert r.status_code == 200, r.text
        return CSRF.search(r.text).group(1)


def unit_counts(shop):
    r = shop.daemon.get("/v1/business-units/" + shop.id,
                        headers={"apikey": shop.key})
    assert r.status_code == 200, r.text
    return r.json()["numberOfReviews"]


def public_list(shop):
    r = shop.daemon.get("/v1/business-units/%s/reviews" % shop.id,
                        headers={"apikey": shop.key})
    assert r.status_code == 200, r.text
    return r.json()["reviews"]


def test_reviewer_changes_stars_and_text(shop, receiver):
    d = shop.daemon
    secret = subscribe(shop, receiver, ["service-review-updated",
                                        "service-review-reply-created"])
    review_id, link = published(d, "pia@example.com", stars=2,
                                title="Slow", text="It came late")
    assert link is not None, "the confirmation mail carries the edit link"
    before = public_list(shop)      # the list cache holds this page now
    assert before[0]["stars"] == 2
    assert unit_counts(shop)["twoStars"] == 1

    b = Browser(d)
    page = b.get(link)
    assert page.status_code == 200
    assert "Slow" in page.text and "It came late" in page.text
    assert "no-store" in page.headers.get("Cache-Control", "")
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    csrf = CSRF.search(page.text).group(1)
    r = b.post(link, {"csrf": csrf, "stars": "5", "title": "Fine after all",
                      "text": "It came late, but they made it right"})
    assert r.status_code == 200 and "Review saved" in r.text, r.text

    got = d.get("/v1/reviews/" + review_id, headers={"apikey": shop.key})
    assert got.json()["stars"] == 5
    assert got.json()["title"] == "Fine after all"
    after = public_list(shop)
    assert after[0]["stars"] == 5 and after[0]["title"] == "Fine after all"
    counts = unit_counts(shop)
    assert counts["twoStars"] == 0 and counts["fiveStars"] == 1
    assert counts["total"] == 1

    ev = wait_for(lambda: [e for e in events(receiver, secret)
                           if e["eventName"] == "service-review-updated"])
    data = ev[0]["eventData"]
    assert data["id"] == review_id and data["stars"] == 5
    assert data["text"] == "It came late, but they made it right"
    assert data["previous"] == {"stars": 2, "title": "Slow",
                                "text": "It came late"}
    # the same text again changes nothing and tells nothing
    csrf = b.form(link)
    r = b.post(link, {"csrf": csrf, "stars": "5", "title": "Fine after all",
                      "text": "It came late, but they made it right"})
    assert r.status_code == 200
    d.wait_outbox_idle()
    assert len([e for e in events(receiver, secret)
                if e["eventName"] == "service-review-updated"]) == 1


def test_product_review_edit_is_a_product_event(shop, receiver):
    d = shop.daemon
    secret = subscribe(shop, receiver, ["product-review-updated",
                                        "product-review-deleted",
                                        "service-review-updated",
                                        "service-review-deleted"])
    r = shop.private("POST", "/v1/private/business-units/%s/products"
                     % shop.id, json={"products": [{"sku": "M-1",
                                                    "title": "Mug"}]})
    assert r.status_code == 200, r.text
    review_id, link = published(d, "mug@example.com", sku="M-1", stars=3,
                                title="Mug", text="Chipped")
    b = Browser(d)
    r = b.post(link, {"csrf": b.form(link), "stars": "4", "title": "Mug",
                      "text": "Chipped, replaced"})
    assert r.status_code == 200, r.text
    r = b.post(link, {"csrf": b.form(link), "action": "delete"})
    assert r.status_code == 200, r.text
    wait_for(lambda: len(events(receiver, secret)) == 2)
    d.wait_outbox_idle()
    got = {e["eventName"]: e["eventData"] for e in events(receiver, secret)}
    assert sorted(got) == ["product-review-deleted", "product-review-updated"]
    assert got["product-review-updated"]["sku"] == "M-1"
    assert got["product-review-updated"]["previous"]["text"] == "Chipped"
    assert got["product-review-deleted"]["previous"]["text"] == \
        "Chipped, replaced"


def test_form_links_to_a_new_edit_link(shop):
    page = shop.daemon.get("/review/" + DOMAIN).text
    assert 'href="/review/edit-link/%s"' % DOMAIN in page


def test_forged_posts_change_nothing(shop):
    d = shop.daemon
    review_id, link = published(d, "forged@example.com", stars=3,
                                title="Okay", text="Fine")
    b = Browser(d)
    csrf = b.form(link)
    change = {"stars": "1", "title": "Hacked", "text": "Hacked"}
    # another site: no cookie (SameSite=Strict), a guessed field
    r = requests.post(d.url(link), data=dict(change, csrf="0" * 32),
                      timeout=30)
    assert r.status_code == 403
    r = requests.post(d.url(link), data=dict(change, action="delete"),
                      timeout=30)
    assert r.status_code == 403
    # the cookie without the page's field, and a wrong field
    r = b.post(link, change)
    assert r.status_code == 403
    r = b.post(link, dict(change, csrf="f" * 32))
    assert r.status_code == 403
    got = d.get("/v1/reviews/" + review_id, headers={"apikey": shop.key})
    assert got.json()["stars"] == 3 and got.json()["title"] == "Okay"
    # JSON is not a form
    r = b.s.post(d.url(link), json=dict(change, csrf=csrf), timeout=30)
    assert r.status_code == 415


def test_bad_fields_show_the_form_again(shop):
    d = shop.daemon
    review_id, link = published(d, "bad@example.com", stars=4, title="Good",
                                text="Nice")
    b = Browser(d)
    for fields, name in [({"stars": "9"}, "stars"),
                         ({"stars": "x"}, "stars"),
                         ({"title": ""}, "title"),
                         ({"text": "y" * 5001}, "text")]:
        data = {"csrf": b.form(link), "stars": "4", "title": "Good",
                "text": "Nice"}
        data.update(fields)
        r = b.post(link, data)
        assert r.status_code == 400, (fields, r.text)
        assert name in r.text and 'name="csrf"' in r.text
    got = d.get("/v1/reviews/" + review_id, headers={"apikey": shop.key})
    assert got.json()["stars"] == 4 and got.json()["text"] == "Nice"


def test_reviewer_deletes_review(shop, receiver):
    d = shop.daemon
    secret = subscribe(shop, receiver, ["service-review-deleted"])
    review_id, link = published(d, "gone@example.com", stars=1,
                                title="Awful", text="Never again")
    keep_id = publish(d, DOMAIN, "stays@example.com", stars=4)
    assert len(public_list(shop)) == 2
    assert unit_counts(shop)["total"] == 2
    b = Browser(d)
    r = b.post(link, {"csrf": b.form(link), "action": "delete"})
    assert r.status_code == 200 and "deleted" in r.text

    assert d.get("/v1/reviews/" + review_id,
                 headers={"apikey": shop.key}).status_code == 404
    assert [x["id"] for x in public_list(shop)] == [keep_id]
    counts = unit_counts(shop)
    assert counts["total"] == 1 and counts["oneStar"] == 0
    assert "Awful" not in d.get("/b/" + DOMAIN).text
    # the business keeps the id, not the words
    private = shop.private("GET", "/v1/private/reviews/" + review_id).json()
    assert private["title"] == "" and private["text"] == ""
    assert private["status"] != "active"
    ev = wait_for(lambda: [e for e in events(receiver, secret)
                           if e["eventName"] == "service-review-deleted"])
    data = ev[0]["eventData"]
    assert data["id"] == review_id and data["deletedBy"] == "reviewer"
    assert data["previous"] == {"stars": 1, "title": "Awful",
                                "text": "Never again"}
    # the link now says what happened, and changes nothing more
    assert b.get(link).status_code == 410
    r = b.post(link, {"csrf": "0" * 32, "stars": "5", "title": "t",
                      "text": "t"})
    assert r.status_code == 410
    # the business cannot reply to it
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % review_id,
                     json={"message": "hello"})
    assert r.status_code == 409


def test_link_before_confirmation_and_after_expiry(shop):
    d = shop.daemon
    assert submit(d, DOMAIN, "later@example.com").status_code == 202
    link = wait_for(lambda: edit_link(d, "later@example.com"))
    r = Browser(d).get(link)
    assert r.status_code == 409 and "Confirm" in r.text
    follow(d, confirm_links(d)["later@example.com"])
    assert Browser(d).get(link).status_code == 200
    d.advance_clock(31 * 86400)
    assert Browser(d).get(link).status_code == 410
    assert Browser(d).get("/review/edit/" + "A" * 43).status_code == 404
    assert Browser(d).get("/review/edit/short").status_code == 404


def test_new_link_by_email_only(shop):
    d = shop.daemon
    review_id, first = published(d, "again@example.com", title="Mine")
    form = d.get("/review/edit-link/" + DOMAIN)
    assert form.status_code == 200 and 'name="email"' in form.text
    answers = []
    for email in ("again@example.com", "nobody@example.com", "not an email"):
        r = d.post("/review/edit-link/" + DOMAIN, data={"email": email})
        assert r.status_code == 200
        answers.append(r.text)
    assert answers[0] == answers[1] == answers[2], "tells nobody who wrote"
    assert "again@example.com" not in answers[0]
    mail = wait_for(lambda: [m for m in mails(d)
                             if m["subject"].startswith("Change or delete")])
    assert [m["to"] for m in mail] == ["again@example.com"]
    new = EDIT.search(mail[0]["text"]).group(1)
    assert new != first
    assert Browser(d).get(first).status_code == 404     # replaced
    assert Browser(d).get(new).status_code == 200
    # at most one link an hour
    d.post("/review/edit-link/" + DOMAIN, data={"email": "AGAIN@example.com"})
    d.wait_outbox_idle()
    assert len([m for m in mails(d)
                if m["subject"].startswith("Change or delete")]) == 1
    d.advance_clock(3601)
    d.post("/review/edit-link/" + DOMAIN, data={"email": "again@example.com"})
    wait_for(lambda: len([m for m in mails(d) if m["subject"].startswith(
        "Change or delete")]) == 2)
    assert d.post("/review/edit-link/unknown.example.com",
                  data={"email": "again@example.com"}).status_code == 404
    assert d.post("/review/edit-link/" + DOMAIN, data={}).status_code == 400

    # the token is kept as a hash, and no answer to the business has it
    token = new.rsplit("/", 1)[1]
    newest = wait_for(lambda: [m for m in mails(d) if m["subject"]
                               .startswith("Change or delete")][0])
    latest = EDIT.search(newest["text"]).group(1).rsplit("/", 1)[1]
    con = d.sql()
    rows = con.execute("SELECT * FROM reviews WHERE id = ?",
                       (review_id,)).fetchall()
    con.close()
    assert rows and not any(token in str(v) or latest in str(v)
                            for v in rows[0])
    for path in ("/v1/private/reviews/" + review_id,
                 "/v1/private/business-units/%s/reviews" % shop.id):
        body = shop.private("GET", path).text
        assert token not in body and latest not in body
        assert "again@example.com" not in body
