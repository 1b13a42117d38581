"""Issue 14 section 5: a business reply is its own webhook event, never a
review update; the name that replies had before keeps working."""
import json
import shutil
import sqlite3

import pytest

from conftest import (ROOT, Business, assert_error, run_cli, wait_for,
                      write_ini)
from reviewkit import publish
from test_review_replies import events

DOMAIN = "hooks.example.com"
HOOKS = "/v1/private/business-units/%s/webhooks"


@pytest.fixture
def shop(make_daemon):
    d = make_daemon({"webhooks": {"allow_private_targets": "true"},
                     "links": {"master_key":
                               "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3c="}})
    return Business(d, DOMAIN)


def names(receiver, secret):
    return [e["eventName"] for e in events(receiver, secret)]


def test_product_reply_events(shop, receiver):
    d = shop.daemon
    r = shop.private("POST", HOOKS % shop.id, json={
        "url": receiver.url, "events": [
            "product-review-created", "product-review-updated",
            "product-review-reply-created", "product-review-reply-updated",
            "product-review-reply-deleted", "service-review-reply-created",
            "service-review-updated"]})
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    r = shop.private("POST", "/v1/private/business-units/%s/products"
                     % shop.id, json={"products": [{"sku": "K-1",
                                                    "title": "Kettle"}]})
    assert r.status_code == 200, r.text
    rid = publish(d, DOMAIN, "kettle@example.com", sku="K-1")
    path = "/v1/private/reviews/%s/reply" % rid
    assert shop.private("POST", path, json={"message": "a"}).status_code \
        == 201
    assert shop.private("POST", path, json={"message": "b"}).status_code \
        == 200
    assert shop.private("DELETE", path).status_code == 200
    want = ["product-review-created", "product-review-reply-created",
            "product-review-reply-updated", "product-review-reply-deleted"]
    wait_for(lambda: len(names(receiver, secret)) >= len(want))
    d.wait_outbox_idle()
    assert sorted(names(receiver, secret)) == sorted(want)


def test_event_names_are_validated(shop):
    path = HOOKS % shop.id
    url = "http://127.0.0.1:9/hook"
    # the name replies had before reads as the two that replaced it
    r = shop.private("POST", path, json={"url": url, "events": [
        "service-review-created", "review-reply-created"]})
    assert r.status_code == 201, r.text
    assert r.json()["events"] == ["service-review-created",
                                  "service-review-reply-created",
                                  "product-review-reply-created"]
    r = shop.private("POST", path, json={"url": url, "events": [
        "product-review-reply-created", "review-reply-created"]})
    assert r.status_code == 201, r.text
    assert sorted(r.json()["events"]) == ["product-review-reply-created",
                                          "service-review-reply-created"]
    listed = shop.private("GET", path).json()["webhooks"]
    assert len(listed) == 2
    assert all("review-reply-created" not in s["events"] for s in listed)
    for events in (["service-review-reply-removed"], ["review-updated"],
                   ["service-review-reply-created",
                    "service-review-reply-created"], [], "x"):
        before = shop.private("GET", path).text
        assert_error(shop.private("POST", path, json={
            "url": url, "events": events}), 400, "events")
        assert shop.private("GET", path).text == before


def test_migration_renames_stored_subscriptions(tmp_path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for p in sorted((ROOT / "migrations").glob("*.sql")):
        if p.name < "0021":
            shutil.copy(p, migrations / p.name)
    # the test's stored secrets are not real ones: no key to seal them
    cfg = write_ini(tmp_path / "r.ini", {"database": {
        "path": str(tmp_path / "r.db"), "migrations": str(migrations)},
        "links": {"generate_master_key": "false"}})
    assert run_cli(cfg, "migrate").returncode == 0
    con = sqlite3.connect(tmp_path / "r.db")
    con.execute("INSERT INTO business_units (id, display_name, domain, "
                "website_url, created_at, updated_at) VALUES "
                "('bu', 'Shop', 'shop.example.com', 'https://x', 1, 1)")
    for sid, events in [("s1", ["service-review-created",
                                "review-reply-created"]),
                        ("s2", ["service-review-updated"])]:
        con.execute("INSERT INTO webhook_subscriptions (id, "
                    "business_unit_id, url, events, secret, created_at) "
                    "VALUES (?, 'bu', 'https://h', ?, 'whsec_x', 1)",
                    (sid, json.dumps(events)))
    con.commit()
    for p in sorted((ROOT / "migrations").glob("0021_*.sql")):
        shutil.copy(p, migrations / p.name)
    proc = run_cli(cfg, "migrate")
    assert proc.returncode == 0, proc.stderr
    got = dict(con.execute("SELECT id, events FROM webhook_subscriptions"))
    assert json.loads(got["s1"]) == ["service-review-created",
                                     "service-review-reply-created",
                                     "product-review-reply-created"]
    assert json.loads(got["s2"]) == ["service-review-updated"]
    con.close()
