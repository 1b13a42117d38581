"""Issue 15, the page parts: /b/ and /b/{domain}/ answer HTML; the organic
form's date of experience (checked by the server, stored, shown on the
profile, experiencedAt in the API) and ?sku= naming the product; the review
edit and OAuth consent pages in the reader's language; the unit's default
locale as the last fallback; an expired invitation link in its language
with a way forward."""
import base64
import datetime
import html
import re

import pytest

from conftest import Business, wait_for
from reviewkit import confirm_links, follow
from test_oauth_code import CALLBACK, authorize_query, make_app
from test_review_edit import edit_link
from test_page_language import catalogue, html_text, page_lang

DOMAIN = "seiten.example.com"
MASTER = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture
def shop(make_daemon):
    d = make_daemon({"links": {"master_key": MASTER}})
    s = Business(d, DOMAIN)
    return s


def text_of(page):
    return html.unescape(page)


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def form_post(d, data, **headers):
    return d.post("/review/" + DOMAIN, data=data, headers=headers)


def review(**more):
    data = {"stars": "4", "title": "Gut", "text": "Schnelle Lieferung",
            "name": "Erika", "email": "erika@example.com"}
    data.update(more)
    return data


def test_b_without_a_business_is_an_html_page(shop):
    d = shop.daemon
    r = d.get("/b/")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert "Which business?" in text_of(r.text)
    r = d.get("/b/", headers={"Accept-Language": "de"})
    assert page_lang(r.text) == "de" and "Welches Unternehmen?" in r.text


def test_trailing_slash_redirects_keeping_the_query(shop):
    d = shop.daemon
    r = d.get("/b/%s/?page=2&stars=5&orderBy=stars.asc" % DOMAIN,
              allow_redirects=False)
    assert r.status_code == 301
    assert r.headers["Location"] == \
        "/b/%s?page=2&stars=5&orderBy=stars.asc" % DOMAIN
    assert r.headers["Content-Type"].startswith("text/html")
    r = d.get("/b/%s/" % DOMAIN, allow_redirects=False)
    assert r.status_code == 301
    assert r.headers["Location"] == "/b/" + DOMAIN
    # followed, it is the profile
    r = d.get("/b/%s/" % DOMAIN)
    assert r.status_code == 200 and "<h1>" in r.text
    # an unknown business: the profile's own 404 page, in HTML
    r = d.get("/b/nobody.example.com/")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")


def test_a_bad_page_number_is_an_html_400(shop):
    r = shop.daemon.get("/b/%s?page=abc" % DOMAIN)
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("text/html")
    assert "This page does not exist" in r.text


def test_date_of_experience_form_field(shop):
    d = shop.daemon
    r = d.get("/review/" + DOMAIN)
    m = re.search(r'<input type="date" id="experiencedAt" '
                  r'name="experiencedAt" min="([0-9-]+)" max="([0-9-]+)"',
                  r.text)
    assert m, r.text
    first, last = (datetime.date.fromisoformat(x) for x in m.groups())
    assert last == today()
    assert 1820 <= (last - first).days <= 1830
    assert '<label for="experiencedAt">Date of experience' in r.text
    # the first day offered is taken, the day before it is not
    r = form_post(d, review(experiencedAt=(first - datetime.timedelta(
        days=1)).isoformat()))
    assert r.status_code == 400 and 'id="err-experiencedAt"' in r.text
    r = form_post(d, review(experiencedAt=first.isoformat()))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("when", ["future", "old", "junk"])
def test_date_of_experience_is_checked_by_the_server(shop, when):
    d = shop.daemon
    value = {"future": (today() + datetime.timedelta(days=3)).isoformat(),
             "old": (today() - datetime.timedelta(days=6 * 366)).isoformat(),
             "junk": "last summer"}[when]
    de = catalogue("de")
    r = form_post(d, review(experiencedAt=value),
                  **{"Accept-Language": "de-DE"})
    assert r.status_code == 400, r.text
    assert page_lang(r.text) == "de"
    # next to the field, in the form's words, and the field marked
    assert re.search(r'<input type="date" id="experiencedAt"[^>]* '
                     r'aria-invalid="true" aria-describedby='
                     r'"err-experiencedAt"', r.text)
    err = re.search(r'<p class="error" id="err-experiencedAt">([^<]*)</p>',
                    r.text).group(1)
    assert text_of(err) == "%s: %s" % (de["date_of_experience"],
                                       de["hint_experiencedat"])
    # what the reviewer typed is kept
    assert 'value="%s"' % html.escape(value, quote=True) in r.text
    # and the JSON API refuses the same
    r = d.post("/review/" + DOMAIN, json={
        "stars": 4, "title": "t", "text": "t", "name": "n",
        "email": "j@example.com", "experiencedAt": value})
    assert r.status_code == 400
    assert [x["field"] for x in r.json()["details"]] == ["experiencedAt"]


