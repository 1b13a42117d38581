#ifndef REVIEWD_AUTH_CODES_H
#define REVIEWD_AUTH_CODES_H

#include <stdbool.h>
#include <stdint.h>

#include "reviewd/api_error.h"
#include "reviewd/db.h"
#include "reviewd/ids.h"

/*
 * The authorization-code grant's storage: a business user's consents to
 * third-party applications (for the user's business unit) and the
 * single-use codes the consent page issues (valid AUTH_CODES_TTL_MS,
 * bound to the client, the redirect URI and the PKCE challenge). Owns
 * oauth_consents and oauth_codes. HTTP worker threads.
 */

#define AUTH_CODES_TTL_MS	60000
#define AUTH_CODES_URI_MAX	512	/* bytes of a redirect URI */
#define AUTH_CODES_CHALLENGE_MAX	128

/* What a spent code grants. */
struct auth_code_grant {
	char	 consent_id[IDS_ID_LEN + 1];
	char	 app_id[IDS_ID_LEN + 1];
	char	 user_id[IDS_ID_LEN + 1];
	char	 business_unit_id[IDS_ID_LEN + 1];
	char	 redirect_uri[AUTH_CODES_URI_MAX + 1];
	bool	 redirect_given;	/* the request named it */
	char	 challenge[AUTH_CODES_CHALLENGE_MAX + 1];	/* "": none */
	int64_t	 expires_at;
};

/*
 * Records that user_id approves app_id for unit_id (a new consent, or the
 * user's active one renewed) and issues a code for redirect_uri and the
 * S256 challenge (NULL: none) into code. Its own transaction. 0, or -1
 * with err set.
 */
int	auth_codes_issue(struct db *db, const char *app_id,
	    const char *user_id, const char *unit_id, const char *redirect_uri,
	    bool redirect_given, const char *challenge,
	    char code[IDS_TOKEN_LEN + 1], struct api_error *err);

/*
 * Spends the code whose hash is code_hash: DB_ROW with *g filled when it
 * was unused and its consent stands (the caller checks client, expiry,
 * redirect URI and verifier: a spent code is spent even when they fail);
 * DB_DONE when there is no such code, it was spent before (*replayed then
 * true) or its consent was revoked; -1 on a database error.
 */
int	auth_codes_claim(struct db *db, const char *code_hash,
	    struct auth_code_grant *g, bool *replayed);

/* DB_ROW when the consent stands, DB_DONE when revoked or unknown, -1. */
int	auth_codes_consent_active(struct db *db, const char *consent_id);

/*
 * Revokes user_id's consent to app_id and deletes its unspent codes,
 * inside the caller's transaction: DB_ROW with consent_id set (the
 * caller revokes its tokens), DB_DONE when there is none, -1.
 */
int	auth_codes_revoke(struct db *db, const char *user_id,
	    const char *app_id, char consent_id[IDS_ID_LEN + 1]);

/* True when s is a PKCE code challenge or verifier: 43 to 128 characters
 * of A-Z a-z 0-9 - . _ ~ (RFC 7636). */
bool	auth_codes_pkce_valid(const char *s);

/* True when BASE64URL(SHA-256(verifier)) is challenge (constant time). */
bool	auth_codes_pkce_match(const char *verifier, const char *challenge);

#endif
