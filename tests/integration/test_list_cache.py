"""The public lists' cache (src/list_cache.c, migration 0017): every change
a public list shows is on the very next request, whoever made it (the API,
the admin, another process writing the database), with a new ETag; an
ETag the client holds answers 304 without a body while nothing changed;
the key is the whole request; private lists likewise (migration 0031), and
their own changes (tags, Find Reviewer, reviews not yet published) leave
the public lists alone; the cache off or too small to keep a page changes
nothing but speed."""

import pytest

from conftest import Business, assert_error
from conftest import wait_for
from reviewkit import mails, publish, publish_many, submit


def public(shop, path=None, **kw):
    headers = kw.pop("headers", {})
    headers["apikey"] = shop.key
    return shop.daemon.get(path or "/v1/business-units/%s/reviews" % shop.id,
                           headers=headers, **kw)


def private(shop, path=None, **kw):
    return shop.private("GET", path or "/v1/private/business-units/%s/reviews"
                        % shop.id, **kw)


def listed(shop, **kw):
    r = public(shop, **kw)
    assert r.status_code == 200, r.text
    assert r.headers["ETag"].startswith('"')
    return r


class Watch:
    """The public list of a unit as a client polls it: each step must show
    a new body and a new ETag on the first request after the change, and
    the old ETag must no longer answer 304."""

    def __init__(self, shop, path=None, params=None, fetch=public):
        self.shop, self.path, self.params = shop, path, params or {}
        self.fetch = fetch
        self.last = self.get()

    def get(self):
        r = self.fetch(self.shop, self.path, params=self.params)
        assert r.status_code == 200, r.text
        # twice: the second is answered from the cache
        again = self.fetch(self.shop, self.path, params=self.params)
        assert again.content == r.content
        assert again.headers["ETag"] == r.headers["ETag"]
        assert self.fetch(self.shop, self.path, params=self.params, headers={
            "If-None-Match": r.headers["ETag"]}).status_code == 304
        return r

    def unchanged(self):
        assert self.fetch(self.shop, self.path, params=self.params, headers={
            "If-None-Match": self.last.headers["ETag"]}).status_code == 304
        assert self.get().content == self.last.content

    def changed(self):
        old = self.last
        r = self.fetch(self.shop, self.path, params=self.params,
                       headers={"If-None-Match": old.headers["ETag"]})
        assert r.status_code == 200, "stale: %s" % r.text[:200]
        assert r.headers["ETag"] != old.headers["ETag"]
        assert r.content != old.content
        self.last = self.get()
        assert self.last.content == r.content
        return self.last.json()


def generations(d, bu):
    """(list_generation, private_generation) of unit bu."""
    con = d.sql(10)
    try:
        return tuple(con.execute(
            "SELECT list_generation, private_generation FROM "
            "business_units WHERE id = ?", (bu,)).fetchone())
    finally:
        con.close()


def reviews_of(body):
    return body.get("reviews", body.get("productReviews"))


@pytest.fixture
def shop(daemon):
    return Business(daemon, "cache.example.com")


def test_etag_and_not_modified(shop):
    d = shop.daemon
    publish_many(d, "cache.example.com", [
        dict(email="a@example.com", title="First"),
        dict(email="b@example.com", title="Second")])
    r = listed(shop)
    etag = r.headers["ETag"]
    assert [x["title"] for x in r.json()["reviews"]] == ["Second", "First"]
    for inm in (etag, "W/" + etag, '"other", ' + etag, "*"):
        nm = public(shop, headers={"If-None-Match": inm})
        assert nm.status_code == 304, inm
        assert nm.content == b""
        assert nm.headers["ETag"] == etag
    for inm in ('"other"', etag[:-2] + '"', ""):
        r2 = public(shop, headers={"If-None-Match": inm})
        assert r2.status_code == 200 and r2.content == r.content
    # the key is the whole query: another page size, another argument
    one = listed(shop, params={"perPage": "1"})
    assert len(one.json()["reviews"]) == 1
    assert one.headers["ETag"] != etag
    for extra in ("a", "b"):
        r2 = listed(shop, params={"perPage": "1", "x": extra})
        assert r2.json()["links"][0]["href"].endswith(
            "perPage=1&x=%s&page=2" % extra)
    # an argument without a value stays one, in the key and in the link
    # (the lists read "?x" apart from "?x=")
    for extra, shown in (("&x", "&x&"), ("&x=", "&x=&")):
        r2 = public(shop, "/v1/business-units/%s/reviews?perPage=1%s"
                    % (shop.id, extra))
        assert r2.status_code == 200, r2.text
        assert r2.json()["links"][0]["href"].endswith(
            "perPage=1%spage=2" % shown)
    # errors are not cached, nor do they carry an ETag
    bad = public(shop, params={"stars": "9"})
    assert_error(bad, 400, "stars")
    assert "ETag" not in bad.headers
    assert_error(public(shop, "/v1/business-units/%s/reviews" % ("0" * 24)),
                 404)


