/*
 * router: the daemon's route table and the matcher. The table is constant;
 * matching is pure (no allocation) and runs on every worker thread.
 */
#include <stdio.h>
#include <string.h>

#include "reviewd/afs.h"
#include "reviewd/auth.h"
#include "reviewd/business.h"
#include "reviewd/findreviewer.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_csv.h"
#include "reviewd/links.h"
#include "reviewd/outbox.h"
#include "reviewd/pages.h"
#include "reviewd/products.h"
#include "reviewd/reports.h"
#include "reviewd/reviews.h"
#include "reviewd/router.h"
#include "reviewd/webhooks.h"

#define OAUTH	"/v1/oauth/oauth-business-users-for-applications"
#define BU	"/v1/private/business-units/{businessUnitId}"
#define REVIEW	"/v1/private/reviews/{reviewId}"

static const struct route routes[] = {
	{ "GET", "/healthz", ROUTE_AUTH_NONE, http_healthz, false },
	{ "GET", "/readyz", ROUTE_AUTH_NONE, http_readyz, false },
	{ "POST", OAUTH "/accesstoken", ROUTE_AUTH_NONE, auth_token, false },
	{ "POST", OAUTH "/refresh", ROUTE_AUTH_NONE, auth_refresh, false },
	{ "POST", OAUTH "/revoke", ROUTE_AUTH_NONE, auth_revoke, false },
	{ "GET", "/v1/business-units/find", ROUTE_AUTH_APIKEY,
	    business_find, false },
	{ "GET", "/v1/business-units/{businessUnitId}", ROUTE_AUTH_APIKEY,
	    business_get_public, false },
	{ "GET", "/v1/business-units/{businessUnitId}/reviews",
	    ROUTE_AUTH_APIKEY, reviews_list_public, false },
	{ "GET", "/v1/reviews/{reviewId}", ROUTE_AUTH_APIKEY,
	    reviews_get_public, false },
	{ "GET", "/v1/product-reviews/business-units/{businessUnitId}/reviews",
	    ROUTE_AUTH_APIKEY, reviews_list_product_public, false },
	{ "GET", BU "/reviews", ROUTE_AUTH_BEARER, reviews_list_private, false },
	{ "GET", REVIEW, ROUTE_AUTH_BEARER, reviews_get_private, false },
	{ "GET", "/v1/private/product-reviews/business-units/"
	    "{businessUnitId}/reviews", ROUTE_AUTH_BEARER,
	    reviews_list_product_private, false },
	{ "GET", "/v1/private/product-reviews/{reviewId}", ROUTE_AUTH_BEARER,
	    reviews_get_product_private, false },
	{ "GET", REVIEW "/tags", ROUTE_AUTH_BEARER, reviews_tags_get, false },
	{ "POST", REVIEW "/tags", ROUTE_AUTH_BEARER, reviews_tags_replace, false },
	{ "PUT", REVIEW "/tags", ROUTE_AUTH_BEARER, reviews_tags_append, false },
	{ "DELETE", REVIEW "/tags", ROUTE_AUTH_BEARER, reviews_tags_delete, false },
	{ "POST", REVIEW "/reply", ROUTE_AUTH_BEARER, reviews_reply, false },
	{ "DELETE", REVIEW "/reply", ROUTE_AUTH_BEARER, reviews_reply_delete,
	    false },
	{ "POST", REVIEW "/find-reviewer", ROUTE_AUTH_BEARER,
	    findreviewer_create, false },
	{ "GET", REVIEW "/find-reviewer", ROUTE_AUTH_BEARER, findreviewer_get,
	    false },
	{ "POST", REVIEW "/reports", ROUTE_AUTH_BEARER, reports_create, false },
	{ "GET", "/v1/admin/reports", ROUTE_AUTH_ADMIN, reports_admin_list,
	    false },
	{ "POST", "/v1/admin/reports/{reportId}/decision", ROUTE_AUTH_ADMIN,
	    reports_decide, false },
	{ "GET", "/v1/admin/audit", ROUTE_AUTH_ADMIN, reports_audit_list,
	    false },
	{ "GET", "/find-reviewer/{token}", ROUTE_AUTH_NONE, pages_find_reviewer,
	    false },
	{ "POST", "/find-reviewer/{token}", ROUTE_AUTH_NONE,
	    pages_find_reviewer_post, false },
	{ "GET", BU "/products", ROUTE_AUTH_BEARER, products_list, false },
	{ "POST", BU "/products", ROUTE_AUTH_BEARER, products_upsert, false },
	{ "POST", BU "/email-invitations", ROUTE_AUTH_BEARER,
	    invitations_create, false },
	{ "POST", BU "/invitations/csv", ROUTE_AUTH_BEARER, invitations_csv,
	    true },
	{ "GET", BU "/invitation-imports/{importId}", ROUTE_AUTH_BEARER,
	    invitations_import_get, false },
	{ "GET", BU "/invitation-imports/{importId}/rows", ROUTE_AUTH_BEARER,
	    invitations_import_rows, false },
	{ "POST", BU "/invitations/cancel-queued", ROUTE_AUTH_BEARER,
	    invitations_cancel_queued, false },
	{ "GET", BU "/invitations", ROUTE_AUTH_BEARER, invitations_list,
	    false },
	{ "POST", BU "/invitation-data/delete", ROUTE_AUTH_BEARER,
	    invitations_data_delete, false },
	{ "GET", BU "/templates", ROUTE_AUTH_BEARER,
	    invitations_templates_list, false },
	{ "POST", BU "/templates", ROUTE_AUTH_BEARER,
	    invitations_template_create, false },
	{ "PUT", BU "/templates/{templateId}", ROUTE_AUTH_BEARER,
	    invitations_template_update, false },
	{ "GET", "/v1/private/invitations/{invitationId}", ROUTE_AUTH_BEARER,
	    invitations_get, false },
	{ "PATCH", "/v1/private/invitations/{invitationId}", ROUTE_AUTH_BEARER,
	    invitations_patch, false },
	{ "DELETE", "/v1/private/invitations/{invitationId}",
	    ROUTE_AUTH_BEARER, invitations_delete, false },
	{ "GET", BU "/afs", ROUTE_AUTH_BEARER, afs_get, false },
	{ "PATCH", BU "/afs", ROUTE_AUTH_BEARER, afs_patch, false },
	{ "POST", BU "/afs/rotate", ROUTE_AUTH_BEARER, afs_rotate, false },
	{ "POST", "/v1/inbound/afs", ROUTE_AUTH_NONE, afs_inbound, true },
	{ "POST", BU "/link-keys", ROUTE_AUTH_BEARER, links_keys_create,
	    false },
	{ "PUT", BU "/link-keys", ROUTE_AUTH_BEARER, links_keys_import, false },
	{ "GET", BU "/link-keys", ROUTE_AUTH_BEARER, links_keys_status, false },
	{ "POST", BU "/links/test", ROUTE_AUTH_BEARER, links_test, false },
	{ "POST", BU "/invitation-links", ROUTE_AUTH_BEARER,
	    links_invitation_link, false },
	{ "GET", "/evaluate-bgl/{businessDomain}", ROUTE_AUTH_NONE,
	    links_evaluate_bgl, false },
	{ "GET", "/evaluate/{businessDomain}", ROUTE_AUTH_NONE,
	    links_evaluate_unique, false },
	{ "GET", "/evaluate-link/{token}", ROUTE_AUTH_NONE, pages_invitation,
	    false },
	{ "POST", "/evaluate-link/{token}", ROUTE_AUTH_NONE,
	    pages_invitation_post, false },
	{ "GET", "/unsubscribe/{token}", ROUTE_AUTH_NONE, pages_unsubscribe,
	    false },
	{ "POST", "/unsubscribe/{token}", ROUTE_AUTH_NONE,
	    pages_unsubscribe_post, false },
	{ "GET", "/b/{businessDomain}", ROUTE_AUTH_NONE, pages_profile, false },
	{ "GET", "/review/confirm/{token}", ROUTE_AUTH_NONE,
	    pages_review_confirm, false },
	{ "GET", "/review/{businessDomain}", ROUTE_AUTH_NONE,
	    pages_review_form, false },
	{ "POST", "/review/{businessDomain}", ROUTE_AUTH_NONE,
	    pages_review_post, false },
	{ "GET", "/v1/private/business-units", ROUTE_AUTH_BEARER,
	    business_list_private, false },
	{ "GET", "/v1/private/business-units/{businessUnitId}",
	    ROUTE_AUTH_BEARER, business_get_private, false },
	{ "PATCH", "/v1/private/business-units/{businessUnitId}",
	    ROUTE_AUTH_BEARER, business_patch, false },
	{ "GET", BU "/webhooks/deliveries", ROUTE_AUTH_BEARER,
	    webhooks_deliveries, false },
	{ "GET", BU "/webhooks", ROUTE_AUTH_BEARER, webhooks_list, false },
	{ "POST", BU "/webhooks", ROUTE_AUTH_BEARER, webhooks_create, false },
	{ "DELETE", BU "/webhooks/{subscriptionId}", ROUTE_AUTH_BEARER,
	    webhooks_delete, false },
	{ "POST", BU "/webhooks/{subscriptionId}/test", ROUTE_AUTH_BEARER,
	    webhooks_test, false },
	{ "GET", "/v1/admin/outbox", ROUTE_AUTH_ADMIN, outbox_admin_list, false },
	{ "POST", "/v1/admin/outbox/{outboxId}/retry", ROUTE_AUTH_ADMIN,
	    outbox_admin_retry, false },
	{ "POST", "/v1/admin/mail/test", ROUTE_AUTH_ADMIN,
	    outbox_admin_mail_test, false },
	{ "GET", "/v1/admin/business-units", ROUTE_AUTH_ADMIN,
	    business_admin_list, false },
	{ "POST", "/v1/admin/business-units", ROUTE_AUTH_ADMIN,
	    business_admin_create, false },
	{ "GET", "/v1/admin/clock", ROUTE_AUTH_ADMIN, http_clock_get, false },
	{ "POST", "/v1/admin/clock", ROUTE_AUTH_ADMIN, http_clock_set, false },
};

