"""Suppression of CSV rows by the invitations already stored: only queued,
sending and sent ones suppress; cancelled and skipped ones do not."""

BU_PATH = "/v1/private/business-units/%s"


def create(shop, email, ref, when=None):
    svc = {"preferredSendTime": when} if when else {}
    r = shop.private("POST", (BU_PATH + "/email-invitations") % shop.id,
                     json={"consumerEmail": email, "consumerName": "Ann",
                           "referenceNumber": ref,
                           "serviceReviewInvitation": svc},
                     headers={"Prefer": "return=representation"})
    assert r.status_code == 201, r.text
    return r.json()


def upload(shop, text):
    r = shop.private("POST", (BU_PATH + "/invitations/csv") % shop.id,
                     data=text.encode(),
                     headers={"Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    return r.json()


def test_cancelled_and_skipped_invitations_do_not_suppress(business):
    shop = business
    later = "2099-01-01T10:00:00"
    assert create(shop, "ann@example.com", "A-1", later)["status"] == \
        "queued"
    # the same address again within the repeat period: stored as skipped
    skipped = create(shop, "ann@example.com", "A-2", later)
    assert skipped["status"] == "skipped"
    # still queued: both its reference and its address suppress a row
    body = upload(shop, "email,name,reference\n"
                  "bob@example.com,Bob,A-1\n"
                  "ANN@example.com,Ann,A-9\n")
    assert body["created"] == 0 and body["skipped"] == 2
    assert [r["reason"] for r in body["rows"]] == [
        "this reference number was already invited",
        "the address was invited within the repeat period"]
    r = shop.private("POST", (BU_PATH + "/invitations/cancel-queued")
                     % shop.id)
    assert r.status_code == 200 and r.json() == {"cancelled": 1}
    # cancelled A-1 and skipped A-2 suppress neither reference nor address
    body = upload(shop, "email,name,reference\n"
                  "ann@example.com,Ann,A-1\n"
                  "cid@example.com,Cid,A-2\n")
    assert body["created"] == 2 and body["skipped"] == 0, body