def test_each_change_shows_on_the_next_request(shop, daemon):
    d = daemon
    first = publish(d, "cache.example.com", "c@example.com", title="One")
    w = Watch(shop)
    # published
    second = publish(d, "cache.example.com", "e@example.com", title="Two")
    assert [x["id"] for x in reviews_of(w.changed())] == [second, first]
    # replied, reply replaced, reply deleted
    path = "/v1/private/reviews/%s/reply" % first
    assert shop.private("POST", path, json={"message": "Thanks"}
                        ).status_code == 201
    assert reviews_of(w.changed())[1]["companyReply"]["text"] == "Thanks"
    assert shop.private("POST", path, json={"message": "Thank you"}
                        ).status_code in (200, 201)
    assert reviews_of(w.changed())[1]["companyReply"]["text"] == "Thank you"
    assert shop.private("DELETE", path).status_code in (200, 204)
    assert reviews_of(w.changed())[1]["companyReply"] is None
    # tags are private: the public list stays, the private one shows them
    pw = Watch(shop, fetch=private)
    tags = shop.private("PUT", "/v1/private/reviews/%s/tags" % first,
                        json={"tags": [{"group": "generic", "value": "vip"}]})
    assert tags.status_code == 200, tags.text
    assert [t["value"] for t in reviews_of(pw.changed())[1]["tags"]] == [
        "vip"]
    w.unchanged()
    # reported (out of the public list), then the report rejected (back)
    r = shop.private("POST", "/v1/private/reviews/%s/reports" % second,
                     json={"reason": "harmful_or_illegal"})
    assert r.status_code == 201, r.text
    assert [x["id"] for x in reviews_of(w.changed())] == [first]
    r = d.admin("POST", "/v1/admin/reports/%s/decision" % r.json()["id"],
                json={"decision": "reject"})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in reviews_of(w.changed())] == [second, first]
    # the unit renamed
    r = shop.private("PATCH", "/v1/private/business-units/" + shop.id,
                     json={"displayName": "Renamed Shop"})
    assert r.status_code == 200, r.text
    assert reviews_of(w.changed())[0]["businessUnit"]["displayName"] == \
        "Renamed Shop"


def test_consumer_count_and_products(daemon):
    d = daemon
    a = Business(d, "count-a.example.com")
    b = Business(d, "count-b.example.com")
    r = a.private("POST", "/v1/private/business-units/%s/products" % a.id,
                  json={"products": [{"sku": "K-1", "title": "Kettle"}]})
    assert r.status_code == 200, r.text
    publish(d, "count-a.example.com", "same@example.com", title="In A")
    publish(d, "count-a.example.com", "p@example.com", sku="K-1",
            title="Product")
    w = Watch(a)
    pw = Watch(a, "/v1/product-reviews/business-units/%s/reviews" % a.id,
               {"sku": "K-1"})
    assert reviews_of(w.last.json())[0]["consumer"]["numberOfReviews"] == 1
    # the same consumer reviews another unit: A's list shows the count
    publish(d, "count-b.example.com", "same@example.com", title="In B")
    assert reviews_of(w.changed())[0]["consumer"]["numberOfReviews"] == 2
    # the product renamed: its reviews show the new name at once
    r = a.private("POST", "/v1/private/business-units/%s/products" % a.id,
                  json={"products": [{"sku": "K-1", "title": "Kettle 2"}]})
    assert r.status_code == 200, r.text
    assert reviews_of(pw.changed())[0]["product"]["name"] == "Kettle 2"


def test_other_process_writes(shop, daemon):
    """A write straight into the database (another daemon on the same
    file, the sqlite3 shell) moves the generation through the triggers."""
    review = publish(daemon, "cache.example.com", "f@example.com",
                     title="Before")
    w = Watch(shop)
    con = daemon.sql(10)
    try:
        with con:
            con.execute("UPDATE reviews SET title = 'After' WHERE id = ?",
                        (review,))
        assert reviews_of(w.changed())[0]["title"] == "After"
        with con:
            con.execute("UPDATE business_units SET domain = "
                        "'moved.example.com' WHERE id = ?", (shop.id,))
        assert reviews_of(w.changed())[0]["businessUnit"][
            "identifyingName"] == "moved.example.com"
    finally:
        con.close()


