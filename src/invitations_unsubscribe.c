/*
 * invitations_unsubscribe: a reviewer's "no more invitations from this
 * business". Owns unsubscribes and the setting "unsubscribe_key". The
 * unsubscribe page (HTTP worker threads) adds rows; storing and
 * dispatching an invitation (worker and scheduler threads) look them up.
 *
 * Unsubscribes remember no address: only HMAC-SHA256 of the lowercased
 * address under a server secret (base64, 44 characters), so a copy of the
 * database cannot be reversed with a list of likely addresses. The secret
 * is 32 random bytes as hex in settings, made on first use. Rows from
 * before the secret hold the bare BLAKE2b hex of the address (64
 * characters): they are still matched, and a match re-keys the row.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "reviewd/clock.h"
#include "reviewd/ids.h"
#include "reviewd/invitations_unsubscribe.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/settings.h"

#define UNSUB_KEY_NAME	"unsubscribe_key"
#define UNSUB_KEY_LEN	INV_UNSUB_KEY_LEN

static const char sql_unsubscribed[] =
    "SELECT address_hash FROM unsubscribes WHERE business_unit_id = ?1 AND "
    "address_hash IN (?2, ?3)";
/* The legacy row takes the new hash; a row already under it goes first
 * (SQLite's UPDATE OR REPLACE, in SQL both engines speak). */
static const char sql_unsubscribe_drop_new[] =
    "DELETE FROM unsubscribes WHERE business_unit_id = ?1 AND "
    "address_hash = ?2";
static const char sql_unsubscribe_rekey[] =
    "UPDATE unsubscribes SET address_hash = ?3 "
    "WHERE business_unit_id = ?1 AND address_hash = ?2";

/* The server secret, made if there is none yet: inside the caller's write
 * transaction. 0 or -1. */
static int
unsubscribe_key(struct db *db, char key[UNSUB_KEY_LEN + 1])
{
	return settings_secret(db, UNSUB_KEY_NAME, key, UNSUB_KEY_LEN);
}

void
invitations_address_hashes(const char *key, const char *email,
    struct unsub_hashes *h)
{
	char	 lower[MAILER_ADDRESS_MAX + 1];
	size_t	 i;

	for (i = 0; email[i] != '\0' && i < MAILER_ADDRESS_MAX; i++)
		lower[i] = (char)tolower((unsigned char)email[i]);
	lower[i] = '\0';
	ids_hmac_sha256_base64((const unsigned char *)key, UNSUB_KEY_LEN,
	    lower, i, h->hmac);
	ids_token_hash(lower, h->legacy);
}

int
invitations_unsubscribe_key(struct db *db, char key[UNSUB_KEY_LEN + 1])
{
	bool	 found;

	if (settings_get(db, UNSUB_KEY_NAME, key, UNSUB_KEY_LEN + 1,
	    &found) == -1)
		return -1;
	return found && strlen(key) == UNSUB_KEY_LEN ? 0 : 1;
}

int
invitations_unsubscribed_hashed(struct db *db, const char *bu,
    const struct unsub_hashes *h, bool *found)
{
	struct db_stmt	*st;
	bool		 rekey;
	int		 rc;

	if ((rc = db_row(db, sql_unsubscribed, &st, "sss", bu, h->hmac,
	    h->legacy)) == -1)
		return -1;
	*found = rc == DB_ROW;
	rekey = *found && strcmp(db_text(st, 0), h->legacy) == 0;
	db_release(st);
	if (!rekey)
		return 0;
	if (db_run(db, sql_unsubscribe_drop_new, "ss", bu, h->hmac) == -1)
		return -1;
	return db_run(db, sql_unsubscribe_rekey, "sss", bu, h->legacy,
	    h->hmac);
}

/* email's hashes under the server secret, made if there is none yet:
 * inside the caller's write transaction. 0 or -1. */
static int
hashes_of(struct db *db, const char *email, struct unsub_hashes *h)
{
	char	 key[UNSUB_KEY_LEN + 1];

	if (unsubscribe_key(db, key) == -1)
		return -1;
	invitations_address_hashes(key, email, h);
	sodium_memzero(key, sizeof(key));
	return 0;
}

