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


def _summary(m):
    to = m["To"].addresses[0]
    return {"to": to.addr_spec, "toName": to.display_name,
            "subject": str(m["Subject"]),
            "text": m.get_body(preferencelist=("plain",)).get_content(),
            "html": m.get_body(preferencelist=("html",)).get_content()}


def mails(daemon):
    """Every e-mail the daemon delivered, newest first, as dicts with to,
    toName, subject, text and html: from its SMTP sink when the test gave
    it one (daemon.sink), else from its maildir (parsed once per file)."""
    import email
    import email.policy
    sink = getattr(daemon, "sink", None)
    if sink is not None:
        return [_summary(m) for m in reversed(sink.parsed())]
    cache = daemon.__dict__.setdefault("mail_cache", {})
    new = daemon.dir / "mail" / "new"
    for f in (new.iterdir() if new.exists() else []):
        if f.name not in cache:
            cache[f.name] = (f.stat().st_mtime_ns, _summary(
                email.message_from_bytes(f.read_bytes(),
                                         policy=email.policy.default)))
    return [m for _, m in sorted(cache.values(), key=lambda x: -x[0])]


def confirm_links(daemon):
    """{recipient: confirmation path} of the newest confirmation e-mail to
    each recipient that a test has not followed yet."""
    used = daemon.__dict__.setdefault("used_links", set())
    links = {}
    for mail in mails(daemon):
        m = CONFIRM.search(mail["text"])
        if m and mail["to"] not in links and m.group(1) not in used:
            links[mail["to"]] = m.group(1)
    return links


def follow(daemon, link):
    """Opens a confirmation link as a reviewer does: the page asks, the
    button (a POST) publishes. Returns the answer to the POST."""
    daemon.__dict__.setdefault("used_links", set()).add(link)
    r = daemon.get(link)
    # the page speaks the reviewer's (or the unit's) language: look for
    # its form, not for its English button
    if r.status_code != 200 or 'method="post"' not in r.text:
        return r
    return daemon.post(link)


def publish(daemon, domain, email, **kw):
    """Submits and confirms a review; returns its id."""
    r = submit(daemon, domain, email, **kw)
    assert r.status_code == 202, r.text
    review_id = r.json()["id"]
    link = wait_for(lambda: confirm_links(daemon).get(email),
                    what="the confirmation e-mail")
    r = follow(daemon, link)
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
    links = wait_for(lambda: (lambda l: all(spec["email"] in l
                                            for spec in specs) and l)(
        confirm_links(daemon)), what="every confirmation e-mail")
    for spec in specs:
        assert follow(daemon, links[spec["email"]]).status_code == 200
    return ids
