/*
 * router: the daemon's route table and the matcher. The table is constant;
 * matching is pure (no allocation) and runs on every worker thread.
 */
#include <stdbool.h>
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
	{ "GET", "/healthz", ROUTE_AUTH_NONE, http_healthz, 0 },
	{ "GET", "/readyz", ROUTE_AUTH_NONE, http_readyz, 0 },
	{ "POST", OAUTH "/accesstoken", ROUTE_AUTH_NONE, auth_token,
	    ROUTE_NO_STORE },
	{ "POST", OAUTH "/refresh", ROUTE_AUTH_NONE, auth_refresh,
	    ROUTE_NO_STORE },
	{ "POST", OAUTH "/revoke", ROUTE_AUTH_NONE, auth_revoke,
	    ROUTE_NO_STORE },
	{ "GET", "/v1/business-units/find", ROUTE_AUTH_APIKEY,
	    business_find, 0 },
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
	{ "GET", "/v1/admin/audit", ROUTE_AUTH_ADMIN, reports_audit_list,
	    0 },
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
	    invitations_data_delete, 0 },
	{ "GET", BU "/templates", ROUTE_AUTH_BEARER,
	    invitations_templates_list, 0 },
	{ "POST", BU "/templates", ROUTE_AUTH_BEARER,
	    invitations_template_create, 0 },
	{ "PUT", BU "/templates/{templateId}", ROUTE_AUTH_BEARER,
	    invitations_template_update, 0 },
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
	    ROUTE_UPLOAD },
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
	    pages_unsubscribe_post, ROUTE_NO_STORE },
	{ "GET", "/b/{businessDomain}", ROUTE_AUTH_NONE, pages_profile, 0 },
	{ "GET", "/review/confirm/{token}", ROUTE_AUTH_NONE,
	    pages_review_confirm, ROUTE_NO_STORE },
	{ "POST", "/review/confirm/{token}", ROUTE_AUTH_NONE,
	    pages_review_confirm_post, ROUTE_NO_STORE },
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
	{ "GET", "/v1/admin/clock", ROUTE_AUTH_ADMIN, http_clock_get, 0 },
	{ "POST", "/v1/admin/clock", ROUTE_AUTH_ADMIN, http_clock_set, 0 },
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

/*
 * Percent-decodes the raw segment [s, s + len) into out (not terminated),
 * as libmicrohttpd does: %XX is a byte, anything else stays as it is.
 * Sets *outlen; *nul when a byte decoded to NUL. -1 when over outcap.
 */
static int
segment_decode(const char *s, size_t len, char *out, size_t outcap,
    size_t *outlen, bool *nul)
{
	size_t	 i, n = 0;
	char	 c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '%' && len - i >= 3 &&
		    http_hex_digit(s[i + 1]) >= 0 &&
		    http_hex_digit(s[i + 2]) >= 0) {
			c = (char)(http_hex_digit(s[i + 1]) * 16 +
			    http_hex_digit(s[i + 2]));
			i += 2;
			if (c == '\0')
				*nul = true;
		}
		if (n == outcap)
			return -1;
		out[n++] = c;
	}
	*outlen = n;
	return 0;
}

/*
 * Matches one pattern against a raw (still percent-encoded) path, decoding
 * each segment: values are copied into params->buf. 0 on a match; -2 on a
 * match where a parameter held %00 (params->bad names the first); -1
 * otherwise.
 */
static int
match_path(const char *pattern, const char *path, struct route_params *params)
{
	const char	*pp = pattern, *sp = path, *pseg = NULL, *sseg = NULL;
	size_t		 plen = 0, slen = 0, dlen = 0, used = 0;
	char		 lit[ROUTE_MAX_PATH];
	bool		 nul;

	params->n = 0;
	params->bad = NULL;
	for (;;) {
		int	 pend = next_segment(&pp, &pseg, &plen);
		int	 send = next_segment(&sp, &sseg, &slen);

		if (pend == -1 || send == -1) {
			if (pend != send || *pp != '\0' || *sp != '\0')
				return -1;
			return params->bad != NULL ? -2 : 0;
		}
		nul = false;
		if (plen >= 2 && pseg[0] == '{' && pseg[plen - 1] == '}') {
			if (slen == 0 || params->n == ROUTE_MAX_PARAMS ||
			    used >= sizeof(params->buf) ||
			    segment_decode(sseg, slen, params->buf + used,
			    sizeof(params->buf) - used - 1, &dlen, &nul) == -1)
				return -1;
			params->buf[used + dlen] = '\0';
			/* Names point into the constant table, past the
			 * '{'; they end at the '}' (see request_param). */
			params->name[params->n] = pseg + 1;
			params->value[params->n] = params->buf + used;
			if (nul && params->bad == NULL)
				params->bad = pseg + 1;
			params->n++;
			used += dlen + 1;
		} else if (segment_decode(sseg, slen, lit, sizeof(lit), &dlen,
		    &nul) == -1 || nul || plen != dlen ||
		    memcmp(pseg, lit, plen) != 0)
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
	size_t			 i, j;
	int			 path_known = 0, r;
	const char		*m = strcmp(method, "HEAD") == 0 ? "GET" :
				    method;

	if (allowlen > 0)
		allow[0] = '\0';
	for (i = 0; i < n; i++) {
		r = match_path(table[i].pattern, path, &scratch);
		if (r == -1)
			continue;
		if (strcmp(table[i].method, m) == 0) {
			*params = scratch;
			/* Values point into scratch.buf: rebase them. */
			for (j = 0; j < params->n; j++)
				params->value[j] = params->buf +
				    (scratch.value[j] - scratch.buf);
			*out = &table[i];
			return r == -2 ? 400 : 0;
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
