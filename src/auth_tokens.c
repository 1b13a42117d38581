/*
 * auth_tokens: the OAuth token endpoints and the sign-in throttle. HTTP
 * worker threads (and the CLI's auth_unlock_user).
 *
 * Token endpoints follow Trustpilot's: HTTP Basic key:secret (or client_id
 * and client_secret in the form), a form body, a JSON answer whose values
 * are all strings. Access and refresh tokens live in oauth_tokens as
 * BLAKE2b hashes; an access token issued with a refresh token records it, so
 * revoking the refresh token revokes them together. Every token carries the
 * family of the grant it descends from: a spent refresh token presented
 * again (stolen, or replayed) revokes the whole family. Failed sign-ins are
 * counted per application and per username in auth_failures, in the
 * database so the count holds across restarts and daemons.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "reviewd/auth.h"
#include "reviewd/auth_codes.h"
#include "reviewd/auth_tokens.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/ids.h"
#include "reviewd/log.h"

#define FORM_VALUE_MAX	1024

/*
 * Sign-in throttling. A subject whose window holds [auth] max_failures
 * units answers 429 until the window (begun by its first failure) has
 * passed, even to the right password: otherwise the throttle would only
 * slow guessing down. A password attempt takes its unit before the slow
 * check and a success gives it back: what stays counted are the failures,
 * and parallel guesses cannot all pass before any of them is counted. An
 * application secret (256 bits, checked at once) is only checked against
 * the count, and a wrong one takes its unit afterwards, so that parallel
 * token requests of an application never count. Each step is one short
 * write transaction of its own, never one holding a password check.
 */
struct throttle {
	char	 subject[8 + IDS_HASH_LEN + 1];	/* "app:ID", "user:HASH" */
	int64_t	 window_start;			/* of the unit taken */
	int64_t	 max;		/* units of a window; 0: [auth] max_failures */
};

/* The consent page checks passwords for anyone who can load it: besides
 * each username, the client's address is throttled, with this many times
 * [auth] max_failures (an office behind one address has many users). */
#define ADDRESS_FACTOR	10

static const char sql_throttle_prune[] =
    "DELETE FROM auth_failures WHERE subject IN (SELECT subject "
    "FROM auth_failures WHERE window_start <= ? LIMIT 64)";
/* ?1 subject, ?2 now, ?3 the start of windows that have passed, ?4 max */
static const char sql_throttle_take[] =
    "INSERT INTO auth_failures (subject, window_start, failures) "
    "VALUES (?1, ?2, 1) ON CONFLICT (subject) DO UPDATE SET "
    "  window_start = CASE WHEN auth_failures.window_start <= ?3 THEN ?2 "
    "    ELSE auth_failures.window_start END, "
    "  failures = CASE WHEN auth_failures.window_start <= ?3 THEN 1 "
    "    ELSE auth_failures.failures + 1 END "
    "WHERE auth_failures.window_start <= ?3 OR "
    "  auth_failures.failures < ?4 "
    "RETURNING window_start";
static const char sql_throttle_window[] =
    "SELECT window_start FROM auth_failures WHERE subject = ?";
/* ?1 subject, ?2 the start of windows that have passed, ?3 max */
static const char sql_throttle_full[] =
    "SELECT window_start FROM auth_failures WHERE subject = ?1 AND "
    "  window_start > ?2 AND failures >= ?3";
static const char sql_throttle_give_back[] =
    "UPDATE auth_failures SET failures = failures - 1 "
    "WHERE subject = ? AND window_start = ? AND failures > 0";

/* The subject of username at a business unit: usernames compare without
 * ASCII case (COLLATE NOCASE), so their throttle does too. Hashed: the
 * table holds no typed usernames. */
static void
user_subject(const char *unit_id, const char *username, struct throttle *t)
{
	char	 key[IDS_ID_LEN + 1 + 256], hash[IDS_HASH_LEN + 1];
	size_t	 i;

	snprintf(key, sizeof(key), "%s:%s", unit_id, username);
	for (i = 0; key[i] != '\0'; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] - 'A' + 'a');
	ids_token_hash(key, hash);
	snprintf(t->subject, sizeof(t->subject), "user:%s", hash);
	t->max = 0;
}

static const char sql_throttle_forget[] =
    "DELETE FROM auth_failures WHERE subject = ?";

int
auth_unlock_user(struct db *db, const char *unit_id, const char *username,
    int64_t *forgotten)
{
	struct throttle	 t;

	user_subject(unit_id, username, &t);
	if (db_run(db, sql_throttle_forget, "s", t.subject) == -1)
		return -1;
	*forgotten = db_changes(db);
	return 0;
}

/* The 429 of a throttled subject whose window ends in left ms; field is
 * NULL for an application. */
