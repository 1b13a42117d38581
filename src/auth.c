/*
 * auth: who is calling. apikeys, bearer access tokens and the admin token
 * (auth_check, on the HTTP worker threads), and passwords. The admin
 * token's hash is set once by auth_init before any worker thread runs,
 * then only read. The token endpoints and the sign-in throttle are
 * auth_tokens.c.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/ids.h"
#include "reviewd/log.h"
#include "reviewd/settings.h"

static char	 admin_hash[IDS_HASH_LEN + 1];

/*
 * What an unknown username's password is verified against, so that an
 * unknown username costs as much as a known one and the answer's time does
 * not tell which usernames exist. The argon2id hash of 32 random bytes
 * nobody kept, made with auth_password_hash's cost (auth_init checks that
 * the two agree).
 */
static const char dummy_hash[AUTH_PASSWORD_HASH_LEN] =
    "$argon2id$v=19$m=65536,t=2,p=1$fLrHy8E3vbUy3Jdr0PBqAg$"
    "IfIEQ8qKHbIDmyhXOkwjQRYsVt0wPONISc/CpdhW8yY";

#define ADMIN_HASH_SETTING	"admin_token_hash"

int
auth_init(struct db *db, const struct config *cfg, FILE *out)
{
	char		 token[IDS_TOKEN_LEN + 1];
	bool		 found, added = false;
	int		 ret = -1;

	if (crypto_pwhash_str_needs_rehash(dummy_hash,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		log_error("auth: the dummy password hash does not have the "
		    "cost of auth_password_hash");
		return -1;
	}
	if (cfg->admin_token[0] != '\0') {
		ids_token_hash(cfg->admin_token, admin_hash);
		return 0;
	}
	if (settings_get(db, ADMIN_HASH_SETTING, admin_hash,
	    sizeof(admin_hash), &found) == -1)
		goto out;
	if (found) {
		ret = 0;
		goto out;
	}
	ids_token(token);
	ids_token_hash(token, admin_hash);
	/* another process settling it meanwhile is a failure, as before:
	 * the token printed would not be the one stored */
	if (settings_add_if_absent(db, ADMIN_HASH_SETTING, admin_hash,
	    &added) == -1 || !added)
		goto out;
	fprintf(out, "reviewd: generated the admin token (shown once, only "
	    "its hash is stored):\n%s\n", token);
	fflush(out);
	ret = 0;
out:
	sodium_memzero(token, sizeof(token));
	if (ret == -1)
		log_error("auth: cannot settle the admin token");
	return ret;
}

int
auth_password_hash(const char *password, char out[AUTH_PASSWORD_HASH_LEN])
{
	return crypto_pwhash_str(out, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0 ? 0 : -1;
}

bool
auth_password_verify(const char *stored, const char *password)
{
	return crypto_pwhash_str_verify(stored != NULL ? stored : dummy_hash,
	    password, strlen(password)) == 0 && stored != NULL;
}

void
auth_unauthorized(struct api_error *err, const char *scheme,
    const char *message)
{
	char	 value[96];

	snprintf(value, sizeof(value), "%s realm=\"reviewd\"", scheme);
	api_error_set(err, 401, NULL, "%s", message);
	api_error_header(err, "WWW-Authenticate", value);
}

/* The token of "Authorization: Bearer TOKEN", or NULL. */
static const char *
bearer_token(const struct request *req)
{
	const char	*h = request_header(req, "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h == '\0' ? NULL : h;
}

static const char sql_app_by_key[] =
    "SELECT id, business_unit_id FROM api_apps "
    "WHERE api_key = ? AND revoked_at IS NULL";

/*
 * The apps this thread found by apikey last, a key (kept as its hash) a
 * slot, with the data version they were read after (db_data_version):
 * while it has not moved, the key still names that app and is not
 * revoked. A key that names no app is read every time.
 */
#define APIKEY_MEMOS	16

struct apikey_memo {
	unsigned char		 key_hash[16];
	struct principal	 principal;
	uint64_t		 version;
	bool			 set;
};

static __thread struct apikey_memo	 apikey_memos[APIKEY_MEMOS];

/* auth_check runs on the request's head, before the server gives the
 * handler its connection (req->db): the checks take this thread's. */
static int
check_apikey(struct request *req, const char *key, struct api_error *err)
{
	struct db		*db;
	struct db_stmt		*st;
	struct apikey_memo	*m;
	unsigned char		 key_hash[16];
	uint64_t		 version;
	bool			 known = db_data_version(&version) == 0;
	int			 rc;

	(void)crypto_generichash(key_hash, sizeof(key_hash),
	    (const unsigned char *)key, strlen(key), NULL, 0);
	m = &apikey_memos[key_hash[0] % APIKEY_MEMOS];
	if (known && m->set && m->version == version &&
	    sodium_memcmp(m->key_hash, key_hash, sizeof(key_hash)) == 0) {
		req->principal = m->principal;
		return 0;
	}
	if ((db = db_thread()) == NULL ||
	    (rc = db_row(db, sql_app_by_key, &st, "s", key)) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (rc == DB_DONE) {
		auth_unauthorized(err, "apikey", "The apikey is not valid");
		return -1;
	}
	req->principal.kind = PRINCIPAL_APP;
	snprintf(req->principal.app_id, sizeof(req->principal.app_id), "%s",
	    db_text(st, 0));
	snprintf(req->principal.business_unit_id,
	    sizeof(req->principal.business_unit_id), "%s", db_text(st, 1));
	db_release(st);
	if (known) {
		memcpy(m->key_hash, key_hash, sizeof(key_hash));
		m->principal = req->principal;
		m->version = version;
		m->set = true;
	}
	return 0;
}

static const char sql_access_token[] =
    "SELECT t.app_id, coalesce(t.user_id, ''), t.business_unit_id, "
    "  t.expires_at, t.revoked_at IS NOT NULL, a.api_key "
    "FROM oauth_tokens t JOIN api_apps a ON a.id = t.app_id "
    "WHERE t.token_hash = ? AND t.kind = 'access' AND a.revoked_at IS NULL";

/* What an access token names: kept per thread as apikeys are (the same
 * rule); its expiry is checked on every request. */
#define BEARER_MEMOS	16

struct bearer_memo {
	char			 token_hash[IDS_HASH_LEN + 1];
	char			 api_key[128];	/* its application's: 32
						 * hex digits (business.c) */
	struct principal	 principal;
	int64_t			 expires_at;
	uint64_t		 version;
	bool			 set;
};

static __thread struct bearer_memo	 bearer_memos[BEARER_MEMOS];

/* The token whose hash is hash, unrevoked, into *m from this thread's
 * memo or the database. 0, or -1 with err set. */
static int
bearer_read(const char *hash, struct bearer_memo *m, struct api_error *err)
{
	struct db	*db = db_thread();
	struct db_stmt	*st = NULL;
	uint64_t	 version;
	bool		 known = db_data_version(&version) == 0;
	int		 rc, ret = -1;

	if (known && m->set && m->version == version &&
	    ids_equal(m->token_hash, hash))
		return 0;
	m->set = false;
	if (db == NULL ||
	    (rc = db_row(db, sql_access_token, &st, "s", hash)) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (rc == DB_DONE || (int)db_int(st, 4) != 0 ||
	    strlen(db_text(st, 5)) >= sizeof(m->api_key)) {
		auth_unauthorized(err, "Bearer", "The access token is not "
		    "valid");
		goto out;
	}
	memset(&m->principal, 0, sizeof(m->principal));
	m->principal.kind = PRINCIPAL_BUSINESS;
	snprintf(m->principal.app_id, sizeof(m->principal.app_id), "%s",
	    db_text(st, 0));
	snprintf(m->principal.user_id, sizeof(m->principal.user_id), "%s",
	    db_text(st, 1));
	snprintf(m->principal.business_unit_id,
	    sizeof(m->principal.business_unit_id), "%s", db_text(st, 2));
	m->expires_at = db_int(st, 3);
	snprintf(m->api_key, sizeof(m->api_key), "%s", db_text(st, 5));
	memcpy(m->token_hash, hash, sizeof(m->token_hash));
	m->version = version;
	m->set = known;
	ret = 0;
out:
	db_release(st);
	return ret;
}

static int
check_bearer(struct request *req, const char *token, struct api_error *err)
{
	struct bearer_memo	*m;
	char			 hash[IDS_HASH_LEN + 1];
	const char		*apikey = request_header(req, "apikey");
	unsigned int		 slot = 0;
	size_t			 i;

	ids_token_hash(token, hash);
	for (i = 0; i < 8; i++)
		slot = slot * 16 + (unsigned int)(hash[i] <= '9' ?
		    hash[i] - '0' : hash[i] - 'a' + 10);
	m = &bearer_memos[slot % BEARER_MEMOS];
	if (bearer_read(hash, m, err) == -1)
		return -1;
	if (m->expires_at <= clock_now_ms()) {
		auth_unauthorized(err, "Bearer", "The access token has "
		    "expired");
		return -1;
	}
	/* The npm client sends its apikey beside the token: it must be the
	 * key of the application the token was issued to. */
	if (apikey != NULL && strcmp(apikey, m->api_key) != 0) {
		auth_unauthorized(err, "Bearer", "The apikey does not belong "
		    "to the application of the access token");
		return -1;
	}
	req->principal = m->principal;
	return 0;
}

static bool
is_admin_token(const char *token)
{
	char	 hash[IDS_HASH_LEN + 1];

	ids_token_hash(token, hash);
	return admin_hash[0] != '\0' && ids_equal(hash, admin_hash);
}

int
auth_check(struct request *req, enum route_auth kind, struct api_error *err)
{
	const char	*token = bearer_token(req);
	const char	*apikey;

	memset(&req->principal, 0, sizeof(req->principal));
	if (kind == ROUTE_AUTH_NONE)
		return 0;
	/* an apikey route also takes a bearer token */
	if (kind == ROUTE_AUTH_APIKEY && token == NULL) {
		apikey = request_header(req, "apikey");
		if (apikey == NULL)
			apikey = request_query(req, "apikey");
		if (apikey != NULL)
			return check_apikey(req, apikey, err);
		auth_unauthorized(err, "apikey", "An apikey header is "
		    "required");
		return -1;
	}
	if (token == NULL && (kind == ROUTE_AUTH_BEARER ||
	    kind == ROUTE_AUTH_ADMIN)) {
		auth_unauthorized(err, "Bearer", kind == ROUTE_AUTH_ADMIN ?
		    "The admin token is required" : "An Authorization: "
		    "Bearer access token is required");
		return -1;
	}
	switch (kind) {
	case ROUTE_AUTH_NONE:
		break;
	case ROUTE_AUTH_APIKEY:
	case ROUTE_AUTH_BEARER:
		return check_bearer(req, token, err);
	case ROUTE_AUTH_ADMIN:
		if (is_admin_token(token)) {
			req->principal.kind = PRINCIPAL_ADMIN;
			return 0;
		}
		if (check_bearer(req, token, err) == 0) {
			memset(&req->principal, 0, sizeof(req->principal));
			api_error_set(err, 403, NULL, "Access to resource is "
			    "forbidden: the admin token is required");
			return -1;
		}
		return -1;
	}
	api_error_internal(err);
	return -1;
}

int
auth_business_unit(const struct request *req, const char **id,
    struct api_error *err)
{
	const char	*v = request_param(req, "businessUnitId");

	if (v == NULL || !ids_valid(v) ||
	    (req->principal.kind == PRINCIPAL_BUSINESS &&
	    strcmp(v, req->principal.business_unit_id) != 0)) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	*id = v;
	return 0;
}


static const char sql_token_consent[] =
    "SELECT consent_id IS NOT NULL FROM oauth_tokens WHERE token_hash = ?";

int
auth_delegated(const struct request *req, bool *delegated)
{
	const char	*token = bearer_token(req);
	char		 hash[IDS_HASH_LEN + 1];
	int64_t		 v = 0;

	*delegated = false;
	if (token == NULL)
		return 0;
	ids_token_hash(token, hash);
	if (db_one_int(req->db, sql_token_consent, &v, "s", hash) == -1)
		return -1;
	*delegated = v != 0;
	return 0;
}
