"""What the faster invitation writes must keep (issue 13, goals 3 and 5):
the daily quota counted exactly while its count is kept between requests
(rolling window, CSV and API together), a large CSV file counted exactly
with its duplicates suppressed, and unsubscribed addresses skipped in a
file although most units have none."""
import re

from conftest import Business, assert_error, wait_for
from test_invitations import BU_PATH, create, inv
from test_security_mail import UNSUB, parts, sent_to


def upload(shop, text, query=""):
    r = shop.private("POST", (BU_PATH + "/invitations/csv") % shop.id +
                     query, data=text.encode(),
                     headers={"Content-Type": "text/csv"}, timeout=300)
    return r


def created_in_window(r):
    """The count a 429 names ("created N in the last 24 hours")."""
    body = assert_error(r, 429)
    m = re.search(r"created (\d+) in the last 24 hours", body["message"])
    assert m, body
    return int(m.group(1))


def used(shop):
    r = shop.private("GET", (BU_PATH + "/invitations") % shop.id)
    assert r.status_code == 200, r.text
    return r.json()["dailyQuota"]["used"]


def test_quota_window_rolls_between_requests(make_daemon):
    """Invitations leave the 24 hours one by one: the count kept from the
    last request loses exactly those that aged out since."""
    d = make_daemon({"invitations": {"daily_limit_per_unit": "5"}})
    shop = Business(d, "roll.example.com")
    for i in range(3):
        assert create(shop, inv(email="a%d@example.com" % i,
                                ref="A-%d" % i)).status_code == 201
    d.advance_clock(12 * 3600)
    shop.renew()
    for i in range(2):
        assert create(shop, inv(email="b%d@example.com" % i,
                                ref="B-%d" % i)).status_code == 201
    assert created_in_window(create(shop, inv(email="x@example.com",
                                              ref="X-1"))) == 5
    # the first three leave the window; the last two stay
    d.advance_clock(12 * 3600 + 1)
    shop.renew()
    assert used(shop) == 2
    for i in range(3):
        assert create(shop, inv(email="c%d@example.com" % i,
                                ref="C-%d" % i)).status_code == 201
    assert created_in_window(create(shop, inv(email="y@example.com",
                                              ref="Y-1"))) == 5
    assert used(shop) == 5


def test_quota_counts_csv_and_api_together(make_daemon):
    d = make_daemon({"invitations": {"daily_limit_per_unit": "8"}})
    shop = Business(d, "mixed.example.com")
    other = Business(d, "mixed-other.example.com")
    r = upload(shop, "email,name,reference\n" + "".join(
        "f%d@example.com,F,F-%d\n" % (i, i) for i in range(5)))
    assert r.status_code == 201 and r.json()["created"] == 5, r.text
    # another unit's invitations in between count for that unit only
    assert create(other, inv(email="o@example.com", ref="O-1")
                  ).status_code == 201
    for i in range(3):
        assert create(shop, inv(email="g%d@example.com" % i,
                                ref="G-%d" % i)).status_code == 201
    assert created_in_window(create(shop, inv(email="h@example.com",
                                              ref="H-1"))) == 8
    assert created_in_window(upload(shop, "email\nlast@example.com\n")) \
        == 8
    # a batch that fails at storing leaves nothing, and the count is
    # still right after it
    r = create(other, {"invitations": [
        inv(email="p1@example.com", ref="P-1"),
        {"consumerEmail": "p2@example.com", "consumerName": "P",
         "referenceNumber": "P-2", "productReviewInvitation": {
             "productSkus": ["NOT-IN-CATALOGUE"]}}]})
    assert_error(r, 400)
    assert used(other) == 1
    for i in range(7):
        assert create(other, inv(email="q%d@example.com" % i,
                                 ref="Q-%d" % i)).status_code == 201
    assert created_in_window(create(other, inv(email="r@example.com",
                                               ref="R-1"))) == 8


