"""Issue 14, section 6: the business-unit endpoints clients call first
(search, all, web-links, profileinfo) and the latest reviews across units,
in Trustpilot's shapes."""
import pytest

from conftest import Business, assert_error
from reviewkit import publish, submit

UNIT_KEYS = {"id", "displayName", "name", "websiteUrl", "country", "status",
             "badFit", "score", "numberOfReviews", "links"}


def public(business, path, **params):
    return business.daemon.get(path, params=params,
                               headers={"apikey": business.key})


def patch(business, **fields):
    r = business.private("PATCH", "/v1/private/business-units/%s"
                         % business.id, json=fields)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def units(daemon):
    """Three units: two named like a bakery, one in Denmark."""
    a = Business(daemon, "sunny-bakery.example.com")
    b = Business(daemon, "bakery.example.org")
    c = Business(daemon, "tools.example.net")
    patch(a, displayName="Sunny Bakery")
    patch(b, displayName="Bakery Central", country="DK")
    patch(c, displayName="Tool Shed")
    return a, b, c


def test_search_and_all_are_not_taken_for_a_unit_id(units):
    a, b, c = units
    r = public(a, "/v1/business-units/search", query="bakery")
    assert r.status_code == 200, r.text
    found = r.json()["businessUnits"]
    # by name (the unit whose domain is the query would come first)
    assert [u["id"] for u in found] == [b.id, a.id]
    assert set(found[0]) == UNIT_KEYS
    assert "notificationEmail" not in r.text
    r = public(a, "/v1/business-units/search",
               query="bakery.example.org")
    assert [u["id"] for u in r.json()["businessUnits"]] == [b.id]
    patch(c, displayName="Bakery Tools")
    r = public(a, "/v1/business-units/search", query="tools.example.net")
    assert [u["id"] for u in r.json()["businessUnits"]] == [c.id]
    r = public(a, "/v1/business-units/search", query="sunny-bakery."
               "example.com")
    assert [u["id"] for u in r.json()["businessUnits"]] == [a.id]
    r = public(a, "/v1/business-units/search", query="BAKERY",
               country="dk")
    assert [u["id"] for u in r.json()["businessUnits"]] == [b.id]
    r = public(a, "/v1/business-units/search", query="nothing-like-it")
    assert r.json() == {"links": [], "businessUnits": []}
    r = public(a, "/v1/business-units/all")
    assert r.status_code == 200, r.text
    assert [u["id"] for u in r.json()["businessUnits"]] == \
        [a.id, b.id, c.id]
    r = public(a, "/v1/business-units/all", country="DK")
    assert [u["id"] for u in r.json()["businessUnits"]] == [b.id]
    # the unit route still works
    assert public(a, "/v1/business-units/" + a.id).json()["id"] == a.id


def test_search_and_all_page(units):
    a, b, c = units
    r = public(a, "/v1/business-units/search", query="e", perpage=1)
    first = r.json()
    assert len(first["businessUnits"]) == 1
    nxt = [l for l in first["links"] if l["rel"] == "next-page"][0]
    assert "page=2" in nxt["href"] and "query=e" in nxt["href"]
    r = public(a, "/v1/business-units/search", query="e", perPage=1,
               page=2)
    assert r.json()["businessUnits"][0]["id"] != \
        first["businessUnits"][0]["id"]
    seen = []
    for page in (1, 2, 3, 4):
        r = public(a, "/v1/business-units/all", perPage=1, page=page)
        seen += [u["id"] for u in r.json()["businessUnits"]]
        assert bool(r.json()["links"]) == (page < 3)
    assert seen == [a.id, b.id, c.id]
    assert public(a, "/v1/business-units/all", perPage=1000).status_code \
        == 200


def test_search_and_all_bad_input(units):
    a = units[0]
    for params, field in [({}, "query"), ({"query": ""}, "query"),
                          ({"query": "x" * 101}, "query"),
                          ({"query": "a", "country": "Denmark"}, "country"),
                          ({"query": "a", "perpage": "0"}, "perpage"),
                          ({"query": "a", "perPage": "101"}, "perPage"),
                          ({"query": "a", "page": "0"}, "page")]:
        assert_error(public(a, "/v1/business-units/search", **params), 400,
                     field)
    assert_error(public(a, "/v1/business-units/all", perPage=1001), 400,
                 "perPage")
    assert_error(public(a, "/v1/business-units/all", country="D1"), 400,
                 "country")
    r = a.daemon.get("/v1/business-units/search", params={"query": "a"})
    assert r.status_code == 401


def test_web_links_per_locale(make_daemon):
    d = make_daemon({"server": {"public_url":
                                "https://reviews.example.test"}})
    shop = Business(d, "links-shop.example.com")
    base = "/v1/business-units/%s/web-links" % shop.id
    r = public(shop, base, locale="da-DK")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["locale"] == "da-DK"
    assert body["profileUrl"] == \
        "https://dk.reviews.example.test/b/links-shop.example.com"
    assert body["evaluateUrl"] == \
        "https://dk.reviews.example.test/review/links-shop.example.com"
    assert body["links"][0]["rel"] == "self"
    r = public(shop, base, locale="en-GB")
    assert r.json()["profileUrl"].startswith("https://uk.reviews.")
    # the main site for en-US, and for a locale without a country
    for locale in ("en-US", "de"):
        r = public(shop, base, locale=locale)
        assert r.json()["evaluateUrl"] == \
            "https://reviews.example.test/review/links-shop.example.com"
    # no locale: the unit's own
    patch(shop, defaultLocale="fr-FR")
    r = public(shop, base)
    assert r.json()["locale"] == "fr-FR"
    assert r.json()["profileUrl"].startswith("https://fr.reviews.")
    assert_error(public(shop, base, locale="danish"), 400, "locale")
    assert_error(public(shop, "/v1/business-units/%s/web-links"
                        % ("f" * 24), locale="da-DK"), 404)


