"""Business Generated Links and Unique Links: made by independent code
(Node's crypto for BGL, Python's hashlib for Unique Links), opened through
reviewd, refused when tampered, and localised."""
import base64
import hashlib
import json
import os
import subprocess
import urllib.parse

import pytest
import requests

from conftest import ROOT, Business, assert_error, wait_for

MASTER = base64.b64encode(b"m" * 32).decode()


def bgl_payload(enc, auth, obj):
    proc = subprocess.run(["node", str(ROOT / "tests/browser/bgl.mjs"), enc,
                           auth, json.dumps(obj)], capture_output=True,
                          text=True, check=True)
    return proc.stdout


def unique_query(secret, email, ref, name):
    e = hashlib.sha1((secret + email + ref).encode()).hexdigest()
    return "a=%s&b=%s&c=%s&e=%s" % (
        urllib.parse.quote(ref), urllib.parse.quote(
            base64.b64encode(email.encode()).decode()),
        urllib.parse.quote(name), e)


@pytest.fixture
def linked(make_daemon):
    d = make_daemon({"links": {"master_key": MASTER},
                     "invitations": {"link_valid_days": "2"}})
    shop = Business(d, "links.example.com")
    r = shop.private("POST", "/v1/private/business-units/%s/link-keys"
                     % shop.id)
    assert r.status_code == 201, r.text
    shop.keys = r.json()
    return shop


def open_link(shop, path, host=None):
    headers = {"Host": host} if host else {}
    return shop.daemon.get(path, allow_redirects=False, headers=headers)


def count_invitations(shop):
    r = shop.private("GET", "/v1/private/business-units/%s/invitations"
                     % shop.id, params={"perPage": 100})
    return len(r.json()["invitations"])


def test_keys_are_shown_once(linked):
    keys = linked.keys
    assert len(base64.b64decode(keys["encryptKey"])) == 32
    assert len(base64.b64decode(keys["authKey"])) == 32
    assert keys["uniqueLinkSecret"]
    r = linked.private("GET", "/v1/private/business-units/%s/link-keys"
                       % linked.id)
    assert r.json() == {"configured": True, "masterKeyConfigured": True}
    assert keys["authKey"] not in r.text
    con = linked.daemon.sql()
    stored = " ".join(str(x) for x in con.execute(
        "SELECT * FROM link_keys").fetchone())
    con.close()
    assert keys["authKey"] not in stored
    assert keys["uniqueLinkSecret"] not in stored


def test_bgl_made_by_node_leads_to_a_verified_review(linked):
    p = bgl_payload(linked.keys["encryptKey"], linked.keys["authKey"], {
        "email": "bgl.buyer@example.com", "name": "Bea Buyer",
        "ref": "BGL-77", "tags": ["summer"]})
    path = "/evaluate-bgl/links.example.com?p=" + p
    r = open_link(linked, path)
    assert r.status_code == 303, r.text
    form = r.headers["Location"]
    assert form.startswith("/evaluate-link/")
    page = linked.daemon.get(form).text
    assert "Bea Buyer" in page
    # opened twice: the form again, still one invitation
    form2 = open_link(linked, path).headers["Location"]
    assert count_invitations(linked) == 1
    r = linked.daemon.post(form2, data={"stars": "5", "title": "Sunny",
                                        "text": "Great summer sale"})
    assert r.status_code == 200, r.text
    reviews = linked.private("GET", "/v1/private/business-units/%s/reviews"
                             % linked.id).json()["reviews"]
    assert len(reviews) == 1
    review = reviews[0]
    assert review["isVerified"] is True and review["linkKind"] == "bgl"
    assert review["referenceId"] == "BGL-77"
    assert review["tags"] == [{"group": "generic", "value": "summer"}]
    # replayed after the review: shows it, creates nothing
    r = open_link(linked, path)
    assert "published" in linked.daemon.get(r.headers["Location"]).text
    assert count_invitations(linked) == 1
    assert len(linked.private("GET", "/v1/private/business-units/%s/reviews"
                              % linked.id).json()["reviews"]) == 1


