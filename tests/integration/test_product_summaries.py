"""Product review summaries and conversations (issue 14, section 3):
stars average and counts per star kept as reviews change, the batch and
private forms, and a business's comments on a product review, shown as
its reply and mailed to the reviewer."""
import json
import sqlite3

from conftest import Business, assert_error, wait_for
from reviewkit import mails, publish, submit
from test_webhooks import verify_standard_webhooks

SUMMARY = "/v1/product-reviews/business-units/%s"
PRIVATE = "/v1/private/product-reviews/business-units/%s/summaries"
CONV = "/v1/private/conversations/"
MASTER_KEY = "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3c="


def domain_of(business):
    return business.unit["name"]["identifying"]


def counts(body):
    n = body["numberOfReviews"]
    return (n["oneStar"], n["twoStars"], n["threeStars"], n["fourStars"],
            n["fiveStars"], n["total"])


def setup_catalogue(business):
    r = business.private(
        "POST", "/v1/private/business-units/%s/products" % business.id,
        json={"products": [
            {"sku": "A", "title": "A", "link": "https://s.example.com/a"},
            {"sku": "B", "title": "B", "link": "https://s.example.com/b"},
            {"sku": "C", "title": "C"}]})
    assert r.status_code == 200, r.text


def test_summaries_follow_every_change(business, other_business):
    d = business.daemon
    domain = domain_of(business)
    setup_catalogue(business)
    apikey = {"apikey": business.key}
    a5 = publish(d, domain, "a1@example.com", sku="A", stars=5)
    publish(d, domain, "a2@example.com", sku="A", stars=4)
    publish(d, domain, "a3@example.com", sku="A", stars=4)
    publish(d, domain, "b1@example.com", sku="B", stars=1)
    # neither a pending product review nor a service review counts
    assert submit(d, domain, "p@example.com", sku="A", stars=1) \
        .status_code == 202
    publish(d, domain, "s@example.com", stars=1)

    r = d.get(SUMMARY % business.id, params={"sku": "A"}, headers=apikey)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["skus"] == ["A"]
    assert counts(body) == (0, 0, 0, 2, 1, 3)
    assert body["starsAverage"] == 4.3
    body = d.get(SUMMARY % business.id, params={"sku": "A,B"},
                 headers=apikey).json()
    assert counts(body) == (1, 0, 0, 2, 1, 4) and body["starsAverage"] == 3.5
    body = d.get(SUMMARY % business.id, params={
        "productUrl": "https://s.example.com/b"}, headers=apikey).json()
    assert body["skus"] == ["B"] and counts(body) == (1, 0, 0, 0, 0, 1)
    body = d.get(SUMMARY % business.id, params={"sku": "C"},
                 headers=apikey).json()
    assert counts(body) == (0, 0, 0, 0, 0, 0) and body["starsAverage"] == 0

    r = d.post((SUMMARY + "/batch-summaries") % business.id,
               json={"skus": ["B", "A", "NONE"]}, headers=apikey)
    assert r.status_code == 200, r.text
    got = [(s["sku"], counts(s)) for s in r.json()["summaries"]]
    assert got == [("B", (1, 0, 0, 0, 0, 1)), ("A", (0, 0, 0, 2, 1, 3)),
                   ("NONE", (0, 0, 0, 0, 0, 0))]

    r = business.private("GET", PRIVATE % business.id)
    assert r.status_code == 200, r.text
    assert [(s["sku"], s["numberOfReviews"]["total"])
            for s in r.json()["summaries"]] == [("A", 3), ("B", 1)]
    r = business.private("GET", PRIVATE % business.id,
                         params={"perPage": 1})
    assert [s["sku"] for s in r.json()["summaries"]] == ["A"]
    assert [l["rel"] for l in r.json()["links"]] == ["next-page"]

    # a report that hides the review takes it out at once; a rejected
    # report brings it back
    rep = business.private("POST", "/v1/private/reviews/%s/reports" % a5,
                           json={"reason": "harmful_or_illegal"})
    assert rep.status_code == 201, rep.text
    body = d.get(SUMMARY % business.id, params={"sku": "A"},
                 headers=apikey).json()
    assert counts(body) == (0, 0, 0, 2, 0, 2) and body["starsAverage"] == 4
    one = business.private("GET", "/v1/private/product-reviews/" + a5).json()
    assert one["state"] == "underModeration"
    r = d.admin("POST", "/v1/admin/reports/%s/decision" % rep.json()["id"],
                json={"decision": "reject"})
    assert r.status_code == 200, r.text
    body = d.get(SUMMARY % business.id, params={"sku": "A"},
                 headers=apikey).json()
    assert counts(body) == (0, 0, 0, 2, 1, 3)
    one = business.private("GET", "/v1/private/product-reviews/" + a5).json()
    assert one["state"] == "published" and one["hasModerationHistory"]

    # what the triggers keep is what counting the reviews gives
    con = d.sql()
    try:
        kept = con.execute(
            "SELECT sku, stars1, stars2, stars3, stars4, stars5 FROM "
            "product_review_summaries WHERE business_unit_id = ? "
            "ORDER BY sku", (business.id,)).fetchall()
        counted = con.execute(
            "SELECT sku, " + ", ".join(
                "count(CASE WHEN stars = %d THEN 1 END)" % n
                for n in range(1, 6)) + " FROM reviews WHERE "
            "business_unit_id = ? AND sku IS NOT NULL AND status = "
            "'published' AND hidden_reason IS NULL GROUP BY sku "
            "ORDER BY sku", (business.id,)).fetchall()
    finally:
        con.close()
    assert kept == counted and len(kept) == 2

    # bad input names the field; another unit sees its own products only
    assert_error(d.get(SUMMARY % business.id, headers=apikey), 400, "sku")
    assert_error(d.get(SUMMARY % business.id, params={"sku": "A,"},
                       headers=apikey), 400, "sku")
    assert_error(d.get(SUMMARY % "ffffffffffffffffffffffff",
                       params={"sku": "A"}, headers=apikey), 404)
    batch = (SUMMARY + "/batch-summaries") % business.id
    for bad in ({}, {"skus": []}, {"skus": "A"}, {"skus": [1]},
                {"skus": [""]}, {"skus": ["A"] * 101}):
        assert_error(d.post(batch, json=bad, headers=apikey), 400, "skus")
    assert_error(d.post(batch, json={"skus": ["A"], "x": 1},
                        headers=apikey), 400)
    body = d.get(SUMMARY % other_business.id, params={"sku": "A"},
                 headers={"apikey": other_business.key}).json()
    assert counts(body) == (0, 0, 0, 0, 0, 0)
    assert other_business.private("GET", PRIVATE % other_business.id) \
        .json()["summaries"] == []
    assert_error(other_business.private("GET", PRIVATE % business.id), 404)
    assert_error(business.private("GET", PRIVATE % business.id,
                                  params={"perPage": 1001}), 400, "perPage")


