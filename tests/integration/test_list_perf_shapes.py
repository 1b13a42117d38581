"""Every statement shape of the review lists (src/reviews_shape.c: which
reviews, which order, which filter drives the index walk) against a model:
service and product reviews, public and private, each order and the
cursor, filters alone and together (a driving filter beside the ones
bound as NULL-or), walked page by page with small pages so OFFSET and the
cursor's key both move."""
import itertools

import pytest

from conftest import Business
from reviewkit import publish_many

N = 48
LANGS = ["en", "de", "da"]
PER_PAGE = "7"


def sku_of(i):
    return {1: "SKU-1", 3: "SKU-2"}.get(i % 4)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from conftest import Daemon, check_sanitizers
    d = Daemon(tmp_path_factory.mktemp("shapes")).start()
    b = Business(d, "shapes.example.com")
    domain = b.unit["name"]["identifying"]
    r = b.private("POST", "/v1/private/business-units/%s/products" % b.id,
                  json={"products": [{"sku": "SKU-1", "title": "Kettle"},
                                     {"sku": "SKU-2", "title": "Toaster"}]})
    assert r.status_code == 200, r.text
    rows, starts = [], []
    for day in range(3):
        starts.append(d.admin("GET", "/v1/admin/clock").json()["nowMs"])
        specs = []
        for i in range(day * N // 3, (day + 1) * N // 3):
            spec = dict(email="s%d@example.com" % i, stars=i % 5 + 1,
                        language=LANGS[i % 3], title="Shape %d" % i,
                        name="Person %d" % i)
            if sku_of(i):
                spec["sku"] = sku_of(i)
            specs.append(spec)
            rows.append(dict(i=i, stars=i % 5 + 1, language=LANGS[i % 3],
                             sku=sku_of(i), day=day, responded=i % 3 == 0,
                             vip=i % 5 == 0))
        ids = publish_many(d, domain, specs)
        for row, review_id in zip(rows[-len(ids):], ids):
            row["id"] = review_id
        d.advance_clock(86400)
    for row in rows:
        if row["vip"]:
            r = b.private("PUT", "/v1/private/reviews/%s/tags" % row["id"],
                          json={"tags": [{"group": "generic",
                                          "value": "vip"}]})
            assert r.status_code == 200, r.text
        if row["responded"]:
            r = b.private("POST", "/v1/private/reviews/%s/reply" % row["id"],
                          json={"message": "Thanks %d" % row["i"]})
            assert r.status_code == 201, r.text
    d.day_starts = starts
    yield d, b, rows
    rc = d.stop()
    check_sanitizers(d.all_stderr())
    assert rc == 0


def walk(business, path, params, private):
    """Follows next-page links from the first page; returns ids in order
    and the number of pages."""
    d = business.daemon
    headers = business.headers() if private else {"apikey": business.key}
    r = d.get(path, params=params, headers=headers)
    ids, pages = [], 0
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        key = "productReviews" if "productReviews" in body else "reviews"
        assert len(body[key]) <= int(PER_PAGE)
        ids += [x["id"] for x in body[key]]
        pages += 1
        nxt = [link["href"] for link in body["links"]
               if link["rel"] == "next-page"]
        if not nxt:
            return ids, pages
        r = d.session.get(d.url(d.public_path(nxt[0])),
                          headers=headers)


# (name, path, query, private, which rows)
SCOPES = [
    ("public", "/v1/business-units/%s/reviews", {}, False,
     lambda r: r["sku"] is None),
    ("public product", "/v1/product-reviews/business-units/%s/reviews",
     {"sku": "SKU-1"}, False, lambda r: r["sku"] == "SKU-1"),
    ("private", "/v1/private/business-units/%s/reviews", {}, True,
     lambda r: r["sku"] is None),
    ("private product",
     "/v1/private/product-reviews/business-units/%s/reviews",
     {"sku": "SKU-2"}, True, lambda r: r["sku"] == "SKU-2"),
    ("private products",
     "/v1/private/product-reviews/business-units/%s/reviews", {}, True,
     lambda r: r["sku"] is not None),
]

ORDERS = {
    "createdat.desc": lambda r: -r["i"],
    "createdat.asc": lambda r: r["i"],
    "stars.desc": lambda r: (-r["stars"], -r["i"]),
    "stars.asc": lambda r: (r["stars"], -r["i"]),
    # the cursor: publication order, which is creation order here
    "cursor": lambda r: r["i"],
}

FILTERS = [
    ({}, lambda r: True),
    ({"stars": "1"}, lambda r: r["stars"] == 1),
    ({"stars": "2,4"}, lambda r: r["stars"] in (2, 4)),
    ({"language": "de"}, lambda r: r["language"] == "de"),
    ({"language": "de,en"}, lambda r: r["language"] in ("de", "en")),
    ({"responded": "true"}, lambda r: r["responded"]),
    ({"responded": "false"}, lambda r: not r["responded"]),
    ({"stars": "3", "language": "da"},
     lambda r: r["stars"] == 3 and r["language"] == "da"),
    ({"language": "en", "responded": "false", "stars": "1,2,5"},
     lambda r: r["language"] == "en" and not r["responded"] and
     r["stars"] in (1, 2, 5)),
    ({"responded": "true", "stars": "4,5"},
     lambda r: r["responded"] and r["stars"] >= 4),
]

PRIVATE_FILTERS = [
    ({"tagValue": "vip"}, lambda r: r["vip"]),
    ({"tagValue": "vip", "stars": "1"},
     lambda r: r["vip"] and r["stars"] == 1),
    ({"referenceId": "nothing"}, lambda r: False),
    ({"referenceId": "nothing", "stars": "2"}, lambda r: False),
    ({"source": "organic", "language": "de"},
     lambda r: r["language"] == "de"),
    ({"status": "active", "responded": "false"},
     lambda r: not r["responded"]),
]


def check_filters(business, rows, scope, order, filters):
    """Walks the list of scope in order with each filter, against the
    model."""
    b = business
    name, path, query, private, keep = scope
    for params, match in filters:
        q = dict(query, perPage=PER_PAGE, **params)
        if order == "cursor":
            q["pageToken"] = ""
        else:
            q["orderBy"] = order
        want = [r["id"] for r in sorted(
            (r for r in rows if keep(r) and match(r)), key=ORDERS[order])]
        got, pages = walk(b, path % b.id, q, private)
        assert got == want, (name, order, params)
        assert pages >= (len(want) + int(PER_PAGE) - 1) // int(PER_PAGE)


@pytest.mark.parametrize("scope", SCOPES, ids=[s[0] for s in SCOPES])
@pytest.mark.parametrize("order", list(ORDERS))
def test_shapes(seeded, scope, order):
    d, b, rows = seeded
    check_filters(b, rows, scope, order,
                  FILTERS + (PRIVATE_FILTERS if scope[3] else []))


def test_private_dates(seeded):
    """The creation dates bound the walk of every date-ordered shape,
    driven or not; updatedAt is a plain filter."""
    import datetime
    d, b, rows = seeded
    path = "/v1/private/business-units/%s/reviews" % b.id

    def at(ms):
        return datetime.datetime.fromtimestamp(
            ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    cases = itertools.product(
        ["createdat.desc", "createdat.asc", "stars.asc"],
        [({}, lambda r: True), ({"stars": "2"}, lambda r: r["stars"] == 2),
         ({"language": "en"}, lambda r: r["language"] == "en"),
         ({"responded": "true"}, lambda r: r["responded"])])
    for order, (params, match) in cases:
        q = dict(params, orderBy=order, perPage=PER_PAGE,
                 startDateTime=at(d.day_starts[1]))
        want = [r["id"] for r in sorted(
            (r for r in rows if r["sku"] is None and r["day"] >= 1 and
             match(r)), key=ORDERS[order])]
        got, _ = walk(b, path, q, True)
        assert got == want, (order, params)
        del q["startDateTime"]
        q["endDateTime"] = at(d.day_starts[1] - 1000)
        want = [r["id"] for r in sorted(
            (r for r in rows if r["sku"] is None and r["day"] < 1 and
             match(r)), key=ORDERS[order])]
        got, _ = walk(b, path, q, True)
        assert got == want, (order, params, "end")