def test_date_of_experience_is_stored_and_shown(shop):
    d = shop.daemon
    when = (today() - datetime.timedelta(days=40)).isoformat()
    r = form_post(d, review(experiencedAt=when))
    assert r.status_code == 200, r.text
    link = wait_for(lambda: confirm_links(d).get("erika@example.com"))
    assert follow(d, link).status_code == 200
    r = d.get("/b/" + DOMAIN)
    assert "Date of experience: %s" % when in r.text
    r = d.get("/b/" + DOMAIN, headers={"Accept-Language": "fr"})
    assert "Date de l'expérience : %s" % when in text_of(r.text)
    reviews = shop.private("GET", "/v1/private/business-units/%s/reviews"
                           % shop.id).json()["reviews"]
    assert reviews[0]["experiencedAt"].startswith(when + "T00:00:00")
    # a review without one shows none
    r = form_post(d, review(email="ohne@example.com", title="Ohne"))
    assert r.status_code == 200
    link = wait_for(lambda: confirm_links(d).get("ohne@example.com"))
    assert follow(d, link).status_code == 200
    page = d.get("/b/" + DOMAIN).text
    assert page.count("Date of experience:") == 1


def test_sku_names_the_product(shop):
    d = shop.daemon
    r = shop.private("POST", "/v1/private/business-units/%s/products"
                     % shop.id, json={"products": [
                         {"sku": "NE-250", "title": "Nordlys Espresso 250 g"}]})
    assert r.status_code == 200, r.text
    r = d.get("/review/%s?sku=NE-250" % DOMAIN)
    assert r.status_code == 200
    assert '<p class="product">Product: Nordlys Espresso 250 g</p>' in r.text
    assert '<input type="hidden" name="sku" value="NE-250">' in r.text
    r = d.get("/review/%s?sku=NE-250" % DOMAIN,
              headers={"Accept-Language": "de"})
    assert "Produkt: Nordlys Espresso 250 g" in r.text
    # an unknown sku: the business's form, without a product, no error
    r = d.get("/review/%s?sku=NOPE" % DOMAIN)
    assert r.status_code == 200
    assert 'name="sku"' not in r.text and "Product:" not in r.text
    # the product form's review is the product's
    r = d.post("/review/%s?sku=NE-250" % DOMAIN, data=review(
        sku="NE-250", email="prod@example.com"))
    assert r.status_code == 200, r.text


def test_units_default_locale_is_the_last_fallback(shop):
    d = shop.daemon
    r = shop.private("PATCH", "/v1/private/business-units/" + shop.id,
                     json={"defaultLocale": "da-DK"})
    assert r.status_code == 200, r.text
    da = catalogue("da")
    r = d.get("/b/" + DOMAIN)
    assert page_lang(r.text) == "da"
    r = d.get("/review/" + DOMAIN)
    assert page_lang(r.text) == "da"
    assert html_text(da["submit_review"]) in r.text
    r = d.get("/review/edit-link/" + DOMAIN)
    assert page_lang(r.text) == "da"
    # the browser's language comes first
    r = d.get("/b/" + DOMAIN, headers={"Accept-Language": "sv-SE"})
    assert page_lang(r.text) == "sv"
    # a page of no unit: the browser's, else English
    assert page_lang(d.get("/b/").text) == "en"


def test_review_edit_pages_speak_the_reviewers_language(shop):
    d = shop.daemon
    de = catalogue("de")
    r = d.get("/review/edit-link/" + DOMAIN,
              headers={"Accept-Language": "de-DE"})
    assert page_lang(r.text) == "de"
    assert html_text(de["ed_link_title"]) in r.text
    assert html_text(de["ed_mail_me"]) in r.text
    r = d.post("/review/edit-link/" + DOMAIN, data={
        "email": "x@example.com"}, headers={"Accept-Language": "de-DE"})
    assert r.status_code == 200
    assert html_text(de["ed_link_sent"]) in r.text
    r = d.get("/review/edit/" + "A" * 43,
              headers={"Accept-Language": "fr"})
    assert r.status_code == 404 and page_lang(r.text) == "fr"
    assert html_text(catalogue("fr")["link_unknown"]) in r.text


