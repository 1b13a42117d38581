#!/usr/bin/python3
"""make screenshots: starts build/reviewd with demo data (a coffee roaster
with 36 reviews in several languages, replies, a product, a German
invitation, a Find Reviewer request, an edit link and an expired link)
through the integration tests' own fixtures, then has screenshots.mjs
(headless Chromium) write every reviewer page at 390 and 1280 px into
docs/screenshots/. Not part of the tests or CI.

    tests/browser/screenshots.py [OUTDIR]
"""
import base64
import datetime
import json
import pathlib
import re
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from conftest import Business, Daemon, wait_for  # noqa: E402
from reviewkit import confirm_links, follow, mails, submit  # noqa: E402
from test_browser_pages import invitation_link  # noqa: E402
from test_review_edit import edit_link  # noqa: E402

DOMAIN = "nordlys-kaffe.example.com"
REVIEWS = [
    # language, stars, title, text, name
    ("en", 5, "Best espresso beans I have bought",
     "Fresh, oily beans roasted two days before they arrived. The 250 g "
     "bag lasts me a week and every shot is sweet.", "Olivia Hart"),
    ("de", 5, "Hervorragender Kaffee",
     "Schnelle Lieferung und ein wunderbar ausgewogener Geschmack.",
     "Jonas Weber"),
    ("da", 4, "God kaffe, lidt dyr",
     "Smagen er fantastisk, men fragten kunne være billigere.",
     "Mette Nielsen"),
    ("fr", 5, "Un café exceptionnel",
     "Torréfaction parfaite, arrivé en deux jours. Je recommande.",
     "Camille Martin"),
    ("sv", 3, "Okej men sen leverans",
     "Kaffet var gott men paketet kom en vecka för sent.", "Erik Lund"),
    ("nl", 4, "Lekker en vers",
     "Goede bonen, netjes verpakt. Volgende keer probeer ik de filter.",
     "Sanne de Vries"),
    ("es", 5, "Muy recomendable",
     "El mejor café de especialidad que he probado este año.",
     "Lucía García"),
    ("it", 2, "Macinatura sbagliata",
     "Avevo chiesto macinato per moka ed è arrivato in grani.",
     "Marco Rossi"),
    ("pl", 5, "Świetna kawa",
     "Bardzo aromatyczna, szybka wysyłka. Na pewno zamówię ponownie.",
     "Anna Kowalska"),
    ("nb", 4, "Veldig god filterkaffe",
     "Lys brent og fruktig, akkurat slik jeg liker den.", "Ola Nordmann"),
    ("pt", 1, "Encomenda perdida",
     "A encomenda nunca chegou e ninguém respondeu ao meu e-mail.",
     "João Silva"),
    ("en", 4, "Lovely filter roast",
     "Bright and fruity. The subscription is easy to pause.", "Sam Patel"),
]
REPLIES = {
    2: "Tak, Mette! Fra januar er fragten gratis over 300 kr.",
    4: "Sorry, Erik: the carrier lost a day at the border. We sent a "
       "voucher.",
    10: "Lamentamos muito, João. Enviámos uma nova encomenda hoje.",
}


def publish_all(d):
    ids, specs = [], []
    for i in range(36):
        lang, stars, title, text, name = REVIEWS[i % len(REVIEWS)]
        email = "reviewer%d@example.com" % i
        when = (datetime.date.today() -
                datetime.timedelta(days=3 + i * 9)).isoformat()
        r = submit(d, DOMAIN, email, stars=stars, title=title, text=text,
                   name=name, language=lang, experiencedAt=when)
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
        specs.append(email)
    links = wait_for(lambda: (lambda l: all(e in l for e in specs) and l)(
        confirm_links(d)), what="the confirmation e-mails")
    for email in specs:
        assert follow(d, links[email]).status_code == 200
    return ids


def link_in_mail(d, to, pattern):
    def find():
        for m in mails(d):
            found = re.search(pattern, m["text"])
            if m["to"] == to and found:
                return found.group(1)
        return None
    return wait_for(find, what="a link to " + to)


def shoot(d, outdir, plan):
    proc = subprocess.run(["node", str(HERE / "screenshots.mjs"),
                           d.url(""), str(outdir), json.dumps(plan)],
                          cwd=HERE, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        sys.exit(proc.stderr + proc.stdout)


def main():
    outdir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                          ROOT / "docs" / "screenshots").resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        d = Daemon(pathlib.Path(tmp), {"links": {
            "master_key": base64.b64encode(bytes(range(32))).decode()}})
        d.start()
        try:
            run(d, outdir)
        finally:
            d.stop()
    print("screenshots in %s" % outdir)


def run(d, outdir):
    shop = Business(d, DOMAIN)
    r = shop.private("PATCH", "/v1/private/business-units/" + shop.id,
                     json={"displayName": "Nordlys Kaffe",
                           "notificationEmail": "hello@" + DOMAIN})
    assert r.status_code == 200, r.text
    r = shop.private("POST", "/v1/private/business-units/%s/products"
                     % shop.id, json={"products": [
                         {"sku": "NE-250", "title":
                          "Nordlys Espresso 250 g"}]})
    assert r.status_code == 200, r.text
    ids = publish_all(d)
    for i, text in REPLIES.items():
        r = shop.private("POST", "/v1/private/reviews/%s/reply" % ids[i],
                         json={"message": text})
        assert r.status_code == 201, r.text
    r = shop.private("POST", "/v1/private/business-units/%s/link-keys"
                     % shop.id)
    assert r.status_code == 201, r.text
    invitation = invitation_link(shop, "DE-1", "Dieter", "de-DE")
    expiring = invitation_link(shop, "DE-2", "Dieter", "de-DE")
    # a Find Reviewer request about the lost parcel
    r = shop.private("POST", "/v1/private/reviews/%s/find-reviewer"
                     % ids[10], json={
                         "message": "We cannot find your order. Which "
                         "order number was it?",
                         "requestedInformation": ["referenceId", "name"]})
    assert r.status_code == 201, r.text
    find = link_in_mail(d, "reviewer10@example.com",
                        r"(/find-reviewer/[A-Za-z0-9_-]{43})")
    edit = wait_for(lambda: edit_link(d, "reviewer0@example.com"))
    # a review waiting for its confirmation
    r = submit(d, DOMAIN, "pending@example.com", title="Great beans",
               text="Will order again.", name="Pat")
    assert r.status_code == 202, r.text
    confirm = wait_for(lambda: confirm_links(d).get("pending@example.com"))
    shoot(d, outdir, [
        {"name": "profile", "path": "/b/" + DOMAIN},
        {"name": "profile-filtered", "path": "/b/%s?stars=5&page=1"
         % DOMAIN},
        {"name": "profile-de", "path": "/b/" + DOMAIN, "lang": "de"},
        {"name": "review-form", "path": "/review/" + DOMAIN},
        {"name": "review-form-errors", "path": "/review/" + DOMAIN,
         "action": "submit-empty"},
        {"name": "product-form", "path": "/review/%s?sku=NE-250" % DOMAIN},
        {"name": "confirm", "path": confirm},
        {"name": "invitation-de", "path": invitation},
        {"name": "invitation-de-errors", "path": invitation,
         "action": "submit-empty"},
        {"name": "find-reviewer", "path": find},
        {"name": "review-edit", "path": edit},
        {"name": "review-edit-link", "path": "/review/edit-link/" + DOMAIN},
        {"name": "no-business", "path": "/b/"},
    ])
    d.advance_clock(40 * 86400)
    shoot(d, outdir, [{"name": "invitation-de-expired", "path": expiring}])


if __name__ == "__main__":
    main()
