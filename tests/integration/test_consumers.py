"""Issue 14 section 5: /v1/consumers/{id} and its reviews, and what they
must never tell: an e-mail address, or anything of anonymous reviews."""

import pytest

from conftest import Business, assert_error
from reviewkit import publish

EMAIL = "pia.private@example.com"


@pytest.fixture
def units(daemon):
    return [Business(daemon, "c%d.example.com" % i) for i in range(3)]


def get(d, unit, path, **params):
    return d.get(path, headers={"apikey": unit.key}, params=params)


def real_consumer(d, review_id):
    con = d.sql()
    row = con.execute("SELECT consumer_id FROM reviews WHERE id = ?",
                      (review_id,)).fetchone()
    con.close()
    return row[0]


def test_profile_shows_named_reviews_only(daemon, units):
    d = daemon
    a, b, c = units
    # first an anonymous review, under a name and country of its own
    anon = publish(d, "c0.example.com", EMAIL, name="Secret Name",
                   country="SE", anonymous=True, stars=1, title="Hidden")
    named = publish(d, "c1.example.com", EMAIL, name="Pia Public",
                    country="DK", stars=4, title="Seen")
    review = get(d, b, "/v1/reviews/" + named).json()
    cid = review["consumer"]["id"]
    assert cid == real_consumer(d, named)
    # beside the named review, only named reviews count
    assert review["consumer"]["numberOfReviews"] == 1

    r = get(d, a, "/v1/consumers/" + cid)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["id"] == cid and p["displayName"] == "Pia Public"
    assert p["countryCode"] == "DK" and p["displayLocation"] == "DK"
    assert p["numberOfReviews"] == 1
    assert {l["rel"] for l in p["links"]} == {"self", "consumer-reviews"}
    for text in (r.text, get(d, a, "/v1/consumers/%s/reviews" % cid).text):
        assert "Secret Name" not in text and '"SE"' not in text
        assert EMAIL not in text and "pia.private" not in text
        assert anon not in text and "Hidden" not in text

    reviews = get(d, a, "/v1/consumers/%s/reviews" % cid).json()
    assert [x["id"] for x in reviews["reviews"]] == [named]
    assert reviews["links"] == []
    assert reviews["reviews"][0]["businessUnit"]["id"] == b.id

    # the anonymous review leads nowhere: its consumer is its own id
    anon_json = get(d, a, "/v1/reviews/" + anon).json()
    assert anon_json["consumer"]["id"] == anon != cid
    assert anon_json["consumer"]["displayName"] == "Anonymous"
    assert anon_json["consumer"]["numberOfReviews"] == 1
    assert get(d, a, "/v1/consumers/" + anon).status_code == 404
    private = a.private("GET", "/v1/private/reviews/" + anon).json()
    assert private["consumer"]["id"] == anon
    listed = a.private("GET", "/v1/private/business-units/%s/reviews"
                       % a.id).json()["reviews"]
    assert [x["consumer"]["id"] for x in listed] == [anon]


def test_only_anonymous_reviews_is_not_found(daemon, units):
    d = daemon
    a = units[0]
    anon = publish(d, "c0.example.com", "shy@example.com", name="Shy One",
                   anonymous=True)
    publish(d, "c1.example.com", "shy@example.com", name="Shy One",
            anonymous=True)
    real = real_consumer(d, anon)
    unknown = get(d, a, "/v1/consumers/" + "0" * 24)
    for path in ("/v1/consumers/" + real,
                 "/v1/consumers/%s/reviews" % real):
        r = get(d, a, path)
        assert r.status_code == 404 == unknown.status_code
        assert r.json()["message"] == unknown.json()["message"]
        assert "Shy One" not in r.text
    # a named review later makes the profile, still without the others
    named = publish(d, "c2.example.com", "shy@example.com", name="Shy One",
                    title="Out now")
    assert real_consumer(d, named) == real
    p = get(d, a, "/v1/consumers/" + real).json()
    assert p["numberOfReviews"] == 1
    ids = [x["id"] for x in get(d, a, "/v1/consumers/%s/reviews"
                                % real).json()["reviews"]]
    assert ids == [named]


