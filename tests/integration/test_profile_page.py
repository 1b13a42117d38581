"""The public profile /b/{domain}: summary with the rating word and the
stars as bars, filters and sort as links that work without JavaScript,
numbered pages, a page past the end that says so, reply dates, labels
explained, and each review in its own language."""
import re

import pytest

from conftest import Business
from reviewkit import publish_many

N = 45          # three pages of 20


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    from conftest import Daemon, check_sanitizers
    d = Daemon(tmp_path_factory.mktemp("profile")).start()
    b = Business(d, "profile.example.com")
    specs = [dict(email="p%d@example.com" % i, stars=i % 5 + 1,
                  language="de" if i % 3 == 0 else "en",
                  title="Review %d" % i, name="Person %d" % i,
                  text="word" * (60 if i == 7 else 1))
             for i in range(N)]
    ids = publish_many(d, "profile.example.com", specs)
    for i, review_id in enumerate(ids):
        if i % 4 == 0:
            r = b.private("POST", "/v1/private/reviews/%s/reply" % review_id,
                          json={"message": "Thanks %d" % i})
            assert r.status_code == 201, r.text
    yield d, b
    rc = d.stop()
    check_sanitizers(d.all_stderr())
    assert rc == 0


def titles(html):
    return re.findall(r"<h2>Review (\d+)</h2>", html)


def get(d, query="", **headers):
    return d.get("/b/profile.example.com" + query, headers=headers)


def test_summary(profile):
    d, _ = profile
    r = get(d)
    assert r.status_code == 200
    html = r.text
    # 45 reviews, 9 of each star: average 3.0, "Average"
    assert "<strong>Average</strong>" in html
    assert "45 reviews" in html
    bars = re.findall(r'<li><a href="\?stars=(\d)">.*?</a><span class="bar">'
                      r'<span class="r\d" style="width:(\d+)%"></span>'
                      r'</span>(\d+)%</li>', html)
    assert [b[0] for b in bars] == ["5", "4", "3", "2", "1"]
    assert all(b[1] == "20" and b[2] == "20" for b in bars)
    # stars are an image with words for screen readers, coloured by rating
    assert re.search(r'<span class="stars r3" role="img" '
                     r'aria-label="3 of 5 stars">', html)
    # the labels are explained in words on the page
    assert "Verified: the reviewer was invited" in html
    assert "Reviewer contacted: the business asked" in html


def test_numbered_pages_and_past_the_end(profile):
    d, _ = profile
    html = get(d).text
    pages = re.search(r'<nav class="pages"[^>]*>(.*?)</nav>', html).group(1)
    assert re.findall(r'>(\d+)</a>', pages) == ["1", "2", "3"]
    assert 'aria-current="page">1</a>' in pages
    assert len(titles(html)) == 20
    last = get(d, "?page=3").text
    assert len(titles(last)) == 5
    assert 'aria-current="page">3</a>' in last
    # a page past the end says so and leads back, instead of "no reviews"
    r = get(d, "?page=9")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert "There are no reviews on this page." in r.text
    assert "No reviews yet" not in r.text
    assert 'href="?page=1"' in r.text


@pytest.mark.parametrize("query", ["?page=abc", "?page=0", "?stars=6",
                                   "?responded=maybe", "?orderBy=random",
                                   "?language=xx"])
def test_a_bad_address_is_a_page_not_json(profile, query):
    d, _ = profile
    r = get(d, query)
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("text/html")
    assert "This page does not exist" in r.text


def test_filters_and_sort_are_links(profile):
    d, _ = profile
    html = get(d, "?stars=5").text
    five = titles(html)
    assert five and all(int(t) % 5 == 4 for t in five)
    assert len(five) == 9
    # the filter links keep the other choices and start at page 1
    assert 'href="?page=1&amp;stars=5&amp;responded=true"' in html
    replied = titles(get(d, "?responded=true").text)
    assert replied and all(int(t) % 4 == 0 for t in replied)
    unreplied = titles(get(d, "?responded=false").text)
    assert unreplied and all(int(t) % 4 != 0 for t in unreplied)
    german = titles(get(d, "?language=de").text)
    assert german and all(int(t) % 3 == 0 for t in german)
    lowest = get(d, "?orderBy=stars.asc").text
    stars = [int(t) % 5 + 1 for t in titles(lowest)]
    assert stars == sorted(stars) and stars[:9] == [1] * 9
    assert 'aria-current="page">Lowest rated</a>' in lowest


def test_reviews_carry_their_language_and_reply_date(profile):
    d, _ = profile
    html = get(d, "?orderBy=createdat.asc").text
    first = html[html.index("<h2>Review 0</h2>") - 200:]
    assert '<div lang="de"><h2>Review 0</h2>' in html
    assert '<div lang="en"><h2>Review 1</h2>' in html
    assert re.search(r"Reply from Shop profile\.example\.com</strong> "
                     r'<span class="meta">replied on \d{4}-\d\d-\d\d', first)
    # the page itself is in the visitor's language
    de = get(d, "?orderBy=createdat.asc", **{"Accept-Language": "de"}).text
    assert '<html lang="de">' in de and "Antwort von" in de
    # long words may break: nothing forces a phone to scroll sideways
    assert "overflow-wrap:anywhere" in html
