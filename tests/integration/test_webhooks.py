"""Webhook subscriptions and signed delivery (Standard Webhooks 1.0)."""
import base64
import hashlib
import hmac
import json

import pytest

from conftest import Business, assert_error, wait_for


def verify_standard_webhooks(secret, headers, body):
    """An independent verifier of the Standard Webhooks 1.0 signature."""
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_"):])
    msg_id = headers["webhook-id"]
    ts = headers["webhook-timestamp"]
    signed = ("%s.%s.%s" % (msg_id, ts, body.decode())).encode()
    expected = base64.b64encode(
        hmac.new(key, signed, hashlib.sha256).digest()).decode()
    signatures = [s.split(",", 1)[1] for s in
                  headers["webhook-signature"].split(" ")
                  if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, s) for s in signatures)


@pytest.fixture
def hooks(make_daemon):
    d = make_daemon({"webhooks": {"allow_private_targets": "true"},
                     "links": {"master_key":
                               "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3c="}})
    return Business(d, "hooks.example.com")


def subscribe(business, url, events=("service-review-created",)):
    r = business.private("POST", "/v1/private/business-units/%s/webhooks"
                         % business.id, json={"url": url,
                                              "events": list(events)})
    assert r.status_code == 201, r.text
    return r.json()


def send_test(business, sub_id):
    r = business.private("POST", "/v1/private/business-units/%s/webhooks/"
                         "%s/test" % (business.id, sub_id))
    assert r.status_code == 202, r.text
    return r.json()["eventId"]


def outbox(business, event_id):
    r = business.daemon.admin("GET", "/v1/admin/outbox?kind=webhook")
    return [row for row in r.json()["outbox"] if row["id"] == event_id][0]


