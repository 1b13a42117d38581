"""Helpers for tests that write reviews through the real public flow."""
import re

from conftest import wait_for

CONFIRM = re.compile(r"(/review/confirm/[A-Za-z0-9_-]{43})")


def submit(daemon, domain, email, stars=5, title="Good", text="Nice shop",
           name="Reviewer", query="", **extra):
    body = {"stars": stars, "title": title, "text": text, "name": name,
            "email": email}
    body.update(extra)
    return daemon.post("/review/%s%s" % (domain, query), json=body)


def outbox_mails(daemon):
    """Every queued e-mail payload, newest first (admin API, paged)."""
    mails, page = [], 1
    while True:
        r = daemon.admin("GET", "/v1/admin/outbox?kind=email&perPage=100"
                         "&page=%d" % page)
        assert r.status_code == 200, r.text
        body = r.json()
        mails += [row["payload"] for row in body["outbox"]]
        if not body["links"]:
            return mails
        page += 1


def confirm_links(daemon):
    """{recipient: confirmation path} of every confirmation e-mail."""
    links = {}
    for mail in outbox_mails(daemon):
        m = CONFIRM.search(mail["text"])
        if m and mail["to"] not in links:
            links[mail["to"]] = m.group(1)
    return links


def publish(daemon, domain, email, **kw):
    """Submits and confirms a review; returns its id."""
    r = submit(daemon, domain, email, **kw)
    assert r.status_code == 202, r.text
    review_id = r.json()["id"]
    link = wait_for(lambda: confirm_links(daemon).get(email),
                    what="the confirmation e-mail")
    r = daemon.get(link)
    assert r.status_code == 200, r.text
    return review_id


def publish_many(daemon, domain, specs):
    """Submits every spec (dicts of submit() arguments), then confirms all;
    returns ids in submission order."""
    ids = []
    for spec in specs:
        r = submit(daemon, domain, **spec)
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    links = confirm_links(daemon)
    for spec in specs:
        assert daemon.get(links[spec["email"]]).status_code == 200
    return ids
