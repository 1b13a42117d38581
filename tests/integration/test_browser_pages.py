"""Issue 15 in a real browser (headless Debian chromium via playwright-core):
a German invitation end to end in German (page lang, form, a field error,
thank-you page, the expired link and its way forward), and axe-core on
every page this part changed."""
import base64
import datetime
import json
import subprocess
import urllib.parse

from conftest import ROOT, Business, wait_for
from reviewkit import publish
from test_oauth_code import CALLBACK, authorize_query, make_app
from test_page_language import catalogue
from test_review_edit import edit_link

BROWSER = ROOT / "tests" / "browser"
MASTER = base64.b64encode(bytes(range(32))).decode()
DOMAIN = "kaffee.example.com"


def run(driver, *args):
    proc = subprocess.run(["node", str(BROWSER / driver)] +
                          [str(a) for a in args], capture_output=True,
                          text=True, timeout=180, cwd=BROWSER)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def invitation_link(shop, ref, name, locale):
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "invitation-links" % shop.id,
                     json={"referenceId": ref, "email":
                           "%s@example.com" % ref.lower(), "name": name,
                           "locale": locale})
    assert r.status_code == 201, r.text
    return shop.daemon.public_path(r.json()["url"])


def linked_shop(make_daemon):
    d = make_daemon({"links": {"master_key": MASTER}})
    shop = Business(d, DOMAIN)
    r = shop.private("POST", "/v1/private/business-units/%s/link-keys"
                     % shop.id)
    assert r.status_code == 201, r.text
    return shop


def test_german_invitation_end_to_end(make_daemon):
    shop = linked_shop(make_daemon)
    d = shop.daemon
    texts = json.dumps(catalogue("de"))
    used = invitation_link(shop, "DE-1", "Dieter", "de-DE")
    later = invitation_link(shop, "DE-2", "Dieter", "de-DE")
    run("german.mjs", "invitation", d.url(""), used, texts)
    # the review is there, as the reviewer wrote it
    reviews = shop.private("GET", "/v1/private/business-units/%s/reviews"
                           % shop.id).json()["reviews"]
    assert [(x["title"], x["stars"]) for x in reviews] == \
        [("Schnell und freundlich", 4)]
    d.advance_clock(40 * 86400)
    run("german.mjs", "expired", d.url(""), later, texts)


def test_changed_pages_pass_axe(make_daemon):
    """axe-core: no serious or critical violation at 390 and 1280 px on
    /b/, the product form, the review edit pages, the consent page and
    the expired invitation link."""
    shop = linked_shop(make_daemon)
    d = shop.daemon
    r = shop.private("POST", "/v1/private/business-units/%s/products"
                     % shop.id, json={"products": [
                         {"sku": "NE-250", "title": "Nordlys Espresso"}]})
    assert r.status_code == 200, r.text
    publish(d, DOMAIN, "e@example.com", title="Gut", text="Frisch",
            experiencedAt=(datetime.date.today() -
                           datetime.timedelta(days=20)).isoformat())

    edit = wait_for(lambda: edit_link(d, "e@example.com"),
                    what="the edit link")
    app = make_app(d, Business(d, "vendor.example.com"), CALLBACK)
    consent = "/oauth/authorize?" + urllib.parse.urlencode(
        authorize_query(app))
    expired = invitation_link(shop, "AX-1", "Ida", "de-DE")
    run("organic.mjs", "axe", d.url(""), "/b/", "/b/" + DOMAIN,
        "/review/%s?sku=NE-250" % DOMAIN, edit,
        "/review/edit-link/" + DOMAIN, consent)
    d.advance_clock(40 * 86400)
    run("organic.mjs", "axe", d.url(""), expired)
