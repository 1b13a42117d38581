"""Every private route that names a business unit, or one of its reviews
or invitations, answers 404 to another business and changes nothing."""
import pytest

from conftest import assert_error
from reviewkit import publish

UNIT_ROUTES = [
    ("GET", ""), ("PATCH", ""), ("GET", "/reviews"),
    ("GET", "/webhooks"), ("POST", "/webhooks"),
    ("GET", "/webhooks/deliveries"), ("GET", "/products"),
    ("POST", "/products"), ("POST", "/email-invitations"),
    ("POST", "/invitations/csv"), ("POST", "/invitations/cancel-queued"),
    ("GET", "/invitations"), ("POST", "/invitation-data/delete"),
    ("GET", "/templates"), ("POST", "/templates"),
    ("PUT", "/templates/ffffffffffffffffffffffff"), ("GET", "/afs"),
    ("PATCH", "/afs"), ("POST", "/afs/rotate"), ("GET", "/link-keys"),
    ("POST", "/link-keys"), ("PUT", "/link-keys"), ("POST", "/links/test"),
    ("POST", "/invitation-links"),
]


@pytest.mark.parametrize("method,suffix", UNIT_ROUTES)
def test_unit_routes(business, other_business, method, suffix):
    path = "/v1/private/business-units/%s%s" % (business.id, suffix)
    r = other_business.private(method, path, json={})
    assert_error(r, 404)


def test_review_and_invitation_routes(business, other_business):
    d = business.daemon
    review = publish(d, business.unit["name"]["identifying"],
                     "iso@example.com")
    r = business.private("POST", "/v1/private/business-units/%s/"
                         "email-invitations" % business.id, json={
                             "consumerEmail": "c@example.com",
                             "consumerName": "C", "referenceNumber": "I-1",
                             "serviceReviewInvitation": {
                                 "preferredSendTime": "2099-01-01"}},
                         headers={"Prefer": "return=representation"})
    invitation = r.json()["id"]
    for method, path, body in [
            ("GET", "/v1/private/reviews/" + review, None),
            ("GET", "/v1/private/reviews/%s/tags" % review, None),
            ("PUT", "/v1/private/reviews/%s/tags" % review,
             {"tags": [{"group": "g", "value": "v"}]}),
            ("DELETE", "/v1/private/reviews/%s/tags?group=g" % review, None),
            ("POST", "/v1/private/reviews/%s/reply" % review,
             {"message": "hi"}),
            ("DELETE", "/v1/private/reviews/%s/reply" % review, None),
            ("POST", "/v1/private/reviews/%s/find-reviewer" % review, {}),
            ("GET", "/v1/private/reviews/%s/find-reviewer" % review, None),
            ("POST", "/v1/private/reviews/%s/reports" % review,
             {"reason": "other"}),
            ("GET", "/v1/private/invitations/" + invitation, None),
            ("PATCH", "/v1/private/invitations/" + invitation,
             {"preferredSendTime": "2099-02-01"}),
            ("DELETE", "/v1/private/invitations/" + invitation, None)]:
        r = other_business.private(method, path, json=body)
        assert_error(r, 404)
    # nothing changed
    mine = business.private("GET", "/v1/private/reviews/" + review).json()
    assert mine["tags"] == [] and mine["companyReply"] is None
    assert mine["findReviewer"]["requests"] == [] and not mine["reported"]
    inv = business.private("GET", "/v1/private/invitations/" +
                           invitation).json()
    assert inv["preferredSendTime"].startswith("2099-01-01")