def test_bad_bgl_links_store_nothing(linked):
    good = urllib.parse.unquote(bgl_payload(
        linked.keys["encryptKey"], linked.keys["authKey"],
        {"email": "x@example.com", "name": "X", "ref": "R"}))
    raw = bytearray(base64.b64decode(good))
    raw[20] ^= 1
    tampered = base64.b64encode(bytes(raw)).decode()
    other = base64.b64encode(os.urandom(32)).decode()
    wrong_key = urllib.parse.unquote(bgl_payload(other, other, {
        "email": "x@example.com", "name": "X", "ref": "R"}))
    no_email = urllib.parse.unquote(bgl_payload(
        linked.keys["encryptKey"], linked.keys["authKey"], {"name": "X"}))
    cases = [tampered, good[:40], wrong_key, "not base64!", no_email]
    for payload in cases:
        r = open_link(linked, "/evaluate-bgl/links.example.com?p=" +
                      urllib.parse.quote(payload))
        assert r.status_code == 400, payload
        assert "not valid" in r.text
    # a valid link of this unit used on another unit's domain
    other_shop = Business(linked.daemon, "elsewhere.example.com")
    other_shop.private("POST", "/v1/private/business-units/%s/link-keys"
                       % other_shop.id)
    r = open_link(linked, "/evaluate-bgl/elsewhere.example.com?p=" +
                  urllib.parse.quote(good))
    assert r.status_code == 400
    r = open_link(linked, "/evaluate-bgl/unknown.example.com?p=x")
    assert r.status_code == 404
    assert count_invitations(linked) == 0
    assert count_invitations(other_shop) == 0


def test_bgl_with_plus_as_space_is_the_same_link(linked):
    """A '+' that a mail client did not URL-encode arrives as a space: the
    link is the same link, not a second invitation or a second review."""
    for _ in range(200):
        p = urllib.parse.unquote(bgl_payload(
            linked.keys["encryptKey"], linked.keys["authKey"], {
                "email": "plus@example.com", "name": "Pat Plus",
                "ref": "P-1"}))
        if "+" in p:
            break
    assert "+" in p
    encoded = "/evaluate-bgl/links.example.com?p=" + urllib.parse.quote(
        p, safe="")
    spaced = "/evaluate-bgl/links.example.com?p=" + p  # '+' means ' '
    form = open_link(linked, encoded).headers["Location"]
    r = linked.daemon.post(form, data={"stars": "4", "title": "Once",
                                       "text": "Only one review"})
    assert r.status_code == 200, r.text
    r = open_link(linked, spaced)
    assert r.status_code == 303, r.text
    assert "published" in linked.daemon.get(r.headers["Location"]).text
    assert count_invitations(linked) == 1
    reviews = linked.private("GET", "/v1/private/business-units/%s/reviews"
                             % linked.id).json()["reviews"]
    assert len(reviews) == 1


def test_link_text_that_is_not_utf8_is_refused(linked):
    secret = linked.keys["uniqueLinkSecret"]
    good = unique_query(secret, "latin@example.com", "L-1", "Lena")
    for bad in [good.replace("c=Lena", "c=M%FCller"),
                good.replace("a=L-1", "a=L%FF1"),
                good + "&locale=d%E9"]:
        r = open_link(linked, "/evaluate/links.example.com?" + bad)
        assert r.status_code == 400, (bad, r.text)
    assert_error(open_link(linked, "/evaluate/links.example.com?" +
                           good.replace("c=Lena", "c=M%FCller")), 400, "c")
    assert count_invitations(linked) == 0
    r = linked.private("GET", "/v1/private/business-units/%s/invitations"
                       % linked.id)
    assert r.status_code == 200
    # a BGL's JSON may carry control characters in name or tags
    for claim in [{"email": "c@example.com", "name": "A\u0007B"},
                  {"email": "c@example.com", "name": "C",
                   "tags": ["x\u0001"]}]:
        p = bgl_payload(linked.keys["encryptKey"], linked.keys["authKey"],
                        claim)
        r = open_link(linked, "/evaluate-bgl/links.example.com?p=" + p)
        assert r.status_code == 400, r.text
    assert count_invitations(linked) == 0