def test_review_edit_form_in_the_reviews_language(shop):
    d = shop.daemon
    r = d.post("/review/" + DOMAIN, json={
        "stars": 2, "title": "Langsam", "text": "Zu spät", "name": "Max",
        "email": "max@example.com", "language": "de"})
    assert r.status_code == 202, r.text
    link = wait_for(lambda: confirm_links(d).get("max@example.com"))
    assert follow(d, link).status_code == 200

    path = wait_for(lambda: edit_link(d, "max@example.com"),
                    what="the edit link")
    r = d.get(path)   # no Accept-Language: the review is German
    assert r.status_code == 200
    assert page_lang(r.text) == "de"
    de = catalogue("de")
    assert html_text(de["ed_save"]) in r.text
    assert 'class="picker"' in r.text   # the star picker of the forms


def test_consent_page_speaks_the_users_language(shop):
    d = shop.daemon
    vendor = Business(d, "vendor.example.com")
    app = make_app(d, vendor, CALLBACK)
    r = d.get("/oauth/authorize", params=authorize_query(app),
              headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert r.status_code == 200, r.text
    nl = catalogue("nl")
    assert page_lang(r.text) == "nl"
    assert ">%s</button>" % nl["oa_allow"] in r.text
    assert "Helpdesk koppelen" in r.text
    r = d.get("/oauth/authorize", params={"client_id": "nope"},
              headers={"Accept-Language": "it"})
    assert r.status_code == 400 and page_lang(r.text) == "it"
    assert html_text(catalogue("it")["oa_link_broken"]) \
        in r.text
    # without Accept-Language: English, as before
    r = d.get("/oauth/authorize", params=authorize_query(app))
    assert "Connect Helpdesk" in r.text and page_lang(r.text) == "en"


def test_expired_invitation_link_keeps_its_language(shop):
    d = shop.daemon
    r = shop.private("POST", "/v1/private/business-units/%s/link-keys"
                     % shop.id)
    assert r.status_code == 201, r.text
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "invitation-links" % shop.id,
                     json={"referenceId": "ALT-1", "email":
                           "alt@example.com", "name": "Alt",
                           "locale": "de-DE"})
    assert r.status_code == 201, r.text
    path = d.public_path(r.json()["url"])
    assert d.get(path).status_code == 200
    d.advance_clock(40 * 86400)
    de = catalogue("de")
    # the browser says English; the invitation said German
    r = d.get(path, headers={"Accept-Language": "en"})
    assert r.status_code == 410
    assert page_lang(r.text) == "de"
    assert html_text(de["link_expired"]) in r.text
    # the way on: the business's own review form
    assert '<a href="/review/%s">%s</a>' % (
        DOMAIN, html_text(de["write_review"])) in r.text
    r = d.post(path, data={"stars": "5"})
    assert r.status_code == 410 and page_lang(r.text) == "de"


def test_find_reviewer_page_speaks_the_reviews_language(shop):
    d = shop.daemon
    from reviewkit import mails, publish
    review = publish(d, DOMAIN, "fr@example.com", language="fr",
                     title="Colis perdu", text="Jamais reçu", stars=1)
    r = shop.private("POST", "/v1/private/reviews/%s/find-reviewer"
                     % review, json={"message": "Which order?",
                                     "requestedInformation": ["referenceId"]})
    assert r.status_code == 201, r.text

    def link():
        for m in mails(d):
            found = re.search(r"(/find-reviewer/[A-Za-z0-9_-]{43})",
                              m["text"])
            if found and m["to"] == "fr@example.com":
                return found.group(1)
        return None
    path = wait_for(link, what="the Find Reviewer e-mail")
    r = d.get(path)   # no Accept-Language: the review is French
    assert r.status_code == 200 and page_lang(r.text) == "fr"
    assert html_text(catalogue("fr")["fr_send"]) in r.text
    r = d.post(path, data={"referenceId": "ORD-1", "message": "Merci"},
               headers={"Accept-Language": "en"})
    assert r.status_code == 200 and page_lang(r.text) == "fr"


def test_confirmation_page_falls_back_to_the_units_locale(shop):
    d = shop.daemon
    r = shop.private("PATCH", "/v1/private/business-units/" + shop.id,
                     json={"defaultLocale": "nb-NO"})
    assert r.status_code == 200, r.text
    r = d.post("/review/" + DOMAIN, json={
        "stars": 5, "title": "Fint", "text": "Bra", "name": "Kari",
        "email": "kari@example.com"})
    assert r.status_code == 202, r.text
    link = wait_for(lambda: confirm_links(d).get("kari@example.com"))
    r = d.get(link)
    assert r.status_code == 200 and page_lang(r.text) == "nb"
    assert html_text(catalogue("nb")["publish_button"]) in r.text
