"""Reviews: organic submission, confirmation, listings, filters, paging,
tags, replies, events."""
import json
import re

import pytest

from conftest import Business, assert_error, wait_for
from reviewkit import (confirm_links, follow, mails, publish, publish_many,
                       submit)


PUBLIC_KEYS = {
    "links", "id", "consumer", "businessUnit", "location", "stars", "title",
    "text", "language", "createdAt", "updatedAt", "experiencedAt",
    "companyReply", "isVerified", "source", "numberOfLikes", "status",
    "reportData", "complianceLabels", "countsTowardsTrustScore",
    "countsTowardsLocationTrustScore", "invitation", "businessUnitHistory",
    "reviewVerificationLevel", "reviewerContacted", "labels"}
PRIVATE_KEYS = {"referenceId", "referralEmail", "tags", "linkKind",
                "hiddenReason", "reported", "findReviewer"}


def domain_of(business):
    return business.unit["name"]["identifying"]


def public(business, path, **params):
    return business.daemon.get(path, params=params,
                               headers={"apikey": business.key})


def test_organic_review_is_pending_until_confirmed(business):
    d, domain = business.daemon, domain_of(business)
    r = submit(d, domain, "ann@example.com", stars=4, title="Quick",
               text="Fast delivery", name="Ann Example", country="DK")
    assert r.status_code == 202, r.text
    review_id = r.json()["id"]
    assert_error(public(business, "/v1/reviews/" + review_id), 404)
    # never published: not the business's to see either
    assert_error(business.private("GET", "/v1/private/reviews/" +
                                  review_id), 404)
    link = wait_for(lambda: confirm_links(d).get("ann@example.com"))
    assert d.get(link).status_code == 200           # only asks
    assert_error(public(business, "/v1/reviews/" + review_id), 404)
    assert d.post(link).status_code == 200
    assert d.post(link).status_code == 200          # idempotent
    review = public(business, "/v1/reviews/" + review_id).json()
    assert review["status"] == "active"
    assert review["stars"] == 4 and review["title"] == "Quick"
    assert review["source"] == "organic" and review["isVerified"] is False
    assert review["consumer"]["displayName"] == "Ann Example"
    assert review["consumer"]["displayLocation"] == "DK"
    assert review["consumer"]["numberOfReviews"] == 1
    assert review["businessUnit"]["id"] == business.id
    assert review["countsTowardsTrustScore"] is True
    # the whole shape (reference sections 4 and 12), the same in a list
    assert set(review) == PUBLIC_KEYS
    assert set(review["consumer"]) == {"id", "displayName", "displayLocation",
                                       "numberOfReviews", "links"}
    assert review["links"] == [{
        "href": business.daemon.public_url + "/v1/reviews/" + review_id,
        "method": "GET", "rel": "self"}]
    listed = public(business, "/v1/business-units/%s/reviews"
                    % business.id).json()
    assert listed["reviews"] == [review] and listed["links"] == []
    mine = business.private("GET", "/v1/private/reviews/" + review_id).json()
    assert set(mine) == PUBLIC_KEYS | PRIVATE_KEYS
    assert mine["findReviewer"] == {"isEligible": True, "requests": []}
    assert mine["tags"] == [] and mine["referralEmail"] is None
    assert business.private("GET", "/v1/private/business-units/%s/reviews"
                            % business.id).json()["reviews"] == [mine]
    unit = public(business, "/v1/business-units/" + business.id).json()
    assert unit["numberOfReviews"]["total"] == 1
    assert unit["numberOfReviews"]["fourStars"] == 1
    assert unit["score"]["trustScore"] == 4.0
    # the confirmation page of an unknown token
    assert d.get("/review/confirm/" + "x" * 43).status_code == 404


def test_unconfirmed_reviews_expire(business):
    d, domain = business.daemon, domain_of(business)
    review_id = submit(d, domain, "late@example.com").json()["id"]
    link = wait_for(lambda: confirm_links(d).get("late@example.com"))
    d.advance_clock(73 * 3600)
    wait_for(lambda: d.sql().execute(
        "SELECT status FROM reviews WHERE id = ?", (review_id,)).fetchone()[0]
        == "expired", what="expiry")
    assert d.get(link).status_code == 410
    assert d.post(link).status_code == 410
    assert_error(public(business, "/v1/reviews/" + review_id), 404)