def test_private_lists_show_each_change_on_the_next_request(shop, daemon):
    """What only a private list shows moves its generation (0031), not
    the public one; and what a public list shows moves both."""
    d = daemon
    review = publish(d, "cache.example.com", "fr@example.com", title="Mine")
    w = Watch(shop)
    pw = Watch(shop, fetch=private)
    tagged = Watch(shop, params={"tagGroup": "generic", "tagValue": "vip"},
                   fetch=private)
    assert reviews_of(tagged.last.json()) == []
    # a tag: the tag's list and the unit's private list, not the public
    before = generations(d, shop.id)
    r = shop.private("PUT", "/v1/private/reviews/%s/tags" % review,
                     json={"tags": [{"group": "generic", "value": "vip"}]})
    assert r.status_code == 200, r.text
    after = generations(d, shop.id)
    assert after[0] == before[0] and after[1] > before[1]
    assert [x["id"] for x in reviews_of(tagged.changed())] == [review]
    assert reviews_of(pw.changed())[0]["tags"] == [
        {"group": "generic", "value": "vip"}]
    w.unchanged()
    # a tag written by another process, straight into the database
    con = d.sql(10)
    try:
        with con:
            con.execute("DELETE FROM review_tags WHERE review_id = ?",
                        (review,))
    finally:
        con.close()
    assert reviews_of(tagged.changed()) == []
    assert reviews_of(pw.changed())[0]["tags"] == []
    w.unchanged()
    # Find Reviewer: asked, then answered by the reviewer
    before = generations(d, shop.id)
    r = shop.private("POST", "/v1/private/reviews/%s/find-reviewer" % review,
                     json={"message": "Which order was it?"})
    assert r.status_code == 201, r.text
    assert generations(d, shop.id)[1] > before[1]
    thread = reviews_of(pw.changed())[0]["findReviewer"]["requests"]
    assert [x["status"] for x in thread] == ["open"]
    w.changed()     # reviewerContacted is public
    mail = wait_for(lambda: [m for m in mails(d) if m["to"] ==
                             "fr@example.com" and "/find-reviewer/" in
                             m["text"]], what="the Find Reviewer e-mail")
    link = d.link(r"/find-reviewer/[A-Za-z0-9_-]{43}", mail[0]["text"])
    before = generations(d, shop.id)
    r = d.post(link, data={"message": "Order 42, last week"})
    assert r.status_code == 200, r.text
    after = generations(d, shop.id)
    assert after[0] == before[0] and after[1] > before[1]
    thread = reviews_of(pw.changed())[0]["findReviewer"]["requests"]
    assert [x["status"] for x in thread] == ["replied"]
    w.unchanged()
    # a review waiting for its confirmation shows in no list yet
    before = generations(d, shop.id)
    r = submit(d, "cache.example.com", "new@example.com", title="Pending")
    assert r.status_code == 202, r.text
    assert generations(d, shop.id) == before
    pw.unchanged()
    w.unchanged()
    # a reply shows in both
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % review,
                     json={"message": "Thanks"})
    assert r.status_code == 201, r.text
    assert reviews_of(pw.changed())[0]["companyReply"]["text"] == "Thanks"
    assert reviews_of(w.changed())[0]["companyReply"]["text"] == "Thanks"
    # the key names the unit: another business is refused, not served
    # the cached page
    other = Business(d, "other-cache.example.com")
    path = "/v1/private/business-units/%s/reviews" % shop.id
    assert other.private("GET", path).status_code in (403, 404)
    assert d.get(path).status_code == 401


def test_private_pages_come_from_the_cache(shop, daemon):
    """A private page is answered from memory while the generations stand
    still: a change made behind the triggers' back (the generations put
    back) is not seen until the private generation moves; and "?x" and
    "?x=" are two requests, not one entry."""
    d = daemon
    review = publish(d, "cache.example.com", "m@example.com", title="Kept")
    assert reviews_of(private(shop).json())[0]["title"] == "Kept"
    assert reviews_of(listed(shop).json())[0]["title"] == "Kept"
    con = d.sql(10)
    try:
        with con:
            gens = generations(d, shop.id)
            con.execute("UPDATE reviews SET title = 'Behind' WHERE id = ?",
                        (review,))
            con.execute("UPDATE business_units SET list_generation = ?, "
                        "private_generation = ? WHERE id = ?",
                        (gens[0], gens[1], shop.id))
        assert reviews_of(private(shop).json())[0]["title"] == "Kept"
        with con:
            con.execute("UPDATE business_units SET private_generation = "
                        "private_generation + 1 WHERE id = ?", (shop.id,))
    finally:
        con.close()
    assert reviews_of(private(shop).json())[0]["title"] == "Behind"
    assert reviews_of(listed(shop).json())[0]["title"] == "Kept"
    # an empty referenceId filters on "", none filters nothing
    path = "/v1/private/business-units/%s/reviews" % shop.id
    empty = private(shop, path + "?referenceId=")
    assert empty.status_code == 200, empty.text
    bare = private(shop, path + "?referenceId")
    assert bare.status_code == 200, bare.text
    assert reviews_of(empty.json()) == []
    assert [x["id"] for x in reviews_of(bare.json())] == [review]
    assert reviews_of(private(shop, path + "?referenceId=").json()) == []


@pytest.mark.parametrize("size", ["0", "4096"])
def test_cache_off_or_too_small(make_daemon, size):
    """0 turns the cache off; 4096 bytes keeps no page (one is larger than
    an eighth of it): answers and ETags are the same, only slower."""
    d = make_daemon({"server": {"list_cache_bytes": size}})
    shop = Business(d, "small.example.com")
    publish(d, "small.example.com", "g@example.com", title="Small")
    w = Watch(shop)
    publish(d, "small.example.com", "h@example.com", title="Smaller")
    assert [x["title"] for x in reviews_of(w.changed())] == [
        "Smaller", "Small"]


def test_bad_cache_size_is_refused(tmp_path):
    from conftest import Daemon
    d = Daemon(tmp_path, {"server": {"list_cache_bytes": "-1"}})
    with pytest.raises(AssertionError):
        d.start()
