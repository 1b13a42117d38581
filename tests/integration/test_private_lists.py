"""Private lists return what a business expects (issue 14, section 2):
only reviews that were published, states as Trustpilot names them,
Trustpilot's filters applied or refused by name, several SKUs and
productUrl on product lists, and what private product reviews carry."""
from conftest import assert_error, wait_for
from reviewkit import mails, publish, submit
from test_invitations import create, inv

LIST = "/v1/private/business-units/%s/reviews"
PLIST = "/v1/private/product-reviews/business-units/%s/reviews"
PUBLIC_PLIST = "/v1/product-reviews/business-units/%s/reviews"


def domain_of(business):
    return business.unit["name"]["identifying"]


def ids(r, key="reviews"):
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()[key]]


def report(business, review, reason):
    r = business.private("POST", "/v1/private/reviews/%s/reports" % review,
                         json={"reason": reason})
    assert r.status_code == 201, r.text
    return r.json()


def test_default_list_is_published_only_and_states_filter(business):
    d = business.daemon
    domain = domain_of(business)
    shown = publish(d, domain, "shown@example.com", title="Shown")
    moderated = publish(d, domain, "mod@example.com", title="Moderated")
    removed = publish(d, domain, "gone@example.com", title="Removed")
    # never confirmed: the Slack app's reviews[0] must not be this one
    r = submit(d, domain, "pending@example.com", title="Pending")
    assert r.status_code == 202
    pending = r.json()["id"]
    expired = submit(d, domain, "late@example.com", title="Late").json()["id"]
    d.advance_clock(8 * 86400)
    business.renew()
    wait_for(lambda: d.outbox_idle())
    report(business, moderated, "harmful_or_illegal")
    rep = report(business, removed, "personal_information")
    r = d.admin("POST", "/v1/admin/reports/%s/decision" % rep["id"],
                json={"decision": "uphold"})
    assert r.status_code == 200, r.text

    path = LIST % business.id
    every = ids(business.private("GET", path, params={
        "orderBy": "createdat.desc", "responded": "false"}))
    assert every == [removed, moderated, shown]
    assert pending not in every and expired not in every
    cases = [
        ({"status": "published"}, [shown]),
        ({"status": "active"}, [shown]),
        ({"state": "underModeration"}, [moderated]),
        ({"state": "unpublished"}, [removed]),
        ({"status": "hidden"}, [removed, moderated]),
        ({"state": "published,underModeration"}, [moderated, shown]),
        ({"status": "published", "state": "unpublished"}, [removed, shown]),
    ]
    for params, want in cases:
        assert ids(business.private("GET", path, params=params)) == want, \
            params
    for bad in ({"status": "archived"}, {"state": "published,nope"},
                {"state": ""}):
        name = list(bad)[0]
        assert_error(business.private("GET", path, params=bad), 400, name)
    # the single read agrees: a review never published does not exist
    assert_error(business.private("GET", "/v1/private/reviews/" + pending),
                 404)


def test_username_and_tag_case_and_refused_filters(business):
    d = business.daemon
    domain = domain_of(business)
    ann = publish(d, domain, "ann@example.com", name="Ann Smith")
    bob = publish(d, domain, "bob@example.com", name="Bob Jones")
    anon = publish(d, domain, "anon@example.com", name="Secret Name",
                   anonymous=True)
    path = LIST % business.id
    assert ids(business.private("GET", path,
                                params={"username": "ann smith"})) == [ann]
    assert ids(business.private("GET", path,
                                params={"username": "Bob Jones"})) == [bob]
    # an anonymous reviewer is found by the name the review shows only
    assert ids(business.private("GET", path,
                                params={"username": "Secret Name"})) == []
    assert ids(business.private("GET", path,
                                params={"username": "Anonymous"})) == [anon]

    r = business.private("PUT", "/v1/private/reviews/%s/tags" % bob,
                         json={"tags": [{"group": "generic",
                                         "value": "VIP"}]})
    assert r.status_code == 200, r.text
    tagged = {"tagGroup": "generic", "tagValue": "vip"}
    assert ids(business.private("GET", path, params=tagged)) == []
    assert ids(business.private("GET", path, params=dict(
        tagged, ignoreTagValueCase="true"))) == [bob]
    assert ids(business.private("GET", path, params=dict(
        tagged, ignoreTagValueCase="false"))) == []
    assert_error(business.private("GET", path, params=dict(
        tagged, ignoreTagValueCase="maybe")), 400, "ignoreTagValueCase")

    # a Trustpilot filter with nothing to filter here is refused by name
    assert_error(business.private("GET", path, params={
        "internalLocationId": "L1"}), 400, "internalLocationId")
    assert_error(d.get("/v1/business-units/%s/reviews" % business.id,
                       params={"internalLocationId": "L1"},
                       headers={"apikey": business.key}), 400,
                 "internalLocationId")
    assert_error(d.get(PUBLIC_PLIST % business.id, params={
        "sku": "X", "attributeIds": "a"}, headers={"apikey": business.key}),
        400, "attributeIds")
    # locale asks for its language
    assert ids(business.private("GET", path, params={"locale": "en-US"})) \
        == [anon, bob, ann]
    assert ids(business.private("GET", path, params={"locale": "da"})) == []
    for bad in ("english", "en-us", "en-USA"):
        assert_error(business.private("GET", path, params={"locale": bad}),
                     400, "locale")
    # with language too, both apply
    assert ids(business.private("GET", path, params={
        "locale": "en-US", "language": "da,en"})) == [anon, bob, ann]
    assert ids(business.private("GET", path, params={
        "locale": "en-US", "language": "da"})) == []


