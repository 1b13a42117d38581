"""The organic review flow in a real browser (headless Debian chromium via
playwright-core): form -> e-mail in a real SMTP server -> confirm ->
visible on the profile page and in the public API."""
import subprocess

from conftest import ROOT, Business, wait_for

DRIVER = ROOT / "tests" / "browser" / "organic.mjs"


def browser(*args):
    proc = subprocess.run(["node", str(DRIVER)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=120,
                          cwd=DRIVER.parent)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_organic_review_in_a_browser(make_daemon, smtp_sink, tmp_path):
    sink = smtp_sink()
    d = make_daemon({"mail": {"transport": "smtp", "smtp_url":
                              "smtp://127.0.0.1:%d" % sink.port}})
    shop = Business(d, "teapots.example.com")
    base = d.url("")
    browser("submit", base, "teapots.example.com", "reader@example.net")

    wait_for(lambda: sink.count() == 1, what="the confirmation e-mail")
    msg = sink.parsed()[0]
    assert msg["To"].addresses[0].addr_spec == "reader@example.net"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    # the e-mail links to the public URL; the browser opens the path
    path = d.link(r"/review/confirm/\S+", text)
    shot = tmp_path / "profile.png"
    browser("confirm", base, path, shot)
    assert shot.stat().st_size > 1000

    r = d.get("/v1/business-units/%s/reviews" % shop.id,
              headers={"apikey": shop.key})
    reviews = r.json()["reviews"]
    assert [x["title"] for x in reviews] == ["Lovely teapot"]
    assert reviews[0]["text"] == "Arrived quickly <and> intact."
    assert reviews[0]["stars"] == 4


def test_star_picker_by_keyboard(make_daemon):
    d = make_daemon()
    Business(d, "picker.example.com")
    browser("picker", d.url(""), "picker.example.com")


def test_profile_summary_filters_and_pages(make_daemon):
    """Issue 15: the profile in chromium at 390 and 1280 px: the summary
    and its bars, the filters and the numbered pages (25 reviews: two
    pages), nothing scrolling sideways."""
    from reviewkit import publish_many
    d = make_daemon()
    Business(d, "pages.example.com")
    publish_many(d, "pages.example.com", [
        {"email": "p%d@example.com" % i, "stars": 1 + i % 5,
         "title": "Review %d" % i, "name": "P%d" % i} for i in range(25)])
    browser("profile", d.url(""), "pages.example.com")


def test_pages_do_not_scroll_sideways(make_daemon):
    from reviewkit import publish
    d = make_daemon()
    shop = Business(d, "wide.example.com")
    review = publish(d, "wide.example.com", "w@example.com",
                     title="Long " + "x" * 90,
                     text="https://example.com/" + "a" * 400)
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % review,
                     json={"message": "y" * 300})
    assert r.status_code == 201, r.text
    browser("overflow", d.url(""), "/b/wide.example.com",
            "/b/wide.example.com?stars=5&responded=true",
            "/review/wide.example.com")


def test_pages_pass_axe(make_daemon):
    """axe-core (npm) on the reviewer and visitor pages: no serious or
    critical accessibility violation at 390 and 1280 px."""
    from reviewkit import publish
    d = make_daemon()
    shop = Business(d, "axe.example.com")
    review = publish(d, "axe.example.com", "a@example.com", stars=2,
                     title="Slow", text="It took a week.")
    r = shop.private("POST", "/v1/private/reviews/%s/reply" % review,
                     json={"message": "Sorry about that."})
    assert r.status_code == 201, r.text
    r = shop.private("POST", "/v1/private/business-units/%s/link-keys"
                     % shop.id)
    assert r.status_code == 201, r.text
    r = shop.private("POST", "/v1/private/business-units/%s/"
                     "invitation-links" % shop.id,
                     json={"referenceId": "AX-1", "email": "i@example.com",
                           "name": "Ida", "locale": "de-DE"})
    assert r.status_code == 201, r.text
    invitation = d.public_path(r.json()["url"])
    browser("axe", d.url(""), "/b/axe.example.com",
            "/b/axe.example.com?stars=2", "/b/axe.example.com?page=9",
            "/review/axe.example.com", invitation,
            "/review/confirm/" + "x" * 43, "/find-reviewer/" + "y" * 43,
            "/review/edit-link/axe.example.com")