def test_reviews_paging_and_filters(daemon, units):
    d = daemon
    a, b, c = units
    ids = [publish(d, "c%d.example.com" % i, "many@example.com",
                   name="Many", stars=3 + i, title="T%d" % i)
           for i in range(3)]
    cid = get(d, a, "/v1/reviews/" + ids[0]).json()["consumer"]["id"]
    assert get(d, a, "/v1/consumers/" + cid).json()["numberOfReviews"] == 3
    path = "/v1/consumers/%s/reviews" % cid
    first = get(d, a, path, perPage=2).json()
    assert [x["id"] for x in first["reviews"]] == [ids[2], ids[1]]
    assert first["links"][0]["rel"] == "next-page"
    assert "page=2" in first["links"][0]["href"]
    second = get(d, a, path, perPage=2, page=2).json()
    assert [x["id"] for x in second["reviews"]] == [ids[0]]
    assert second["links"] == []
    asc = get(d, a, path, orderBy="createdat.asc").json()
    assert [x["id"] for x in asc["reviews"]] == ids
    assert [x["id"] for x in get(d, a, path, stars="5,3").json()[
        "reviews"]] == [ids[2], ids[0]]
    assert [x["id"] for x in get(d, a, path, businessUnitId=b.id).json()[
        "reviews"]] == [ids[1]]
    assert get(d, a, path, language="de").json()["reviews"] == []
    assert len(get(d, a, path, language="en,de").json()["reviews"]) == 3

    for params, field in [({"stars": "6"}, "stars"),
                          ({"stars": "4,"}, "stars"),
                          ({"language": "english"}, "language"),
                          ({"businessUnitId": "x"}, "businessUnitId"),
                          ({"orderBy": "stars.desc"}, "orderBy"),
                          ({"includeReportedReviews": "maybe"},
                           "includeReportedReviews"),
                          ({"internalLocationId": "1"},
                           "internalLocationId"),
                          ({"perPage": "0"}, "perPage"),
                          ({"page": "x"}, "page")]:
        assert_error(get(d, a, path, **params), 400, field)
    assert d.get(path).status_code == 401
    assert d.get("/v1/consumers/" + cid).status_code == 401


def test_erased_reviewer_leaves_profile(daemon, units):
    d = daemon
    a = units[0]
    rid = publish(d, "c0.example.com", "rep@example.com", name="Rep")
    cid = get(d, a, "/v1/reviews/" + rid).json()["consumer"]["id"]
    assert get(d, a, "/v1/consumers/" + cid).status_code == 200
    proc = d.cli("reviewer", "erase", "--email", "rep@example.com")
    assert proc.returncode == 0, proc.stderr
    assert get(d, a, "/v1/consumers/" + cid).status_code == 404


def test_a_conversation_does_not_unmask_an_anonymous_reviewer(daemon):
    from reviewkit import publish
    d = daemon
    shop = Business(d, "convleak.example.com")
    Business(d, "elsewhere-conv.example.com")
    r = shop.private("POST", "/v1/private/business-units/%s/products"
                     % shop.id, json={"products": [{
                         "sku": "A", "title": "Thing",
                         "link": "https://convleak.example.com/a"}]})
    assert r.status_code in (200, 201), r.text
    # the person's named review somewhere else, then an anonymous one here
    publish(d, "elsewhere-conv.example.com", "victim@example.com",
            name="Victoria Secretname", country="SE")
    rid = publish(d, "convleak.example.com", "victim@example.com", sku="A",
                  anonymous=True, name="Victoria Secretname", stars=1,
                  title="Bad")
    shown = shop.private("GET", "/v1/private/product-reviews/" + rid).json()
    cid = shop.private("POST", "/v1/private/product-reviews/%s/"
                       "create-conversation" % rid).json()["conversationId"]
    conv = shop.private("GET", "/v1/private/conversations/" + cid).json()
    assert conv["consumerId"] == shown["consumer"]["id"]
    r = d.get("/v1/consumers/" + conv["consumerId"],
              headers={"apikey": shop.key})
    assert r.status_code == 404
    assert "Secretname" not in r.text