def test_expired_bgl_is_refused(linked):
    p = bgl_payload(linked.keys["encryptKey"], linked.keys["authKey"],
                    {"email": "late@example.com", "name": "Late", "ref": "L"})
    path = "/evaluate-bgl/links.example.com?p=" + p
    assert open_link(linked, path).status_code == 303
    linked.daemon.advance_clock(3 * 86400)
    r = open_link(linked, path)
    assert r.status_code == 410 and "expired" in r.text


def test_unique_links(linked):
    secret = linked.keys["uniqueLinkSecret"]
    q = unique_query(secret, "uli@example.com", "U-5", "Uli Unique")
    r = open_link(linked, "/evaluate/links.example.com?" + q)
    assert r.status_code == 303, r.text
    assert "Uli Unique" in linked.daemon.get(r.headers["Location"]).text
    bad = q[:-1] + ("0" if q[-1] != "0" else "1")
    r = open_link(linked, "/evaluate/links.example.com?" + bad)
    assert r.status_code == 400 and "hash" in r.text
    assert count_invitations(linked) == 1


def test_published_vector_with_imported_secret(linked):
    r = linked.private("PUT", "/v1/private/business-units/%s/link-keys"
                       % linked.id, json={"uniqueLinkSecret": "mykey12"})
    assert r.status_code == 200, r.text
    q = ("a=1234&b=ZW1haWxAZW1haWwuY29t&c=John%20Doe"
         "&e=b232dc87ad2a699763720a29f5b3db2df6f80dfd")
    r = open_link(linked, "/evaluate/links.example.com?" + q)
    assert r.status_code == 303, r.text
    assert "John Doe" in linked.daemon.get(r.headers["Location"]).text


def test_imported_bgl_keys_make_old_links_work(linked):
    enc = base64.b64encode(os.urandom(32)).decode()
    auth = base64.b64encode(os.urandom(32)).decode()
    old_link = bgl_payload(enc, auth, {"email": "o@example.com",
                                       "name": "Old Link", "ref": "O-1"})
    path = "/evaluate-bgl/links.example.com?p=" + old_link
    assert open_link(linked, path).status_code == 400
    r = linked.private("PUT", "/v1/private/business-units/%s/link-keys"
                       % linked.id, json={"encryptKey": enc,
                                          "authKey": auth})
    assert r.status_code == 200
    assert open_link(linked, path).status_code == 303
    assert_error(linked.private("PUT", "/v1/private/business-units/%s/"
                                "link-keys" % linked.id,
                                json={"encryptKey": enc}), 400, "authKey")
    assert_error(linked.private("PUT", "/v1/private/business-units/%s/"
                                "link-keys" % linked.id,
                                json={"encryptKey": "short", "authKey": auth}),
                 400, "encryptKey")


def test_localisation(linked):
    p = bgl_payload(linked.keys["encryptKey"], linked.keys["authKey"], {
        "email": "de@example.com", "name": "Dieter", "ref": "D-1",
        "locale": "de-DE"})
    form = open_link(linked, "/evaluate-bgl/links.example.com?p=" + p) \
        .headers["Location"]
    page = linked.daemon.get(form).text
    assert "Bewertung abschicken" in page and "Hallo Dieter" in page
    q = unique_query(linked.keys["uniqueLinkSecret"], "fr@example.com",
                     "F-1", "Francine")
    form = open_link(linked, "/evaluate/links.example.com?" + q).headers[
        "Location"]
    assert "Submit review" in linked.daemon.get(form).text
    # the same link under the German host prefix speaks German
    host = "de." + linked.daemon.public_url.split("://", 1)[1]
    r = linked.daemon.get(form, headers={"Host": host})
    assert "Bewertung abschicken" in r.text