def test_signed_delivery_verifies(hooks, receiver):
    sub = subscribe(hooks, receiver.url)
    assert sub["secret"].startswith("whsec_")
    assert len(base64.b64decode(sub["secret"][6:])) >= 24
    event_id = send_test(hooks, sub["id"])
    wait_for(lambda: receiver.count() == 1, what="the webhook")
    headers, body, _ = receiver.requests[0]
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == event_id
    assert abs(int(headers["webhook-timestamp"]) -
               int(hooks.daemon.admin("GET", "/v1/admin/clock")
                   .json()["nowMs"]) // 1000) < 60
    assert verify_standard_webhooks(sub["secret"], headers, body)
    assert not verify_standard_webhooks(sub["secret"], headers,
                                        body + b" ")
    envelope = json.loads(body)
    event = envelope["events"][0]
    assert event["eventName"] == "webhook-test"
    assert event["version"] == "1"
    assert event["eventData"]["subscriptionId"] == sub["id"]
    wait_for(lambda: outbox(hooks, event_id)["status"] == "delivered")
    r = hooks.private("GET", "/v1/private/business-units/%s/webhooks/"
                      "deliveries" % hooks.id)
    log = r.json()["deliveries"]
    assert log[0]["eventId"] == event_id and log[0]["statusCode"] == 200
    # the secret is shown once
    r = hooks.private("GET", "/v1/private/business-units/%s/webhooks"
                      % hooks.id)
    listed = r.json()["webhooks"]
    assert [w["id"] for w in listed] == [sub["id"]]
    assert "secret" not in listed[0]


def test_500_is_retried_with_growing_delays_and_same_id(hooks, receiver):
    sub = subscribe(hooks, receiver.url)
    receiver.replies = [(500, {}), (500, {}), (503, {"Retry-After": "7"}),
                        (200, {})]
    from datetime import datetime

    def at(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    def clock():
        return at(hooks.daemon.admin("GET", "/v1/admin/clock").json()["now"])
    # each delay is bounded from both sides, whatever the machine's lag:
    # the attempt came after `before` and was scheduled before `after`
    before = clock()
    event_id = send_test(hooks, sub["id"])
    bounds = []
    for attempt in range(1, 4):
        wait_for(lambda: receiver.count() == attempt,
                 what="attempt %d" % attempt)
        row = wait_for(lambda: (lambda r: r["status"] == "pending" and
                                r["attempts"] == attempt and r)(
            outbox(hooks, event_id)), what="the retry to be scheduled")
        after, nxt = clock(), at(row["nextAttemptAt"])
        bounds.append(((nxt - after).total_seconds(),
                       (nxt - before).total_seconds()))
        # jump to just past the next attempt, which cannot come earlier
        hooks.daemon.admin("POST", "/v1/admin/clock",
                           json={"now": row["nextAttemptAt"]})
        hooks.daemon.advance_clock(1)
        before = nxt
    wait_for(lambda: receiver.count() == 4, what="the fourth attempt")
    wait_for(lambda: outbox(hooks, event_id)["status"] == "delivered")
    ids = {dict((k.lower(), v) for k, v in h.items())["webhook-id"]
           for h, _, _ in receiver.requests}
    assert ids == {event_id}
    for h, body, _ in receiver.requests:
        h = {k.lower(): v for k, v in h.items()}
        assert verify_standard_webhooks(sub["secret"], h, body)

    (lo1, hi1), (lo2, hi2), (lo3, hi3) = bounds
    assert hi1 >= 5 and lo1 <= 10.5     # the first delay, with jitter
    assert hi2 > lo1                    # exponential
    assert hi3 >= 6 and lo3 <= 7.5      # Retry-After honoured


def test_410_disables_and_dead_rows_can_be_replayed(hooks, receiver):
    sub = subscribe(hooks, receiver.url)
    receiver.replies = [(410, {})]
    event_id = send_test(hooks, sub["id"])
    row = wait_for(lambda: (lambda r: r["status"] == "dead" and r)(
        outbox(hooks, event_id)), what="the row to die")
    assert "410" in row["lastError"]
    r = hooks.private("GET", "/v1/private/business-units/%s/webhooks"
                      % hooks.id)
    listed = r.json()["webhooks"][0]
    assert listed["status"] == "disabled" and "410" in \
        listed["disabledReason"]

    # a dead row (receiver gone for longer than give_up_after) is replayable
    sub2 = subscribe(hooks, receiver.url.replace("/hook", "/other"))
    receiver.replies = [(500, {})] * 50
    event2 = send_test(hooks, sub2["id"])
    wait_for(lambda: receiver.count() >= 2)
    for _ in range(60):
        # settled: not leased, so its next attempt time is final
        row = wait_for(lambda: (lambda r: r["status"] != "delivering" and
                                r)(outbox(hooks, event2)))
        if row["status"] == "dead":
            break
        hooks.daemon.advance_clock(3 * 3600)
        wait_for(lambda: outbox(hooks, event2)["attempts"] >
                 row["attempts"] or outbox(hooks, event2)["status"] ==
                 "dead", what="another attempt")
    assert outbox(hooks, event2)["status"] == "dead"
    receiver.replies = []
    before = receiver.count()
    r = hooks.daemon.admin("POST", "/v1/admin/outbox/%s/retry" % event2)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    wait_for(lambda: outbox(hooks, event2)["status"] == "delivered")
    h = {k.lower(): v for k, v in receiver.requests[-1][0].items()}
    assert h["webhook-id"] == event2 and receiver.count() == before + 1


def test_private_target_refused_while_switch_off(business):
    for url in ("http://127.0.0.1:9/hook", "http://10.1.2.3/x",
                "http://169.254.169.254/latest/meta-data",
                "http://[::1]:8080/", "http://localhost/x"):
        r = business.private("POST", "/v1/private/business-units/%s/webhooks"
                             % business.id, json={
                                 "url": url,
                                 "events": ["service-review-created"]})
        assert_error(r, 400, "url")
    r = business.private("GET", "/v1/private/business-units/%s/webhooks"
                         % business.id)
    assert r.json()["webhooks"] == []


def test_subscription_bad_input(hooks, receiver):
    path = "/v1/private/business-units/%s/webhooks" % hooks.id
    cases = [
        ({"events": ["service-review-created"]}, "url"),
        ({"url": "ftp://x.example.com/", "events":
          ["service-review-created"]}, "url"),
        ({"url": receiver.url}, "events"),
        ({"url": receiver.url, "events": []}, "events"),
        ({"url": receiver.url, "events": ["no-such-event"]}, "events"),
        ({"url": receiver.url, "events": ["service-review-created",
                                          "service-review-created"]},
         "events"),
        ({"url": 5, "events": ["service-review-created"]}, "url"),
        ({"url": receiver.url, "events": ["service-review-created"],
          "secret": "mine"}, "secret"),
    ]
    for body, field in cases:
        assert_error(hooks.private("POST", path, json=body), 400, field)
    assert hooks.private("GET", path).json()["webhooks"] == []
    r = hooks.private("DELETE", path + "/ffffffffffffffffffffffff")
    assert_error(r, 404)
    r = hooks.private("POST", path + "/ffffffffffffffffffffffff/test")
    assert_error(r, 404)


def test_other_business_cannot_touch_subscriptions(hooks, receiver):
    other = Business(hooks.daemon, "other-hooks.example.com")
    sub = subscribe(hooks, receiver.url)
    for method, suffix in (("GET", ""), ("POST", ""),
                           ("GET", "/deliveries"),
                           ("DELETE", "/" + sub["id"]),
                           ("POST", "/%s/test" % sub["id"])):
        r = other.private(method, "/v1/private/business-units/%s/webhooks%s"
                          % (hooks.id, suffix), json={})
        assert_error(r, 404)
    r = other.private("DELETE", "/v1/private/business-units/%s/webhooks/%s"
                      % (other.id, sub["id"]))
    assert_error(r, 404)
    r = hooks.private("DELETE", "/v1/private/business-units/%s/webhooks/%s"
                      % (hooks.id, sub["id"]))
    assert r.status_code == 200
    assert hooks.private("GET", "/v1/private/business-units/%s/webhooks"
                         % hooks.id).json()["webhooks"] == []
