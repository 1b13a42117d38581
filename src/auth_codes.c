/*
 * auth_codes: consents of business users to third-party applications and
 * the single-use authorization codes (see auth_codes.h). Codes are stored
 * as BLAKE2b hashes, spent by one UPDATE so that two exchanges of one code
 * cannot both succeed, and kept an hour after they expire so that a replay
 * is recognised (its tokens are then revoked by the token endpoint). HTTP
 * worker threads.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "reviewd/auth_codes.h"
#include "reviewd/clock.h"

#define KEEP_SPENT_MS	(60 * 60 * 1000)

static const char sql_consent_find[] =
    "SELECT id FROM oauth_consents WHERE user_id = ? AND app_id = ? "
    "  AND revoked_at IS NULL";
static const char sql_consent_insert[] =
    "INSERT INTO oauth_consents (id, app_id, user_id, business_unit_id, "
    "  created_at, approved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)";
static const char sql_consent_renew[] =
    "UPDATE oauth_consents SET approved_at = ? WHERE id = ?";
static const char sql_code_prune[] =
    "DELETE FROM oauth_codes WHERE code_hash IN (SELECT code_hash "
    "FROM oauth_codes WHERE expires_at <= ? LIMIT 64)";
static const char sql_code_insert[] =
    "INSERT INTO oauth_codes (code_hash, consent_id, redirect_uri, "
    "  redirect_given, code_challenge, created_at, expires_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";

int
auth_codes_issue(struct db *db, const char *app_id, const char *user_id,
    const char *unit_id, const char *redirect_uri, bool redirect_given,
    const char *challenge, char code[IDS_TOKEN_LEN + 1],
    struct api_error *err)
{
	char	 consent[IDS_ID_LEN + 1], hash[IDS_HASH_LEN + 1];
	int64_t	 now = clock_now_ms();
	int	 rc, ret = -1;

	ids_token(code);
	ids_token_hash(code, hash);
	if (db_tx_begin(db) == -1 ||
	    db_run(db, sql_code_prune, "i", now - KEEP_SPENT_MS) == -1 ||
	    (rc = db_one_text(db, sql_consent_find, consent, sizeof(consent),
	    "ss", user_id, app_id)) == -1)
		goto out;
	if (rc == DB_DONE) {
		ids_new(consent);
		if (db_run(db, sql_consent_insert, "ssssi", consent, app_id,
		    user_id, unit_id, now) == -1)
			goto out;
	} else if (db_run(db, sql_consent_renew, "is", now, consent) == -1)
		goto out;
	if (db_run(db, sql_code_insert, "sssisii", hash, consent,
	    redirect_uri, (int64_t)redirect_given, challenge, now,
	    now + AUTH_CODES_TTL_MS) == -1 || db_tx_commit(db) == -1)
		goto out;
	ret = 0;
out:
	if (ret == -1) {	/* every failure above is the database's */
		db_fail(db, err);
		sodium_memzero(code, IDS_TOKEN_LEN + 1);
	}
	db_tx_rollback(db);	/* no-op after the commit */
	return ret;
}

static const char sql_code_claim[] =
    "UPDATE oauth_codes SET used_at = ?1 WHERE code_hash = ?2 AND "
    "  used_at IS NULL RETURNING consent_id, redirect_uri, redirect_given, "
    "  coalesce(code_challenge, ''), expires_at";
static const char sql_code_spent[] =
    "SELECT 1 FROM oauth_codes WHERE code_hash = ? AND used_at IS NOT NULL";
static const char sql_consent_get[] =
    "SELECT app_id, user_id, business_unit_id FROM oauth_consents "
    "WHERE id = ? AND revoked_at IS NULL";

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

int
auth_codes_claim(struct db *db, const char *code_hash,
    struct auth_code_grant *g, bool *replayed)
{
	struct db_stmt	*st = NULL;
	int		 rc, ret = -1;

	*replayed = false;
	memset(g, 0, sizeof(*g));
	if (db_tx_begin(db) == -1 || (rc = db_row(db, sql_code_claim, &st,
	    "is", clock_now_ms(), code_hash)) == -1)
		goto out;
	if (rc == DB_ROW) {
		copy(g->consent_id, sizeof(g->consent_id), db_text(st, 0));
		copy(g->redirect_uri, sizeof(g->redirect_uri),
		    db_text(st, 1));
		g->redirect_given = db_int(st, 2) != 0;
		copy(g->challenge, sizeof(g->challenge), db_text(st, 3));
		g->expires_at = db_int(st, 4);
		db_release(st);
		st = NULL;
		if ((rc = db_row(db, sql_consent_get, &st, "s",
		    g->consent_id)) == -1)
			goto out;
		if (rc == DB_ROW) {
			copy(g->app_id, sizeof(g->app_id), db_text(st, 0));
			copy(g->user_id, sizeof(g->user_id), db_text(st, 1));
			copy(g->business_unit_id,
			    sizeof(g->business_unit_id), db_text(st, 2));
		}
	} else if ((rc = db_exists(db, sql_code_spent, "s", code_hash)) ==
	    -1)
		goto out;
	else {
		*replayed = rc == DB_ROW;
		rc = DB_DONE;
	}
	db_release(st);
	st = NULL;
	if (db_tx_commit(db) == -1)
		goto out;
	ret = rc;
out:
	db_release(st);
	db_tx_rollback(db);	/* no-op after the commit */
	return ret;
}

int
auth_codes_consent_active(struct db *db, const char *consent_id)
{
	static const char sql[] = "SELECT 1 FROM oauth_consents "
	    "WHERE id = ? AND revoked_at IS NULL";

	return db_exists(db, sql, "s", consent_id);
}

static const char sql_consent_revoke[] =
    "UPDATE oauth_consents SET revoked_at = ?1 WHERE user_id = ?2 AND "
    "  app_id = ?3 AND revoked_at IS NULL RETURNING id";
static const char sql_codes_forget[] =
    "DELETE FROM oauth_codes WHERE consent_id = ? AND used_at IS NULL";

int
auth_codes_revoke(struct db *db, const char *user_id, const char *app_id,
    char consent_id[IDS_ID_LEN + 1])
{
	int	 rc;

	rc = db_one_text(db, sql_consent_revoke, consent_id, IDS_ID_LEN + 1,
	    "iss", clock_now_ms(), user_id, app_id);
	if (rc == DB_ROW && db_run(db, sql_codes_forget, "s", consent_id) ==
	    -1)
		return -1;
	return rc;
}

bool
auth_codes_pkce_valid(const char *s)
{
	size_t	 n = strlen(s);

	if (n < 43 || n > AUTH_CODES_CHALLENGE_MAX)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~") == n;
}

bool
auth_codes_pkce_match(const char *verifier, const char *challenge)
{
	unsigned char	 digest[crypto_hash_sha256_BYTES];
	char		 b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
			    sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	if (!auth_codes_pkce_valid(verifier) ||
	    crypto_hash_sha256(digest, (const unsigned char *)verifier,
	    strlen(verifier)) != 0)
		return false;
	sodium_bin2base64(b64, sizeof(b64), digest, sizeof(digest),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return ids_equal(b64, challenge);
}
