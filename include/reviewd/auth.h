#ifndef REVIEWD_AUTH_H
#define REVIEWD_AUTH_H

#include <stdbool.h>
#include <stdio.h>

#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/request.h"
#include "reviewd/router.h"

/*
 * Who is calling: apikeys, bearer tokens, the admin token, and password
 * hashing. Tokens are 256-bit random values stored only as hashes; the
 * OAuth token endpoints that issue them are auth_tokens.h.
 */

#define AUTH_PASSWORD_HASH_LEN	128	/* crypto_pwhash_STRBYTES */
#define AUTH_PASSWORD_MIN	8
#define AUTH_PASSWORD_MAX	1024

/*
 * Settles the admin token: [admin] token when set, else the one stored in
 * the database, else a new one stored hashed and printed once to out.
 * Call once at start-up before threads serve. 0 or -1 (logged).
 */
int	auth_init(struct db *db, const struct config *cfg, FILE *out);

/* Authenticates req for a route's auth kind and fills req->principal.
 * 0, or -1 with err set (401 with WWW-Authenticate, or 403). */
int	auth_check(struct request *req, enum route_auth kind,
	    struct api_error *err);

/* Resolves the {businessUnitId} path parameter for a bearer caller: 0 when
 * it is the unit of its token, else -1 with a 404 (another business's unit
 * is indistinguishable from an unknown one). */
int	auth_business_unit(const struct request *req, const char **id,
	    struct api_error *err);

/* argon2id hash of password into out. 0 or -1 (out of memory). */
int	auth_password_hash(const char *password,
	    char out[AUTH_PASSWORD_HASH_LEN]);

/* True when password matches stored (an argon2id hash); stored NULL (an
 * unknown user) takes as long and is false, so that the time of an answer
 * does not tell which usernames exist. */
bool	auth_password_verify(const char *stored, const char *password);

/* Fills err with a 401 saying message, and the WWW-Authenticate challenge
 * of scheme ("Basic", "Bearer", "apikey"). */
void	auth_unauthorized(struct api_error *err, const char *scheme,
	    const char *message);

/* Whether req's bearer token came from a business user's approval of a
 * third-party application (the authorization-code grant): *delegated.
 * 0, or -1 on a database error of req->db. */
int	auth_delegated(const struct request *req, bool *delegated);

#endif
