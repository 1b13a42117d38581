"""The private list shapes driven by source and by tag (migration 0023:
reviews_list_source, review_tags_list) against the model of
test_list_perf_shapes: every date order and the cursor, with the other
filters beside them, page by page; a tag's case, a tag removed, and the
creation dates that bound the tag's walk."""
import datetime

import pytest

from test_list_perf_shapes import (ORDERS, PER_PAGE, SCOPES, check_filters,
                                   seeded, walk)

assert seeded  # the fixture, imported for the tests below

PRIVATE_SCOPES = [s for s in SCOPES if s[3]]

VIP = {"tagGroup": "generic", "tagValue": "vip"}

FILTERS = [
    (VIP, lambda r: r["vip"]),
    (dict(VIP, stars="1,5"), lambda r: r["vip"] and r["stars"] in (1, 5)),
    (dict(VIP, language="en", responded="false"),
     lambda r: r["vip"] and r["language"] == "en" and not r["responded"]),
    (dict(VIP, source="organic"), lambda r: r["vip"]),
    (dict(VIP, source="invitation"), lambda r: False),
    ({"tagGroup": "other", "tagValue": "vip"}, lambda r: False),
    ({"tagGroup": "generic", "tagValue": "VIP"}, lambda r: False),
    ({"tagGroup": "generic", "tagValue": "VIP",
      "ignoreTagValueCase": "true"}, lambda r: r["vip"]),
    ({"tagGroup": "generic"}, lambda r: r["vip"]),
    ({"source": "organic"}, lambda r: True),
    ({"source": "invitation"}, lambda r: False),
    ({"source": "organic", "stars": "2,4"}, lambda r: r["stars"] in (2, 4)),
    ({"source": "organic", "responded": "true", "language": "da"},
     lambda r: r["responded"] and r["language"] == "da"),
    # the filters that a statement checks row by row (a source alone
    # runs the bare one, without them): each still filters beside it
    ({"source": "organic", "username": "person 7"}, lambda r: r["i"] == 7),
    ({"source": "organic", "referralEmail": "s7@example.com"},
     lambda r: False),
    ({"source": "organic", "reported": "true"}, lambda r: False),
    ({"source": "organic", "reported": "false"}, lambda r: True),
    ({"source": "organic", "findReviewer": "contacted"}, lambda r: False),
    ({"source": "organic", "status": "active"}, lambda r: True),
    ({"source": "organic", "referenceId": "nothing"}, lambda r: False),
    ({"source": "organic", "tagValue": "vip"}, lambda r: r["vip"]),
    ({"username": "person 8"}, lambda r: r["i"] == 8),
]


@pytest.mark.parametrize("scope", PRIVATE_SCOPES,
                         ids=[s[0] for s in PRIVATE_SCOPES])
@pytest.mark.parametrize("order", list(ORDERS))
def test_driven(seeded, scope, order):
    d, b, rows = seeded
    check_filters(b, rows, scope, order, FILTERS)


def test_driven_dates_and_untag(seeded):
    d, b, rows = seeded
    path = "/v1/private/business-units/%s/reviews" % b.id

    def at(ms):
        return datetime.datetime.fromtimestamp(
            ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    for order in ("createdat.desc", "createdat.asc"):
        for params, match in ((VIP, lambda r: r["vip"]),
                              ({"source": "organic"}, lambda r: True)):
            q = dict(params, orderBy=order, perPage=PER_PAGE,
                     startDateTime=at(d.day_starts[1]),
                     endDateTime=at(d.day_starts[2] - 1000))
            want = [r["id"] for r in sorted(
                (r for r in rows if r["sku"] is None and r["day"] == 1 and
                 match(r)), key=ORDERS[order])]
            assert want
            got, _ = walk(b, path, q, True)
            assert got == want, (order, params)
    # a tag taken off leaves the tag's list at once, put back it returns
    gone = next(r for r in rows if r["vip"] and r["sku"] is None)
    url = "/v1/private/reviews/%s/tags" % gone["id"]
    q = dict(VIP, perPage=PER_PAGE)
    want = [r["id"] for r in sorted(
        (r for r in rows if r["vip"] and r["sku"] is None),
        key=ORDERS["createdat.desc"])]
    r = b.private("POST", url, json={"tags": []})  # replaces them
    assert r.status_code == 200, r.text
    got, _ = walk(b, path, q, True)
    assert got == [x for x in want if x != gone["id"]]
    r = b.private("PUT", url, json={"tags": [{"group": "generic",
                                              "value": "vip"}]})  # adds
    assert r.status_code == 200, r.text
    got, _ = walk(b, path, q, True)
    assert got == want
