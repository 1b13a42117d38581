#ifndef REVIEWD_OAUTH_AUTHORIZE_H
#define REVIEWD_OAUTH_AUTHORIZE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "reviewd/api_error.h"
#include "reviewd/db.h"
#include "reviewd/request.h"

/*
 * Authorization-code OAuth for third-party applications: the redirect
 * URIs an application registers, the login-and-consent page
 * (/oauth/authorize) and a business user's approved applications. The
 * codes it issues are exchanged at the token endpoint (auth_tokens.h).
 */

/* True when uri may be registered: an absolute https:// URI, or http://
 * to 127.0.0.1, localhost or [::1], of at most AUTH_CODES_URI_MAX bytes of
 * printable ASCII, without a fragment. */
bool	oauth_redirect_uri_valid(const char *uri);

/*
 * Creates an API application of unit bu (as business_app_create) with the
 * nuris redirect URIs uris; a public_client has no secret and must use
 * PKCE. *out = {"id", "key", "secret" (not for a public client),
 * "businessUnitId", "name", "redirectUris", "public"} (caller's). One
 * transaction. 0, or -1 with err set (400 naming "redirectUris", 404 for
 * an unknown unit).
 */
int	oauth_app_create(struct db *db, const char *bu, const char *name,
	    const char *const *uris, size_t nuris, bool public_client,
	    json_t **out, struct api_error *err);

/* POST /v1/admin/business-units/{businessUnitId}/apps;
 * GET and POST /oauth/authorize (the page and its form);
 * GET /v1/private/authorized-applications and
 * DELETE /v1/private/authorized-applications/{applicationId}. */
route_handler	oauth_admin_app_create, oauth_authorize_page,
		oauth_authorize_post, oauth_consents_list,
		oauth_consents_revoke;

#endif
