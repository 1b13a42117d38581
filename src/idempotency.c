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
	if ((rc = db_row(db, sql_idem_get, &st, "ssi", bu, ik->key,
	    clock_now_ms() - ik->window_ms)) != DB_ROW) {
		if (rc == -1)
			db_fail(db, err);
		return rc == -1 ? -1 : 0;
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
	char	*text;
	int	 ret = -1;

	if (ik->key == NULL)
		return 0;
	text = json_dumps(body, JSON_COMPACT);
	if (text != NULL && db_run(db, sql_idem_put, "sssisi", bu, ik->key,
	    ik->hash, (int64_t)status, text, clock_now_ms()) == 0)
		ret = 0;
	free(text);
	return ret;
}

int
idempotency_purge(struct db *db, int64_t before)
{
	return db_run(db, sql_idem_purge, "i", before);
}

int
idempotency_erase_address(struct db *db, const char *bu, const char *email)
{
	return db_run(db, sql_idem_erase, "ss", bu, email);
}
