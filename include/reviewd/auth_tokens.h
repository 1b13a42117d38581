#ifndef REVIEWD_AUTH_TOKENS_H
#define REVIEWD_AUTH_TOKENS_H

#include <stdint.h>

#include "reviewd/db.h"
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

/* POST .../accesstoken, .../refresh, .../revoke. */
route_handler	auth_token, auth_refresh, auth_revoke;

#endif
