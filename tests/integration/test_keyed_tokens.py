"""An invitation's personal link and unsubscribe tokens carry the
invitation's id and a secret (ids_token_keyed): the daemon finds the row
by the id and compares the token's hash in it, so dispatch writes no
index on random keys. A token with the right id and another secret opens
nothing; links sent before (hash in token_hash and unsubscribe_hash)
still open."""
import base64
import os

import requests

from conftest import Business, wait_for
from test_invitations import create, inv

LINK = r"/evaluate-link/[A-Za-z0-9_-]{43}"


def token_key(token):
    return base64.urlsafe_b64decode(token + "=")[:12].hex()


def forged(token):
    """The same id, another 160-bit secret."""
    raw = base64.urlsafe_b64decode(token + "=")[:12] + os.urandom(20)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_links_carry_the_invitation_and_a_secret(make_daemon, smtp_sink):
    sink = smtp_sink()
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port}})
    shop = Business(d, "keyed.example.com")
    ids = {}
    for who in ("new", "old"):
        r = create(shop, inv(email="%s@example.com" % who, ref=who))
        assert r.status_code in (201, 202), r.text
        ids[who] = r.json()["id"]
    wait_for(lambda: sink.count() == 2)
    links = {}
    for m in sink.parsed():
        who = m["To"].addresses[0].addr_spec.split("@")[0]
        text = m.get_body(preferencelist=("plain",)).get_content()
        unsub = d.url(d.public_path(m["List-Unsubscribe"].strip("<>")))
        links[who] = (d.link(LINK, text), unsub)
    for who, (path, unsub) in links.items():
        assert token_key(path.rsplit("/", 1)[1]) == ids[who]
        assert token_key(unsub.rsplit("/", 1)[1]) == ids[who]
        # the right id with another secret opens nothing
        assert d.get(path.rsplit("/", 1)[0] + "/" + forged(
            path.rsplit("/", 1)[1])).status_code == 404
        assert requests.post(unsub.rsplit("/", 1)[0] + "/" + forged(
            unsub.rsplit("/", 1)[1]), data={"List-Unsubscribe":
                                           "One-Click"}).status_code == 404
    con = d.sql()
    try:
        rows = dict((r[0], r[1:]) for r in con.execute(
            "SELECT id, token_hash, unsubscribe_hash, keyed_token_hash, "
            "keyed_unsubscribe_hash FROM invitations"))
        assert all(r[0] is None and r[1] is None and r[2] and r[3]
                   for r in rows.values())
        # "old": as a link sent before migration 0030 left it
        con.execute("UPDATE invitations SET token_hash = keyed_token_hash, "
                    "unsubscribe_hash = keyed_unsubscribe_hash, "
                    "keyed_token_hash = NULL, keyed_unsubscribe_hash = NULL "
                    "WHERE id = ?", (ids["old"],))
        con.commit()
    finally:
        con.close()
    for who, (path, unsub) in links.items():
        page = d.get(path)
        assert page.status_code == 200 and "<form" in page.text, who
        r = requests.post(unsub, data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200 and "unsubscribed" in r.text, who
        r = create(shop, inv(email="%s@example.com" % who, ref=who + "-2"))
        assert "unsubscribed" in r.json().get("skipReason", ""), who
    # erasure closes the personal link, keyed or not
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "invitation-data/delete" % shop.id,
                     json={"customerEmails": ["new@example.com",
                                              "old@example.com"]})
    assert r.status_code == 200, r.text
    for who, (path, unsub) in links.items():
        assert d.get(path).status_code == 404, who
