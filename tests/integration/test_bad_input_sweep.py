"""Every route, fed junk: malformed and mistyped bodies, the wrong content
types, text that is not UTF-8, absurd query values. Nothing may answer 5xx
or take the daemon down, and every API refusal is the JSON error body."""
import json

from conftest import ADMIN_TOKEN, Business
from reviewkit import publish
from test_docs import routes

KEYS = [
    "message", "reason", "details", "stars", "title", "text", "name",
    "email", "tags", "skus", "sku", "language", "country", "anonymous",
    "experiencedAt", "source", "referenceId", "authorBusinessUserId",
    "consumerEmail", "consumerName", "referenceNumber", "locale",
    "serviceReviewInvitation", "productReviewInvitation", "invitations",
    "products", "url", "events", "decision", "note", "displayName",
    "websiteUrl", "notificationEmail", "senderName", "defaultLocale",
    "delayDays", "referencePattern", "encryptKey", "authKey",
    "uniqueLinkSecret", "type", "advanceSeconds", "now", "subject", "html",
    "preferredSendTime", "requestedInformation",
    "skipNotificationEmailToBusinessUser", "customerEmails",
    "deleteOlderThan", "redirectUri", "locationId", "templateId", "ref",
    "to", "id", "productSkus", "group", "value", "grant_type"]
VALUES = [None, True, -1, 10 ** 30, 1.5, "", "x" * 70000, [], {}, ["a", 1],
          {"a": [None]}, "\u0000", "\ud7ff\ue000", "2026-13-45T99:99:99Z"]
RAW_BODIES = [b"", b"{", b"[]", b"null", b"0", b"\xff\xfe\x00junk",
              b"a=%FF&b=%ZZ&stars=%00", b"email,name\n\xe9,\x00\n",
              b"From: x\r\nTo: \r\n\r\n", b"{" * 5000]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded",
                 "text/csv", "message/rfc822", None]
QUERIES = ["", "?page=-1&perPage=abc", "?perPage=100000&page=99999999999",
           "?stars=9&orderBy=x&language=%FF&startDateTime=yesterday",
           "?pageToken=c-1&responded=maybe&tagGroup=&tagValue=%00",
           "?status=%27%20OR%201=1--&kind=x&subject=" + "s" * 12000,
           "?recipient=afs-00@x&skipInvalid=maybe&sku=%C0%AF"]


def fill(path, values):
    for name, value in values.items():
        path = path.replace("{%s}" % name, value)
    return path


def test_no_route_answers_5xx_to_junk(make_daemon):
    # the junk may revoke the token of the run: new ones are fetched often
    d = make_daemon({"auth": {"token_requests_per_minute": "100000"},
                     "webhooks": {"allow_private_targets": "true"},
                     "links": {"master_key":
                               "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3c="}})
    business = Business(d, "sweep.example.com")
    domain = business.unit["name"]["identifying"]
    review = publish(d, domain, "sweep@example.com")
    bu_path = "/v1/private/business-units/" + business.id
    # real ids, so the junk gets past the lookups to the body readers
    invitation = business.private("POST", bu_path + "/email-invitations",
                                  json={"consumerEmail": "i@example.com",
                                        "consumerName": "I",
                                        "referenceNumber": "S-1",
                                        "serviceReviewInvitation": {
                                            "preferredSendTime":
                                            "2099-01-01T00:00:00Z"}},
                                  headers={"Prefer":
                                           "return=representation"})
    subscription = business.private("POST", bu_path + "/webhooks", json={
        "url": "http://127.0.0.1:9/hook", "events": ["review-reply-created"]})
    report = business.private("POST", "/v1/private/reviews/%s/reports"
                              % review, json={"reason": "other"})
    outbox = d.admin("GET", "/v1/admin/outbox").json()["outbox"]
    assert invitation.status_code == subscription.status_code == 201
    assert report.status_code == 201 and outbox
    values = {"businessUnitId": business.id, "reviewId": review,
              "businessDomain": domain, "token": "x" * 43,
              "reportId": report.json()["id"],
              "invitationId": invitation.json()["id"],
              "templateId": "default-en",
              "subscriptionId": subscription.json()["id"],
              "outboxId": outbox[0]["id"]}
    bodies = RAW_BODIES + [json.dumps({k: v for k in KEYS}).encode()
                           for v in VALUES]
    failures, statuses = [], {}
    for method, pattern in routes():
        path = fill(pattern, values)
        if pattern.startswith("/v1/admin") or pattern == "/metrics":
            auth = {"Authorization": "Bearer " + ADMIN_TOKEN}
        else:
            auth = dict(business.headers(), apikey=business.key)
        # query junk matters to the lists; bodies to the rest
        for query in (QUERIES if method == "GET" else QUERIES[:2]):
            for ctype in CONTENT_TYPES:
                for body in (bodies if method != "GET" else [None]):
                    headers = dict(auth)
                    if ctype is not None:
                        headers["Content-Type"] = ctype
                    r = d.request(method, path + query, data=body,
                                  headers=headers)
                    statuses.setdefault((method, pattern), set()).add(
                        r.status_code)
                    if r.status_code >= 500:
                        failures.append((method, path + query[:40], ctype,
                                         (body or b"")[:40], r.status_code,
                                         r.text[:120]))
                    elif (r.status_code >= 400 and pattern.startswith("/v1")
                          and "json" not in r.headers.get("Content-Type",
                                                          "")):
                        failures.append((method, path, ctype, "not JSON",
                                         r.status_code, r.text[:120]))
        # the token may have been revoked by the junk: take a new one
        business.renew()
    assert failures == []
    # the junk reached the handlers: no route was only turned away at the
    # door, or (with real ids) only answered "not found"
    door = {r: s for r, s in statuses.items() if s <= {401, 403} or (
        "{token}" not in r[1] and s <= {401, 403, 404})}
    assert door == {}
    assert d.get("/healthz").status_code == 200
