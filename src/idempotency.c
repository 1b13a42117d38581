/*
 * idempotency: owns idempotency_keys, the answers to calls made with an
 * Idempotency-Key header, each under the hash of its request body. HTTP
 * worker threads replay and save answers inside their write
 * transactions; the scheduler thread purges expired keys; erasure
 * forgets the answers that name an address.
 */
#include <stdlib.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/idempotency.h"

#define KEY_MAX		255

static const char sql_idem_get[] =
    "SELECT request_hash, status, response FROM idempotency_keys "
    "WHERE business_unit_id = ? AND key = ? AND created_at >= ?";
/* REPLACE: an expired key the scheduler has not purged yet is new again */
static const char sql_idem_put[] =
    "INSERT OR REPLACE INTO idempotency_keys (business_unit_id, key, "
    "  request_hash, status, response, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";
static const char sql_idem_purge[] =
    "DELETE FROM idempotency_keys WHERE created_at < ?";
static const char sql_idem_erase[] =
    "DELETE FROM idempotency_keys WHERE business_unit_id = ?1 AND "
    "  instr(lower(response), '\"' || lower(?2) || '\"') > 0";

int
idempotency_read(const struct request *req, struct idempotency *ik,
    struct api_error *err)
{
	const unsigned char	*p;

	ik->window_ms = req->cfg->invitation_idempotency_h * 3600000;
	ik->key = request_header(req, "Idempotency-Key");
	if (ik->key == NULL)
		return 0;
	for (p = (const unsigned char *)ik->key; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7e)
			break;
	}
	if (*p != '\0' || p == (const unsigned char *)ik->key ||
	    strlen(ik->key) > KEY_MAX) {
		api_error_set(err, 400, "Idempotency-Key", "must be 1 to %d "
		    "visible ASCII characters", KEY_MAX);
		return -1;
	}
	ids_token_hash(req->body, ik->hash);
	return 0;
}

int
idempotency_replay(struct db *db, const char *bu,
    const struct idempotency *ik, struct response *res,
    struct api_error *err)
{
	struct db_stmt	*st;
	json_error_t	 jerr;
	int		 rc, ret = -1;

	if (ik->key == NULL)
		return 0;
	st = db_prepare(db, sql_idem_get);
	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    db_bind_text(st, 2, ik->key) == -1 ||
	    db_bind_int(st, 3, clock_now_ms() - ik->window_ms) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (rc == DB_DONE) {
		ret = 0;
		goto out;
	}
	if (strcmp(db_text(st, 0), ik->hash) != 0) {
		api_error_set(err, 409, "Idempotency-Key", "was already used "
		    "with a different request");
		goto out;
	}
	if (response_json(res, (int)db_int(st, 1), json_loads(
	    db_text(st, 2), 0, &jerr), err) == -1 ||
	    response_header(res, "Idempotent-Replayed", "true") == -1)
		goto out;
	ret = 1;
out:
	db_release(st);
	return ret;
}

int
idempotency_save(struct db *db, const char *bu, const struct idempotency *ik,
    int status, json_t *body)
{
	struct db_stmt	*st;
	char		*text;
	int		 rc = -1;

	if (ik->key == NULL)
		return 0;
	text = json_dumps(body, JSON_COMPACT);
	st = db_prepare(db, sql_idem_put);
	if (text != NULL && st != NULL && db_bind_text(st, 1, bu) == 0 &&
	    db_bind_text(st, 2, ik->key) == 0 &&
	    db_bind_text(st, 3, ik->hash) == 0 &&
	    db_bind_int(st, 4, status) == 0 &&
	    db_bind_text(st, 5, text) == 0 &&
	    db_bind_int(st, 6, clock_now_ms()) == 0)
		rc = db_step(db, st);
	db_release(st);
	free(text);
	return rc == DB_DONE ? 0 : -1;
}

int
idempotency_purge(struct db *db, int64_t before)
{
	struct db_stmt	*st = db_prepare(db, sql_idem_purge);
	int		 rc = -1;

	if (st != NULL && db_bind_int(st, 1, before) == 0)
		rc = db_step(db, st);
	db_release(st);
	return rc == DB_DONE ? 0 : -1;
}

int
idempotency_erase_address(struct db *db, const char *bu, const char *email)
{
	struct db_stmt	*st = db_prepare(db, sql_idem_erase);
	int		 rc = -1;

	if (st != NULL && db_bind_text(st, 1, bu) == 0 &&
	    db_bind_text(st, 2, email) == 0)
		rc = db_step(db, st);
	db_release(st);
	return rc == DB_DONE ? 0 : -1;
}
