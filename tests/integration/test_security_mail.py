"""Issue 11, point 5 and the unsubscribe list: tenants cannot send phishing
from the platform's address. Templates pass the e-mail rules, every
invitation carries the platform's footer and says "via" the platform, a
unit's daily sending is capped, and the unsubscribe list keeps no hash a
dictionary reverses."""
import email
import email.policy
import hashlib
import threading

from conftest import Business, assert_error, wait_for
from test_invitations import BU_PATH, create, history, inv

UNSUB = r"/unsubscribe/[A-Za-z0-9_-]{43}"
GOOD_HTML = ('<p>Hello {{name}},</p><p><a href="{{link}}">Write a review'
             '</a></p>')


def templates(shop):
    return (BU_PATH + "/templates") % shop.id


def template(shop, html, text="Review us: {{link}}", subject="Hi {{name}}"):
    return shop.private("POST", templates(shop), json={
        "name": "Ours", "locale": "en-US", "subject": subject,
        "text": text, "html": html})


def sent_to(daemon, address):
    """The messages in the daemon's maildir addressed to address."""
    new = daemon.dir / "mail" / "new"
    out = []
    for f in sorted(new.iterdir()) if new.exists() else []:
        m = email.message_from_bytes(f.read_bytes(),
                                     policy=email.policy.default)
        if m["To"].addresses[0].addr_spec == address:
            out.append(m)
    return out


def parts(msg):
    return (msg.get_body(preferencelist=("plain",)).get_content(),
            msg.get_body(preferencelist=("html",)).get_content())


def invitation(shop, inv_id):
    r = shop.private("GET", "/v1/private/invitations/" + inv_id)
    assert r.status_code == 200, r.text
    return r.json()


def db_rows(daemon, sql, *args):
    con = daemon.sql()
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def db_write(daemon, sql, *args):
    con = daemon.sql(10)
    try:
        con.execute(sql, args)
        con.commit()
    finally:
        con.close()


# Templates


def test_the_audit_template_is_refused_with_the_reason(business):
    """The audit's phishing template: the review link hidden in an HTML
    comment and a foreign link in view. Refused at save time, 400 naming
    the html field and why; nothing stored."""
    before = len(business.private("GET", templates(business)).json()[
        "templates"])
    r = template(business, '<!-- <a href="{{link}}">x</a> -->\n'
                 '<a href="https://evil.example.net/login">Review your '
                 'order</a>')
    body = assert_error(r, 400, "html")
    reason = body["details"][0]["reason"]
    assert "line 1" in reason and "comments" in reason, reason

    # the same foreign link without the comment: refused for the link
    r = template(business, GOOD_HTML + '<a href="https://evil.example.net/'
                 'login">Your account</a>')
    reason = assert_error(r, 400, "html")["details"][0]["reason"]
    assert "evil.example.net" in reason and "own website" in reason
    after = business.private("GET", templates(business)).json()["templates"]
    assert len(after) == before


def test_template_rules(business):
    site = business.unit["websiteUrl"]
    refused = [
        ("html", "<p>{{link}}</p>", "review link"),
        ("html", '<a href="{{link}}"></a>', "review link"),
        ("html", '<div style="display:none"><a href="{{link}}">x</a>'
                 '</div>', "display"),
        ("html", GOOD_HTML + "<script>alert(1)</script>", "<script>"),
        ("html", GOOD_HTML + '<form action="https://evil.example.net">',
         "<form>"),
        ("html", GOOD_HTML + '<iframe src="https://evil.example.net">',
         "<iframe>"),
        ("html", GOOD_HTML + '<p onclick="x()">hi</p>', "event handler"),
        ("html", GOOD_HTML + '<img src="http://evil.example.net/t.gif">',
         "https"),
        ("html", GOOD_HTML + '<p style="background:url(https://x.net/a)">',
         "url()"),
        ("text", "Log in at https://evil.example.net/ {{link}}",
         "evil.example.net"),
    ]
    for field, value, why in refused:
        kw = {field: value}
        kw.setdefault("html", GOOD_HTML)
        r = template(business, **kw)
        reason = assert_error(r, 400, field)["details"][0]["reason"]
        assert why in reason, (value, reason)

    # the business's own site (and its subdomains) and https images pass
    r = template(business, GOOD_HTML + '<p><a href="%s/shop">Our shop</a> '
                 '<a href="https://help.%s/">Help</a><img src="https://cdn'
                 '.example.org/logo.png" alt="Logo"></p>' % (
                     site, site.split("://")[1]),
                 text="Review us: {{link}}\nShop: %s" % site)
    assert r.status_code == 201, r.text
    # an update is held to the same rules
    r = business.private("PUT", templates(business) + "/" + r.json()["id"],
                         json={"name": "x", "locale": "en-US", "subject": "s",
                               "text": "{{link}}", "html": "<!-- -->"})
    assert_error(r, 400, "html")


