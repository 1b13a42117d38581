"""CSV upload of invitations: both formats, encodings and separators, bad
rows, and 100,000 rows."""
from conftest import assert_error


def upload(shop, text, query="", headers=None, timeout=300):
    h = {"Content-Type": "text/csv"}
    h.update(headers or {})
    data = text.encode() if isinstance(text, str) else text
    return shop.private("POST", "/v1/private/business-units/%s/invitations/"
                        "csv%s" % (shop.id, query), data=data, headers=h,
                        timeout=timeout)


def invitations(shop):
    out, page = [], 1
    while True:
        r = shop.private("GET", "/v1/private/business-units/%s/invitations"
                         % shop.id, params={"perPage": 100, "page": page})
        out += r.json()["invitations"]
        if not r.json()["links"]:
            return out
        page += 1


def import_rows(shop, body, **params):
    """Every row's outcome of an import, through the paged route."""
    out, page = [], 1
    href = [l["href"] for l in body["links"] if l["rel"] == "rows"][0]
    path = href[href.index("/v1/"):]
    while True:
        r = shop.private("GET", path, params=dict(params, page=page,
                                                   perPage=2))
        assert r.status_code == 200, r.text
        out += r.json()["rows"]
        if not r.json()["links"]:
            return out
        page += 1


def test_service_format_with_bom_semicolons_and_quotes(business):
    text = ("\ufeffE-mail Address;Name;Reference Number;Tags\r\n"
            "ann@example.com;\"Ann; the first\";A-1;\"vip,web\"\r\n"
            "bo@example.com;\"Bo \"\"Bobby\"\" Larsen\";A-2;\r\n"
            "\r\n"
            "cy@example.com;Cy;A-3;web\n")
    r = upload(business, text)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["created"] == 3 and body["invalid"] == 0
    assert body["total"] == 3 and body["rows"] == []
    assert [row["status"] for row in import_rows(business, body)] == \
        ["queued"] * 3
    assert [row["line"] for row in import_rows(business, body)] == \
        [2, 3, 5]
    assert body["ignoredColumns"] == []
    got = {i["consumerEmail"]: i for i in invitations(business)}
    assert got["ann@example.com"]["consumerName"] == "Ann; the first"
    assert got["ann@example.com"]["tags"] == ["vip", "web"]
    assert got["bo@example.com"]["consumerName"] == 'Bo "Bobby" Larsen'
    assert got["cy@example.com"]["referenceNumber"] == "A-3"
    assert all(i["origin"] == "csv" for i in got.values())


def test_no_header_row_is_email_name_reference(business):
    r = upload(business, "dan@example.com,Dan,R-9\neve@example.com,Eve,R-10\n")
    assert r.status_code == 201, r.text
    got = {i["consumerEmail"]: i["referenceNumber"]
           for i in invitations(business)}
    assert got == {"dan@example.com": "R-9", "eve@example.com": "R-10"}


def test_product_format_groups_rows(business):
    path = "/v1/private/business-units/%s/products" % business.id
    text = ("email,name,reference,sku,productName,productUrl,brand\n"
            "p@example.com,Pia,P-1,SKU-1,Kettle,https://s.example/k,Acme\n"
            "p@example.com,Pia,P-1,SKU-2,Toaster,https://s.example/t,Acme\n"
            "q@example.com,Quinn,P-2,SKU-1,Kettle,,\n")
    r = upload(business, text)
    assert r.status_code == 201, r.text
    rows = import_rows(business, r.json())
    assert [row["status"] for row in rows] == ["queued", "merged", "queued"]
    assert rows[1]["invitationId"] == rows[0]["invitationId"]
    got = {i["consumerEmail"]: i for i in invitations(business)}
    assert [p["sku"] for p in got["p@example.com"]["products"]] == \
        ["SKU-1", "SKU-2"]
    assert got["p@example.com"]["serviceReviewInvitation"] is False
    assert got["q@example.com"]["products"][0]["name"] == "Kettle"
    assert business.private("GET", path).status_code == 200