def test_link_test_tool(linked):
    path = "/v1/private/business-units/%s/links/test" % linked.id
    r = linked.private("POST", path, json={"type": "unique",
                                           "email": "t@example.com",
                                           "ref": "T-1", "name": "T T"})
    assert r.status_code == 200, r.text
    expected = hashlib.sha1((linked.keys["uniqueLinkSecret"] +
                             "t@example.com" + "T-1").encode()).hexdigest()
    assert r.json()["hash"] == expected
    made = r.json()["url"]
    r = linked.private("POST", path, json={"url": made})
    assert r.json()["valid"] is True
    r = linked.private("POST", path, json={"url": made[:-3] + "abc"})
    assert r.json()["valid"] is False
    assert r.json()["expectedHash"] == expected
    r = linked.private("POST", path, json={"type": "bgl",
                                           "email": "b@example.com",
                                           "name": "B", "ref": "B-1"})
    bgl = r.json()["url"]
    r = linked.private("POST", path, json={"url": bgl})
    assert r.json()["valid"] is True
    assert r.json()["payload"]["email"] == "b@example.com"
    r = linked.private("POST", path, json={"url": bgl.replace("p=", "p=A")})
    assert r.json()["valid"] is False and r.json()["problem"]
    assert_error(linked.private("POST", path, json={"type": "sms",
                                                    "email": "a@b.co",
                                                    "name": "x"}),
                 400, "type")