def test_invitation_has_the_footer_and_says_via(make_daemon,
                                               platform="reviewd",
                                               config=None):
    d = make_daemon(config)
    shop = Business(d, "footer.example.com")
    tid = template(shop, GOOD_HTML).json()["id"]
    create(shop, inv(email="ann@example.com", ref="F-1",
                     senderName="Example Bank Security",
                     serviceReviewInvitation={"templateId": tid}))
    create(shop, inv(email="bob@example.com", ref="F-2"))   # built-in
    for to in ("ann@example.com", "bob@example.com"):
        wait_for(lambda: sent_to(d, to), what="the e-mail to " + to)
        msg = sent_to(d, to)[0]
        name = msg["From"].addresses[0].display_name
        assert name.endswith(" via " + platform), name
        text, html = parts(msg)
        for part in (text, html):
            assert "sent by %s on behalf of Shop footer.example.com " \
                "(https://footer.example.com)" % platform in part, part
            assert "gave us your e-mail address" in part
            d.link(UNSUB, part)
        # the footer sits inside the document, after the business's part
        assert html.index("Write a review") < html.index("on behalf of")
    assert sent_to(d, "ann@example.com")[0]["From"].addresses[0]. \
        display_name == "Example Bank Security via " + platform
    assert sent_to(d, "bob@example.com")[0]["From"].addresses[0]. \
        display_name == "Shop footer.example.com via " + platform


def test_platform_name_is_configurable(make_daemon):
    test_invitation_has_the_footer_and_says_via(
        make_daemon, "ReviewHub", {"mail": {"platform_name": "ReviewHub"}})


def test_stored_template_that_fails_the_rules_is_not_sent(daemon, business):
    """A template stored before the rules existed (written here straight
    into the database) is checked again when an invitation falls due: the
    invitation is skipped with the reason, nothing is mailed."""
    tid = template(business, GOOD_HTML).json()["id"]
    db_write(daemon, "UPDATE invitation_templates SET html = ? WHERE id = ?",
             '<!-- <a href="{{link}}">x</a> --><a href="https://evil.example.'
             'net/">Review</a>', tid)
    # two in one dispatch: the second one's verdict comes from the first
    r = create(business, {"invitations": [
        inv(email=a, ref="S-" + a, serviceReviewInvitation={
            "templateId": tid}) for a in ("eve@example.com",
                                          "mal@example.com")]})
    ids = [i["id"] for i in r.json()["invitations"]]
    for inv_id in ids:
        wait_for(lambda: invitation(business, inv_id)["status"] ==
                 "skipped", what="the invitation skipped")
        reason = invitation(business, inv_id)["skipReason"]
        assert "no longer passes the e-mail rules" in reason and \
            "comments" in reason, reason
    assert sent_to(daemon, "eve@example.com") == []
    assert sent_to(daemon, "mal@example.com") == []


# Quota