def test_web_links_lead_to_the_pages(business):
    """On an address (the tests' public URL) there is no host prefix: the
    links are the daemon's own pages."""
    r = public(business, "/v1/business-units/%s/web-links" % business.id,
               locale="da-DK")
    body = r.json()
    d = business.daemon
    for key in ("profileUrl", "evaluateUrl"):
        page = d.get(d.public_path(body[key]))
        assert page.status_code == 200, (key, page.text[:200])


def test_profile_info_from_the_settings(business, other_business):
    path = "/v1/business-units/%s/profileinfo" % business.id
    r = public(business, path)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == business.id
    assert body["email"] is None and body["phone"] is None
    assert body["address"] == {"street": None, "city": None,
                               "postcode": None, "country": None}
    unit = patch(business, contactEmail="hello@shop.example",
                 phone="+45 12 34 56 78", street="Main Street 1",
                 city="Aarhus", postcode="8000", country="DK",
                 notificationEmail="private@shop.example")
    assert unit["country"] == "DK"
    body = public(business, path).json()
    assert body["email"] == "hello@shop.example"
    assert body["phone"] == "+45 12 34 56 78"
    assert body["address"] == {"street": "Main Street 1", "city": "Aarhus",
                               "postcode": "8000", "country": "DK"}
    assert {l["rel"] for l in body["links"]} == {"self", "business-unit"}
    assert "private@shop.example" not in public(business, path).text
    # a PATCH of nothing else keeps them
    patch(business, displayName="Renamed Shop")
    assert public(business, path).json()["phone"] == "+45 12 34 56 78"
    # bad settings name the field and change nothing
    for fields, field in [({"contactEmail": "nope"}, "contactEmail"),
                          ({"phone": "1\r\n2"}, "phone"),
                          ({"postcode": "x" * 21}, "postcode"),
                          ({"city": 7}, "city")]:
        assert_error(business.private(
            "PATCH", "/v1/private/business-units/%s" % business.id,
            json=fields), 400, field)
    assert public(business, path).json()["email"] == "hello@shop.example"
    # other units' settings are theirs
    assert public(other_business, "/v1/business-units/%s/profileinfo"
                  % other_business.id).json()["email"] is None
    assert_error(public(business, "/v1/business-units/%s/profileinfo"
                        % ("0" * 24)), 404)
    assert_error(public(business, "/v1/business-units/not-an-id/"
                        "profileinfo"), 404)


def test_latest_reviews_across_units(business, other_business):
    d = business.daemon
    one = publish(d, business.unit["name"]["identifying"], "a@example.com",
                  stars=5, title="First")
    two = publish(d, other_business.unit["name"]["identifying"],
                  "b@example.com", stars=2, title="Second")
    three = publish(d, business.unit["name"]["identifying"],
                    "c@example.com", stars=4, title="Third",
                    language="da")
    # never published: not listed
    r = submit(d, business.unit["name"]["identifying"], "p@example.com",
               title="Pending")
    assert r.status_code == 202
    pending = r.json()["id"]
    # hidden by a report: not listed
    hidden = publish(d, other_business.unit["name"]["identifying"],
                     "h@example.com", title="Hidden")
    r = other_business.private("POST", "/v1/private/reviews/%s/reports"
                               % hidden, json={
                                   "reason": "personal_information"})
    assert r.status_code == 201, r.text
    r = public(business, "/v1/reviews/latest")
    assert r.status_code == 200, r.text
    body = r.json()
    ids = [x["id"] for x in body["reviews"]]
    assert ids == [three, two, one]
    assert pending not in ids and hidden not in ids
    assert {x["businessUnit"]["id"] for x in body["reviews"]} == \
        {business.id, other_business.id}
    assert "referralEmail" not in r.text and "@example.com" not in r.text
    assert body["links"] == []
    r = public(business, "/v1/reviews/latest", language="da")
    assert [x["id"] for x in r.json()["reviews"]] == [three]
    # paged, Trustpilot's count as the page size
    r = public(business, "/v1/reviews/latest", count=2)
    page1 = r.json()
    assert [x["id"] for x in page1["reviews"]] == [three, two]
    nxt = page1["links"][0]
    assert nxt["rel"] == "next-page" and "page=2" in nxt["href"]
    r = public(business, "/v1/reviews/latest", perPage=2, page=2)
    assert [x["id"] for x in r.json()["reviews"]] == [one]
    # /v1/reviews/{id} still answers
    assert public(business, "/v1/reviews/" + one).json()["id"] == one


def test_latest_reviews_are_bounded(business):
    for params, field in [({"count": "101"}, "count"),
                          ({"perPage": "0"}, "perPage"),
                          ({"perPage": "100", "page": "11"}, "page"),
                          ({"count": "1", "page": "1001"}, "page"),
                          ({"language": "english"}, "language")]:
        assert_error(public(business, "/v1/reviews/latest", **params), 400,
                     field)
    r = public(business, "/v1/reviews/latest", perPage=100, page=10)
    assert r.status_code == 200 and r.json()["reviews"] == []
    assert business.daemon.get("/v1/reviews/latest").status_code == 401
