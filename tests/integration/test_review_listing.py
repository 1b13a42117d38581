"""Listings: 500 reviews, every filter checked against the expected ids,
page paging with next-page links, and a cursor sync during inserts."""
import pytest

from conftest import Business
from reviewkit import publish_many

N = 500
LANGS = ["en", "da", "de"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One daemon and business with 500 published reviews, shared by the
    read-only tests of this module."""
    from conftest import Daemon, check_sanitizers
    d = Daemon(tmp_path_factory.mktemp("listing")).start()
    b = Business(d, "listing.example.com")
    domain = b.unit["name"]["identifying"]
    reviews, starts = [], []
    for day in range(5):
        starts.append(d.admin("GET", "/v1/admin/clock").json()["nowMs"])
        specs = []
        for i in range(day * 100, day * 100 + 100):
            specs.append(dict(email="r%d@example.com" % i,
                              stars=i % 5 + 1, language=LANGS[i % 3],
                              title="Review %d" % i, name="Person %d" % i,
                              query="?source=invitation" if i % 13 == 0
                              else ""))
        ids = publish_many(d, domain, specs)
        for i, review_id in zip(range(day * 100, day * 100 + 100), ids):
            reviews.append(dict(i=i, id=review_id, stars=i % 5 + 1,
                                language=LANGS[i % 3], day=day,
                                source="third_party_invitation"
                                if i % 13 == 0 else "organic"))
        d.advance_clock(86400)
    for r in reviews:
        if r["i"] % 11 == 0:
            resp = b.private("PUT", "/v1/private/reviews/%s/tags" % r["id"],
                             json={"tags": [{"group": "generic",
                                             "value": "vip"}]})
            assert resp.status_code == 200
        r["vip"] = r["i"] % 11 == 0
        r["responded"] = r["i"] % 7 == 0
        if r["responded"]:
            resp = b.private("POST", "/v1/private/reviews/%s/reply"
                             % r["id"], json={"message": "Thanks %d" % r["i"]})
            assert resp.status_code == 201, resp.text
    d.day_starts = starts
    yield d, b, reviews
    rc = d.stop()
    check_sanitizers(d.all_stderr())
    assert rc == 0


def walk(business, path, params, private=False):
    """Follows next-page links from the first page; returns ids in order."""
    d = business.daemon
    headers = business.headers() if private else {"apikey": business.key}
    r = d.get(path, params=params, headers=headers)
    ids = []
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        key = "productReviews" if "productReviews" in body else "reviews"
        ids += [x["id"] for x in body[key]]
        nxt = [link["href"] for link in body["links"]
               if link["rel"] == "next-page"]
        if not nxt:
            return ids
        assert "?&" not in nxt[0] and "&&" not in nxt[0]
        r = d.session.get(d.url(d.public_path(nxt[0])), headers=headers)


def newest_first(rows):
    return [r["id"] for r in sorted(rows, key=lambda r: -r["i"])]


PUBLIC_CASES = [
    ({}, lambda r: True, "createdat.desc"),
    ({"stars": "5"}, lambda r: r["stars"] == 5, "createdat.desc"),
    ({"stars": "4,5"}, lambda r: r["stars"] >= 4, "createdat.desc"),
    ({"language": "da"}, lambda r: r["language"] == "da", "createdat.desc"),
    ({"language": "da,de", "stars": "1"},
     lambda r: r["language"] != "en" and r["stars"] == 1, "createdat.desc"),
    ({"responded": "true"}, lambda r: r["responded"], "createdat.desc"),
    ({"responded": "false", "stars": "2,3"},
     lambda r: not r["responded"] and r["stars"] in (2, 3),
     "createdat.desc"),
    # tags are private: public lists accept and ignore the tag filter
    ({"tagGroup": "generic", "tagValue": "vip"}, lambda r: True,
     "createdat.desc"),
    ({"tagValue": "vip", "language": "en"},
     lambda r: r["language"] == "en", "createdat.desc"),
    ({"orderBy": "createdat.asc"}, lambda r: True, "createdat.asc"),
    ({"orderBy": "stars.desc", "language": "de"},
     lambda r: r["language"] == "de", "stars.desc"),
    ({"orderBy": "stars.asc", "responded": "true"},
     lambda r: r["responded"], "stars.asc"),
]


def expected(rows, order):
    if order == "createdat.asc":
        return [r["id"] for r in sorted(rows, key=lambda r: r["i"])]
    if order == "stars.desc":
        return [r["id"] for r in sorted(rows, key=lambda r: (-r["stars"],
                                                               -r["i"]))]
    if order == "stars.asc":
        return [r["id"] for r in sorted(rows, key=lambda r: (r["stars"],
                                                              -r["i"]))]
    return newest_first(rows)


@pytest.mark.parametrize("params,keep,order", PUBLIC_CASES)
def test_public_filters(seeded, params, keep, order):
    d, b, reviews = seeded
    params = dict(params, perPage="100")
    got = walk(b, "/v1/business-units/%s/reviews" % b.id, params)
    assert got == expected([r for r in reviews if keep(r)], order)


def test_private_filters(seeded):
    d, b, reviews = seeded
    path = "/v1/private/business-units/%s/reviews" % b.id

    def check(params, keep):
        got = walk(b, path, dict(params, perPage="100"), private=True)
        assert got == newest_first([r for r in reviews if keep(r)]), params

    check({"source": "third_party_invitation"},
          lambda r: r["source"] == "third_party_invitation")
    check({"source": "organic", "stars": "3"},
          lambda r: r["source"] == "organic" and r["stars"] == 3)
    check({"tagGroup": "generic", "tagValue": "vip"}, lambda r: r["vip"])
    check({"tagValue": "vip", "language": "en"},
          lambda r: r["vip"] and r["language"] == "en")
    check({"findReviewer": "notContacted"}, lambda r: True)
    check({"findReviewer": "contacted"}, lambda r: False)
    check({"referenceId": "nothing"}, lambda r: False)
    check({"reported": "false", "language": "en"},
          lambda r: r["language"] == "en")
    # each hundred was written in its own day, from d.day_starts[day]
    import datetime

    def at(ms):
        return datetime.datetime.fromtimestamp(ms // 1000,
                                               datetime.timezone.utc)
    day1 = at(d.day_starts[1])
    day3 = at(d.day_starts[3] - 1000)
    check({"startDateTime": day1.strftime("%Y-%m-%dT%H:%M:%S"),
           "endDateTime": day3.strftime("%m/%d/%Y %H:%M:%S")},
          lambda r: 1 <= r["day"] < 3)
    now = at(d.admin("GET", "/v1/admin/clock").json()["nowMs"] - 60000)
    # replies were written after the last day: updatedAt moved for them
    check({"dateField": "updatedAt",
           "startDateTime": now.strftime("%Y-%m-%dT%H:%M:%S")},
          lambda r: r["responded"])


def test_paging_and_links(seeded):
    d, b, reviews = seeded
    path = "/v1/business-units/%s/reviews" % b.id
    pages = []
    for page in range(1, 7):
        r = d.get(path, params={"page": page, "perPage": 100},
                  headers={"apikey": b.key})
        body = r.json()
        pages.append([x["id"] for x in body["reviews"]])
        has_next = any(link["rel"] == "next-page" for link in body["links"])
        assert has_next == (page < 5)
    assert [len(p) for p in pages] == [100] * 5 + [0]
    assert sum(pages, []) == newest_first(reviews)
    r = d.get(path, params={"perPage": 101}, headers={"apikey": b.key})
    assert r.status_code == 400 and r.json()["details"][0]["field"] == \
        "perPage"
    for bad in ({"stars": "6"}, {"stars": "a"}, {"orderBy": "name"},
                {"language": "english"}, {"responded": "maybe"},
                {"page": "0"}, {"pageToken": "garbage"}):
        r = d.get(path, params=bad, headers={"apikey": b.key})
        assert r.status_code == 400, bad
        assert r.json()["details"][0]["field"] == list(bad)[0]
    r = d.get("/v1/private/business-units/%s/reviews" % b.id,
              params={"startDateTime": "yesterday"}, headers=b.headers())
    assert r.status_code == 400
    assert r.json()["details"][0]["field"] == "startDateTime"
    # a long query (any size the server takes) is kept in the next link
    long_value = "ä" * 3000  # 18 kB encoded
    r = d.get(path, params={"perPage": 1, "utm_campaign": long_value},
              headers={"apikey": b.key})
    assert r.status_code == 200, r.text
    nxt = [link["href"] for link in r.json()["links"]
           if link["rel"] == "next-page"][0]
    import urllib.parse
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query)
    assert query == {"perPage": ["1"], "utm_campaign": [long_value],
                     "page": ["2"]}


def test_cursor_sync_sees_each_review_once(seeded):
    d, b, reviews = seeded
    domain = b.unit["name"]["identifying"]
    path = "/v1/business-units/%s/reviews" % b.id
    seen, token, round_ = [], "", 0
    inserted = []
    while True:
        r = d.get(path, params={"pageToken": token, "perPage": 50},
                  headers={"apikey": b.key})
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [x["id"] for x in body["reviews"]]
        token = body["nextPageToken"]
        round_ += 1
        if round_ in (2, 5, 9):         # new reviews arrive mid-sync
            specs = [dict(email="sync%d-%d@example.com" % (round_, k),
                          stars=5, title="Late %d" % k) for k in range(7)]
            inserted += publish_many(d, domain, specs)
        if not body["reviews"] and round_ > 9:
            break
    assert len(seen) == len(set(seen))
    assert set(seen) == {r["id"] for r in reviews} | set(inserted)
    # polling again from the last token gives nothing new
    r = d.get(path, params={"pageToken": token}, headers={"apikey": b.key})
    assert r.json()["reviews"] == [] and r.json()["nextPageToken"] == token