def test_daily_quota_refuses_with_429_and_counts(make_daemon):
    d = make_daemon({"invitations": {"daily_limit_per_unit": "5"}})
    shop = Business(d, "quota.example.com")
    other = Business(d, "quota-other.example.com")
    for i in range(3):
        assert create(shop, inv(email="q%d@example.com" % i,
                                ref="Q-%d" % i)).status_code == 201
    batch = {"invitations": [inv(email="b%d@example.com" % i,
                                 ref="B-%d" % i) for i in range(3)]}
    r = create(shop, batch)
    body = assert_error(r, 429)
    assert "daily_limit_per_unit = 5" in body["message"], body
    assert "created 3 in the last 24 hours" in body["message"], body
    assert "Nothing was created" in body["message"]
    assert int(r.headers["Retry-After"]) > 0
    assert len(history(shop)) == 3          # the batch is refused whole

    # a batch larger than the whole limit can never fit: no Retry-After
    r = create(other, {"invitations": [inv(email="c%d@example.com" % i,
                                           ref="C-%d" % i)
                                       for i in range(6)]})
    assert_error(r, 429)
    assert "Retry-After" not in r.headers

    batch["invitations"] = batch["invitations"][:2]
    assert create(shop, batch).status_code == 201
    assert_error(create(shop, inv(email="z@example.com", ref="Z")), 429)
    r = shop.private("GET", (BU_PATH + "/invitations") % shop.id)
    assert r.json()["dailyQuota"] == {"limit": 5, "used": 5, "remaining": 0,
                                      "windowHours": 24}
    # other units are not touched by this one's count
    assert create(other, inv(email="o@example.com", ref="O")).status_code \
        == 201

    # a rolling 24 hours: a day later the places are free again
    d.advance_clock(86400 + 1)
    shop.renew()
    assert create(shop, inv(email="z@example.com", ref="Z")).status_code \
        == 201


def test_default_daily_quota_is_100000(daemon, business):
    """With no setting a unit may create 100,000 in 24 hours (one batch of
    a real platform's size); the count is shown in the history."""
    r = create(business, {"invitations": [
        inv(email="d%d@example.com" % i, ref="D-%d" % i) for i in range(3)]})
    assert r.status_code == 201, r.text
    r = business.private("GET", (BU_PATH + "/invitations") % business.id)
    assert r.json()["dailyQuota"] == {"limit": 100000, "used": 3,
                                      "remaining": 99997, "windowHours": 24}


def test_daily_quota_is_exact_under_concurrency(make_daemon):
    """Two batches racing for the last places: the check and the inserts
    are one write transaction, so exactly one gets them."""
    d = make_daemon({"invitations": {"daily_limit_per_unit": "4"}})
    shop = Business(d, "race.example.com")
    shop.token()
    statuses = []
    start = threading.Barrier(2)

    def send(tag):
        start.wait()
        statuses.append(create(shop, {"invitations": [
            inv(email="%s%d@example.com" % (tag, i), ref="%s-%d" % (tag, i))
            for i in range(3)]}).status_code)

    threads = [threading.Thread(target=send, args=(t,)) for t in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 429]
    assert len(history(shop)) == 3


# Unsubscribes


def plain_hash(address):
    """What the unsubscribe list stored before: BLAKE2b-256 hex of the
    lowercased address, which anyone can compute for a guessed address."""
    return hashlib.blake2b(address.lower().encode(),
                           digest_size=32).hexdigest()