def test_conversation_reply_is_shown_and_mailed(business, other_business):
    d = business.daemon
    domain = domain_of(business)
    setup_catalogue(business)
    review = publish(d, domain, "buyer@example.com", sku="A", stars=2,
                     name="Buyer")
    service = publish(d, domain, "svc@example.com")
    path = "/v1/private/product-reviews/%s/create-conversation" % review
    r = business.private("POST", path)
    assert r.status_code == 201, r.text
    cid = r.json()["conversationId"]
    r = business.private("POST", path)
    assert r.status_code == 200 and r.json() == {"conversationId": cid}
    item = business.private("GET", "/v1/private/product-reviews/" +
                            review).json()
    assert item["conversationId"] == cid

    r = business.private("GET", CONV + cid)
    assert r.status_code == 200, r.text
    conv = r.json()
    assert conv["id"] == cid and conv["businessUnitId"] == business.id
    assert conv["source"] == "Product reviews"
    assert conv["sourceId"] == review and conv["state"] == "public"
    assert conv["comments"] == [] and conv["consumerId"]

    r = business.private("POST", CONV + cid + "/comments", json={
        "content": "Sorry to hear that, we sent a new one.",
        "integrationId": "IB2478HFAJKN38"})
    assert r.status_code == 201, r.text
    comment = r.json()
    assert comment["content"] == "Sorry to hear that, we sent a new one."
    assert comment["author"]["type"] == "businessUser"
    assert comment["commentId"] and comment["createdAt"]
    mail = wait_for(lambda: [m for m in mails(d)
                             if m["to"] == "buyer@example.com" and
                             "we sent a new one" in m["text"]],
                    what="the reply e-mail")
    assert len(mail) == 1
    # the comment is the review's reply: the public list shows it
    r = d.get("/v1/product-reviews/business-units/%s/reviews" % business.id,
              params={"sku": "A"}, headers={"apikey": business.key})
    pub = r.json()["productReviews"][0]
    assert pub["companyReply"]["text"] == \
        "Sorry to hear that, we sent a new one."
    r = business.private("POST", CONV + cid + "/comments",
                         json={"content": "And a voucher."})
    assert r.status_code == 201, r.text
    conv = business.private("GET", CONV + cid).json()
    assert [c["content"] for c in conv["comments"]] == [
        "Sorry to hear that, we sent a new one.", "And a voucher."]
    # a second comment the same day waits for the reviewer's day
    d.wait_outbox_idle()
    assert not [m for m in mails(d) if "voucher" in m["text"]]
    r = d.get("/v1/product-reviews/business-units/%s/reviews" % business.id,
              params={"sku": "A"}, headers={"apikey": business.key})
    assert r.json()["productReviews"][0]["companyReply"]["text"] == \
        "And a voucher."

    # bad input and other tenants
    assert_error(business.private("POST", CONV + cid + "/comments",
                                  json={}), 400, "content")
    assert_error(business.private("POST", CONV + cid + "/comments",
                                  json={"content": ""}), 400, "content")
    assert_error(business.private("POST", CONV + cid + "/comments",
                                  json={"content": "x", "other": 1}), 400)
    assert_error(business.private("POST", CONV + cid + "/comments",
                                  json={"content": "x",
                                        "integrationId": 5}), 400,
                 "integrationId")
    assert_error(business.private(
        "POST", "/v1/private/product-reviews/%s/create-conversation"
        % service), 404)
    assert_error(business.private(
        "POST", "/v1/private/product-reviews/%s/create-conversation"
        % "ffffffffffffffffffffffff"), 404)
    assert_error(other_business.private("POST", path), 404)
    assert_error(other_business.private("GET", CONV + cid), 404)
    assert_error(other_business.private("POST", CONV + cid + "/comments",
                                        json={"content": "x"}), 404)
    assert_error(business.private("GET", CONV + "ffffffffffffffffffffffff"),
                 404)
    assert len(business.private("GET", CONV + cid).json()["comments"]) == 2


