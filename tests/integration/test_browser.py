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