def test_unsubscribe_keeps_no_reversible_hash(daemon, business):
    address = "Leaver@Example.com"
    r = create(business, inv(email=address, ref="U-1"))
    wait_for(lambda: sent_to(daemon, address), what="the invitation")
    text, _ = parts(sent_to(daemon, address)[0])
    path = daemon.link(UNSUB, text)
    r = daemon.post(path, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "unsubscribed" in r.text

    rows = db_rows(daemon, "SELECT address_hash FROM unsubscribes WHERE "
                   "business_unit_id = ?", business.id)
    assert len(rows) == 1
    assert rows[0][0] != plain_hash(address)
    dump = daemon.dump()
    assert plain_hash(address) not in dump
    # the opt-out still holds
    daemon.advance_clock(40 * 86400)
    business.renew()
    r = create(business, inv(email="leaver@example.com", ref="U-2"))
    assert r.json()["status"] == "skipped"
    assert "unsubscribed" in r.json()["skipReason"]


def test_legacy_unsubscribes_still_hold_and_are_rekeyed(daemon, business):
    """Rows stored as bare hashes before the secret: still matched, and
    re-keyed when the address is seen again or, at start, from the
    addresses invitations still hold."""
    seen, known = "old1@example.com", "old2@example.com"
    # not due: its dispatch does not get to re-key the row first
    r = create(business, inv(email=known, ref="L-0", serviceReviewInvitation=
                             {"preferredSendTime": "2099-01-01"}))
    assert r.status_code == 201
    for a in (seen, known):
        db_write(daemon, "INSERT INTO unsubscribes (business_unit_id, "
                 "address_hash, created_at) VALUES (?, ?, 0)", business.id,
                 plain_hash(a))
    r = create(business, inv(email=seen, ref="L-1"))
    assert r.json()["status"] == "skipped", r.text
    assert "unsubscribed" in r.json()["skipReason"]
    hashes = {h for (h,) in db_rows(daemon, "SELECT address_hash FROM "
                                    "unsubscribes")}
    assert plain_hash(seen) not in hashes and len(hashes) == 2

    daemon.restart()
    wait_for(lambda: plain_hash(known) not in {h for (h,) in db_rows(
        daemon, "SELECT address_hash FROM unsubscribes")},
        what="the start-up pass to re-key the row")
    business.renew()
    r = create(business, inv(email=known, ref="L-2"))
    assert r.json()["status"] == "skipped"
    assert "unsubscribed" in r.json()["skipReason"]


def test_daily_quota_counts_csv_imports(make_daemon):
    """A CSV import is checked against the quota as a whole, inside the
    transaction of its first rows: over the limit it creates nothing."""
    from test_invitation_csv import upload
    d = make_daemon({"invitations": {"daily_limit_per_unit": "5"}})
    shop = Business(d, "quota-csv.example.com")
    assert create(shop, inv(email="first@example.com",
                            ref="F-1")).status_code == 201
    rows = "".join("c%d@example.com,C %d,C-%d\n" % (i, i, i)
                   for i in range(5))
    r = upload(shop, rows)
    body = assert_error(r, 429)
    assert "daily_limit_per_unit = 5" in body["message"], body
    assert len(history(shop)) == 1          # nothing of the file
    r = upload(shop, "".join(rows.splitlines(True)[:4]))
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 4
    assert len(history(shop)) == 5
    assert_error(upload(shop, "late@example.com,Late,L-1\n"), 429)


# Review of point 5: placeholder values, bare hosts, split URLs, hidden
# text, the footer wrapped by open elements, websiteUrl on the record.

PHISH = "Anna, your account is locked: verify at http://evil.example/v"


def test_names_shown_in_the_mail_carry_no_url(business):
    """consumerName fills {{name}} of every template, built-in ones too,
    in both parts; senderName the From: name. A URL or host name in either
    is refused with 400 naming the field, in a single invitation, a batch
    and a CSV row; ordinary names pass."""
    bad = [PHISH, "secure-evil-bank.com/login", "Anna www.evil-bank.com",
           "Anna (evil-bank.com)", "t.co/x"]
    for name in bad:
        body = assert_error(create(business, inv(name=name)), 400,
                            "consumerName")
        assert "may not name a URL or host" in \
            body["details"][0]["reason"], body
        assert_error(create(business, inv(senderName="Security " + name)),
                     400, "senderName")
    assert_error(create(business, {"invitations": [
        inv(ref="B-1"), inv(ref="B-2", name=PHISH)]}), 400,
        "invitations[1].consumerName")
    r = business.private(
        "POST", "/v1/private/business-units/%s/invitations/csv" %
        business.id, data=("email,name,reference\nok@example.com,Ok,C-1\n"
                           "x@example.com,Verify at evil-bank.com/login,"
                           "C-2\n").encode(),
        headers={"Content-Type": "text/csv"})
    body = assert_error(r, 400)
    assert body["rows"][0]["line"] == 3, body
    assert body["rows"][0]["errors"][0]["field"] == "consumerName", body
    assert history(business) == []
    # a file without names greets by the local part, which names no host
    r = business.private(
        "POST", "/v1/private/business-units/%s/invitations/csv" %
        business.id, data=b"email\nanna.smith@example.com\n",
        headers={"Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    assert [i["consumerName"] for i in history(business)] == ["anna smith"]
    for i, name in enumerate(["J. R. R. Tolkien", "Anna-Lena O'Neil",
                              "Dr. Smith", "M\u00fcller GmbH & Co. KG"]):
        r = create(business, inv(name=name, ref="OK-%d" % i,
                                 senderName=name))
        assert r.status_code in (201, 202), (name, r.text)


def test_unit_names_carry_no_url_but_their_own_site(business):
    """displayName fills {{business}}, senderName the From: name of every
    invitation of the unit: a foreign URL or host is refused (400 naming
    the field), the unit's own website is not."""
    own = business.unit["websiteUrl"].split("://")[1]
    path = "/v1/private/business-units/" + business.id
    for field in ("displayName", "senderName"):
        for value in ("Verify at secure-evil-bank.com/login", PHISH,
                      "www.evil-bank.com"):
            r = business.private("PATCH", path, json={field: value})
            body = assert_error(r, 400, field)
            assert "may not name a URL or host" in \
                body["details"][0]["reason"], body
        r = business.private("PATCH", path, json={field: own})
        assert r.status_code == 200, r.text
        assert r.json()[field] == own
    # a site set in the same PATCH counts
    r = business.private("PATCH", path, json={
        "websiteUrl": "https://new-shop.example.org",
        "displayName": "new-shop.example.org"})
    assert r.status_code == 200, r.text


def test_stored_names_with_a_url_are_not_sent(daemon, business):
    """A name stored before the rule (written here into the database) is
    checked again at dispatch: the invitation is skipped with the reason,
    nothing is mailed."""
    import datetime
    later = (datetime.datetime.now(datetime.timezone.utc) +
             datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    r = create(business, inv(email="old@example.com", ref="N-1",
                             serviceReviewInvitation={
                                 "preferredSendTime": later}))
    assert r.status_code in (201, 202), r.text
    inv_id = r.json()["id"]
    db_write(daemon, "UPDATE invitations SET consumer_name = ? WHERE id = ?",
             PHISH, inv_id)
    daemon.advance_clock(2 * 3600)
    wait_for(lambda: invitation(business, inv_id)["status"] == "skipped",
             what="the invitation skipped")
    reason = invitation(business, inv_id)["skipReason"]
    assert "consumerName" in reason and "evil.example" in reason, reason
    assert sent_to(daemon, "old@example.com") == []


def test_bare_hosts_and_split_urls_are_refused(business):
    """A host name without scheme ("secure-evil-bank.com/login") in either
    part, and URLs split by empty tags or invisible characters, which a
    reader sees whole: 400 naming the host."""
    cases = [
        ("html", GOOD_HTML + "<p>Verify at secure-evil-bank.com/login</p>",
         "secure-evil-bank.com"),
        ("text", "Verify at secure-evil-bank.com/login {{link}}",
         "secure-evil-bank.com"),
        ("html", GOOD_HTML + "<p>htt<b></b>p://evil-bank.com/login</p>",
         "evil-bank.com"),
        ("html", GOOD_HTML + "<p>w<b></b>ww.evil.com</p>", "www.evil.com"),
        ("html", GOOD_HTML + "<p>evil-<span>bank</span>.com/login</p>",
         "evil-bank.com"),
        ("html", GOOD_HTML + "<p>www&zwnj;.evil-bank.com</p>",
         "www.evil-bank.com"),
    ]
    for field, value, host in cases:
        kw = {field: value}
        kw.setdefault("html", GOOD_HTML)
        reason = assert_error(template(business, **kw), 400, field)[
            "details"][0]["reason"]
        assert '"%s"' % host in reason, (value, reason)
    # a placeholder glued into a host: "evil-bank" is a fine name alone
    for field, value in (("html", GOOD_HTML + "<p>{{business}}.com/x</p>"),
                         ("subject", "evil-bank.{{name}}")):
        kw = {field: value}
        kw.setdefault("html", GOOD_HTML)
        reason = assert_error(template(business, **kw), 400, field)[
            "details"][0]["reason"]
        assert "placeholder may not touch" in reason, (value, reason)
    # the unit's own site written bare passes, and initials are no hosts
    own = business.unit["websiteUrl"].split("://")[1]
    r = template(business, GOOD_HTML + "<p>Shop at %s/sale. J. R. R. "
                 "Tolkien, e.g. Dr. Smith.</p>" % own,
                 text="Shop at %s/sale {{link}}" % own)
    assert r.status_code == 201, r.text


def test_hidden_text_and_open_elements_are_refused(business):
    """Text hidden by a transparent or same-as-background colour, shrunk
    by nested relative sizes, or an element left open (it would wrap the
    platform's footer): 400 with the reason."""
    cases = [
        ('<p style="color:#ffffff00">Hidden</p>', "opaque"),
        ('<p style="color:#0000">Hidden</p>', "opaque"),
        ('<p style="color:#fff;background-color:#fff">Hidden</p>',
         "stand out"),
        ('<div style="background-color:#0000ee">' + GOOD_HTML + "</div>",
         "stand out"),
        ('<p style="font-size:70%"><span style="font-size:70%"><span '
         'style="font-size:70%">Tiny</span></span></p>', "at least 10px"),
        ('<div style="color:#fff;background-color:#fff">', "not closed"),
        ('<p><a href="{{link}}">Write a review', "not closed"),
        ('<p title="</body>">x</p>', "'<' or '>'"),
    ]
    for html, why in cases:
        if "{{link}}" not in html:
            html = GOOD_HTML + html
        reason = assert_error(template(business, html), 400, "html")[
            "details"][0]["reason"]
        assert why in reason, (html, reason)


class Open:
    """The open elements at each piece of text of an HTML document."""

    def __init__(self, html):
        from html.parser import HTMLParser
        self.at = []
        stack = []
        voids = {"br", "hr", "img", "meta"}

        class P(HTMLParser):
            def handle_starttag(self, tag, attrs):
                if tag not in voids:
                    stack.append((tag, dict(attrs)))

            def handle_endtag(self, tag):
                if stack and stack[-1][0] == tag:
                    stack.pop()

            def handle_data(self, data):
                outer.at.append((data, list(stack)))

        outer = self
        P().feed(html)

    def around(self, text):
        return [s for d, s in self.at if text in d][0]


def test_footer_is_outside_the_business_markup(daemon, business):
    """The footer goes after everything the business's template opened,
    in a div of its own with fixed colour, background and size."""
    tid = template(business, '<html><body><div style="color:#777777;'
                   'font-size:11px"><table><tr><td>' + GOOD_HTML +
                   "</td></tr></table></div></body></html>").json()["id"]
    create(business, inv(email="wrap@example.com", ref="W-1",
                         serviceReviewInvitation={"templateId": tid}))
    wait_for(lambda: sent_to(daemon, "wrap@example.com"),
             what="the e-mail")
    html = parts(sent_to(daemon, "wrap@example.com")[0])[1]
    around = Open(html).around("on behalf of")
    tags = [t for t, _ in around]
    assert tags[:2] == ["html", "body"] and tags[2] == "div", around
    assert "table" not in tags and "td" not in tags, around
    style = around[2][1]["style"]
    for fixed in ("color:#333333", "background-color:#ffffff",
                  "font-size:13px"):
        assert fixed in style, style


def test_website_changes_are_logged(daemon, business):
    """The site links may go to is what the business says: every change
    is logged with the unit id, the old and the new value."""
    path = "/v1/private/business-units/" + business.id
    old = business.unit["websiteUrl"]
    r = business.private("PATCH", path,
                         json={"websiteUrl": "https://moved.example.org"})
    assert r.status_code == 200, r.text
    wait_for(lambda: "websiteUrl changed" in daemon.stderr(),
             what="the log line")
    line = [ln for ln in daemon.stderr().splitlines()
            if "websiteUrl changed" in ln][0]
    assert business.id in line and old in line and \
        "https://moved.example.org" in line, line
