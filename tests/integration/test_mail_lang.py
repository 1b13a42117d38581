"""Issue 15, the e-mails: every e-mail to a reviewer in the reviewer's
language (the invitation's locale, else the language used on the page,
else the unit's default), complete HTML documents carrying the same link
as the text part and saying how long it works, clickable stars in the
invitation; e-mails to the business in the unit's language, in words (no
JSON, no codes) with a link a browser opens without a token; /r/{id}
lands on the profile page that holds the review."""
import re

import pytest
import requests

from conftest import Business, wait_for
from reviewkit import publish, publish_many
from test_invitations import create, inv

OWNER = "owner@mails.example.com"
DOMAIN = "mails.example.com"
EVAL = r"/evaluate-link/[A-Za-z0-9_-]{43}"
FR_LINK = r"/find-reviewer/[A-Za-z0-9_-]{43}"
CODES = ("not_genuine_experience", "harmful_or_illegal", "referenceId",
         "phoneNumber", "consumerResponse", "/v1/private")


@pytest.fixture
def setup(make_daemon, smtp_sink):
    sink = smtp_sink()
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port}})
    d.sink = sink
    shop = Business(d, DOMAIN)
    r = shop.private("PATCH", "/v1/private/business-units/" + shop.id,
                     json={"notificationEmail": OWNER})
    assert r.status_code == 200, r.text
    return d, shop, sink


def parts(m):
    return (m.get_body(preferencelist=("plain",)).get_content(),
            m.get_body(preferencelist=("html",)).get_content())


def to(sink, address, subject=None):
    return [m for m in sink.parsed()
            if m["To"].addresses[0].addr_spec == address and
            (subject is None or subject in str(m["Subject"]))]


def one(sink, address, subject):
    return wait_for(lambda: to(sink, address, subject),
                    what="the e-mail %r to %s" % (subject, address))[-1]


def check_document(m, lang, link_pattern=None):
    """The HTML part is a whole document in lang, styled inline, and
    carries the text part's link; returns (text, html, link)."""
    text, html = parts(m)
    assert html.startswith("<!DOCTYPE html><html lang=\"%s\" dir=\"ltr\">"
                           % lang), html[:80]
    assert html.rstrip().endswith("</html>")
    assert "<head><meta charset=\"utf-8\">" in html and "<title>" in html
    assert "<body style=" in html and "<style" not in html
    assert "Shop " + DOMAIN in html
    link = None
    if link_pattern is not None:
        m2 = re.search(r"(http://[^\s\"<]*%s)" % link_pattern, text)
        assert m2, text
        link = m2.group(1)
        # the same link, as a button
        assert ('<a href="%s" style="display:inline-block;' %
                link.replace("&", "&amp;")) in html, html
    return text, html, link


def browse(d, link, **kw):
    """Opens a link of an e-mail as a browser does: no token, no cookie."""
    return requests.get(d.url(d.public_path(link)), timeout=30, **kw)


def path_of(d, link):
    return d.public_path(link) if link.startswith("http") else link


def organic(d, email, name, lang, **kw):
    body = {"stars": 5, "title": "Parfait", "text": "Très bien",
            "name": name, "email": email}
    body.update(kw)
    return d.post("/review/" + DOMAIN, json=body,
                  headers={"Accept-Language": lang})


def ask(shop, review, **body):
    return shop.private("POST", "/v1/private/reviews/%s/find-reviewer"
                        % review, json=body)