def test_comment_events_are_those_of_a_reply(make_daemon, receiver):
    d = make_daemon({"webhooks": {"allow_private_targets": "true"},
                     "links": {"master_key": MASTER_KEY}})
    shop = Business(d, "events.example.com")
    setup_catalogue(shop)
    r = shop.private("POST", "/v1/private/business-units/%s/webhooks"
                     % shop.id, json={"url": receiver.url, "events": [
                         "product-review-reply-created",
                         "product-review-reply-updated",
                         "product-review-updated"]})
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    review = publish(d, "events.example.com", "ev@example.com", sku="B")
    cid = shop.private("POST", "/v1/private/product-reviews/%s/"
                       "create-conversation" % review).json()[
                           "conversationId"]

    def names():
        out = []
        for h, body, _ in list(receiver.requests):
            h = {k.lower(): v for k, v in h.items()}
            assert verify_standard_webhooks(secret, h, body)
            e = json.loads(body)["events"][0]
            out.append((e["eventName"], e["eventData"]["id"]))
        return out

    for text in ("First", "Second"):
        r = shop.private("POST", CONV + cid + "/comments",
                         json={"content": text})
        assert r.status_code == 201, r.text
    got = wait_for(lambda: (lambda n: n if len(n) >= 2 else None)(names()),
                   what="two events")
    # a reply is its own event, never an edit of the review
    assert sorted(got) == [("product-review-reply-created", review),
                           ("product-review-reply-updated", review)]


def test_migration_counts_the_reviews_already_there(tmp_path):
    """0019 counts the product reviews of an older database, then its
    triggers keep the counts."""
    import shutil
    from conftest import ROOT, run_cli, write_ini
    mig = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", mig)
    (mig / "0019_product_lists.sql").unlink()
    db = tmp_path / "r.db"
    cfg = write_ini(tmp_path / "r.ini", {"database": {
        "path": str(db), "migrations": str(mig)}})
    assert run_cli(cfg, "migrate").returncode == 0
    con = sqlite3.connect(db)
    con.execute("INSERT INTO business_units (id, domain, display_name, "
                "website_url, created_at, updated_at) VALUES "
                "('b1', 'x.example.com', 'X', 'https://x.example.com', 0, 0)")
    con.execute("INSERT INTO consumers (id, email, display_name, created_at)"
                " VALUES ('c1', 'a@example.com', 'A', 0)")
    rows = [("A", 5, "published", None), ("A", 4, "published", None),
            ("A", 1, "published", "reported: other"), ("A", 2, "pending",
                                                         None),
            ("B", 3, "published", None), (None, 1, "published", None)]
    for i, (sku, stars, status, hidden) in enumerate(rows):
        con.execute(
            "INSERT INTO reviews (id, business_unit_id, consumer_id, sku, "
            "stars, title, text, language, display_name, source, status, "
            "hidden_reason, pub_seq, created_at, updated_at) VALUES "
            "(?, 'b1', 'c1', ?, ?, 't', 't', 'en', 'A', 'organic', ?, ?, ?,"
            " 0, 0)", ("r%d" % i, sku, stars, status, hidden,
                       i if status == "published" else None))
    con.commit()
    con.close()
    shutil.copy(ROOT / "migrations" / "0019_product_lists.sql", mig)
    proc = run_cli(cfg, "migrate")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["applied 0019_product_lists.sql"]
    con = sqlite3.connect(db)
    try:
        q = "SELECT * FROM product_review_summaries ORDER BY sku"
        assert con.execute(q).fetchall() == [("b1", "A", 0, 0, 0, 1, 1),
                                             ("b1", "B", 0, 0, 1, 0, 0)]
        con.execute("UPDATE reviews SET hidden_reason = NULL "
                    "WHERE id = 'r2'")
        con.execute("UPDATE reviews SET status = 'published', pub_seq = 9 "
                    "WHERE id = 'r3'")
        con.execute("DELETE FROM reviews WHERE id = 'r4'")
        assert con.execute(q).fetchall() == [("b1", "A", 1, 1, 0, 1, 1),
                                             ("b1", "B", 0, 0, 0, 0, 0)]
    finally:
        con.close()