static void
too_many(int64_t left, const char *field, struct api_error *err)
{
	char	 after[24];

	snprintf(after, sizeof(after), "%lld",
	    (long long)(left < 1000 ? 1 : (left + 999) / 1000));
	if (field == NULL)
		api_error_set(err, 429, NULL, "Too many failed sign-ins with "
		    "this API key; retry in %s seconds", after);
	else
		api_error_set(err, 429, field, "has had too many failed "
		    "sign-ins; retry in %s seconds", after);
	api_error_header(err, "Retry-After", after);
}

/* 0 when t->subject may try, else -1 with err set (429 naming field, or
 * the database's failure). Reads only. */
static int
throttle_check(struct db *db, const struct config *cfg,
    const struct throttle *t, const char *field, struct api_error *err)
{
	int64_t	 now = clock_now_ms(), start;
	int64_t	 window = cfg->auth_failure_window_s * 1000;
	int	 rc;

	rc = db_one_int(db, sql_throttle_full, &start, "sii", t->subject,
	    now - window, cfg->auth_max_failures);
	if (rc == -1)
		db_fail(db, err);
	else if (rc == DB_ROW)
		too_many(start + window - now, field, err);
	return rc == DB_DONE ? 0 : -1;
}

/* Takes a unit of t->subject's window: 0, or -1 with err set (429 naming
 * field, or the database's failure). */