def test_bad_rows_import_nothing_unless_skipped(business):
    text = ("email,name,reference,preferredSendTime\n"
            "ok@example.com,Ok,B-1,\n"
            "not-an-address,Bad,B-2,\n"
            "ok2@example.com,Ok2,B-3,someday\n"
            "\"unterminated@example.com,X,B-4\n")
    r = upload(business, text)
    body = assert_error(r, 400, "line 3: consumerEmail")
    assert body["invalid"] == 3 and body["created"] == 0
    assert body["total"] == 4 and "importId" not in body
    rows = body["rows"]         # the problem rows only
    assert [row["line"] for row in rows] == [3, 4, 5]
    assert rows[0]["errors"][0]["field"] == "consumerEmail"
    assert rows[1]["errors"][0]["field"] == \
        "serviceReviewInvitation.preferredSendTime"
    assert rows[2]["errors"][0]["field"] == "row"
    assert invitations(business) == []
    r = upload(business, text, "?skipInvalid=true")
    assert r.status_code == 201
    assert r.json()["created"] == 1 and r.json()["invalid"] == 3
    assert [row["status"] for row in import_rows(business, r.json())] == \
        ["queued", "invalid", "invalid", "invalid"]
    assert [row["line"] for row in import_rows(
        business, r.json(), status="invalid")] == [3, 4, 5]
    assert [i["consumerEmail"] for i in invitations(business)] == \
        ["ok@example.com"]


def test_csv_request_errors(business, other_business):
    r = upload(business, "email\n", headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "Content-Type")
    assert_error(upload(business, ""), 400, "body")
    assert_error(upload(business, "name,reference\nA,1\n"), 400, "header")
    assert_error(upload(business, "email\na@example.com\n",
                        "?skipInvalid=maybe"), 400, "skipInvalid")
    # Windows-1252 from a spreadsheet: named, nothing stored
    body = assert_error(upload(business, "email,name\nj@example.com,"
                               "J\xf6rg\n".encode("latin-1")), 400, "body")
    assert "UTF-8" in body["details"][0]["reason"]
    assert invitations(business) == []
    r = other_business.private("POST", "/v1/private/business-units/%s/"
                               "invitations/csv" % business.id,
                               data=b"email\na@example.com\n",
                               headers={"Content-Type": "text/csv"})
    assert_error(r, 404)


def test_hundred_thousand_rows(business):
    rows = ["email,name,reference"]
    rows += ["c%d@example.com,Customer %d,REF-%d" % (i, i, i)
             for i in range(100000)]
    r = upload(business, "\n".join(rows) + "\n")
    assert r.status_code == 201, r.text[:500]
    body = r.json()
    assert body["created"] == 100000 and body["invalid"] == 0
    assert body["total"] == 100000 and body["rows"] == []
    assert len(r.content) < 4096
    con = business.daemon.sql()
    n = con.execute("SELECT count(*) FROM invitations WHERE status = "
                    "'queued' OR status = 'sending' OR status = 'sent'"
                    ).fetchone()[0]
    con.close()
    assert n == 100000
    # the API stays responsive while they are dispatched
    r = business.private("GET", "/v1/private/business-units/%s" %
                         business.id)
    assert r.status_code == 200


def test_product_group_past_the_limit_is_skipped_not_failed(business):
    rows = ["email,name,reference,sku,productName"]
    rows += ["big@example.com,Big,G-1,SKU-%d,Item %d" % (i, i)
             for i in range(51)]
    r = upload(business, "\n".join(rows) + "\n")
    assert r.status_code == 201, r.text[:300]
    body = r.json()
    assert body["created"] == 1 and body["skipped"] == 1
    got = invitations(business)
    # the kept one may already be on its way: it was due at once
    kept = [i for i in got if i["status"] != "skipped"]
    assert len(kept) == 1 and len(kept[0]["products"]) == 50


def test_product_group_merges_across_chunks(business):
    # 12,000 service rows between the two rows of one order: they are
    # stored in different chunks (at most 10,000 rows each)
    rows = ["email,name,reference,sku,productName"]
    rows.append("far@example.com,Far,F-1,SKU-A,First")
    rows += ["s%d@example.com,S,S-%d,," % (i, i) for i in range(12000)]
    rows.append("far@example.com,Far,F-1,SKU-B,Second")
    r = upload(business, "\n".join(rows) + "\n")
    assert r.status_code == 201, r.text[:300]
    body = r.json()
    assert (body["created"], body["merged"], body["total"]) == \
        (12001, 1, 12002)
    path = [l["href"] for l in body["links"] if l["rel"] == "rows"][0]
    path = path[path.index("/v1/"):]
    merged = business.private("GET", path, params={"status": "merged"})
    assert [row["line"] for row in merged.json()["rows"]] == [12003]
    first = business.private("GET", path, params={"perPage": 1}).json()
    assert merged.json()["rows"][0]["invitationId"] == \
        first["rows"][0]["invitationId"]
    r = business.private("GET", "/v1/private/invitations/%s"
                         % first["rows"][0]["invitationId"])
    assert [p["sku"] for p in r.json()["products"]] == ["SKU-A", "SKU-B"]