def catalogue(business):
    r = business.private(
        "POST", "/v1/private/business-units/%s/products" % business.id,
        json={"products": [
            {"sku": "RED", "title": "Mug, red",
             "link": "https://shop.example.com/mug"},
            {"sku": "BLUE", "title": "Mug, blue",
             "link": "https://shop.example.com/mug"},
            {"sku": "KETTLE", "title": "Kettle",
             "link": "https://shop.example.com/kettle"}]})
    assert r.status_code == 200, r.text


def test_several_skus_and_product_url(business, other_business):
    d = business.daemon
    domain = domain_of(business)
    catalogue(business)
    red = publish(d, domain, "r@example.com", sku="RED", stars=5)
    blue = publish(d, domain, "b@example.com", sku="BLUE", stars=4)
    kettle = publish(d, domain, "k@example.com", sku="KETTLE", stars=2)
    apikey = {"apikey": business.key}
    public = PUBLIC_PLIST % business.id
    private = PLIST % business.id

    def pub(**params):
        return ids(d.get(public, params=params, headers=apikey),
                   "productReviews")

    def priv(**params):
        return ids(business.private("GET", private, params=params),
                   "productReviews")

    assert pub(sku="RED") == [red]
    assert pub(sku="RED,KETTLE") == [kettle, red]
    assert pub(sku="RED,KETTLE", orderBy="stars.asc") == [kettle, red]
    assert pub(sku="RED,BLUE,KETTLE", stars="4,5") == [blue, red]
    assert pub(productUrl="https://shop.example.com/mug") == [blue, red]
    assert pub(productUrl="https://shop.example.com/none") == []
    # a sku wins over a productUrl
    assert pub(sku="KETTLE", productUrl="https://shop.example.com/mug") \
        == [kettle]
    # cursor paging over several SKUs walks publication order
    r = d.get(public, params={"sku": "RED,BLUE,KETTLE", "pageToken": "",
                              "perPage": 2}, headers=apikey)
    assert ids(r, "productReviews") == [red, blue]
    r = d.get(public, params={"sku": "RED,BLUE,KETTLE", "perPage": 2,
                              "pageToken": r.json()["nextPageToken"]},
              headers=apikey)
    assert ids(r, "productReviews") == [kettle]
    assert priv() == [kettle, blue, red]
    assert priv(sku="BLUE,KETTLE") == [kettle, blue]
    assert priv(productUrl="https://shop.example.com/mug") == [blue, red]
    assert_error(d.get(public, headers=apikey), 400, "sku")
    assert_error(d.get(public, params={"sku": "RED,,BLUE"}, headers=apikey),
                 400, "sku")
    assert_error(d.get(public, params={"sku": ",".join(
        "S%d" % i for i in range(101))}, headers=apikey), 400, "sku")
    assert_error(business.private("GET", private, params={
        "productUrl": ""}), 400, "productUrl")
    # another unit's SKUs are not this unit's
    assert ids(other_business.private("GET", PLIST % other_business.id,
                                      params={"sku": "RED,BLUE"}),
               "productReviews") == []


def test_private_product_review_carries_what_trustpilot_gives(business):
    d = business.daemon
    business.private("POST", "/v1/private/business-units/%s/products"
                     % business.id, json={"products": [
                         {"sku": "K1", "title": "Kettle"}]})
    r = create(business, inv(email="pp@example.com", name="Pat Product",
                             ref="P-1", locale="en-GB",
                             productReviewInvitation={"productSkus": ["K1"]}))
    assert r.status_code in (200, 201, 202), r.text
    link = wait_for(lambda: next((d.link(r"/evaluate-link/[A-Za-z0-9_-]{43}",
                                         m["text"]) for m in mails(d)
                                  if m["to"] == "pp@example.com"), None),
                    what="the invitation")
    r = d.post(link, data={"stars_1": "4", "title_1": "Fine",
                           "text_1": "Boils"})
    assert r.status_code == 200, r.text
    items = business.private("GET", PLIST % business.id).json()[
        "productReviews"]
    assert len(items) == 1
    item = items[0]
    assert item["consumer"]["email"] == "pp@example.com"
    assert item["consumer"]["name"] == "Pat Product"
    assert item["state"] == "published"
    assert item["locale"] == "en"
    assert item["conversationId"] is None
    assert item["attributeRatings"] == []
    assert item["hasModerationHistory"] is False
    one = business.private("GET", "/v1/private/product-reviews/" +
                           item["id"]).json()
    assert one["consumer"]["email"] == "pp@example.com"
    # the public list shows no address
    r = d.get(PUBLIC_PLIST % business.id, params={"sku": "K1"},
              headers={"apikey": business.key})
    pub = r.json()["productReviews"][0]
    assert "email" not in pub["consumer"] and "name" not in pub["consumer"]
    assert "conversationId" not in pub and pub["state"] == "published"
    # an organic product review has no address the business gave
    organic = publish(d, domain_of(business), "o@example.com", sku="K1")
    one = business.private("GET", "/v1/private/product-reviews/" +
                           organic).json()
    assert "email" not in one["consumer"]
