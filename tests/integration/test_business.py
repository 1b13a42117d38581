"""Business units: admin provisioning, public profile, private settings."""
from conftest import assert_error

JSON = {"Content-Type": "application/json"}


def count_units(daemon):
    return len(daemon.admin("GET", "/v1/admin/business-units?perPage=100")
               .json()["businessUnits"])


def test_admin_creates_business_unit(daemon):
    r = daemon.admin("POST", "/v1/admin/business-units", json={
        "name": "Acme Shop", "domain": "Acme.Example.COM", "country": "DK",
        "notificationEmail": "ops@acme.example.com"})
    assert r.status_code == 201, r.text
    unit = r.json()
    assert len(unit["id"]) == 24 and int(unit["id"], 16) >= 0
    assert unit["displayName"] == "Acme Shop"
    assert unit["name"]["identifying"] == "acme.example.com"
    assert unit["websiteUrl"] == "https://acme.example.com"
    assert unit["country"] == "DK"
    assert unit["notificationEmail"] == "ops@acme.example.com"
    assert unit["senderName"] == "Acme Shop"
    assert unit["defaultLocale"] == "en-US"
    assert unit["links"][0]["rel"] == "self"
    assert unit["numberOfReviews"]["total"] == 0


def test_admin_create_rejects_bad_input_and_changes_nothing(daemon):
    before = count_units(daemon)
    cases = [
        ({}, ["name", "domain"]),
        ({"name": "A", "domain": 5}, ["domain"]),
        ({"name": "", "domain": "a.com"}, ["name"]),
        ({"name": "A", "domain": "no spaces.com"}, ["domain"]),
        ({"name": "A", "domain": "nodot"}, ["domain"]),
        ({"name": "A", "domain": "a.com", "country": "Denmark"},
         ["country"]),
        ({"name": "A", "domain": "a.com", "notificationEmail": "x@"},
         ["notificationEmail"]),
        ({"name": "A", "domain": "a.com", "websiteUrl": "javascript:x"},
         ["websiteUrl"]),
        ({"name": "A", "domain": "a.com", "defaultLocale": "english"},
         ["defaultLocale"]),
        ({"name": "x" * 201, "domain": "a.com"}, ["name"]),
        ({"name": "Shop\nBcc: x@y.z", "domain": "a.com"}, ["name"]),
        ({"name": "A", "domain": "a.com", "webSiteUrl": "x"},
         ["webSiteUrl"]),
    ]
    for body, fields in cases:
        r = daemon.admin("POST", "/v1/admin/business-units", json=body)
        err = assert_error(r, 400)
        assert sorted(d["field"] for d in err["details"]) == sorted(fields), \
            (body, err)
    assert count_units(daemon) == before


def test_duplicate_domain_is_409(daemon):
    body = {"name": "One", "domain": "dup.example.com"}
    assert daemon.admin("POST", "/v1/admin/business-units",
                        json=body).status_code == 201
    r = daemon.admin("POST", "/v1/admin/business-units",
                     json={"name": "Two", "domain": "DUP.example.com"})
    assert_error(r, 409, "domain")


def test_find_by_domain_and_public_get(business):
    d = business.daemon
    h = {"apikey": business.key}
    domain = business.unit["name"]["identifying"]
    for name in (domain, "www." + domain, domain.upper()):
        r = d.get("/v1/business-units/find", params={"name": name},
                  headers=h)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["id"] == business.id
    r = d.get("/v1/business-units/find",
              params={"name": business.unit["displayName"]}, headers=h)
    assert r.json()["id"] == business.id
    assert_error(d.get("/v1/business-units/find", headers=h), 400, "name")
    r = d.get("/v1/business-units/find", params={"name": "nope.example"},
              headers=h)
    assert_error(r, 404)
    r = d.get("/v1/business-units/" + business.id, headers=h)
    unit = r.json()
    for key in ("id", "displayName", "name", "websiteUrl", "country",
                "status", "badFit", "score", "numberOfReviews", "links"):
        assert key in unit
    assert "notificationEmail" not in unit
    assert_error(d.get("/v1/business-units/ffffffffffffffffffffffff",
                       headers=h), 404)


def test_patch_settings(business):
    path = "/v1/private/business-units/" + business.id
    r = business.private("PATCH", path, json={
        "senderName": "Shop Team", "notificationEmail": "team@shop.example",
        "defaultLocale": "da-DK", "displayName": "The Shop"})
    assert r.status_code == 200, r.text
    unit = r.json()
    assert unit["senderName"] == "Shop Team"
    assert unit["notificationEmail"] == "team@shop.example"
    assert unit["defaultLocale"] == "da-DK"
    assert unit["displayName"] == "The Shop"
    assert business.private("GET", path).json() == unit


def test_patch_bad_input_changes_nothing(business, other_business):
    path = "/v1/private/business-units/" + business.id
    before = business.private("GET", path).json()
    cases = [
        ({"senderName": 7}, "senderName"),
        ({"senderName": "a\r\nBcc: x@y.z"}, "senderName"),
        ({"notificationEmail": "not an address"}, "notificationEmail"),
        ({"defaultLocale": "en_US"}, "defaultLocale"),
        ({"notificationEmial": "typo@x.com"}, "notificationEmial"),
        ({"displayName": ""}, "displayName"),
        ({"displayName": "Shop\nBcc: x@y.z"}, "displayName"),
        ({"displayName": "Tab\tShop"}, "displayName"),
        ({"senderName": "Tab\tTeam"}, "senderName"),
        ({"senderName": "ok", "country": "xx"}, "country"),
    ]
    for body, field in cases:
        assert_error(business.private("PATCH", path, json=body), 400, field)
    assert_error(business.private("PATCH", path, data=b"{",
                                  headers=JSON), 400, "body")
    assert business.private("GET", path).json() == before
    r = business.private("PATCH", "/v1/private/business-units/" +
                         other_business.id, json={"senderName": "evil"})
    assert_error(r, 404)
    other = other_business.private(
        "GET", "/v1/private/business-units/" + other_business.id).json()
    assert other["senderName"] != "evil"


def test_admin_list_pages(daemon):
    for i in range(3):
        assert daemon.admin("POST", "/v1/admin/business-units", json={
            "name": "U%d" % i, "domain": "u%d.example.com" % i}
        ).status_code == 201
    r = daemon.admin("GET", "/v1/admin/business-units?perPage=2")
    body = r.json()
    assert len(body["businessUnits"]) == 2
    nxt = [link for link in body["links"] if link["rel"] == "next-page"]
    assert nxt and "page=2" in nxt[0]["href"]
    r = daemon.admin("GET", "/v1/admin/business-units?perPage=2&page=2")
    body = r.json()
    assert len(body["businessUnits"]) == 1 and body["links"] == []
    assert_error(daemon.admin("GET", "/v1/admin/business-units?perPage=0"),
                 400, "perPage")
    assert_error(daemon.admin("GET", "/v1/admin/business-units?page=x"),
                 400, "page")