def test_german_invitation_and_its_reply(setup):
    d, shop, sink = setup
    r = create(shop, inv(email="greta@example.de", name="Greta",
                         ref="DE-1", locale="de-DE"))
    assert r.status_code in (201, 202), r.text
    m = one(sink, "greta@example.de", "Erfahrung")
    assert str(m["Subject"]) == "Wie war Ihre Erfahrung mit Shop %s?" % DOMAIN
    text, html, link = check_document(m, "de", EVAL)
    assert text.startswith("Hallo Greta,")
    assert "Bewertung schreiben" in text and "Bewertung schreiben" in html
    # how long the link works, in both parts
    assert "Der Link ist 30 Tage gültig." in text
    assert "Der Link ist 30 Tage gültig." in html
    # five stars, each opening the form with its star chosen
    stars = re.findall(r'<a href="([^"]*)\?stars=(\d)" title="([^"]*)"',
                       html)
    assert [s[1] for s in stars] == ["1", "2", "3", "4", "5"]
    assert all(s[0] == link for s in stars)
    assert stars[3][2] == "4 Sterne"
    path = path_of(d, link)
    form = d.get(path + "?stars=4").text
    assert re.search(r'value="4"[^>]* checked', form), form
    assert not re.search(r'value="3"[^>]* checked', form)
    assert not re.search(r'checked', d.get(path).text.split("<form")[1])
    # the footer stays, in German
    assert "im Auftrag von Shop %s" % DOMAIN in text

    r = d.post(path, data={"stars": "4", "title": "Gut",
                           "text": "Schnelle Lieferung"})
    assert r.status_code == 200, r.text
    review = shop.private("GET", "/v1/private/business-units/%s/reviews"
                          % shop.id).json()["reviews"][0]["id"]
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % review,
                     json={"message": "Danke, Greta!"})
    assert r.status_code == 201, r.text
    m = one(sink, "greta@example.de", "geantwortet")
    assert str(m["Subject"]) == \
        "Shop %s hat auf Ihre Bewertung geantwortet" % DOMAIN
    text, html, link = check_document(m, "de", r"/r/[0-9a-f]{24}")
    assert "Danke, Greta!" in text and "Danke, Greta!" in html
    assert "läuft nicht ab" in text
    r = browse(d, link, allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"] == "/b/%s#review-%s" % (DOMAIN, review)
    page = browse(d, link)
    assert page.status_code == 200 and 'id="review-%s"' % review in page.text


def test_german_page_reviewer_gets_german_mails(setup):
    """A reviewer who wrote on a German page: confirmation, Find
    Reviewer and the report mail in German."""
    d, shop, sink = setup
    r = d.post("/review/" + DOMAIN, data={
        "stars": "2", "title": "Zu spät", "text": "Kam nach drei Wochen",
        "name": "Jonas", "email": "jonas@example.de"},
        headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert r.status_code == 200, r.text
    m = one(sink, "jonas@example.de", "Bestätigen")
    assert str(m["Subject"]) == "Bestätigen Sie Ihre Bewertung von Shop %s" \
        % DOMAIN
    text, html, link = check_document(m, "de", r"/review/confirm/\S{43}")
    assert re.search(r"Dieser Link ist \d+ Stunden gültig\.", text)
    assert "30 Tage lang" in text and "30 Tage lang" in html
    path = path_of(d, link)
    assert d.post(path).status_code == 200
    review = shop.private(
        "GET", "/v1/private/business-units/%s/reviews" % shop.id
    ).json()["reviews"][0]["id"]
    assert ask(shop, review, requestedInformation=["referenceId", "name"]
               ).status_code == 201
    m = one(sink, "jonas@example.de", "möchte Sie")
    text, html, link = check_document(m, "de", FR_LINK)
    # the default question and what is asked for, in German words
    assert "Können Sie uns mehr über Ihre Erfahrung erzählen" in text
    assert "Ihre Bestellnummer, Ihren Namen" in text
    assert re.search(r"Der Link ist bis \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\) "
                     r"gültig\.", text)
    # the business reports it once the request has expired (the unit
    # speaks English: so does the expiry mail to the business)
    d.advance_clock(6 * 86400)
    shop.renew()
    m = one(sink, OWNER, "no answer")
    assert str(m["Subject"]) == 'Find Reviewer: no answer about "Zu spät"'
    r = shop.private("POST", "/v1/private/reviews/%s/reports" % review,
                     json={"reason": "not_genuine_experience"})
    assert r.status_code == 201, r.text
    m = one(sink, "jonas@example.de", "ausgeblendet")
    text, html, _ = check_document(m, "de")
    assert "beruht nicht auf einer echten Erfahrung" in text
    for code in CODES:
        assert code not in text and code not in html


def test_french_organic_reviewer(setup):
    d, shop, sink = setup
    r = organic(d, "camille@example.fr", "Camille", "fr")
    assert r.status_code == 202, r.text
    m = one(sink, "camille@example.fr", "Confirmez")
    assert str(m["Subject"]) == "Confirmez votre avis sur Shop %s" % DOMAIN
    text, html, link = check_document(m, "fr", r"/review/confirm/\S{43}")
    assert text.startswith("Bonjour Camille,")
    assert "Confirmer et publier mon avis" in html
    assert d.post(path_of(d, link)).status_code == 200
    review = r.json()["id"]
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % review,
                     json={"message": "Merci !"})
    assert r.status_code == 201
    m = one(sink, "camille@example.fr", "a répondu")
    check_document(m, "fr", r"/r/[0-9a-f]{24}")
    assert ask(shop, review).status_code == 201
    m = one(sink, "camille@example.fr", "question")
    text, _, link = check_document(m, "fr", FR_LINK)
    assert "votre numéro de commande" not in text     # nothing was asked
    assert "tout ce qui montre votre expérience" in text
    # the business asked without words of its own: the page, as the
    # e-mail, asks in French (the English question is the business's)
    question = ("Pourriez-vous nous en dire plus sur votre expérience, "
                "afin que nous retrouvions votre commande ?")
    assert question in text
    page = browse(d, link)
    assert page.status_code == 200
    assert question.replace("'", "&#39;") in page.text
    assert "Could you tell us more" not in page.text


def test_unit_default_locale_for_reviewer_and_business(setup):
    d, shop, sink = setup
    r = shop.private("PATCH", "/v1/private/business-units/" + shop.id,
                     json={"defaultLocale": "it-IT"})
    assert r.status_code == 200, r.text
    review = publish(d, DOMAIN, "luca@example.it", name="Luca",
                     title="Bene")
    m = to(sink, "luca@example.it")[0]
    assert str(m["Subject"]) == "Conferma la tua recensione di Shop %s" \
        % DOMAIN
    check_document(m, "it", r"/review/confirm/\S{43}")
    # an Accept-Language the catalogue lacks falls back to the unit's too
    r = organic(d, "yuki@example.jp", "Yuki", "ja")
    assert r.status_code == 202
    one(sink, "yuki@example.jp", "Conferma")
    # the business's mails speak the unit's language
    r = ask(shop, review)
    assert r.status_code == 201, r.text
    d.advance_clock(6 * 86400)
    shop.renew()
    m = one(sink, OWNER, "nessuna risposta")
    text, html, link = check_document(m, "it", r"/r/[0-9a-f]{24}")
    assert "Buongiorno," in text


def test_business_mails_are_words_with_a_link_a_browser_opens(setup):
    d, shop, sink = setup
    review = publish(d, DOMAIN, "ann@example.com", name="Ann",
                     title="Never arrived", stars=1)
    assert ask(shop, review, message="Which order?",
               requestedInformation=["referenceId", "phoneNumber"]
               ).status_code == 201
    m = one(sink, "ann@example.com", "would like to hear")
    text, html, link = check_document(m, "en", FR_LINK)
    assert "your order number, your phone number" in text
    r = d.post(path_of(d, link), data={"referenceId": "ORD-77",
                                       "phoneNumber": "+45 12 34 56 78",
                                       "message": "It was a gift"})
    assert r.status_code == 200, r.text
    m = one(sink, OWNER, "answered")
    assert str(m["Subject"]) == \
        'Find Reviewer: the reviewer of "Never arrived" answered'
    text, html, link = check_document(m, "en", r"/r/[0-9a-f]{24}")
    assert "Order number: ORD-77" in text and "Phone: +45 12 34 56 78" \
        in text and "Message: It was a gift" in text
    assert "<li>Order number: ORD-77</li>" in html
    for code in CODES:
        assert code not in text and code not in html, code
    assert "{" not in text and "}" not in text
    # a browser opens the link, no token needed
    page = browse(d, link)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Never arrived" in page.text

    # a report, rejected: the outcome to the business, in words
    r = shop.private("POST", "/v1/private/reviews/%s/reports" % review,
                     json={"reason": "advertising_or_promotional"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert d.admin("POST", "/v1/admin/reports/%s/decision" % rid,
                   json={"decision": "reject"}).status_code == 200
    m = one(sink, OWNER, "Your report")
    text, html, link = check_document(m, "en", r"/r/[0-9a-f]{24}")
    assert "(reason: advertising or promotion)" in text
    assert "advertising_or_promotional" not in text + html
    assert browse(d, link).status_code == 200
    m = one(sink, "ann@example.com", "was decided")
    text, _, _ = check_document(m, "en", r"/r/[0-9a-f]{24}")
    assert "your review is online again" in text


def test_reply_link_lands_on_page_three(setup):
    d, shop, sink = setup
    specs = [dict(email="p%d@example.com" % i, title="Review %d" % i,
                  name="Person %d" % i) for i in range(45)]
    ids = publish_many(d, DOMAIN, specs)
    # newest first, 20 a page: the 3rd written is the 43rd shown
    target = ids[2]
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % target,
                     json={"message": "Thanks for the early review"})
    assert r.status_code == 201, r.text
    m = one(sink, "p2@example.com", "replied")
    text, html, link = check_document(m, "en", r"/r/[0-9a-f]{24}")
    assert link.endswith("/r/" + target)
    r = browse(d, link, allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"] == "/b/%s?page=3#review-%s" % (DOMAIN,
                                                               target)
    page = browse(d, link)
    assert page.status_code == 200
    assert 'id="review-%s"' % target in page.text
    # a review not shown publicly is a page that says so, not a redirect
    r = requests.get(d.url("/r/ffffffffffffffffffffffff"),
                     allow_redirects=False)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert "Review not found" in r.text


def test_product_invitation_names_the_products(setup):
    d, shop, sink = setup
    shop.private("POST", "/v1/private/business-units/%s/products" % shop.id,
                 json={"products": [{"sku": "K1", "title": "Hervidor"},
                                    {"sku": "T1", "title": "Tostadora"}]})
    body = inv(email="lucia@example.es", name="Lucía", ref="ES-1",
               locale="es-ES",
               productReviewInvitation={"productSkus": ["K1", "T1"]})
    del body["serviceReviewInvitation"]
    r = create(shop, body)
    assert r.status_code in (201, 202), r.text
    m = one(sink, "lucia@example.es", "experiencia")
    text, html, link = check_document(m, "es", EVAL)
    assert "- Hervidor\n- Tostadora\n" in text
    assert "<li>Hervidor</li><li>Tostadora</li>" in html
    assert "qué te parece tu compra" in text
    assert "El enlace funciona durante 30 días." in text
    # the stars preselect the service rating: a product-only invitation
    # has none
    assert "?stars=" not in text and "?stars=" not in html


def test_logo_in_invitations_only(setup):
    """A business's logo (an https URL on its own website) heads its
    invitation e-mails; an e-mail to an organic reviewer never loads it,
    since the image's server would learn when and where that reviewer
    reads it."""
    d, shop, sink = setup
    unit = "/v1/private/business-units/" + shop.id
    for bad, why in (("http://%s/logo.png" % DOMAIN, "https://"),
                     ("https://tracker.example.net/logo.png", "websiteUrl"),
                     ("not a url", "https://")):
        r = shop.private("PATCH", unit, json={"logoUrl": bad})
        assert r.status_code == 400, r.text
        detail = r.json()["details"][0]
        assert detail["field"] == "logoUrl" and why in detail["reason"]
    logo = "https://cdn.%s/logo.png?v=1&x=2" % DOMAIN
    r = shop.private("PATCH", unit, json={"websiteUrl": "https://" + DOMAIN,
                                          "logoUrl": logo})
    assert r.status_code == 200, r.text
    assert r.json()["logoUrl"] == logo
    r = create(shop, inv(email="lea@example.de", name="Lea", ref="LOGO-1",
                         locale="de-DE"))
    assert r.status_code in (201, 202), r.text
    m = one(sink, "lea@example.de", "Erfahrung")
    text, html, _ = check_document(m, "de", EVAL)
    assert '<img src="%s" alt=""' % logo.replace("&", "&amp;") in html
    assert "logo.png" not in text
    # an organic reviewer's mails carry no image of the business's
    review = publish(d, DOMAIN, "olga@example.org", name="Olga",
                     title="Gut")
    r = ask(shop, review)
    assert r.status_code == 201, r.text
    for m in (to(sink, "olga@example.org") +
              [one(sink, "olga@example.org", "hear from you")]):
        assert "<img" not in parts(m)[1]
    # "" takes it off again
    r = shop.private("PATCH", unit, json={"logoUrl": ""})
    assert r.status_code == 200 and r.json()["logoUrl"] == ""