def test_invitation_links_endpoint(linked):
    r = linked.private("POST", "/v1/private/business-units/%s/"
                       "invitation-links" % linked.id,
                       json={"referenceId": "IL-1", "email":
                             "il@example.com", "name": "Ida Link",
                             "locale": "en-US", "tags": ["api"]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "url"}
    path = linked.daemon.public_path(body["url"])
    assert "Ida Link" in linked.daemon.get(path).text
    assert_error(linked.private("POST", "/v1/private/business-units/%s/"
                                "invitation-links" % linked.id,
                                json={"email": "x", "name": "y"}), 400)


def test_invitation_link_redirects_after_the_review(linked):
    path = "/v1/private/business-units/%s/invitation-links" % linked.id
    for bad in ["javascript:alert(1)", "https://", "https://a b.example/",
                "ftp://shop.example/", "//shop.example/x"]:
        assert_error(linked.private("POST", path, json={
            "email": "r@example.com", "name": "R", "redirectUri": bad}),
            400, "redirectUri")
    assert count_invitations(linked) == 0
    r = linked.private("POST", path, json={
        "email": "r@example.com", "name": "Rita Return",
        "redirectUri": "https://links.example.com/thanks?from=review"})
    assert r.status_code == 201, r.text
    form = linked.daemon.public_path(r.json()["url"])
    r = linked.daemon.post(form, allow_redirects=False, data={
        "stars": "5", "title": "Smooth", "text": "Back to the shop"})
    assert r.status_code == 303, r.text
    assert r.headers["Location"] == \
        "https://links.example.com/thanks?from=review"
    assert 'href="https://links.example.com/thanks?from=review"' in r.text
    # reopened later: the review, not another redirect
    r = linked.daemon.get(form, allow_redirects=False)
    assert r.status_code == 200 and "published" in r.text
    # a value stored before redirects were checked is checked again
    r = linked.private("POST", path, json={
        "email": "old@example.com", "name": "Olaf Old",
        "redirectUri": "https://links.example.com/placeholder"})
    form = linked.daemon.public_path(r.json()["url"])
    con = linked.daemon.sql()
    con.execute("UPDATE invitations SET redirect_uri = 'javascript:alert(1)' "
                "WHERE consumer_email = 'old@example.com'")
    con.commit()
    con.close()
    r = linked.daemon.post(form, allow_redirects=False, data={
        "stars": "4", "title": "Old link", "text": "Still fine"})
    assert r.status_code == 200 and "javascript" not in r.text


def test_link_keys_need_a_master_key(make_daemon):
    d = make_daemon({"links": {"generate_master_key": "false"}})
    business = Business(d, "nokey.example.com")
    r = business.private("POST", "/v1/private/business-units/%s/link-keys"
                         % business.id)
    assert_error(r, 409)


def test_link_tool_refuses_a_long_non_address(linked):
    r = linked.private("POST", "/v1/private/business-units/%s/links/test"
                       % linked.id, json={"type": "unique",
                                          "email": "\u00e9" * 250,
                                          "name": "x"})
    assert_error(r, 400, "email")
    assert linked.daemon.get("/healthz").status_code == 200


def test_a_business_cannot_unmask_an_anonymous_reviewer(linked):
    """A business that guesses the address of an anonymous reviewer writes a
    review under it, through its own link and through the public form: it
    must not learn that the guess was right (same consumer id, a changed
    review count), and the reviewer's own review stays as it was."""
    from reviewkit import mails, publish, submit
    d = linked.daemon
    guess = "anon.author@example.org"
    anon = publish(d, "links.example.com", guess, name="Anna Author",
                   anonymous=True)
    mine = linked.private("GET", "/v1/private/reviews/" + anon).json()
    assert mine["consumer"]["numberOfReviews"] == 1
    r = linked.private("POST", "/v1/private/business-units/%s/"
                       "invitation-links" % linked.id,
                       json={"email": guess, "name": "Guess", "referenceId":
                             "G-1"})
    form = linked.daemon.public_path(r.json()["url"])
    r = d.post(form, data={"stars": "1", "title": "Probe", "text": "Probe"})
    assert r.status_code == 200, r.text
    r = submit(d, "links.example.com", guess, title="Probe 2")
    assert r.status_code == 202, r.text
    probe = r.json()["id"]
    path = "/v1/private/business-units/%s/reviews" % linked.id
    reviews = linked.private("GET", path).json()["reviews"]
    # the unconfirmed probe is not the business's to see at all
    assert probe not in [x["id"] for x in reviews] and len(reviews) == 2
    by_id = {x["id"]: x for x in reviews}
    ids = {x["consumer"]["id"] for x in reviews}
    assert len(ids) == 2, reviews
    assert by_id[anon]["consumer"] == mine["consumer"]
    for x in reviews:
        assert x["consumer"]["numberOfReviews"] <= 1
    # nor once the probe expired unconfirmed
    d.advance_clock(30 * 86400)
    linked.renew()
    wait_for(lambda: d.sql().execute(
        "SELECT status FROM reviews WHERE id = ?", (probe,)).fetchone()[0]
        == "expired", what="the scheduler to expire the probe")
    reviews = linked.private("GET", path).json()["reviews"]
    assert probe not in [x["id"] for x in reviews]
    assert len({x["consumer"]["id"] for x in reviews}) == 2
    assert {x["consumer"]["numberOfReviews"] for x in reviews} <= {0, 1}
    # a reply to the invited review still reaches the address it was for
    invited = [x["id"] for x in reviews if x["source"] == "invitation"][0]
    r = linked.private("POST", "/v1/private/reviews/%s/reply" % invited,
                       json={"message": "Thanks for the probe"})
    assert r.status_code in (200, 201), r.text
    wait_for(lambda: any(m["to"] == guess and "Thanks for the probe" in
                         m["text"] for m in mails(d)))


def test_a_link_review_does_not_count_against_an_organic_one(linked):
    """An invitation link is handed out by the business: a review through
    it proves nothing about the address, so the person's own review of
    the business is published (test_security_reviews has the e-mail
    invitation, which does count)."""
    from reviewkit import confirm_links, follow, submit
    d = linked.daemon
    r = linked.private("POST", "/v1/private/business-units/%s/"
                       "invitation-links" % linked.id,
                       json={"email": "Twice@Example.com", "name": "Tom"})
    form = linked.daemon.public_path(r.json()["url"])
    assert d.post(form, data={"stars": "5", "title": "Invited",
                              "text": "First"}).status_code == 200
    r = submit(d, "links.example.com", "twice@example.com", title="Again")
    assert r.status_code == 202
    link = wait_for(lambda: confirm_links(d).get("twice@example.com"))
    r = follow(d, link)
    assert r.status_code == 200 and "published" in r.text
