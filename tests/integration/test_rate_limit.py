"""[ratelimit]: a token bucket per application key on the routes that take
one, and per client address on the public ones; 429 with Retry-After and
X-RateLimit-* headers; health, readiness and the operator's routes are never
limited. Clients are told apart through a trusted proxy's X-Forwarded-For."""
import time

from conftest import Business

ADDRESS_LIMIT = 120     # two a second: a refill is seen within a second
APP_LIMIT = 6


def limited_daemon(make_daemon):
    return make_daemon({
        "server": {"trusted_proxies": "127.0.0.1"},
        "ratelimit": {"address_per_minute": str(ADDRESS_LIMIT),
                      "app_per_minute": str(APP_LIMIT)}})


def page(d, domain, client):
    return d.get("/b/" + domain, headers={"X-Forwarded-For": client})


def test_public_routes_are_limited_per_client_address(make_daemon):
    d = limited_daemon(make_daemon)
    Business(d, "limits.example.com")
    # the bucket refills while it is drained (two a second): the first
    # 429 comes after at least a minute's worth of requests
    served = 0
    while served < 10 * ADDRESS_LIMIT:
        over = page(d, "limits.example.com", "192.0.2.7")
        if over.status_code != 200:
            break
        assert over.headers["X-RateLimit-Limit"] == str(ADDRESS_LIMIT)
        served += 1
    assert served >= ADDRESS_LIMIT
    assert over.status_code == 429, over.text
    assert over.headers["Content-Type"].startswith("application/json")
    assert "address" in over.json()["message"]
    assert over.headers["X-RateLimit-Remaining"] == "0"
    retry = int(over.headers["Retry-After"])
    assert 1 <= retry <= 60 // ADDRESS_LIMIT + 1
    # another client behind the same proxy is served
    assert page(d, "limits.example.com", "192.0.2.8").status_code == 200
    # probes are never limited, nor counted
    for _ in range(5):
        r = d.get("/healthz", headers={"X-Forwarded-For": "192.0.2.7"})
        assert r.status_code == 200
        assert "X-RateLimit-Limit" not in r.headers
        assert d.get("/readyz", headers={
            "X-Forwarded-For": "192.0.2.7"}).status_code == 200
    # the bucket refills continuously: after Retry-After one more goes
    time.sleep(retry + 0.2)
    assert page(d, "limits.example.com", "192.0.2.7").status_code == 200


def test_api_routes_are_limited_per_application(make_daemon):
    d = limited_daemon(make_daemon)
    a = Business(d, "app-a.example.com")
    b = Business(d, "app-b.example.com")
    path = "/v1/business-units/%s/reviews"
    # the application's bucket is the same from any client address
    for i in range(APP_LIMIT):
        r = d.get(path % a.id, headers={
            "apikey": a.key, "X-Forwarded-For": "198.51.100.%d" % i})
        assert r.status_code == 200, (i, r.text)
        assert r.headers["X-RateLimit-Limit"] == str(APP_LIMIT)
        # (a slow run may see a tenth of a minute's refill)
        assert APP_LIMIT - 2 - i <= int(
            r.headers["X-RateLimit-Remaining"]) <= APP_LIMIT - 1 - i
    over = d.get(path % a.id, headers={"apikey": a.key,
                                       "X-Forwarded-For": "198.51.100.99"})
    assert over.status_code == 429, over.text
    assert "application" in over.json()["message"]
    assert int(over.headers["Retry-After"]) >= 1
    # the bearer routes of the same application share its bucket
    token = a.token()
    r = d.get("/v1/private/business-units/%s/reviews" % a.id,
              headers={"Authorization": "Bearer " + token})
    assert r.status_code == 429, r.text
    # another application is not slowed by the first
    r = d.get(path % b.id, headers={"apikey": b.key})
    assert r.status_code == 200, r.text
    # the operator is never limited
    for _ in range(APP_LIMIT + 2):
        r = d.admin("GET", "/v1/admin/audit")
        assert r.status_code == 200, r.text
        assert "X-RateLimit-Limit" not in r.headers


def test_zero_turns_a_limit_off(make_daemon):
    d = make_daemon({"ratelimit": {"address_per_minute": "0",
                                   "app_per_minute": "0"}})
    shop = Business(d, "unlimited.example.com")
    for _ in range(50):
        r = d.get("/v1/business-units/%s/reviews" % shop.id,
                  headers={"apikey": shop.key})
        assert r.status_code == 200
        assert "X-RateLimit-Limit" not in r.headers
