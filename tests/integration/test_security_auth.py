"""Issue 11, the token endpoint: sign-in throttling, no username oracle in
the answer's time, refresh token families revoked on reuse, and a token
rate limit that holds under concurrency."""
import concurrent.futures
import json
import statistics
import time

import pytest
import requests

from conftest import OAUTH, PG, Business, assert_error

# [auth] max_failures and failure_window_s by default; the regression tests
# run on the defaults so that they also run against the code before them
MAX_FAILURES = 10
WINDOW_S = 900


def token_request(daemon, key, secret, **form):
    """One token request on its own connection (for parallel use)."""
    with requests.Session() as s:
        return s.post(daemon.url(OAUTH + "/accesstoken"), auth=(key, secret),
                      data=form, timeout=60)


def password_grant(b, username=None, password=None):
    return b.token_response("password",
                            username=username or b.username,
                            password=password or b.password)


def refresh(b, token):
    return b.daemon.post(OAUTH + "/refresh", auth=(b.key, b.secret),
                         data={"grant_type": "refresh_token",
                               "refresh_token": token})


def private_status(b, access):
    return b.daemon.get("/v1/private/business-units/" + b.id,
                        headers={"Authorization": "Bearer " + access}
                        ).status_code


def retry_after(r, window_s):
    value = int(r.headers["Retry-After"])
    assert 1 <= value <= window_s, r.headers["Retry-After"]
    return value


def test_an_unknown_username_takes_as_long_as_a_known_one(business):
    """Both are verified with argon2id: compare the median times of wrong
    passwords for a known and an unknown username, measured in one run
    (fewer than MAX_FAILURES of them, all answered)."""
    b = business
    known, unknown = [], []
    for i in range(MAX_FAILURES - 1):
        for samples, username in ((known, b.username),
                                  (unknown, "nobody%d@example.com" % i)):
            start = time.perf_counter()
            r = password_grant(b, username, "wrong password!")
            samples.append(time.perf_counter() - start)
            body = assert_error(r, 401)
            assert body["message"] == \
                "The username or password is not valid"
    # the first of each warms up connections and caches
    k, u = statistics.median(known[1:]), statistics.median(unknown[1:])
    assert u >= 0.3 * k, "known %.1f ms, unknown %.1f ms" % (k * 1e3,
                                                             u * 1e3)


def test_wrong_passwords_are_throttled_per_username(daemon, business):
    d, b = daemon, business
    clerk = "clerk-%d@example.com" % time.monotonic_ns()
    proc = d.cli("user", "create", "--business", b.id, "--username", clerk,
                 input=b.password + "\n")
    assert proc.returncode == 0, proc.stderr
    for _ in range(MAX_FAILURES):
        assert_error(password_grant(b, password="wrong password!"), 401)
    # the right password too: the window must pass first
    r = password_grant(b)
    assert_error(r, 429, "username")
    retry_after(r, WINDOW_S)
    # usernames compare without case, and so does their throttle
    assert_error(password_grant(b, b.username.upper()), 429, "username")
    # another user of the same application is not affected, nor are the
    # application's other grants
    r = password_grant(b, clerk)
    assert r.status_code == 200, r.text
    assert b.token_response().status_code == 200

    # an unknown username is throttled alike: the throttle tells nothing
    for _ in range(MAX_FAILURES):
        assert_error(password_grant(b, "ghost@example.com",
                                    "wrong password!"), 401)
    assert_error(password_grant(b, "ghost@example.com"), 429, "username")

    # the count is in the database: a restart does not forget it
    d.restart()
    assert_error(password_grant(b), 429, "username")
    d.advance_clock(WINDOW_S + 1)
    r = password_grant(b)
    assert r.status_code == 200, r.text


def test_the_throttle_is_configured(make_daemon):
    d = make_daemon({"auth": {"max_failures": "2",
                              "failure_window_s": "30"}})
    b = Business(d, "configured.example.com")
    for _ in range(2):
        assert_error(password_grant(b, password="wrong password!"), 401)
    r = password_grant(b)
    assert_error(r, 429, "username")
    retry_after(r, 30)
    d.advance_clock(31)
    assert password_grant(b).status_code == 200


