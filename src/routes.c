/*
 * routes: the daemon's route table, the one place that knows every
 * handler. Constant; main.c hands it to the server.
 */
#include <stddef.h>

#include "reviewd/afs.h"
#include "reviewd/audit.h"
#include "reviewd/auth.h"
#include "reviewd/auth_tokens.h"
#include "reviewd/business.h"
#include "reviewd/business_units.h"
#include "reviewd/consumers.h"
#include "reviewd/erasure.h"
#include "reviewd/findreviewer.h"
#include "reviewd/health.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_csv.h"
#include "reviewd/invitations_history.h"
#include "reviewd/invitations_templates.h"
#include "reviewd/invitations_upload.h"
#include "reviewd/links.h"
#include "reviewd/metrics.h"
#include "reviewd/oauth_authorize.h"
#include "reviewd/outbox.h"
#include "reviewd/outbox_mail.h"
#include "reviewd/pages.h"
#include "reviewd/pages_review_edit.h"
#include "reviewd/pages_review_link.h"
#include "reviewd/products.h"
#include "reviewd/reports.h"
#include "reviewd/reviews.h"
#include "reviewd/reviews_products.h"
#include "reviewd/routes.h"
#include "reviewd/webhooks.h"

#define OAUTH	"/v1/oauth/oauth-business-users-for-applications"
#define BU	"/v1/private/business-units/{businessUnitId}"
#define REVIEW	"/v1/private/reviews/{reviewId}"

