"""The filters of the invitation history and of an import's rows: a
status outside the fixed set is a 400 that names the parameter and lists
the values; another unit's import is a 404."""
from conftest import assert_error
from test_invitation_csv import import_rows, upload


def reasons(body, field):
    return [d["reason"] for d in body["details"] if d["field"] == field]


def test_history_status_filter(business):
    path = "/v1/private/business-units/%s/invitations" % business.id
    # due in the future: the scheduler leaves it queued
    r = upload(business, "email,name,reference,preferredSendTime\n"
               "ann@example.com,Ann,R-1,2099-01-01T00:00:00\n")
    assert r.status_code == 201, r.text
    r = business.private("GET", path, params={"status": "queued"})
    assert r.status_code == 200, r.text
    assert [i["consumerEmail"] for i in r.json()["invitations"]] == \
        ["ann@example.com"]
    r = business.private("GET", path, params={"status": "sent"})
    assert r.status_code == 200 and r.json()["invitations"] == []
    body = assert_error(business.private("GET", path,
                                         params={"status": "lost"}),
                        400, "status")
    assert reasons(body, "status") == \
        ["must be queued, sending, sent, cancelled or skipped"]
    # every bad parameter is named at once
    body = assert_error(business.private("GET", path, params={
        "status": "lost", "perPage": "0", "createdAfter": "soon"}), 400)
    assert {"status", "perPage", "createdAfter"} <= \
        {d["field"] for d in body["details"]}


def test_import_rows_status_filter(business, other_business):
    r = upload(business, "ann@example.com,Ann,R-1\nnot-an-address,Bo,R-2\n",
               "?skipInvalid=true")
    assert r.status_code == 201, r.text
    body = r.json()
    assert [row["line"] for row in import_rows(business, body,
                                                status="invalid")] == [2]
    assert [row["line"] for row in import_rows(business, body,
                                                status="queued")] == [1]
    href = [l["href"] for l in body["links"] if l["rel"] == "rows"][0]
    path = href[href.index("/v1/"):]
    err = assert_error(business.private("GET", path,
                                        params={"status": "lost"}),
                       400, "status")
    assert reasons(err, "status") == \
        ["must be queued, skipped, merged or invalid"]
    other = path.replace(business.id, other_business.id)
    assert_error(other_business.private("GET", other), 404)