def test_the_operator_unlocks_one_user(make_daemon):
    """A username is all it takes to fail sign-ins under it: the operator
    lifts one user's throttle at once, without touching the others'."""
    d = make_daemon({"auth": {"max_failures": "2"}})
    b = Business(d, "unlock.example.com")
    other = "other@unlock.example.com"
    assert d.cli("user", "create", "--business", b.id, "--username", other,
                 input=b.password + "\n").returncode == 0
    for name in (b.username, other):
        for _ in range(2):
            assert_error(password_grant(b, name, "wrong password!"), 401)
        assert_error(password_grant(b, name), 429, "username")
    proc = d.cli("user", "unlock", "--business", b.id, "--username",
                 b.username.upper())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"unlocked": True}
    assert password_grant(b).status_code == 200
    assert_error(password_grant(b, other), 429, "username")
    proc = d.cli("user", "unlock", "--business", b.id, "--username",
                 "nobody@unlock.example.com")
    assert json.loads(proc.stdout) == {"unlocked": False}


def test_parallel_wrong_passwords_are_counted_exactly(daemon, business):
    """Attempts are counted before the password is checked: parallel
    guesses cannot all pass the throttle first."""
    d, b = daemon, business

    def guess(i):
        return token_request(d, b.key, b.secret, grant_type="password",
                             username=b.username,
                             password="wrong password %d" % i)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(guess, range(16)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [401] * MAX_FAILURES + [429] * (16 - MAX_FAILURES), \
        "%d passwords tried against %d" % (codes.count(401), MAX_FAILURES)
    for a in answers:
        if a.status_code == 429:
            retry_after(a, WINDOW_S)


def test_wrong_client_secrets_are_throttled_per_application(
        daemon, business, other_business):
    d, b, other = daemon, business, other_business

    def guess(i):
        return token_request(d, b.key, "not the secret %d" % i,
                             grant_type="client_credentials")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(guess, range(16)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [401] * MAX_FAILURES + [429] * (16 - MAX_FAILURES), \
        "%d secrets tried against %d" % (codes.count(401), MAX_FAILURES)
    r = guess(99)
    body = assert_error(r, 429)
    assert "API key" in body["message"]
    retry_after(r, WINDOW_S)
    # the refresh endpoint authenticates the application the same way
    r = d.post(OAUTH + "/refresh", auth=(b.key, "not the secret"),
               data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert_error(r, 429)
    # the right secret always gets through: the API key is public, and a
    # lockout would let anyone who knows it cut the business off
    assert b.token_response().status_code == 200
    assert other.token_response().status_code == 200
    d.advance_clock(WINDOW_S + 1)
    assert_error(guess(100), 401)


def test_a_reused_refresh_token_revokes_its_family(business):
    first = password_grant(business).json()
    other = password_grant(business).json()  # another family

    r = refresh(business, first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert private_status(business, second["access_token"]) == 200

    # r1 again: spent, so someone else holds it
    assert_error(refresh(business, first["refresh_token"]), 401)
    assert_error(refresh(business, second["refresh_token"]), 401)
    assert private_status(business, second["access_token"]) == 401
    assert private_status(business, first["access_token"]) == 401
    # only that family
    assert private_status(business, other["access_token"]) == 200
    assert refresh(business, other["refresh_token"]).status_code == 200


def test_a_refresh_race_leaves_no_live_family(business):
    """Parallel exchanges of one refresh token: one wins, and the others,
    replays of a spent token, revoke what the winner got."""
    first = password_grant(business).json()

    def exchange(_):
        with requests.Session() as s:
            return s.post(business.daemon.url(OAUTH + "/refresh"),
                          auth=(business.key, business.secret), timeout=60,
                          data={"grant_type": "refresh_token",
                                "refresh_token": first["refresh_token"]})
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(exchange, range(8)))
    won = [a.json() for a in answers if a.status_code == 200]
    assert len(won) == 1, [a.status_code for a in answers]
    assert sorted(a.status_code for a in answers) == [200] + [401] * 7
    assert private_status(business, won[0]["access_token"]) == 401
    assert_error(refresh(business, won[0]["refresh_token"]), 401)


def test_token_rate_limit_is_exact_under_concurrency(make_daemon):
    d = make_daemon({"server": {"threads": "16"},
                     "auth": {"token_requests_per_minute": "10"}})
    b = Business(d, "rush.example.com")

    def ask(_):
        return token_request(d, b.key, b.secret,
                             grant_type="client_credentials")
    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        answers = list(pool.map(ask, range(48)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * 10 + [429] * 38, \
        "%d issued against 10" % codes.count(200)
    # all from the rate limit: parallel right secrets are no failures
    for a in answers:
        if a.status_code == 429:
            assert a.headers["Retry-After"] == "60"


@pytest.mark.skipif(PG, reason=(
    "stops the migrations before 0014 through [database] migrations, a "
    "directory of SQLite's; PostgreSQL's are built in"))
def test_tokens_from_before_the_families_keep_working(make_daemon,
                                                      tmp_path):
    """Migration 0014 on a database with tokens: each refresh token becomes
    a family with the access tokens issued with it, and such a family is
    exchanged and revoked on reuse like a new one."""
    import hashlib
    import shutil

    from conftest import ROOT

    older = tmp_path / "migrations"
    older.mkdir()
    for f in (ROOT / "migrations").glob("*.sql"):
        if int(f.name[:4]) < 14:
            shutil.copy(f, older)
    d = make_daemon({"database": {"migrations": str(older)}}, start=False)
    b = Business(d, "older.example.com")  # migrated without 0014

    def digest(token):
        return hashlib.blake2b(token.encode(), digest_size=32).hexdigest()
    now = int(time.time() * 1000)
    con = d.sql()
    try:
        app, unit = con.execute("SELECT id, business_unit_id FROM api_apps "
                                "WHERE api_key = ?", (b.key,)).fetchone()
        user, = con.execute("SELECT id FROM business_users WHERE "
                            "username = ?", (b.username,)).fetchone()
        rows = [  # r1 spent for r2 (with their access tokens)
            ("r1", "refresh", None, now - 5000, now),
            ("a1", "access", "r1", now - 5000, now),
            ("r2", "refresh", None, now, None),
            ("a2", "access", "r2", now, None)]
        with con:
            for token, kind, parent, created, revoked in rows:
                con.execute(
                    "INSERT INTO oauth_tokens (token_hash, kind, app_id, "
                    "user_id, business_unit_id, refresh_hash, created_at, "
                    "expires_at, revoked_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (digest("old-" + token), kind, app, user, unit,
                     parent and digest("old-" + parent), created,
                     now + 86400000, revoked))
    finally:
        con.close()
    d.config.write_text("\n".join(
        line for line in d.config.read_text().splitlines()
        if not line.startswith("migrations =")))
    d.start()
    assert "applied 0014_auth_throttle_families.sql" in d.stderr()

    con = d.sql()
    try:
        family = dict(con.execute("SELECT token_hash, family_id FROM "
                                  "oauth_tokens WHERE app_id = ?", (app,)))
    finally:
        con.close()
    assert family == {digest("old-r1"): digest("old-r1"),
                      digest("old-a1"): digest("old-r1"),
                      digest("old-r2"): digest("old-r2"),
                      digest("old-a2"): digest("old-r2")}

    assert private_status(b, "old-a2") == 200
    r = refresh(b, "old-r2")
    assert r.status_code == 200, r.text
    new = r.json()
    assert private_status(b, "old-a2") == 401
    assert private_status(b, new["access_token"]) == 200
    # the old token again: its family, now with the new tokens, goes
    assert_error(refresh(b, "old-r2"), 401)
    assert private_status(b, new["access_token"]) == 401
    assert_error(refresh(b, new["refresh_token"]), 401)
