"""OAuth token flow, apikeys, bearer tokens and the admin token."""
import time

import requests

from conftest import OAUTH, ADMIN_TOKEN, assert_error


def test_client_credentials_token_shape(business):
    before = int(time.time() * 1000)
    r = business.token_response()
    assert r.status_code == 200, r.text
    body = r.json()
    assert all(isinstance(v, str) for v in body.values()), body
    assert body["token_type"] == "BearerToken"
    assert len(body["access_token"]) >= 43
    # epoch milliseconds: the npm client compares with Date.getTime()
    assert abs(int(body["issued_at"]) - before) < 60000
    assert int(body["expires_in"]) == 360000
    assert "refresh_token" not in body


def test_token_used_on_private_endpoint(business):
    r = business.private("GET", "/v1/private/business-units/" + business.id)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == business.id
    r = business.private("GET", "/v1/private/business-units")
    assert [u["id"] for u in r.json()["businessUnits"]] == [business.id]


def test_password_grant_and_refresh(business):
    r = business.token_response("password", username=business.username,
                                password=business.password)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["refresh_token"]
    h = {"Authorization": "Bearer " + first["access_token"]}
    path = "/v1/private/business-units/" + business.id
    assert business.daemon.get(path, headers=h).status_code == 200

    r = business.daemon.post(OAUTH + "/refresh",
                             auth=(business.key, business.secret),
                             data={"grant_type": "refresh_token",
                                   "refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    # rotation: the old refresh token and its access token are revoked
    assert_error(business.daemon.get(path, headers=h), 401)
    h2 = {"Authorization": "Bearer " + second["access_token"]}
    assert business.daemon.get(path, headers=h2).status_code == 200

    r = business.daemon.post(OAUTH + "/revoke",
                             auth=(business.key, business.secret),
                             data={"token": second["refresh_token"]})
    assert r.status_code == 200
    assert_error(business.daemon.get(path, headers=h2), 401)
    # (a spent token presented again revokes its whole family:
    # test_security_auth.py)
    r = business.daemon.post(OAUTH + "/refresh",
                             auth=(business.key, business.secret),
                             data={"grant_type": "refresh_token",
                                   "refresh_token": first["refresh_token"]})
    assert_error(r, 401)


def test_a_refresh_token_is_good_for_one_exchange_even_at_once(business):
    """Parallel refreshes with one token: exactly one gets new tokens."""
    import concurrent.futures
    r = business.token_response("password", username=business.username,
                                password=business.password)
    token = r.json()["refresh_token"]

    def refresh(_):
        s = requests.Session()
        return s.post(business.daemon.url(OAUTH + "/refresh"),
                      auth=(business.key, business.secret), timeout=30,
                      data={"grant_type": "refresh_token",
                            "refresh_token": token})
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(refresh, range(8)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == 1, codes
    assert set(codes) <= {200, 401, 429}, codes


def test_client_id_and_secret_in_form(business):
    r = business.daemon.post(OAUTH + "/accesstoken", data={
        "grant_type": "client_credentials", "client_id": business.key,
        "client_secret": business.secret})
    assert r.status_code == 200, r.text


def test_wrong_password_and_unknown_grant(business):
    r = business.token_response("password", username=business.username,
                                password="wrong password!")
    assert_error(r, 401)
    r = business.token_response("password", username=business.username)
    assert_error(r, 400, "password")
    r = business.token_response("implicit")
    assert_error(r, 400, "grant_type")
    r = business.daemon.post(OAUTH + "/accesstoken",
                             auth=(business.key, business.secret), data="",
                             headers={"Content-Type":
                                      "application/x-www-form-urlencoded"})
    assert_error(r, 400, "grant_type")


def test_user_of_another_business_cannot_use_this_app(business,
                                                      other_business):
    r = business.token_response("password",
                                username=other_business.username,
                                password=other_business.password)
    assert_error(r, 401)


def test_wrong_secret_and_missing_credentials(business):
    d = business.daemon
    r = d.post(OAUTH + "/accesstoken", auth=(business.key, "nope"),
               data={"grant_type": "client_credentials"})
    body = assert_error(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert "secret" in body["message"]
    r = d.post(OAUTH + "/accesstoken",
               data={"grant_type": "client_credentials"})
    assert_error(r, 401)
    r = d.post(OAUTH + "/accesstoken", auth=(business.key, business.secret),
               json={"grant_type": "client_credentials"})
    assert_error(r, 415, "Content-Type")


def test_missing_and_invalid_bearer(business):
    d = business.daemon
    path = "/v1/private/business-units/" + business.id
    r = d.get(path)
    assert_error(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = d.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert_error(r, 401)
    # an apikey alone does not open private endpoints
    r = d.get(path, headers={"apikey": business.key})
    assert_error(r, 401)


def test_apikey_and_bearer_together(business, other_business):
    d = business.daemon
    path = "/v1/private/business-units/" + business.id
    h = business.headers()
    h["apikey"] = business.key
    assert d.get(path, headers=h).status_code == 200
    h["apikey"] = other_business.key
    assert_error(d.get(path, headers=h), 401)


def test_expired_token(business):
    path = "/v1/private/business-units/" + business.id
    h = business.headers()
    assert business.daemon.get(path, headers=h).status_code == 200
    business.daemon.advance_clock(360000 + 1)
    body = assert_error(business.daemon.get(path, headers=h), 401)
    assert "expired" in body["message"]


def test_other_business_id_is_not_found(business, other_business):
    path = "/v1/private/business-units/" + other_business.id
    body = assert_error(business.private("GET", path), 404)
    assert body["message"] == "Business unit not found"
    r = business.private("GET", "/v1/private/business-units/" +
                         "0123456789abcdef01234567")
    assert_error(r, 404)
    r = business.private("GET", "/v1/private/business-units/nothex")
    assert_error(r, 404)


def test_business_token_on_admin_endpoint_is_forbidden(business):
    r = business.private("GET", "/v1/admin/business-units")
    body = assert_error(r, 403)
    assert body["errorCode"] == 1014
    assert_error(business.daemon.get("/v1/admin/business-units"), 401)
    r = business.daemon.get("/v1/admin/business-units",
                            headers={"Authorization": "Bearer wrong"})
    assert_error(r, 401)
    r = business.daemon.admin("GET", "/v1/admin/business-units")
    assert r.status_code == 200


def test_public_endpoint_needs_valid_apikey(business):
    d = business.daemon
    path = "/v1/business-units/" + business.id
    assert_error(d.get(path), 401)
    assert_error(d.get(path, headers={"apikey": "unknown"}), 401)
    r = d.get(path, headers={"apikey": business.key})
    assert r.status_code == 200
    assert "notificationEmail" not in r.json()
    r = d.get(path + "?apikey=" + business.key)
    assert r.status_code == 200
    # a bearer token alone works on public endpoints too
    assert d.get(path, headers=business.headers()).status_code == 200


def test_too_many_token_requests(make_daemon):
    from conftest import Business
    d = make_daemon({"auth": {"token_requests_per_minute": "3"}})
    b = Business(d, "busy.example.com")
    for _ in range(3):
        assert b.token_response().status_code == 200
    r = b.token_response()
    assert_error(r, 429)
    assert r.headers["Retry-After"] == "60"
    d.advance_clock(61)
    assert b.token_response().status_code == 200


def test_revoke_unknown_token_is_not_an_error(business):
    r = business.daemon.post(OAUTH + "/revoke", data={"token": "nothing"})
    assert r.status_code == 200
    r = business.daemon.post(OAUTH + "/revoke", data={"other": "x"})
    assert_error(r, 400, "token")


def test_generated_admin_token_printed_once(make_daemon):
    d = make_daemon({"admin": {"token": ""}})
    out = d.stdout_path.read_text()
    token = out.strip().splitlines()[-1]
    assert len(token) == 43
    r = requests.get(d.url("/v1/admin/business-units"),
                     headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200
    assert ADMIN_TOKEN not in out
    d.restart()
    assert d.stdout_path.read_text() == ""
    r = requests.get(d.url("/v1/admin/business-units"),
                     headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200


def test_an_apikey_revoked_in_the_database_is_refused_at_once(business):
    """Apps are revoked by the operator in the database: the key is refused
    on the very next request, though every worker thread had just taken
    it (a thread keeps what it read of a key only while no commit has
    changed the database), and taken again once the row says so."""
    d = business.daemon
    path = d.url("/v1/business-units/%s/reviews" % business.id)
    headers = {"apikey": business.key}
    # several connections: the daemon's worker threads share them
    sessions = [requests.Session() for _ in range(8)]
    for s in sessions:
        for _ in range(3):
            assert s.get(path, headers=headers).status_code == 200
    con = d.sql(10)
    try:
        for revoked in (1, None):
            with con:
                con.execute("UPDATE api_apps SET revoked_at = ? "
                            "WHERE api_key = ?", (revoked, business.key))
            for s in sessions:
                r = s.get(path, headers=headers)
                if revoked:
                    assert_error(r, 401)
                else:
                    assert r.status_code == 200, r.text
    finally:
        con.close()
        for s in sessions:
            s.close()


def test_a_token_revoked_or_expired_is_refused_at_once(business):
    """An access token every worker thread has just taken is refused on
    the next request once revoked, straight in the database as through
    the API, or once it has expired."""
    d = business.daemon
    path = d.url("/v1/private/business-units/%s/reviews" % business.id)
    sessions = [requests.Session() for _ in range(8)]

    def each(token, status):
        for s in sessions:
            r = s.get(path, headers={"Authorization": "Bearer " + token})
            assert r.status_code == status, r.text

    try:
        token = business.token()
        for _ in range(3):
            each(token, 200)
        con = d.sql(10)
        try:
            with con:
                con.execute("UPDATE oauth_tokens SET revoked_at = 1 "
                            "WHERE business_unit_id = ?", (business.id,))
        finally:
            con.close()
        each(token, 401)
        token = business.token_response().json()["access_token"]
        each(token, 200)
        r = d.post(OAUTH + "/revoke", data={"token": token},
                   auth=(business.key, business.secret))
        assert r.status_code == 200, r.text
        each(token, 401)
        token = business.token_response().json()["access_token"]
        each(token, 200)
        d.advance_clock(360000 + 1)
        each(token, 401)
    finally:
        for s in sessions:
            s.close()