def test_twenty_thousand_rows_counted_exactly(make_daemon):
    """20,000 rows (several chunks) with repeated references and
    addresses, a product order split far apart and one bad row: every
    row has its outcome, every stored invitation its event."""
    d = make_daemon({})
    shop = Business(d, "many.example.com")
    rows = ["email,name,reference,sku,productName"]
    rows.append("order@example.com,Order,O-1,SKU-A,First")
    rows += ["m%d@example.com,M %d,M-%d,," % (i, i, i)
             for i in range(20000)]
    # the same references again, other addresses: skipped
    rows += ["again%d@example.com,Again,M-%d,," % (i, i) for i in range(30)]
    # the same addresses again, no reference: skipped (repeat period)
    rows += ["M%d@example.com,Upper,,," % i for i in range(20)]
    rows.append("order@example.com,Order,O-1,SKU-B,Second")
    rows.append("not-an-address,Bad,BAD-1,,")
    r = upload(shop, "\n".join(rows) + "\n", "?skipInvalid=true")
    assert r.status_code == 201, r.text[:500]
    body = r.json()
    assert (body["total"], body["created"], body["skipped"],
            body["merged"], body["invalid"]) == (20053, 20001, 50, 1, 1)
    con = d.sql()
    try:
        kinds = dict(con.execute(
            "SELECT status = 'skipped', count(*) FROM invitations WHERE "
            "business_unit_id = ? AND origin = 'csv' GROUP BY 1",
            (shop.id,)).fetchall())
        assert kinds == {0: 20001, 1: 50}, kinds
        assert con.execute(
            "SELECT count(*) FROM invitation_events e JOIN invitations i "
            "ON i.id = e.invitation_id WHERE i.business_unit_id = ? AND "
            "e.kind = 'created'", (shop.id,)).fetchone()[0] == 20051
        outcomes = dict(con.execute(
            "SELECT status, count(*) FROM invitation_import_rows WHERE "
            "import_id = ? GROUP BY status", (body["importId"],)))
        assert outcomes == {"queued": 20001, "skipped": 50, "merged": 1,
                            "invalid": 1}, outcomes
        products = con.execute(
            "SELECT products FROM invitations WHERE business_unit_id = ? "
            "AND reference_number = 'O-1'", (shop.id,)).fetchall()
    finally:
        con.close()
    assert len(products) == 1 and '"SKU-A"' in products[0][0] and \
        '"SKU-B"' in products[0][0]
    reasons = sorted({row["reason"] for row in body["rows"]
                      if row["status"] == "skipped"})
    assert reasons == ["the address was invited within the repeat period",
                       "this reference number was already invited"]


def test_unsubscribed_address_is_skipped_in_a_file(make_daemon):
    d = make_daemon({})
    shop = Business(d, "leave.example.com")
    other = Business(d, "stay.example.com")
    r = create(shop, inv(email="leaver@example.com", ref="L-1"))
    assert r.status_code == 201, r.text
    wait_for(lambda: sent_to(d, "leaver@example.com"), what="the mail")
    text, _ = parts(sent_to(d, "leaver@example.com")[0])
    r = d.post(d.link(UNSUB, text), data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200, r.text
    d.advance_clock(40 * 86400)     # past the repeat period
    shop.renew()
    other.renew()
    text = "email,name,reference\n" + "".join(
        "k%d@example.com,K,K-%d\n" % (i, i) for i in range(300)) + \
        "Leaver@Example.com,Leaver,L-2\n"
    body = upload(shop, text).json()
    assert (body["created"], body["skipped"]) == (300, 1), body
    assert body["rows"][0]["reason"] == \
        "the address unsubscribed from this business's invitations"
    # the opt-out is the unit's only
    body = upload(other, text).json()
    assert (body["created"], body["skipped"]) == (301, 0), body


def test_default_answer_stores_without_the_representation(business):
    """Without Prefer: return=representation nothing is rendered for the
    answer (202, no body), and the invitation is stored all the same."""
    r = create(business, inv(email="quiet@example.com", ref="Q-1"),
               headers={"Prefer": "return=minimal"})
    assert r.status_code == 202 and r.content == b"", r.text
    r = business.private("GET", (BU_PATH + "/invitations") % business.id,
                         params={"perPage": 100})
    got = [i for i in r.json()["invitations"]
           if i["referenceNumber"] == "Q-1"]
    assert len(got) == 1 and got[0]["consumerEmail"] == "quiet@example.com"
    # with an Idempotency-Key the answer is kept, so a retry gets the
    # representation of what was created, not a second invitation
    body = inv(email="kept@example.com", ref="K-1")
    first = create(business, body, headers={"Idempotency-Key": "k-1"})
    again = create(business, body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