/* Next path segment of *p into [*seg, *seg + *len); 0, or -1 at the end. */
static int
next_segment(const char **p, const char **seg, size_t *len)
{
	if (**p != '/')
		return -1;
	(*p)++;
	*seg = *p;
	while (**p != '\0' && **p != '/')
		(*p)++;
	*len = (size_t)(*p - *seg);
	return 0;
}

/* Matches one pattern; fills params (values copied into params->buf). */
static int
match_path(const char *pattern, const char *path, struct route_params *params)
{
	const char	*pp = pattern, *sp = path, *pseg = NULL, *sseg = NULL;
	size_t		 plen = 0, slen = 0, used = 0;

	params->n = 0;
	for (;;) {
		int	 pend = next_segment(&pp, &pseg, &plen);
		int	 send = next_segment(&sp, &sseg, &slen);

		if (pend == -1 || send == -1)
			return pend == send && *pp == '\0' && *sp == '\0' ?
			    0 : -1;
		if (plen >= 2 && pseg[0] == '{' && pseg[plen - 1] == '}') {
			if (slen == 0 || params->n == ROUTE_MAX_PARAMS ||
			    used + slen + 1 > sizeof(params->buf))
				return -1;
			memcpy(params->buf + used, sseg, slen);
			params->buf[used + slen] = '\0';
			/* Names point into the constant table, past the
			 * '{'; they end at the '}' (see request_param). */
			params->name[params->n] = pseg + 1;
			params->value[params->n] = params->buf + used;
			params->n++;
			used += slen + 1;
		} else if (plen != slen || memcmp(pseg, sseg, plen) != 0)
			return -1;
	}
}