def test_third_party_invitation_and_anonymous(business):
    d, domain = business.daemon, domain_of(business)
    review_id = publish(d, domain, "quiet@example.com", name="Quiet Person",
                        anonymous=True, query="?source=invitation")
    review = public(business, "/v1/reviews/" + review_id).json()
    assert review["source"] == "third_party_invitation"
    assert review["isVerified"] is False
    assert review["consumer"]["displayName"] == "Anonymous"
    assert "Quiet Person" not in json.dumps(review)
    private = business.private("GET", "/v1/private/reviews/" +
                               review_id).json()
    assert private["findReviewer"]["isEligible"] is True
    assert private["referralEmail"] is None


def test_duplicate_review_is_refused(business):
    """The second review is refused when its writer proves the address, on
    the confirmation page: a refusal at submission would tell anyone who
    types an address whether its owner reviewed this business."""
    d, domain = business.daemon, domain_of(business)
    first = publish(d, domain, "twice@example.com")
    r = submit(d, domain, "TWICE@example.com", title="Again")
    assert r.status_code == 202, r.text
    second = r.json()["id"]
    link = wait_for(lambda: confirm_links(d).get("TWICE@example.com"),
                    what="the second confirmation e-mail")
    for _ in range(2):  # and again: the same answer, nothing published
        r = d.post(link)
        assert r.status_code == 409 and "already published" in r.text
    assert d.get(link).status_code == 409
    # the refused one was never published: the business does not see it
    r = business.private("GET", "/v1/private/business-units/%s/reviews"
                         % business.id)
    assert [x["id"] for x in r.json()["reviews"]] == [first]
    assert r.json()["reviews"][0]["status"] == "active"
    assert_error(business.private("GET", "/v1/private/reviews/" + second),
                 404)
    con = d.sql()
    assert con.execute("SELECT status, hidden_reason FROM reviews WHERE "
                       "id = ?", (second,)).fetchone() == ("expired",
                                                           "duplicate")
    con.close()
    public = d.get("/v1/business-units/%s/reviews" % business.id,
                   headers={"apikey": business.key}).json()["reviews"]
    assert [x["id"] for x in public] == [first]
    # and the database agrees: one published review
    con = d.sql()
    assert con.execute("SELECT count(*) FROM reviews WHERE status = "
                       "'published'").fetchone()[0] == 1
    con.close()


def test_one_address_gets_a_few_confirmation_mails_a_day(business):
    """The public form mails whatever address is typed: at most
    [reviews] submissions_per_address_day (5) unconfirmed ones per address
    in 24 hours. Confirmed ones do not count (nothing the owner did is
    told to whoever types the address)."""
    d, domain = business.daemon, domain_of(business)
    for i in range(5):
        r = submit(d, domain, "flooded@example.com", title="Try %d" % i)
        assert r.status_code == 202, r.text
    r = submit(d, domain, "Flooded@Example.com", title="One more")
    assert_error(r, 429, "email")
    assert r.headers["Retry-After"] == "86400"
    form = d.post("/review/" + domain, data={
        "stars": "5", "title": "Form", "text": "x", "name": "N",
        "email": "flooded@example.com"})
    assert form.status_code == 429 and "24 hours" in form.text
    assert submit(d, domain, "someone.else@example.com").status_code == 202
    # confirming one makes room for one
    link = wait_for(lambda: confirm_links(d).get("flooded@example.com"))
    assert follow(d, link).status_code == 200
    r = submit(d, domain, "flooded@example.com", title="After confirming")
    assert r.status_code == 202, r.text
    assert_error(submit(d, domain, "flooded@example.com"), 429, "email")
    d.advance_clock(86400 + 60)
    assert submit(d, domain, "flooded@example.com").status_code == 202
    wait_for(lambda: len([m for m in mails(d)
                          if m["to"].lower() == "flooded@example.com"]) == 7)