static int
throttle_take(struct db *db, const struct config *cfg, struct throttle *t,
    const char *field, struct api_error *err)
{
	int64_t	 now = clock_now_ms();
	int64_t	 window = cfg->auth_failure_window_s * 1000;
	int64_t	 start;
	int	 taken, ret = -1;

	/* The upsert makes its change at its first row (RETURNING). */
	if (db_tx_begin(db) == -1 ||
	    db_run(db, sql_throttle_prune, "i", now - window) == -1 ||
	    (taken = db_one_int(db, sql_throttle_take, &t->window_start,
	    "siii", t->subject, now, now - window, t->max > 0 ? t->max :
	    cfg->auth_max_failures)) == -1 ||
	    (taken == DB_DONE && db_one_int(db, sql_throttle_window, &start,
	    "s", t->subject) != DB_ROW) ||
	    db_tx_commit(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (taken == DB_DONE)
		too_many(start + window - now, field, err);
	else
		ret = 0;
out:
	db_tx_rollback(db);	/* no-op after the commit */
	return ret;
}

/* Gives back the unit taken for an attempt that succeeded. Losing it (a
 * database error, logged) only leaves one failure too many counted. */
static void
throttle_give_back(struct db *db, const struct throttle *t)
{
	(void)db_run(db, sql_throttle_give_back, "si", t->subject,
	    t->window_start);	/* logged by db_step */
}

/* Token endpoints. */

/* The application calling, and for whom its tokens are: its own unit, or
 * the unit of a business user who approved it (consent_id then set). */
struct client {
	char	 app_id[IDS_ID_LEN + 1];
	char	 api_key[128];
	char	 business_unit_id[IDS_ID_LEN + 1];
	char	 consent_id[IDS_ID_LEN + 1];	/* "" if none */
	bool	 public_client;		/* no secret: authenticated by PKCE */
};

static int
form(const struct request *req, const char *name, char *out, size_t outlen)
{
	/* an unusable value is as good as none for credentials */
	return request_form_value(req->body, req->body_len, name, out,
	    outlen) == 0 ? 0 : -1;
}

static int
require_form(const struct request *req, struct api_error *err)
{
	const char	*ctype = request_header(req, "Content-Type");
	const char	*want = "application/x-www-form-urlencoded";

	if (ctype == NULL || strncasecmp(ctype, want, strlen(want)) != 0 ||
	    (ctype[strlen(want)] != '\0' && ctype[strlen(want)] != ';')) {
		api_error_set(err, 415, "Content-Type", "must be %s", want);
		return -1;
	}
	return 0;
}

/* key and secret from HTTP Basic, or client_id/client_secret in the form. */
static int
client_credentials(const struct request *req, char *key, size_t keylen,
    char *secret, size_t secretlen)
{
	const char	*h = request_header(req, "Authorization");
	unsigned char	 raw[512];
	size_t		 rawlen;
	char		*colon;

	if (h != NULL && strncasecmp(h, "Basic ", 6) == 0) {
		h += 6;
		while (*h == ' ')
			h++;
		if (sodium_base642bin(raw, sizeof(raw) - 1, h, strlen(h), NULL,
		    &rawlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 &&
		    sodium_base642bin(raw, sizeof(raw) - 1, h, strlen(h),
		    NULL, &rawlen, NULL,
		    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
			return -1;
		raw[rawlen] = '\0';
		colon = strchr((char *)raw, ':');
		if (colon == NULL || strlen((char *)raw) != rawlen)
			return -1;
		*colon = '\0';
		if (snprintf(key, keylen, "%s", raw) >= (int)keylen ||
		    snprintf(secret, secretlen, "%s", colon + 1) >=
		    (int)secretlen)
			return -1;
		sodium_memzero(raw, sizeof(raw));
		return 0;
	}
	if (form(req, "client_id", key, keylen) == -1 ||
	    form(req, "client_secret", secret, secretlen) == -1)
		return -1;
	return 0;
}

static const char sql_app_secret[] =
    "SELECT id, secret_hash, business_unit_id FROM api_apps "
    "WHERE api_key = ? AND revoked_at IS NULL";
/* An application without a secret (a public client: its secret_hash is
 * empty, which no secret's hash equals). */
static const char sql_app_public[] =
    "SELECT id, business_unit_id FROM api_apps "
    "WHERE api_key = ? AND secret_hash = '' AND revoked_at IS NULL";

/*
 * A public client names itself with client_id alone (no Authorization,
 * no client_secret): 1 when key is one, 0 when not, -1 with err set.
 * Only the grants that a code verifier or a refresh token prove allow it.
 */
static int
public_client(struct db *db, const struct request *req, struct client *c,
    struct api_error *err)
{
	char		 key[128], secret[8];
	struct db_stmt	*st;
	int		 rc;

	if (request_header(req, "Authorization") != NULL ||
	    form(req, "client_id", key, sizeof(key)) == -1 ||
	    request_form_value(req->body, req->body_len, "client_secret",
	    secret, sizeof(secret)) != -1)
		return 0;
	if ((rc = db_row(db, sql_app_public, &st, "s", key)) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (rc == DB_ROW) {
		memset(c, 0, sizeof(*c));
		snprintf(c->app_id, sizeof(c->app_id), "%s", db_text(st, 0));
		snprintf(c->api_key, sizeof(c->api_key), "%s", key);
		snprintf(c->business_unit_id, sizeof(c->business_unit_id),
		    "%s", db_text(st, 1));
		c->public_client = true;
	}
	db_release(st);
	return rc == DB_ROW;
}

/*
 * Authenticates the application calling a token endpoint, throttling
 * failed secrets per application. The right secret always gets through:
 * it is 256 random bits nobody can guess, and the API key is public (it
 * is sent with every public request), so a lockout would only let anyone
 * who knows the key cut the business off. Wrong secrets past the limit
 * get 429 without being judged.
 */
static int
authenticate_client(struct db *db, const struct request *req,
    struct client *c, struct api_error *err)
{
	char		 key[128], secret[128], hash[IDS_HASH_LEN + 1];
	char		 stored[IDS_HASH_LEN + 1];
	struct throttle	 t;
	struct db_stmt	*st = NULL;
	int		 rc, ret = -1;

	memset(c, 0, sizeof(*c));
	if (client_credentials(req, key, sizeof(key), secret,
	    sizeof(secret)) == -1) {
		auth_unauthorized(err, "Basic", "HTTP Basic authentication "
		    "with the API key and secret is required");
		goto out;
	}
	ids_token_hash(secret, hash);
	if ((rc = db_row(db, sql_app_secret, &st, "s", key)) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (rc == DB_DONE) {
		auth_unauthorized(err, "Basic", "The API key or secret is not "
		    "valid");
		goto out;
	}
	snprintf(c->app_id, sizeof(c->app_id), "%s", db_text(st, 0));
	snprintf(stored, sizeof(stored), "%s", db_text(st, 1));
	snprintf(c->api_key, sizeof(c->api_key), "%s", key);
	snprintf(c->business_unit_id, sizeof(c->business_unit_id), "%s",
	    db_text(st, 2));
	db_release(st);
	st = NULL;
	if (!ids_equal(hash, stored)) {
		snprintf(t.subject, sizeof(t.subject), "app:%s", c->app_id);
		t.max = 0;
		/* the failure that fills the window is the last 401 */
		if (throttle_check(db, req->cfg, &t, NULL, err) == 0 &&
		    throttle_take(db, req->cfg, &t, NULL, err) == 0)
			auth_unauthorized(err, "Basic", "The API key or secret "
			    "is not valid");
		goto out;
	}
	ret = 0;
out:
	db_release(st);
	sodium_memzero(secret, sizeof(secret));
	return ret;
}

static const char sql_recent_tokens[] =
    "SELECT count(*) FROM oauth_tokens "
    "WHERE app_id = ? AND kind = 'access' AND created_at > ?";

/* Trustpilot answers 429 to clients asking for tokens too often. */
static int
check_rate(struct db *db, const struct request *req, const struct client *c,
    struct api_error *err)
{
	int64_t	 n;

	if (db_one_int(db, sql_recent_tokens, &n, "si", c->app_id,
	    clock_now_ms() - 60000) != DB_ROW) {
		db_fail(db, err);
		return -1;
	}
	if (n >= req->cfg->token_requests_per_minute) {
		api_error_set(err, 429, NULL, "Too many token requests for "
		    "this API key; retry in a minute");
		api_error_header(err, "Retry-After", "60");
		return -1;
	}
	return 0;
}

/* A user of unit ?2, or of any unit when ?2 is NULL (usernames are
 * unique across units). */
static const char sql_user_by_name[] =
    "SELECT id, password_hash, business_unit_id FROM business_users "
    "WHERE username = ?1 AND (?2 IS NULL OR business_unit_id = ?2)";

/*
 * Verifies username/password (argon2id, slow on purpose) outside any
 * transaction, an unknown username as long as a known one
 * (auth_password_verify), throttling failures per username of the unit
 * (unit_id, or the user's own when NULL) and, when client is not NULL, per
 * client address. field names the username in a 429.
 */
static int
sign_in(struct db *db, const struct config *cfg, const char *unit_id,
    const char *username, const char *password, const char *client,
    const char *field, char user_id[IDS_ID_LEN + 1],
    char user_unit[IDS_ID_LEN + 1], struct api_error *err)
{
	char		 stored[AUTH_PASSWORD_HASH_LEN];
	char		 id[IDS_ID_LEN + 1] = "", unit[IDS_ID_LEN + 1] = "";
	struct throttle	 t, addr;
	struct db_stmt	*st = NULL;
	int		 rc, found = 0;

	if ((rc = db_row(db, sql_user_by_name, &st, "ss", username,
	    unit_id)) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (rc == DB_ROW) {
		found = 1;
		snprintf(id, sizeof(id), "%s", db_text(st, 0));
		snprintf(stored, sizeof(stored), "%s", db_text(st, 1));
		snprintf(unit, sizeof(unit), "%s", db_text(st, 2));
	}
	db_release(st);
	if (client != NULL) {
		snprintf(addr.subject, sizeof(addr.subject), "addr:%s",
		    client);
		addr.max = cfg->auth_max_failures * ADDRESS_FACTOR;
		if (throttle_take(db, cfg, &addr, "client", err) == -1)
			return -1;
	}
	user_subject(unit_id != NULL ? unit_id : unit, username, &t);
	if (throttle_take(db, cfg, &t, field, err) == -1) {
		if (client != NULL)	/* no password was tried */
			throttle_give_back(db, &addr);
		return -1;
	}
	if (!auth_password_verify(found ? stored : NULL, password)) {
		auth_unauthorized(err, "Basic", "The username or password is "
		    "not valid");
		return -1;
	}
	throttle_give_back(db, &t);
	if (client != NULL)
		throttle_give_back(db, &addr);
	snprintf(user_id, IDS_ID_LEN + 1, "%s", id);
	if (user_unit != NULL)
		snprintf(user_unit, IDS_ID_LEN + 1, "%s", unit);
	return 0;
}

int
auth_sign_in(struct db *db, const struct config *cfg, const char *username,
    const char *password, const char *client, char user_id[IDS_ID_LEN + 1],
    char unit_id[IDS_ID_LEN + 1], struct api_error *err)
{
	return sign_in(db, cfg, NULL, username, password, client, "username",
	    user_id, unit_id, err);
}

/* The password grant: a user of the application's own unit. */
static int
authenticate_user(struct db *db, const struct request *req,
    const struct client *c, char user_id[IDS_ID_LEN + 1],
    struct api_error *err)
{
	char		 username[256], password[AUTH_PASSWORD_MAX + 1];
	int		 rc, ret = -1;

	if ((rc = request_form_value(req->body, req->body_len, "username",
	    username, sizeof(username))) != 0)
		api_error_set(err, 400, "username", rc == -1 ? "is required" :
		    "is not UTF-8 text or is too long");
	if ((rc = request_form_value(req->body, req->body_len, "password",
	    password, sizeof(password))) != 0)
		api_error_set(err, 400, "password", rc == -1 ? "is required" :
		    "is not UTF-8 text or is too long");
	if (err->status == 0)
		ret = sign_in(db, req->cfg, c->business_unit_id, username,
		    password, NULL, "username", user_id, NULL, err);
	sodium_memzero(password, sizeof(password));
	return ret;
}

static const char sql_token_insert[] =
    "INSERT INTO oauth_tokens (token_hash, kind, app_id, user_id, "
    "  business_unit_id, refresh_hash, created_at, expires_at, family_id, "
    "  consent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static int
insert_token(struct db *db, const char *hash, const char *kind,
    const struct client *c, const char *user_id, const char *refresh_hash,
    int64_t now, int64_t expires, const char *family)
{
	return db_run(db, sql_token_insert, "ssssssiiss", hash, kind,
	    c->app_id, user_id[0] == '\0' ? NULL : user_id,
	    c->business_unit_id, refresh_hash, now, expires, family,
	    c->consent_id[0] == '\0' ? NULL : c->consent_id);
}

static const char sql_revoke_refresh[] =
    "UPDATE oauth_tokens SET revoked_at = ?1 "
    "WHERE revoked_at IS NULL AND (token_hash = ?2 OR refresh_hash = ?2)";
/* Spending a refresh token: each is good for one exchange. */
static const char sql_claim_refresh[] =
    "UPDATE oauth_tokens SET revoked_at = ?1 WHERE token_hash = ?2 AND "
    "  kind = 'refresh' AND revoked_at IS NULL AND expires_at > ?1";
/* A refresh token presented once it was spent or revoked: whoever holds
 * it, a thief or the client, is not alone, so every token of its family
 * goes, the newest ones too. A merely expired one changes nothing. */
static const char sql_revoke_family[] =
    "UPDATE oauth_tokens SET revoked_at = ?1 WHERE revoked_at IS NULL AND "
    "  family_id = (SELECT family_id FROM oauth_tokens WHERE "
    "  token_hash = ?2 AND kind = 'refresh' AND revoked_at IS NOT NULL)";

/* Runs one of the UPDATEs above (?1 now, ?2 hash): the rows it changed,
 * or -1 on a database error. */
static int
update_by_hash(struct db *db, const char *sql, const char *hash, int64_t now)
{
	if (db_run(db, sql, "is", now, hash) == -1)
		return -1;
	return (int)db_changes(db);
}

static int
revoke_hash(struct db *db, const char *hash, int64_t now)
{
	return update_by_hash(db, sql_revoke_refresh, hash, now) == -1 ? -1 : 0;
}

static int
set_str(json_t *o, const char *key, const char *value)
{
	return json_object_set_new(o, key, json_string(value));
}

static int
set_num(json_t *o, const char *key, int64_t value)
{
	char	 s[32];

	snprintf(s, sizeof(s), "%lld", (long long)value);
	return set_str(o, key, s);
}

/* Revokes the family of the refresh token hash, logged; 0 or -1. */
static int
revoke_family(struct db *db, const struct client *c, const char *hash,
    int64_t now)
{
	int	 n = update_by_hash(db, sql_revoke_family, hash, now);

	if (n > 0)
		log_warn("auth: a spent refresh token was presented again; "
		    "its family is revoked app=%s tokens=%d", c->app_id, n);
	return n == -1 ? -1 : 0;
}

/* Trustpilot's token answer: the access token, and the refresh token
 * when not NULL, issued at now for ttl and rttl seconds. NULL when out of
 * memory. */
static json_t *
token_json(const struct client *c, const char *access, const char *refresh,
    int64_t now, int64_t ttl, int64_t rttl)
{
	json_t	*body = json_object();	/* owned */

	if (body == NULL || set_str(body, "access_token", access) == -1 ||
	    set_str(body, "token_type", "BearerToken") == -1 ||
	    set_num(body, "issued_at", now) == -1 ||
	    set_num(body, "expires_in", ttl) == -1 ||
	    set_str(body, "client_id", c->api_key) == -1 ||
	    set_str(body, "status", "approved") == -1 ||
	    (refresh != NULL && (set_str(body, "refresh_token",
	    refresh) == -1 ||
	    set_num(body, "refresh_token_issued_at", now) == -1 ||
	    set_num(body, "refresh_token_expires_in", rttl) == -1 ||
	    set_str(body, "refresh_token_status", "approved") == -1))) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/*
 * Issues an access token (and a refresh token for a user) in the family of
 * old_refresh, or a new family, and answers with Trustpilot's token JSON.
 * The rate check counts inside the same write transaction as the insert,
 * so parallel requests cannot all pass it; old_refresh (its hash) is spent
 * there too. When another exchange spent it first, the family is revoked.
 */
static int
issue(struct db *db, struct request *req, const struct client *c,
    const char *user_id, const char *old_refresh, const char *family,
    struct response *res, struct api_error *err)
{
	char		 access[IDS_TOKEN_LEN + 1], refresh[IDS_TOKEN_LEN + 1];
	char		 access_hash[IDS_HASH_LEN + 1];
	char		 refresh_hash[IDS_HASH_LEN + 1];
	int64_t		 now = clock_now_ms();
	int64_t		 ttl = req->cfg->access_token_ttl_s;
	int64_t		 rttl = req->cfg->refresh_token_ttl_s;
	bool		 with_refresh = user_id[0] != '\0';
	int		 spent, ret = -1;

	ids_token(access);
	ids_token_hash(access, access_hash);
	ids_token(refresh);
	ids_token_hash(refresh, refresh_hash);
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	/* 1: this exchange spent it; 0: another one did first */
	if (old_refresh != NULL && (spent = update_by_hash(db,
	    sql_claim_refresh, old_refresh, now)) != 1) {
		if (spent == -1 || revoke_family(db, c, old_refresh, now) ==
		    -1 || db_tx_commit(db) == -1) {
			db_fail(db, err);
			goto out;
		}
		auth_unauthorized(err, "Basic", "The refresh token is not "
		    "valid or has expired");
		goto out;
	}
	if (family == NULL)
		family = with_refresh ? refresh_hash : access_hash;
	if (check_rate(db, req, c, err) == -1)
		goto out;
	if ((old_refresh != NULL && revoke_hash(db, old_refresh, now) == -1) ||
	    (with_refresh && insert_token(db, refresh_hash, "refresh", c,
	    user_id, NULL, now, now + rttl * 1000, family) == -1) ||
	    insert_token(db, access_hash, "access", c, user_id,
	    with_refresh ? refresh_hash : NULL, now, now + ttl * 1000,
	    family) == -1) {
		db_fail(db, err);
		goto out;
	}
	ret = handler_commit(req, res, 200, token_json(c, access,
	    with_refresh ? refresh : NULL, now, ttl, rttl), false, err);
out:
	db_tx_rollback(db);
	sodium_memzero(access, sizeof(access));
	sodium_memzero(refresh, sizeof(refresh));
	return ret;
}

/* An RFC 6749 error code for a failed grant (NULL: derived from err). */
struct grant_fail {
	const char	*code;
};

static int
invalid_grant(struct grant_fail *f, struct api_error *err, const char *what)
{
	f->code = "invalid_grant";
	api_error_set(err, 400, NULL, "%s", what);
	return -1;
}

/*
 * Answers err as RFC 6749 section 5.2 does ({"error", "error_description"},
 * and our "message"), for the grants that came with OAuth 2.0's authorization
 * code: their clients parse that shape. A 429 or 5xx stays ours.
 */
static int
grant_error(struct response *res, const struct grant_fail *f,
    struct api_error *err)
{
	const char	*code = f->code;
	char		 text[sizeof(err->message) + 80];
	json_t		*body;	/* owned */
	int		 status;

	if (err->status != 400 && err->status != 401)
		return -1;
	if (code == NULL && err->status == 401)
		code = "invalid_client";
	else if (code == NULL && err->ndetails > 0 &&
	    strcmp(err->details[0].field, "grant_type") == 0)
		code = "unsupported_grant_type";
	else if (code == NULL)
		code = "invalid_request";
	status = strcmp(code, "invalid_client") == 0 ? 401 : 400;
	if (err->ndetails > 0)
		snprintf(text, sizeof(text), "%s %s", err->details[0].field,
		    err->details[0].reason);
	else
		snprintf(text, sizeof(text), "%s", err->message);
	body = json_pack("{s:s, s:s, s:s}", "error", code,
	    "error_description", text, "message", text);
	if (body == NULL || (status == 401 && err->header_name[0] != '\0' &&
	    response_header(res, err->header_name, err->header_value) ==
	    -1)) {
		json_decref(body);
		return -1;
	}
	memset(err, 0, sizeof(*err));
	return response_json(res, status, body, err);
}

static const char sql_revoke_code_family[] =
    "UPDATE oauth_tokens SET revoked_at = ?1 WHERE family_id = ?2 AND "
    "  revoked_at IS NULL";

/*
 * grant_type=authorization_code: spends the code, then checks that it was
 * issued to this client for this redirect URI (exactly) and, with a PKCE
 * challenge, that code_verifier answers it. The tokens' family is the
 * code's hash: a code presented again revokes what it gave (RFC 6749
 * 4.1.2).
 */
static int
code_grant(struct db *db, struct request *req, struct client *c,
    struct response *res, struct grant_fail *f, struct api_error *err)
{
	char			 code[FORM_VALUE_MAX], hash[IDS_HASH_LEN + 1];
	char			 uri[AUTH_CODES_URI_MAX + 1];
	char			 verifier[AUTH_CODES_CHALLENGE_MAX + 2];
	struct auth_code_grant	 g;
	bool			 replayed, has_uri, has_verifier;
	int			 rc, n;

	if (form(req, "code", code, sizeof(code)) == -1 || code[0] == '\0') {
		api_error_set(err, 400, "code", "is required");
		return -1;
	}
	has_uri = form(req, "redirect_uri", uri, sizeof(uri)) == 0;
	has_verifier = form(req, "code_verifier", verifier,
	    sizeof(verifier)) == 0;
	ids_token_hash(code, hash);
	if ((rc = auth_codes_claim(db, hash, &g, &replayed)) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (replayed) {
		if ((n = update_by_hash(db, sql_revoke_code_family, hash,
		    clock_now_ms())) == -1) {
			db_fail(db, err);
			return -1;
		}
		if (n > 0)
			log_warn("auth: a spent authorization code was "
			    "presented again; its tokens are revoked app=%s "
			    "tokens=%d", c->app_id, n);
	}
	if (rc == DB_DONE || strcmp(g.app_id, c->app_id) != 0 ||
	    g.expires_at <= clock_now_ms())
		return invalid_grant(f, err, "The authorization code is not "
		    "valid or has expired");
	if ((g.redirect_given || has_uri) &&
	    (!has_uri || strcmp(uri, g.redirect_uri) != 0))
		return invalid_grant(f, err, "redirect_uri is not the one "
		    "the code was issued for");
	if (g.challenge[0] != '\0' && !has_verifier) {
		api_error_set(err, 400, "code_verifier", "is required (the "
		    "code was issued with a PKCE challenge)");
		return -1;
	}
	if (g.challenge[0] != '\0' ?
	    !auth_codes_pkce_match(verifier, g.challenge) : has_verifier)
		return invalid_grant(f, err, "code_verifier does not match "
		    "the code's challenge");
	if (c->public_client && g.challenge[0] == '\0')
		return invalid_grant(f, err, "The code was issued without "
		    "PKCE");
	snprintf(c->business_unit_id, sizeof(c->business_unit_id), "%s",
	    g.business_unit_id);
	snprintf(c->consent_id, sizeof(c->consent_id), "%s", g.consent_id);
	return issue(db, req, c, g.user_id, NULL, hash, res, err);
}

static const char sql_refresh_token[] =
    "SELECT coalesce(user_id, ''), expires_at, revoked_at IS NOT NULL, "
    "  coalesce(family_id, token_hash), business_unit_id, "
    "  coalesce(consent_id, '') "
    "FROM oauth_tokens WHERE token_hash = ? AND kind = 'refresh' "
    "AND app_id = ?";

/* grant_type=refresh_token, on /refresh and on /accesstoken: the new
 * tokens are for whom the old ones were. */
static int
refresh_grant(struct db *db, struct request *req, struct client *c,
    struct response *res, struct grant_fail *f, struct api_error *err)
{
	char		 token[FORM_VALUE_MAX];
	char		 hash[IDS_HASH_LEN + 1], user_id[IDS_ID_LEN + 1];
	char		 family[IDS_HASH_LEN + 1];
	struct db_stmt	*st;
	int		 rc, valid, spent;

	if (form(req, "refresh_token", token, sizeof(token)) == -1) {
		api_error_set(err, 400, "refresh_token", "is required");
		return -1;
	}
	ids_token_hash(token, hash);
	if ((rc = db_row(db, sql_refresh_token, &st, "ss", hash,
	    c->app_id)) == -1) {
		db_fail(db, err);
		return -1;
	}
	spent = rc == DB_ROW && (int)db_int(st, 2) != 0;
	valid = rc == DB_ROW && !spent &&
	    db_int(st, 1) > clock_now_ms();
	if (valid) {
		snprintf(user_id, sizeof(user_id), "%s", db_text(st, 0));
		snprintf(family, sizeof(family), "%s", db_text(st, 3));
		snprintf(c->business_unit_id, sizeof(c->business_unit_id),
		    "%s", db_text(st, 4));
		snprintf(c->consent_id, sizeof(c->consent_id), "%s",
		    db_text(st, 5));
	}
	db_release(st);
	if (spent && revoke_family(db, c, hash, clock_now_ms()) == -1) {
		db_fail(db, err);
		return -1;
	}
	/* revoking a consent revokes its tokens; this is belt and braces */
	if (valid && c->consent_id[0] != '\0' &&
	    (rc = auth_codes_consent_active(db, c->consent_id)) != DB_ROW) {
		if (rc == -1) {
			db_fail(db, err);
			return -1;
		}
		valid = 0;
	}
	if (!valid) {
		f->code = "invalid_grant";
		auth_unauthorized(err, "Basic", "The refresh token is not "
		    "valid or has expired");
		return -1;
	}
	return issue(db, req, c, user_id, hash, family, res, err);
}

/* Authenticates the client of a grant that a public client may use too. */
static int
any_client(struct db *db, const struct request *req, struct client *c,
    struct api_error *err)
{
	int	 rc = public_client(db, req, c, err);

	if (rc != 0)
		return rc == 1 ? 0 : -1;
	return authenticate_client(db, req, c, err);
}

int
auth_token(ROUTE_HANDLER_PARAMS)
{
	struct db		*db = req->db;
	struct client		 c;
	struct grant_fail	 f = { NULL };
	char			 grant[64];
	char			 user_id[IDS_ID_LEN + 1] = "";
	bool			 code, refresh;
	int			 ret;

	if (require_form(req, err) == -1)
		return -1;
	if (form(req, "grant_type", grant, sizeof(grant)) == -1)
		grant[0] = '\0';
	code = strcmp(grant, "authorization_code") == 0;
	refresh = strcmp(grant, "refresh_token") == 0;
	if (code || refresh) {
		if (any_client(db, req, &c, err) == -1)
			ret = -1;
		else if (code)
			ret = code_grant(db, req, &c, res, &f, err);
		else
			ret = refresh_grant(db, req, &c, res, &f, err);
		return ret == 0 ? 0 : grant_error(res, &f, err);
	}
	if (authenticate_client(db, req, &c, err) == -1)
		return -1;
	if (grant[0] == '\0') {
		api_error_set(err, 400, "grant_type", "is required");
		return -1;
	}
	if (strcmp(grant, "password") == 0) {
		if (authenticate_user(db, req, &c, user_id, err) == -1)
			return -1;
	} else if (strcmp(grant, "client_credentials") != 0) {
		api_error_set(err, 400, "grant_type", "must be "
		    "client_credentials, password, authorization_code or "
		    "refresh_token");
		return -1;
	}
	return issue(db, req, &c, user_id, NULL, NULL, res, err);
}

int
auth_refresh(ROUTE_HANDLER_PARAMS)
{
	/* unused: /refresh answers in our error shape (docs/api.md), not
	 * with /accesstoken's RFC 6749 body (grant_error) */
	struct grant_fail	 rfc6749 = { NULL };
	struct client		 c;
	char			 grant[64];

	if (require_form(req, err) == -1 ||
	    any_client(req->db, req, &c, err) == -1)
		return -1;
	if (form(req, "grant_type", grant, sizeof(grant)) == 0 &&
	    strcmp(grant, "refresh_token") != 0) {
		api_error_set(err, 400, "grant_type", "must be refresh_token");
		return -1;
	}
	return refresh_grant(req->db, req, &c, res, &rfc6749, err);
}

static const char sql_revoke_consent[] =
    "UPDATE oauth_tokens SET revoked_at = ?1 WHERE consent_id = ?2 AND "
    "  revoked_at IS NULL";

int
auth_tokens_revoke_consent(struct db *db, const char *consent_id)
{
	return update_by_hash(db, sql_revoke_consent, consent_id,
	    clock_now_ms()) == -1 ? -1 : 0;
}

static const char sql_token_app[] =
    "SELECT app_id FROM oauth_tokens WHERE token_hash = ?";

/*
 * RFC 7009 style: an unknown token is not an error (the answer must not
 * tell whether a token exists). Basic credentials are optional, as
 * Trustpilot's clients differ; when given they must be valid and the token
 * must belong to that application.
 */
int
auth_revoke(ROUTE_HANDLER_PARAMS)
{
	struct db	*db = req->db;
	struct client	 c;
	char		 token[FORM_VALUE_MAX], hash[IDS_HASH_LEN + 1];
	struct db_stmt	*st;
	bool		 with_client;
	int		 rc, mine;

	if (require_form(req, err) == -1)
		return -1;
	with_client = request_header(req, "Authorization") != NULL;
	if (with_client && authenticate_client(db, req, &c, err) == -1)
		return -1;
	if (form(req, "token", token, sizeof(token)) == -1 &&
	    form(req, "refresh_token", token, sizeof(token)) == -1) {
		api_error_set(err, 400, "token", "is required");
		return -1;
	}
	ids_token_hash(token, hash);
	if ((rc = db_row(db, sql_token_app, &st, "s", hash)) == -1) {
		db_fail(db, err);
		return -1;
	}
	mine = rc == DB_ROW && (!with_client ||
	    strcmp(db_text(st, 0), c.app_id) == 0);
	db_release(st);
	if (!mine)	/* unknown, or another application's: no change */
		return response_json(res, 200, json_object(), err);
	if (db_tx_begin(db) == -1 ||
	    revoke_hash(db, hash, clock_now_ms()) == -1) {
		db_fail(db, err);
		db_tx_rollback(db);
		return -1;
	}
	return handler_commit(req, res, 200, json_object(), false, err);
}
