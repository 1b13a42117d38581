"""Authorization-code OAuth for third-party applications (issue 14, 1):
redirect URIs registered with the application, the login-and-consent page
at /oauth/authorize (CSRF token, PKCE), single-use codes valid 60 s bound
to client, redirect URI and challenge, the authorization_code and
refresh_token grants at the token endpoint, and a business user's list of
the applications it approved, whose revocation kills their tokens."""
import base64
import hashlib
import html
import json
import re
import secrets
import time
import urllib.parse

import requests

from conftest import OAUTH, Business, assert_error

CALLBACK = "http://127.0.0.1:9/helpdesk/callback"
PAGE = "/oauth/authorize"


def make_app(d, vendor, *uris, public=False, name="Helpdesk"):
    """A third-party application, registered (as a vendor's) on another
    business unit than the users who will approve it."""
    args = ["app", "create", "--business", vendor.id, "--name", name]
    for u in uris:
        args += ["--redirect-uri", u]
    if public:
        args.append("--public")
    proc = d.cli(*args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def pkce():
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return verifier, challenge


def authorize_query(app, redirect_uri=CALLBACK, state="xyz-123",
                    challenge=None, **extra):
    q = {"client_id": app["key"], "response_type": "code", "state": state}
    if redirect_uri is not None:
        q["redirect_uri"] = redirect_uri
    if challenge is not None:
        q["code_challenge"] = challenge
        q["code_challenge_method"] = "S256"
    q.update(extra)
    return q


def form_fields(text):
    """The hidden fields of the consent form."""
    fields = {}
    for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">', text):
        fields[name] = html.unescape(value)
    return fields


def open_page(d, session, query):
    r = session.get(d.url(PAGE), params=query, allow_redirects=False,
                    timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/html")
    return r


def post_form(d, session, fields, **more):
    data = dict(fields)
    data.update(more)
    return session.post(d.url(PAGE), data=data, allow_redirects=False,
                        timeout=30)


def redirect_params(r, uri=CALLBACK):
    assert r.status_code == 303, (r.status_code, r.text)
    loc = r.headers["Location"]
    assert loc.startswith(uri + "?"), loc
    return urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)


def approve(d, user, query, session=None):
    """Signs user in on the consent page and approves: the code."""
    s = session or requests.Session()
    page = open_page(d, s, query)
    r = post_form(d, s, form_fields(page.text), username=user.username,
                  password=user.password, decision="allow")
    params = redirect_params(r, query.get("redirect_uri", CALLBACK))
    assert params["state"] == [query["state"]]
    return params["code"][0]


def exchange(d, app, code, redirect_uri=CALLBACK, verifier=None,
             basic=True, **more):
    data = {"grant_type": "authorization_code", "code": code}
    if redirect_uri is not None:
        data["redirect_uri"] = redirect_uri
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(more)
    kw = {}
    if basic:
        kw["auth"] = (app["key"], app["secret"])
    else:
        data["client_id"] = app["key"]
    return d.post(OAUTH + "/accesstoken", data=data, **kw)


def assert_oauth_error(r, status, code):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["error"] == code, body
    assert body["error_description"]
    return body


def bearer(token):
    return {"Authorization": "Bearer " + token}


def approved(d, user):
    """The applications user approved, as the user sees them (a token of
    the password grant of its own business's application)."""
    token = user.token_response("password", username=user.username,
                                password=user.password).json()
    r = d.get("/v1/private/authorized-applications",
              headers=bearer(token["access_token"]))
    assert r.status_code == 200, r.text
    return r.json()["applications"]


def test_full_flow_with_secret_and_pkce(daemon, business, other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK)
    assert app["redirectUris"] == [CALLBACK] and app["public"] is False
    verifier, challenge = pkce()
    s = requests.Session()
    page = open_page(d, s, authorize_query(app, challenge=challenge))
    assert "Helpdesk" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:9;" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["Cache-Control"] == "no-store"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    fields = form_fields(page.text)
    assert fields["csrf_token"] and fields["code_challenge"] == challenge
    r = post_form(d, s, fields, username=business.username,
                  password=business.password, decision="allow")
    params = redirect_params(r)
    assert params["state"] == ["xyz-123"]
    code = params["code"][0]

    r = exchange(d, app, code, verifier=verifier)
    assert r.status_code == 200, r.text
    tok = r.json()
    # the shape of the password grant's answer, every value a string
    pw = business.token_response("password", username=business.username,
                                 password=business.password).json()
    assert set(tok) == set(pw)
    assert all(isinstance(v, str) for v in tok.values())
    assert tok["token_type"] == "BearerToken"
    assert tok["client_id"] == app["key"]
    assert r.headers["Cache-Control"] == "no-store"

    # the token acts for the user's business unit, not the vendor's
    r = d.get("/v1/private/business-units/%s" % business.id,
              headers=bearer(tok["access_token"]))
    assert r.status_code == 200, r.text
    r = d.get("/v1/private/business-units/%s" % other_business.id,
              headers=bearer(tok["access_token"]))
    assert r.status_code == 404

    # refresh on /accesstoken (data-sync connectors) and on /refresh
    r = d.post(OAUTH + "/accesstoken", auth=(app["key"], app["secret"]),
               data={"grant_type": "refresh_token",
                     "refresh_token": tok["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert set(second) == set(pw)
    r = d.post(OAUTH + "/refresh", auth=(app["key"], app["secret"]),
               data={"grant_type": "refresh_token",
                     "refresh_token": second["refresh_token"]})
    assert r.status_code == 200, r.text
    third = r.json()
    r = d.get("/v1/private/business-units/%s" % business.id,
              headers=bearer(third["access_token"]))
    assert r.status_code == 200, r.text
    # a spent refresh token on /accesstoken: RFC 6749 invalid_grant
    r = d.post(OAUTH + "/accesstoken", auth=(app["key"], app["secret"]),
               data={"grant_type": "refresh_token",
                     "refresh_token": tok["refresh_token"]})
    assert_oauth_error(r, 400, "invalid_grant")


def test_the_code_is_single_use_and_a_replay_revokes_its_tokens(
        daemon, business, other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK)
    code = approve(d, business, authorize_query(app))
    r = exchange(d, app, code)
    assert r.status_code == 200, r.text
    access = r.json()["access_token"]
    assert d.get("/v1/private/business-units/%s" % business.id,
                 headers=bearer(access)).status_code == 200
    assert_oauth_error(exchange(d, app, code), 400, "invalid_grant")
    r = d.get("/v1/private/business-units/%s" % business.id,
              headers=bearer(access))
    assert r.status_code == 401


def test_the_code_lives_60_seconds(daemon, business, other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK)
    code = approve(d, business, authorize_query(app))
    d.advance_clock(61)
    assert_oauth_error(exchange(d, app, code), 400, "invalid_grant")
    code = approve(d, business, authorize_query(app))
    d.advance_clock(50)
    assert exchange(d, app, code).status_code == 200


def test_the_code_is_bound_to_client_and_redirect_uri(daemon, business,
                                                      other_business):
    d = daemon
    other_uri = "https://helpdesk.example/cb"
    app = make_app(d, other_business, CALLBACK, other_uri)
    rival = make_app(d, other_business, CALLBACK, name="Rival")
    code = approve(d, business, authorize_query(app))
    # another client cannot spend it (and it is then spent)
    assert_oauth_error(exchange(d, rival, code), 400, "invalid_grant")
    code = approve(d, business, authorize_query(app))
    assert_oauth_error(exchange(d, app, code, redirect_uri=other_uri), 400,
                       "invalid_grant")
    code = approve(d, business, authorize_query(app))
    assert_oauth_error(exchange(d, app, code, redirect_uri=None), 400,
                       "invalid_grant")
    code = approve(d, business, authorize_query(app, redirect_uri=other_uri))
    assert exchange(d, app, code, redirect_uri=other_uri).status_code == 200
    # a wrong secret is the client's fault: 401 invalid_client
    code = approve(d, business, authorize_query(app))
    r = d.post(OAUTH + "/accesstoken", auth=(app["key"], "wrong"),
               data={"grant_type": "authorization_code", "code": code,
                     "redirect_uri": CALLBACK})
    assert_oauth_error(r, 401, "invalid_client")
    assert "WWW-Authenticate" in r.headers
    assert_oauth_error(exchange(d, app, ""), 400, "invalid_request")
    assert_oauth_error(exchange(d, app, "not-a-code"), 400, "invalid_grant")


def test_pkce_verifier_must_match(daemon, business, other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK)
    verifier, challenge = pkce()
    code = approve(d, business, authorize_query(app, challenge=challenge))
    assert_oauth_error(exchange(d, app, code), 400, "invalid_request")
    code = approve(d, business, authorize_query(app, challenge=challenge))
    assert_oauth_error(exchange(d, app, code, verifier=pkce()[0]), 400,
                       "invalid_grant")
    code = approve(d, business, authorize_query(app, challenge=challenge))
    assert exchange(d, app, code, verifier=verifier).status_code == 200
    # a verifier for a code issued without a challenge
    code = approve(d, business, authorize_query(app))
    assert_oauth_error(exchange(d, app, code, verifier=verifier), 400,
                       "invalid_grant")


def test_public_client_needs_pkce_and_no_secret(daemon, business,
                                                other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK, public=True)
    assert "secret" not in app and app["public"] is True
    # without PKCE the request goes back to the app as invalid_request
    r = requests.get(d.url(PAGE), params=authorize_query(app),
                     allow_redirects=False, timeout=30)
    params = redirect_params(r)
    assert params["error"] == ["invalid_request"]
    assert params["state"] == ["xyz-123"]
    verifier, challenge = pkce()
    code = approve(d, business, authorize_query(app, challenge=challenge))
    r = exchange(d, app, code, verifier=verifier, basic=False)
    assert r.status_code == 200, r.text
    tok = r.json()
    r = d.post(OAUTH + "/accesstoken",
               data={"grant_type": "refresh_token", "client_id": app["key"],
                     "refresh_token": tok["refresh_token"]})
    assert r.status_code == 200, r.text
    # a public client has no other grant
    r = d.post(OAUTH + "/accesstoken",
               data={"grant_type": "client_credentials",
                     "client_id": app["key"]})
    assert_error(r, 401)
    r = d.post(OAUTH + "/accesstoken", auth=(app["key"], ""),
               data={"grant_type": "client_credentials"})
    assert_error(r, 401)


def test_refused_consent_goes_back_with_access_denied(daemon, business,
                                                      other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK)
    s = requests.Session()
    page = open_page(d, s, authorize_query(app, state="a b&c"))
    r = post_form(d, s, form_fields(page.text), decision="deny")
    params = redirect_params(r)
    assert params["error"] == ["access_denied"]
    assert params["state"] == ["a b&c"]
    assert "code" not in params
    assert approved(d, business) == []


def test_bad_client_or_redirect_uri_shows_a_page_never_redirects(
        daemon, business, other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK, "https://h.example/cb")
    cases = [
        authorize_query(app, redirect_uri="https://evil.example/cb"),
        authorize_query(app, redirect_uri=CALLBACK + "/"),
        authorize_query(app, redirect_uri=CALLBACK + "?x=1"),
        authorize_query(app, redirect_uri="HTTP://127.0.0.1:9/helpdesk/"
                        "callback"),
        # two registered: it must say which
        authorize_query(app, redirect_uri=None),
        dict(authorize_query(app), client_id="nope"),
        {"redirect_uri": CALLBACK, "response_type": "code"},
    ]
    for q in cases:
        r = requests.get(d.url(PAGE), params=q, allow_redirects=False,
                         timeout=30)
        assert r.status_code == 400, (q, r.status_code)
        assert "Location" not in r.headers
        assert r.headers["Content-Type"].startswith("text/html")
        assert "evil.example" not in r.text
    # and the form cannot be posted there either
    s = requests.Session()
    fields = form_fields(open_page(d, s, authorize_query(app)).text)
    fields["redirect_uri"] = "https://evil.example/cb"
    r = post_form(d, s, fields, username=business.username,
                  password=business.password, decision="allow")
    assert r.status_code == 400 and "Location" not in r.headers


def test_one_registered_uri_is_the_default(daemon, business,
                                           other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK)
    q = authorize_query(app, redirect_uri=None)
    s = requests.Session()
    page = open_page(d, s, q)
    r = post_form(d, s, form_fields(page.text), username=business.username,
                  password=business.password, decision="allow")
    code = redirect_params(r)["code"][0]
    assert exchange(d, app, code, redirect_uri=None).status_code == 200


def test_request_errors_go_back_to_the_app(daemon, other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK + "?tenant=7")
    uri = CALLBACK + "?tenant=7"
    cases = [
        (dict(response_type="token"), "unsupported_response_type"),
        (dict(response_type=None), "invalid_request"),
        (dict(code_challenge="short", code_challenge_method="S256"),
         "invalid_request"),
        (dict(code_challenge=pkce()[1], code_challenge_method="plain"),
         "invalid_request"),
        (dict(code_challenge=pkce()[1]), "invalid_request"),
    ]
    for extra, code in cases:
        q = authorize_query(app, redirect_uri=uri)
        for k, v in extra.items():
            if v is None:
                q.pop(k)
            else:
                q[k] = v
        r = requests.get(d.url(PAGE), params=q, allow_redirects=False,
                         timeout=30)
        assert r.status_code == 303, (extra, r.text)
        loc = r.headers["Location"]
        assert loc.startswith(uri + "&"), loc
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
        assert params["error"] == [code], (extra, params)
        assert params["tenant"] == ["7"]


def test_csrf_token_must_match_the_cookie(daemon, business, other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK)
    s = requests.Session()
    fields = form_fields(open_page(d, s, authorize_query(app)).text)
    # a post from elsewhere: no cookie
    r = requests.post(d.url(PAGE), data=dict(
        fields, username=business.username, password=business.password,
        decision="allow"), allow_redirects=False, timeout=30)
    assert r.status_code == 403 and "Location" not in r.headers
    # a token of another page
    other = requests.Session()
    open_page(d, other, authorize_query(app))
    r = other.post(d.url(PAGE), data=dict(
        fields, username=business.username, password=business.password,
        decision="allow"), allow_redirects=False, timeout=30)
    assert r.status_code == 403
    # nor a denial
    r = requests.post(d.url(PAGE), data=dict(fields, decision="deny"),
                      allow_redirects=False, timeout=30)
    assert r.status_code == 403
    r = post_form(d, s, fields, csrf_token="", username=business.username,
                  password=business.password, decision="allow")
    assert r.status_code == 403
    assert approved(d, business) == []


def test_wrong_password_and_lockout_on_the_consent_page(make_daemon):
    d = make_daemon({"auth": {"max_failures": "2"}})
    shop = Business(d, "shop-lock.example.com")
    vendor = Business(d, "vendor-lock.example.com")
    app = make_app(d, vendor, CALLBACK)
    s = requests.Session()
    page = open_page(d, s, authorize_query(app))
    for _ in range(2):
        r = post_form(d, s, form_fields(page.text), username=shop.username,
                      password="wrong password!", decision="allow")
        assert r.status_code == 401 and "Location" not in r.headers
        assert "not valid" in r.text
        page = r
    r = post_form(d, s, form_fields(page.text), username=shop.username,
                  password=shop.password, decision="allow")
    assert r.status_code == 429 and "Location" not in r.headers
    assert int(r.headers["Retry-After"]) > 0
    # the same lockout as the password grant's
    r = shop.token_response("password", username=shop.username,
                            password=shop.password)
    assert_error(r, 429, "username")
    assert d.cli("user", "unlock", "--business", shop.id, "--username",
                 shop.username).returncode == 0
    approve(d, shop, authorize_query(app))


def test_the_consent_page_throttles_an_address_too(make_daemon):
    """Anyone can load the page, so guessing across many usernames is
    throttled per client address, at ten times [auth] max_failures."""
    d = make_daemon({"auth": {"max_failures": "1"}})
    shop = Business(d, "shop-addr.example.com")
    vendor = Business(d, "vendor-addr.example.com")
    app = make_app(d, vendor, CALLBACK)
    s = requests.Session()
    page = open_page(d, s, authorize_query(app))
    for i in range(10):
        r = post_form(d, s, form_fields(page.text),
                      username="guess%d@example.com" % i,
                      password="wrong password!", decision="allow")
        assert r.status_code == 401, (i, r.status_code)
        page = r
    r = post_form(d, s, form_fields(page.text), username=shop.username,
                  password=shop.password, decision="allow")
    assert r.status_code == 429 and "Location" not in r.headers
    # the password grant (the application's secret first) is not affected
    r = shop.token_response("password", username=shop.username,
                            password=shop.password)
    assert r.status_code == 200, r.text


def test_list_and_revoke_approved_apps(daemon, business, other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK)
    code = approve(d, business, authorize_query(app))
    tok = exchange(d, app, code).json()
    # approving again renews the one approval
    approve(d, business, authorize_query(app))
    r = business.private("GET", "/v1/private/authorized-applications")
    assert r.status_code == 403   # a client_credentials token: no user
    user_token = business.token_response(
        "password", username=business.username,
        password=business.password).json()["access_token"]
    r = d.get("/v1/private/authorized-applications",
              headers=bearer(user_token))
    assert r.status_code == 200, r.text
    apps = r.json()["applications"]
    assert len(apps) == 1
    assert apps[0]["id"] == app["id"] and apps[0]["name"] == "Helpdesk"
    assert apps[0]["clientId"] == app["key"]
    assert apps[0]["businessUnitId"] == business.id
    # the app's own token cannot manage approvals
    r = d.get("/v1/private/authorized-applications",
              headers=bearer(tok["access_token"]))
    assert_error(r, 403)
    # another user does not see it, nor revoke it
    other_user = other_business.token_response(
        "password", username=other_business.username,
        password=other_business.password).json()["access_token"]
    r = d.get("/v1/private/authorized-applications",
              headers=bearer(other_user))
    assert r.json()["applications"] == []
    r = d.request("DELETE", "/v1/private/authorized-applications/" +
                  app["id"], headers=bearer(other_user))
    assert_error(r, 404)
    assert d.get("/v1/private/business-units/%s" % business.id,
                 headers=bearer(tok["access_token"])).status_code == 200

    r = d.request("DELETE", "/v1/private/authorized-applications/" +
                  app["id"], headers=bearer(user_token))
    assert r.status_code == 200, r.text
    assert r.json() == {"id": app["id"], "status": "revoked"}
    # its tokens die, its refresh token too
    r = d.get("/v1/private/business-units/%s" % business.id,
              headers=bearer(tok["access_token"]))
    assert r.status_code == 401
    r = d.post(OAUTH + "/accesstoken", auth=(app["key"], app["secret"]),
               data={"grant_type": "refresh_token",
                     "refresh_token": tok["refresh_token"]})
    assert_oauth_error(r, 400, "invalid_grant")
    r = d.get("/v1/private/authorized-applications",
              headers=bearer(user_token))
    assert r.json()["applications"] == []
    r = d.request("DELETE", "/v1/private/authorized-applications/" +
                  app["id"], headers=bearer(user_token))
    assert_error(r, 404)
    r = d.request("DELETE", "/v1/private/authorized-applications/xyz",
                  headers=bearer(user_token))
    assert_error(r, 404)
    # the user's own token was untouched
    assert d.get("/v1/private/business-units/%s" % business.id,
                 headers=bearer(user_token)).status_code == 200


def test_a_code_issued_before_revocation_is_dead(daemon, business,
                                                 other_business):
    d = daemon
    app = make_app(d, other_business, CALLBACK)
    code = approve(d, business, authorize_query(app))
    user_token = business.token_response(
        "password", username=business.username,
        password=business.password).json()["access_token"]
    r = d.request("DELETE", "/v1/private/authorized-applications/" +
                  app["id"], headers=bearer(user_token))
    assert r.status_code == 200
    assert_oauth_error(exchange(d, app, code), 400, "invalid_grant")


def test_app_create_redirect_uris(daemon, business):
    d = daemon
    proc = d.cli("app", "create", "--business", business.id,
                 "--redirect-uri", "http://evil.example/cb")
    assert proc.returncode == 2 and "--redirect-uri" in proc.stderr
    for bad in ["https://h.example/cb#frag", "ftp://h.example/",
                "https://h.example/a b", "https://user@h.example/cb",
                "https://h.example;x/cb", "/relative"]:
        proc = d.cli("app", "create", "--business", business.id,
                     "--redirect-uri", bad)
        assert proc.returncode == 2, bad
    proc = d.cli("app", "create", "--business", business.id, "--public")
    assert proc.returncode == 2
    proc = d.cli("app", "create", "--business", business.id,
                 "--redirect-uri", "https://h.example/cb",
                 "--redirect-uri", "http://localhost:8000/cb")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["redirectUris"] == ["https://h.example/cb",
                                   "http://localhost:8000/cb"]
    assert out["secret"]

    # the admin API
    path = "/v1/admin/business-units/%s/apps" % business.id
    r = d.admin("POST", path, json={"name": "Desk", "redirectUris":
                                    ["https://desk.example/oauth"],
                                    "public": True})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["public"] is True and "secret" not in body
    assert body["redirectUris"] == ["https://desk.example/oauth"]
    assert body["businessUnitId"] == business.id and body["key"]
    r = d.admin("POST", path, json={"redirectUris": ["javascript:x"]})
    assert_error(r, 400, "redirectUris")
    r = d.admin("POST", path, json={"redirectUris": "https://a.example/"})
    assert_error(r, 400, "redirectUris")
    r = d.admin("POST", path, json={"color": "red"})
    assert_error(r, 400, "color")
    r = d.admin("POST", "/v1/admin/business-units/%s/apps" % ("0" * 24),
                json={})
    assert_error(r, 404)
    r = business.private("POST", path, json={})
    assert_error(r, 403)
