"""One language per reviewer: a page behind an invitation link speaks the
invitation's language, other pages the visitor's Accept-Language; every
language of lang/ is served whole, <html lang> included."""
import base64
import re

import pytest

from conftest import ROOT, Business, wait_for
from reviewkit import confirm_links

MASTER = base64.b64encode(bytes(range(32))).decode()
LANGS = sorted(p.stem for p in (ROOT / "lang").glob("*.txt"))


def catalogue(lang):
    texts = {}
    for line in (ROOT / "lang" / ("%s.txt" % lang)).read_text().splitlines():
        m = re.match(r"([a-z0-9_]+) = (.*)$", line)
        if m:
            texts[m.group(1)] = m.group(2)
    return texts


def html_text(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;"))


def page_lang(html):
    m = re.search(r'<html lang="([^"]+)"', html)
    return m.group(1) if m else None


@pytest.fixture
def shop(make_daemon):
    d = make_daemon({"links": {"master_key": MASTER}})
    s = Business(d, "sprachen.example.com")
    r = s.private("POST", "/v1/private/business-units/%s/link-keys" % s.id)
    assert r.status_code == 201, r.text
    return s


def invitation_page(shop, locale, name, **headers):
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "invitation-links" % shop.id,
                     json={"referenceId": "L-" + locale, "email":
                           "%s@example.com" % locale.lower(), "name": name,
                           "locale": locale})
    assert r.status_code == 201, r.text
    path = shop.daemon.public_path(r.json()["url"])
    return path, shop.daemon.get(path, headers=headers)


def test_catalogue_has_the_languages_the_issue_names():
    assert set(LANGS) >= {"en", "de", "fr", "es", "it", "nl", "da", "sv",
                          "nb", "pl", "pt"}
    keys = set(catalogue("en"))
    for lang in LANGS:
        assert set(catalogue(lang)) == keys, lang


def test_invitation_page_speaks_the_invitations_language(shop):
    # the reviewer's browser says French; the invitation says German
    path, r = invitation_page(shop, "de-DE", "Dieter",
                              **{"Accept-Language": "fr-FR,fr;q=0.9"})
    de = catalogue("de")
    assert r.status_code == 200
    assert page_lang(r.text) == "de"
    assert html_text(de["submit_review"]) in r.text
    assert "Hallo Dieter" in r.text
    assert html_text(de["star_n"].replace("{n}", "3")) in r.text
    # a wrong answer comes back in German too
    r = shop.daemon.post(path, data={"stars": "9"})
    assert r.status_code == 400
    assert page_lang(r.text) == "de"
    assert html_text(de["check_review"]) in r.text
    # an invitation in a language reviewd lacks follows the browser
    _, r = invitation_page(shop, "ja-JP", "Aiko",
                           **{"Accept-Language": "sv-SE, en;q=0.5"})
    assert page_lang(r.text) == "sv"
    assert html_text(catalogue("sv")["submit_review"]) in r.text


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_is_served_whole(shop, lang):
    texts = catalogue(lang)
    d = shop.daemon
    r = d.get("/review/sprachen.example.com",
              headers={"Accept-Language": "%s;q=0.9, ja" % lang})
    assert r.status_code == 200
    assert page_lang(r.text) == lang
    for key in ("write_review", "your_rating", "title", "your_review",
                "your_name", "anonymous", "email_confirm", "submit_review"):
        assert html_text(texts[key]) in r.text, key
    r = d.get("/b/sprachen.example.com", headers={"Accept-Language": lang})
    assert page_lang(r.text) == lang
    assert html_text(texts["no_reviews"]) in r.text
    r = d.get("/review/confirm/" + "x" * 43,
              headers={"Accept-Language": lang})
    assert r.status_code == 404
    assert page_lang(r.text) == lang
    assert html_text(texts["confirm_link_unknown"]) in r.text
    r = d.get("/find-reviewer/" + "x" * 43,
              headers={"Accept-Language": lang})
    assert r.status_code == 404
    assert html_text(texts["link_unknown"]) in r.text


def test_organic_review_in_the_visitors_language(shop):
    d = shop.daemon
    fr = catalogue("fr")
    r = d.post("/review/sprachen.example.com",
               headers={"Accept-Language": "fr-CA,fr;q=0.8"},
               data={"stars": "4", "title": "Très bien", "text": "Parfait.",
                     "name": "Camille", "email": "camille@example.net"})
    assert r.status_code == 200, r.text
    assert page_lang(r.text) == "fr"
    assert html_text(fr["check_email_text"]) in r.text
    links = wait_for(lambda: confirm_links(d).get("camille@example.net"),
                     what="the confirmation e-mail")
    path = links
    r = d.get(path, headers={"Accept-Language": "fr"})
    assert page_lang(r.text) == "fr"
    assert html_text(fr["publish_button"]) in r.text
    r = d.post(path, headers={"Accept-Language": "fr"})
    assert html_text(fr["published"]) in r.text
    r = d.get("/b/sprachen.example.com", headers={"Accept-Language": "fr"})
    assert "Très bien" in r.text
    assert html_text(fr["reviews_1"]) in r.text
    assert 'role="img"' in r.text
    assert html_text(fr["stars_label"].replace("{n}", "4")) in r.text


def test_no_accept_language_is_english(shop):
    r = shop.daemon.get("/review/sprachen.example.com")
    assert page_lang(r.text) == "en"
    assert "Submit review" in r.text


def test_errors_stand_next_to_their_fields(shop):
    d = shop.daemon
    r = d.post("/review/sprachen.example.com",
               data={"stars": "4", "title": "", "text": "Fine.",
                     "name": "Ola", "email": "not-an-address"})
    assert r.status_code == 400
    html = r.text
    # the first field in error takes the focus; each points at its words
    assert re.search(r'<input type="text" id="title" name="title" '
                     r'maxlength="100" required aria-invalid="true" '
                     r'aria-describedby="err-title" autofocus', html)
    assert re.search(r'id="email" name="email" required '
                     r'aria-invalid="true" aria-describedby="err-email" '
                     r'value=', html)
    assert html.count("autofocus") == 1
    assert ('<p class="error" id="err-title">Title: add a title (at most '
            '100 characters)</p>') in html
    assert '<p class="error" id="err-email">' in html
    assert "title is required" not in html and "email must" not in html
    # fields without a problem carry nothing
    assert 'id="name" name="name" maxlength="100" required value="Ola"' \
        in html
    # the same in the reviewer's language
    r = d.post("/review/sprachen.example.com",
               headers={"Accept-Language": "de"},
               data={"stars": "4", "title": "Gut", "text": "",
                     "name": "Ola", "email": "ola@example.net"})
    de = catalogue("de")
    assert html_text("%s: %s" % (de["your_review"], de["hint_text"])) \
        in r.text
    # an invitation's service block names the experience
    path, _ = invitation_page(shop, "en-GB", "Ida")
    r = d.post(path, data={"stars": "5", "title": "", "text": "Good"})
    assert r.status_code == 400
    assert ("Your experience with the business: add a title (at most 100 "
            "characters)") in r.text
    assert 'aria-describedby="err-title"' in r.text