const struct route routes_table[] = {
	{ "GET", "/healthz", ROUTE_AUTH_NONE, health_live, ROUTE_UNLIMITED },
	{ "GET", "/readyz", ROUTE_AUTH_NONE, health_ready,
	    ROUTE_UNLIMITED },
	{ "GET", "/metrics", ROUTE_AUTH_ADMIN, metrics_get, 0 },
	{ "POST", OAUTH "/accesstoken", ROUTE_AUTH_NONE, auth_token,
	    ROUTE_NO_STORE | ROUTE_SOLO },
	{ "POST", OAUTH "/refresh", ROUTE_AUTH_NONE, auth_refresh,
	    ROUTE_NO_STORE | ROUTE_SOLO },
	{ "POST", OAUTH "/revoke", ROUTE_AUTH_NONE, auth_revoke,
	    ROUTE_NO_STORE | ROUTE_SOLO },
	{ "GET", "/v1/business-units/find", ROUTE_AUTH_APIKEY,
	    business_find, 0 },
	/* issue 14 section 6; search and all before the {businessUnitId}
	 * route, which would take them for an id */
	{ "GET", "/v1/business-units/search", ROUTE_AUTH_APIKEY,
	    business_units_search, 0 },
	{ "GET", "/v1/business-units/all", ROUTE_AUTH_APIKEY,
	    business_units_all, 0 },
	{ "GET", "/v1/business-units/{businessUnitId}/web-links",
	    ROUTE_AUTH_APIKEY, business_units_web_links, 0 },
	{ "GET", "/v1/business-units/{businessUnitId}/profileinfo",
	    ROUTE_AUTH_APIKEY, business_units_profile_info, 0 },
	{ "GET", "/v1/reviews/latest", ROUTE_AUTH_APIKEY,
	    business_units_latest_reviews, 0 },
	{ "GET", "/v1/business-units/{businessUnitId}", ROUTE_AUTH_APIKEY,
	    business_get_public, 0 },
	{ "GET", "/v1/business-units/{businessUnitId}/reviews",
	    ROUTE_AUTH_APIKEY, reviews_list_public, 0 },
	{ "GET", "/v1/reviews/{reviewId}", ROUTE_AUTH_APIKEY,
	    reviews_get_public, 0 },
	{ "GET", "/v1/product-reviews/business-units/{businessUnitId}/reviews",
	    ROUTE_AUTH_APIKEY, reviews_list_product_public, 0 },
	{ "GET", BU "/reviews", ROUTE_AUTH_BEARER, reviews_list_private, 0 },
	{ "GET", REVIEW, ROUTE_AUTH_BEARER, reviews_get_private, 0 },
	{ "GET", "/v1/private/product-reviews/business-units/"
	    "{businessUnitId}/reviews", ROUTE_AUTH_BEARER,
	    reviews_list_product_private, 0 },
	{ "GET", "/v1/private/product-reviews/{reviewId}", ROUTE_AUTH_BEARER,
	    reviews_get_product_private, 0 },
	{ "GET", REVIEW "/tags", ROUTE_AUTH_BEARER, reviews_tags_get, 0 },
	{ "POST", REVIEW "/tags", ROUTE_AUTH_BEARER, reviews_tags_replace, 0 },
	{ "PUT", REVIEW "/tags", ROUTE_AUTH_BEARER, reviews_tags_append, 0 },
	{ "DELETE", REVIEW "/tags", ROUTE_AUTH_BEARER, reviews_tags_delete, 0 },
	{ "POST", REVIEW "/reply", ROUTE_AUTH_BEARER, reviews_reply, 0 },
	{ "DELETE", REVIEW "/reply", ROUTE_AUTH_BEARER, reviews_reply_delete,
	    0 },
	{ "POST", REVIEW "/find-reviewer", ROUTE_AUTH_BEARER,
	    findreviewer_create, 0 },
	{ "GET", REVIEW "/find-reviewer", ROUTE_AUTH_BEARER, findreviewer_get,
	    0 },
	{ "POST", REVIEW "/reports", ROUTE_AUTH_BEARER, reports_create, 0 },
	{ "GET", "/v1/admin/reports", ROUTE_AUTH_ADMIN, reports_admin_list,
	    0 },
	{ "POST", "/v1/admin/reports/{reportId}/decision", ROUTE_AUTH_ADMIN,
	    reports_decide, 0 },
	{ "GET", "/v1/admin/audit", ROUTE_AUTH_ADMIN, audit_list, 0 },
	{ "GET", "/find-reviewer/{token}", ROUTE_AUTH_NONE, pages_find_reviewer,
	    ROUTE_NO_STORE },
	{ "POST", "/find-reviewer/{token}", ROUTE_AUTH_NONE,
	    pages_find_reviewer_post, ROUTE_NO_STORE },
	{ "GET", BU "/products", ROUTE_AUTH_BEARER, products_list, 0 },
	{ "POST", BU "/products", ROUTE_AUTH_BEARER, products_upsert, 0 },
	{ "POST", BU "/email-invitations", ROUTE_AUTH_BEARER,
	    invitations_create, 0 },
	{ "POST", BU "/invitations/csv", ROUTE_AUTH_BEARER, invitations_csv,
	    ROUTE_UPLOAD },
	{ "GET", BU "/invitation-imports/{importId}", ROUTE_AUTH_BEARER,
	    invitations_import_get, 0 },
	{ "GET", BU "/invitation-imports/{importId}/rows", ROUTE_AUTH_BEARER,
	    invitations_import_rows, 0 },
	{ "POST", BU "/invitations/cancel-queued", ROUTE_AUTH_BEARER,
	    invitations_cancel_queued, 0 },
	{ "GET", BU "/invitations", ROUTE_AUTH_BEARER, invitations_list,
	    0 },
	{ "POST", BU "/invitation-data/delete", ROUTE_AUTH_BEARER,
	    erasure_data_delete, 0 },
	{ "GET", BU "/templates", ROUTE_AUTH_BEARER,
	    invitations_templates_list, 0 },
	{ "POST", BU "/templates", ROUTE_AUTH_BEARER,
	    invitations_template_write, 0 },
	{ "PUT", BU "/templates/{templateId}", ROUTE_AUTH_BEARER,
	    invitations_template_write, 0 },
	{ "GET", "/v1/private/invitations/{invitationId}", ROUTE_AUTH_BEARER,
	    invitations_get, 0 },
	{ "PATCH", "/v1/private/invitations/{invitationId}", ROUTE_AUTH_BEARER,
	    invitations_patch, 0 },
	{ "DELETE", "/v1/private/invitations/{invitationId}",
	    ROUTE_AUTH_BEARER, invitations_delete, 0 },
	{ "GET", BU "/afs", ROUTE_AUTH_BEARER, afs_get, 0 },
	{ "PATCH", BU "/afs", ROUTE_AUTH_BEARER, afs_patch, 0 },
	{ "POST", BU "/afs/rotate", ROUTE_AUTH_BEARER, afs_rotate, 0 },
	{ "POST", "/v1/inbound/afs", ROUTE_AUTH_NONE, afs_inbound,
	    ROUTE_MAIL | ROUTE_HEAD_CHECK },
	{ "POST", BU "/link-keys", ROUTE_AUTH_BEARER, links_keys_create,
	    0 },
	{ "PUT", BU "/link-keys", ROUTE_AUTH_BEARER, links_keys_import, 0 },
	{ "GET", BU "/link-keys", ROUTE_AUTH_BEARER, links_keys_status, 0 },
	{ "POST", BU "/links/test", ROUTE_AUTH_BEARER, links_test, 0 },
	{ "POST", BU "/invitation-links", ROUTE_AUTH_BEARER,
	    links_invitation_link, 0 },
	{ "GET", "/evaluate-bgl/{businessDomain}", ROUTE_AUTH_NONE,
	    links_evaluate_bgl, ROUTE_NO_STORE },
	{ "GET", "/evaluate/{businessDomain}", ROUTE_AUTH_NONE,
	    links_evaluate_unique, ROUTE_NO_STORE },
	{ "GET", "/evaluate-link/{token}", ROUTE_AUTH_NONE, pages_invitation,
	    ROUTE_NO_STORE },
	{ "POST", "/evaluate-link/{token}", ROUTE_AUTH_NONE,
	    pages_invitation_post, ROUTE_NO_STORE },
	{ "GET", "/unsubscribe/{token}", ROUTE_AUTH_NONE, pages_unsubscribe,
	    ROUTE_NO_STORE },
	{ "POST", "/unsubscribe/{token}", ROUTE_AUTH_NONE,
	    pages_unsubscribe, ROUTE_NO_STORE },
	{ "GET", "/b/{businessDomain}", ROUTE_AUTH_NONE, pages_profile, 0 },
	/* issue 15: the profile's addresses that name no page */
	{ "GET", "/b/", ROUTE_AUTH_NONE, pages_profile_index, 0 },
	{ "GET", "/b/{businessDomain}/", ROUTE_AUTH_NONE, pages_profile_slash,
	    0 },
	/* issue 15: the link to a review that e-mails carry */
	{ "GET", "/r/{reviewId}", ROUTE_AUTH_NONE, pages_review_link, 0 },
	{ "GET", "/review/confirm/{token}", ROUTE_AUTH_NONE,
	    pages_review_confirm, ROUTE_NO_STORE },
	{ "POST", "/review/confirm/{token}", ROUTE_AUTH_NONE,
	    pages_review_confirm, ROUTE_NO_STORE },
	/* issue 14 section 5: the reviewer's own review, consumers */
	{ "GET", "/review/edit/{token}", ROUTE_AUTH_NONE, pages_review_edit,
	    ROUTE_NO_STORE },
	{ "POST", "/review/edit/{token}", ROUTE_AUTH_NONE,
	    pages_review_edit_post, ROUTE_NO_STORE },
	{ "GET", "/review/edit-link/{businessDomain}", ROUTE_AUTH_NONE,
	    pages_review_edit_link, 0 },
	{ "POST", "/review/edit-link/{businessDomain}", ROUTE_AUTH_NONE,
	    pages_review_edit_link_post, ROUTE_NO_STORE },
	{ "GET", "/v1/consumers/{consumerId}", ROUTE_AUTH_APIKEY,
	    consumers_get, 0 },
	{ "GET", "/v1/consumers/{consumerId}/reviews", ROUTE_AUTH_APIKEY,
	    consumers_reviews, 0 },
	{ "GET", "/review/{businessDomain}", ROUTE_AUTH_NONE,
	    pages_review_form, 0 },
	{ "POST", "/review/{businessDomain}", ROUTE_AUTH_NONE,
	    pages_review_post, ROUTE_NO_STORE },
	{ "GET", "/v1/private/business-units", ROUTE_AUTH_BEARER,
	    business_list_private, 0 },
	{ "GET", "/v1/private/business-units/{businessUnitId}",
	    ROUTE_AUTH_BEARER, business_get_private, 0 },
	{ "PATCH", "/v1/private/business-units/{businessUnitId}",
	    ROUTE_AUTH_BEARER, business_patch, 0 },
	{ "GET", BU "/webhooks/deliveries", ROUTE_AUTH_BEARER,
	    webhooks_deliveries, 0 },
	{ "GET", BU "/webhooks", ROUTE_AUTH_BEARER, webhooks_list, 0 },
	{ "POST", BU "/webhooks", ROUTE_AUTH_BEARER, webhooks_create, 0 },
	{ "DELETE", BU "/webhooks/{subscriptionId}", ROUTE_AUTH_BEARER,
	    webhooks_delete, 0 },
	{ "POST", BU "/webhooks/{subscriptionId}/test", ROUTE_AUTH_BEARER,
	    webhooks_test, 0 },
	{ "GET", "/v1/admin/outbox", ROUTE_AUTH_ADMIN, outbox_admin_list, 0 },
	{ "POST", "/v1/admin/outbox/{outboxId}/retry", ROUTE_AUTH_ADMIN,
	    outbox_admin_retry, 0 },
	{ "POST", "/v1/admin/mail/test", ROUTE_AUTH_ADMIN,
	    outbox_admin_mail_test, 0 },
	{ "GET", "/v1/admin/business-units", ROUTE_AUTH_ADMIN,
	    business_admin_list, 0 },
	{ "POST", "/v1/admin/business-units", ROUTE_AUTH_ADMIN,
	    business_admin_create, 0 },
	/* issue 14: product review summaries and conversations */
	{ "GET", "/v1/product-reviews/business-units/{businessUnitId}",
	    ROUTE_AUTH_APIKEY, reviews_products_summary, 0 },
	/* a read: not for the writer (ROUTE_SOLO) */
	{ "POST", "/v1/product-reviews/business-units/{businessUnitId}/"
	    "batch-summaries", ROUTE_AUTH_APIKEY,
	    reviews_products_batch_summaries, ROUTE_SOLO },
	{ "GET", "/v1/private/product-reviews/business-units/"
	    "{businessUnitId}/summaries", ROUTE_AUTH_BEARER,
	    reviews_products_summaries_private, 0 },
	{ "POST", "/v1/private/product-reviews/{reviewId}/create-conversation",
	    ROUTE_AUTH_BEARER, reviews_products_conversation_create, 0 },
	{ "GET", "/v1/private/conversations/{conversationId}",
	    ROUTE_AUTH_BEARER, reviews_products_conversation_get, 0 },
	{ "POST", "/v1/private/conversations/{conversationId}/comments",
	    ROUTE_AUTH_BEARER, reviews_products_comment_create, 0 },
	{ "GET", "/v1/admin/clock", ROUTE_AUTH_ADMIN, health_clock_get, 0 },
	{ "POST", "/v1/admin/clock", ROUTE_AUTH_ADMIN, health_clock_set, 0 },
	/* authorization-code OAuth for third-party applications */
	{ "GET", "/oauth/authorize", ROUTE_AUTH_NONE, oauth_authorize_page,
	    ROUTE_NO_STORE },
	{ "POST", "/oauth/authorize", ROUTE_AUTH_NONE, oauth_authorize_post,
	    ROUTE_NO_STORE | ROUTE_SOLO },
	{ "GET", "/v1/private/authorized-applications", ROUTE_AUTH_BEARER,
	    oauth_consents_list, 0 },
	{ "DELETE", "/v1/private/authorized-applications/{applicationId}",
	    ROUTE_AUTH_BEARER, oauth_consents_revoke, 0 },
	{ "POST", "/v1/admin/business-units/{businessUnitId}/apps",
	    ROUTE_AUTH_ADMIN, oauth_admin_app_create, 0 },
};

const size_t routes_count =
    sizeof(routes_table) / sizeof(routes_table[0]);
