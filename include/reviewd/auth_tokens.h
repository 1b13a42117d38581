#ifndef REVIEWD_AUTH_TOKENS_H
#define REVIEWD_AUTH_TOKENS_H

#include <stdint.h>

#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/ids.h"
#include "reviewd/request.h"

/*
 * The OAuth token endpoints (wire-compatible with Trustpilot's) and the
 * throttle of failed sign-ins they keep per application and username.
 */

/* Lifts the sign-in throttle of username at unit unit_id (the operator's
 * remedy for a user locked out on purpose); *forgotten gets the rows
 * deleted (0: it was not throttled). 0, or -1 on a database error. */
int	auth_unlock_user(struct db *db, const char *unit_id,
	    const char *username, int64_t *forgotten);

/*
 * Signs a business user in with username and password (as the password
 * grant does, through the same throttle of failed sign-ins per username)
 * for a page anyone can load: failures are also throttled per client
 * (request_client's key; NULL: unknown), at ten times [auth]
 * max_failures. 0 with user_id and the user's unit_id set, or -1 with err
 * set (401, 429 naming "username" or "client", or the database's
 * failure).
 */
int	auth_sign_in(struct db *db, const struct config *cfg,
	    const char *username, const char *password, const char *client,
	    char user_id[IDS_ID_LEN + 1], char unit_id[IDS_ID_LEN + 1],
	    struct api_error *err);

/* Revokes every token issued through consent_id, inside the caller's
 * transaction. 0, or -1 on a database error. */
int	auth_tokens_revoke_consent(struct db *db, const char *consent_id);

/* POST .../accesstoken, .../refresh, .../revoke. */
route_handler	auth_token, auth_refresh, auth_revoke;

#endif