def test_bad_input_names_the_field_and_stores_nothing(business,
                                                      other_business):
    d, domain = business.daemon, domain_of(business)
    cases = [
        ({"stars": 0}, "stars"), ({"stars": 6}, "stars"),
        ({"stars": "5"}, "stars"), ({"title": "x" * 101}, "title"),
        ({"title": ""}, "title"), ({"text": "x" * 5001}, "text"),
        ({"email": "nope"}, "email"), ({"name": None}, "name"),
        ({"sku": "NOT-IN-CATALOGUE"}, "sku"),
        ({"language": "english"}, "language"),
        ({"experiencedAt": "2999-01-01"}, "experiencedAt"),
    ]
    for i, (change, field) in enumerate(cases):
        body = {"stars": 5, "title": "T", "text": "X", "name": "N",
                "email": "bad%d@example.com" % i}
        body.update(change)
        if body["name"] is None:
            del body["name"]
        r = d.post("/review/" + domain, json=body)
        assert_error(r, 400, field)
    r = d.post("/review/" + domain, data=b'{"stars": 5, "title": "\xff"}',
               headers={"Content-Type": "application/json"})
    assert_error(r, 400, "body")
    assert_error(submit(d, "unknown.example", "x@example.com"), 404)
    # the HTML form: a field that is not UTF-8 is named, on the form page
    form = ("stars=5&title=%FF&text=Fine&name=N&email=form%40example.com")
    r = d.post("/review/" + domain, data=form, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "title" in r.text, r.text
    # a query parameter that is not UTF-8 text
    assert_error(d.get("/v1/business-units/%s/reviews?language=%%FF"
                       % business.id, headers={"apikey": business.key}),
                 400, "language")
    assert_error(d.get("/v1/business-units/%s/reviews?language=a%%0Ab"
                       % business.id, headers={"apikey": business.key}),
                 400, "language")
    r = business.private("GET", "/v1/private/business-units/%s/reviews"
                         % business.id)
    assert r.json()["reviews"] == []
    con = d.sql()
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0
    con.close()
    # another business's review id is not found for this business
    other_id = publish(d, domain_of(other_business), "o@example.com")
    assert_error(business.private("GET", "/v1/private/reviews/" +
                                  other_id), 404)
    r = business.private("POST", "/v1/private/reviews/%s/reply" % other_id,
                         json={"message": "hi"})
    assert_error(r, 404)
    r = business.private("GET", "/v1/private/business-units/%s/reviews"
                         % other_business.id)
    assert_error(r, 404)


def test_product_reviews(business):
    d, domain = business.daemon, domain_of(business)
    path = "/v1/private/business-units/%s/products" % business.id
    r = business.private("POST", path, json={"products": [
        {"sku": "SKU-1", "title": "Kettle", "link":
         "https://shop.example/kettle", "imageLink":
         "https://shop.example/k.png", "brand": "Acme"},
        {"sku": "SKU-2", "title": "Toaster"}]})
    assert r.status_code == 200, r.text
    assert {p["sku"] for p in r.json()["products"]} == {"SKU-1", "SKU-2"}
    assert_error(business.private("POST", path, json={"products": [
        {"sku": "", "title": "x"}]}), 400, "products[0].sku")
    review_id = publish(d, domain, "p@example.com", sku="SKU-1", stars=3)
    # a product review and a service review by the same person are both
    # allowed: the duplicate guard is per unit or per SKU
    publish(d, domain, "p@example.com", stars=5)
    r = public(business, "/v1/product-reviews/business-units/%s/reviews"
               % business.id, sku="SKU-1")
    items = r.json()["productReviews"]
    assert [p["id"] for p in items] == [review_id]
    assert items[0]["product"]["name"] == "Kettle"
    assert items[0]["product"]["productImages"] == \
        ["https://shop.example/k.png"]
    assert items[0]["content"] == "Nice shop"
    assert_error(public(business, "/v1/product-reviews/business-units/%s/"
                        "reviews" % business.id), 400, "sku")
    # product reviews do not count towards the unit's score
    unit = public(business, "/v1/business-units/" + business.id).json()
    assert unit["numberOfReviews"]["total"] == 1
    r = business.private("GET", "/v1/private/product-reviews/" + review_id)
    assert r.status_code == 200 and r.json()["product"]["sku"] == "SKU-1"
    r = public(business, "/v1/business-units/%s/reviews" % business.id)
    assert len(r.json()["reviews"]) == 1


def test_tags(business):
    d, domain = business.daemon, domain_of(business)
    review_id = publish(d, domain, "t@example.com")
    path = "/v1/private/reviews/%s/tags" % review_id
    r = business.private("POST", path, json={"tags": [
        {"group": "generic", "value": "vip"},
        {"group": "team", "value": "north"}]})
    assert r.status_code == 200, r.text
    r = business.private("PUT", path, json={"tags": [
        {"group": "generic", "value": "repeat"}]})
    assert len(r.json()["tags"]) == 3
    r = business.private("DELETE", path + "?group=team&value=north")
    assert {(t["group"], t["value"]) for t in r.json()["tags"]} == \
        {("generic", "vip"), ("generic", "repeat")}
    r = business.private("POST", path, json={"tags": [
        {"group": "generic", "value": "only"}]})
    assert r.json()["tags"] == [{"group": "generic", "value": "only"}]
    assert_error(business.private("POST", path, json={"tags": "x"}), 400,
                 "tags")
    assert_error(business.private("PUT", path, json={"tags": [
        {"group": "g"}]}), 400, "tags[0].value")
    assert_error(business.private("DELETE", path), 400, "group")
    assert business.private("GET", path).json()["tags"] == \
        [{"group": "generic", "value": "only"}]