int
invitations_unsubscribed(struct db *db, const char *bu, const char *email,
    bool *found)
{
	struct unsub_hashes h;

	if (hashes_of(db, email, &h) == -1)
		return -1;
	return invitations_unsubscribed_hashed(db, bu, &h, found);
}

static const char sql_legacy_any[] =
    "SELECT 1 FROM unsubscribes WHERE length(address_hash) = 64 LIMIT 1";
static const char sql_legacy_addresses[] =
    "SELECT seq, business_unit_id, consumer_email FROM invitations "
    "WHERE seq > ?1 AND consumer_email IS NOT NULL AND business_unit_id IN "
    "  (SELECT business_unit_id FROM unsubscribes "
    "   WHERE length(address_hash) = 64) "
    "ORDER BY seq LIMIT ?2";

#define REKEY_BATCH	200

/*
 * The next REKEY_BATCH invitations of units that have rows stored before
 * the server secret (see unsubscribe_key), each address checked (which
 * re-keys its row).
 */
bool
invitations_unsubscribe_rekey(struct db *db, int64_t *seq)
{
	struct db_stmt	*st = NULL;
	char		 bu[IDS_ID_LEN + 1];
	bool		 found, done = false;
	int64_t		 n = 0;
	int		 rc;

	if (db_tx_begin(db) == -1 ||
	    (rc = db_exists(db, sql_legacy_any, "")) == -1)
		goto out;
	if (rc == DB_DONE) {
		done = true;
		goto out;
	}
	st = db_query(db, sql_legacy_addresses, "ii", *seq,
	    (int64_t)REKEY_BATCH);
	while (st != NULL && (rc = db_step(db, st)) == DB_ROW) {
		n++;
		*seq = db_int(st, 0);
		snprintf(bu, sizeof(bu), "%s", db_text(st, 1));
		if (invitations_unsubscribed(db, bu, db_text(st, 2),
		    &found) == -1)
			goto out;
	}
	if (st == NULL || rc == -1)
		goto out;
	db_release(st);
	st = NULL;
	if (db_tx_commit(db) == 0)
		done = n < REKEY_BATCH;
out:
	db_release(st);
	db_tx_rollback(db);
	return done;
}

static const char sql_by_unsubscribe[] =
    "SELECT i.business_unit_id, i.consumer_email, b.display_name "
    "FROM invitations i JOIN business_units b ON b.id = i.business_unit_id "
    "WHERE (i.id = ?1 AND i.keyed_unsubscribe_hash = ?2) OR "
    "  i.unsubscribe_hash = ?2";	/* keyed: see invitations_links.c */
static const char sql_unsubscribe[] =
    "INSERT OR IGNORE INTO unsubscribes (business_unit_id, address_hash, "
    "  created_at) VALUES (?, ?, ?)";

int
invitations_unsubscribe(struct db *db, const char *token, bool apply,
    char *business, size_t business_len)
{
	struct db_stmt	*st = NULL;
	struct unsub_hashes h;
	char		 hash[IDS_HASH_LEN + 1];
	char		 bu[IDS_ID_LEN + 1], key[IDS_ID_LEN + 1];
	int		 rc, ret = -1;
	bool		 erased;

	if (strlen(token) != IDS_TOKEN_LEN)
		return 1;
	ids_token_key(token, key);
	ids_token_hash(token, hash);
	if (db_tx_begin(db) == -1)
		return -1;
	if ((rc = db_row(db, sql_by_unsubscribe, &st, "ss", key, hash)) == -1)
		goto out;
	if (rc == DB_DONE) {
		ret = 1;
		goto out;
	}
	snprintf(bu, sizeof(bu), "%s", db_text(st, 0));
	snprintf(business, business_len, "%s", db_text(st, 2));
	erased = db_is_null(st, 1);
	/* the secret may be made here: only when the change is committed */
	if (apply && !erased && hashes_of(db, db_text(st, 1), &h) == -1)
		goto out;
	db_release(st);
	st = NULL;
	if (apply && !erased && (db_run(db, sql_unsubscribe, "ssi", bu,
	    h.hmac, clock_now_ms()) == -1 || db_tx_commit(db) == -1))
		goto out;
	ret = 0;
out:
	db_release(st);
	db_tx_rollback(db);
	return ret;
}