static void
add_allow(char *allow, size_t allowlen, const char *method)
{
	size_t	 len, mlen = strlen(method);
	const char *p = allow;

	if (allowlen == 0)
		return;
	len = strlen(allow);
	while ((p = strstr(p, method)) != NULL) {
		if ((p == allow || p[-1] == ' ') &&
		    (p[mlen] == ',' || p[mlen] == '\0'))
			return;
		p += mlen;
	}
	if (len + mlen + 3 > allowlen)
		return;
	snprintf(allow + len, allowlen - len, "%s%s", len > 0 ? ", " : "",
	    method);
}

int
router_match(const struct route *table, size_t n, const char *method,
    const char *path, const struct route **out, struct route_params *params,
    char *allow, size_t allowlen)
{
	struct route_params	 scratch;
	size_t			 i;
	int			 path_known = 0;
	const char		*m = strcmp(method, "HEAD") == 0 ? "GET" :
				    method;

	if (allowlen > 0)
		allow[0] = '\0';
	for (i = 0; i < n; i++) {
		if (match_path(table[i].pattern, path, &scratch) == -1)
			continue;
		if (strcmp(table[i].method, m) == 0) {
			*params = scratch;
			/* Values point into scratch.buf: rebase them. */
			for (size_t j = 0; j < params->n; j++)
				params->value[j] = params->buf +
				    (scratch.value[j] - scratch.buf);
			*out = &table[i];
			return 0;
		}
		path_known = 1;
		add_allow(allow, allowlen, table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			add_allow(allow, allowlen, "HEAD");
	}
	return path_known ? 405 : 404;
}

int
router_find(const char *method, const char *path, const struct route **out,
    struct route_params *params, char *allow, size_t allowlen)
{
	return router_match(routes, sizeof(routes) / sizeof(routes[0]), method,
	    path, out, params, allow, allowlen);
}
