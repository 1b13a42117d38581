/*
 * outbox_admin: the outbox's admin API (GET /v1/admin/outbox, POST
 * /v1/admin/outbox/{id}/retry) on HTTP worker threads, and the changes
 * of rows other modules ask for inside their own transactions (a deleted
 * subscription, erasure). Declared in outbox.h: the outbox is the one
 * writer of its table.
 */
#include <stdio.h>
#include <stdlib.h>

#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/outbox.h"

#define PAGE_MAX	100

/* Admin API. */

#define ROW_COLUMNS							\
	"public_id, kind, status, attempts, next_attempt_at, lease_until, " \
	"last_error, created_at, give_up_at, delivered_at, "		\
	"business_unit_id, subscription_id, payload"

static json_t *
row_json(struct db_stmt *st)
{
	json_t		*o, *payload;	/* owned */
	json_error_t	 jerr;
	static const struct {
		const char	*key;
		int		 col;
	} times[] = {
		{ "nextAttemptAt", 4 }, { "leaseUntil", 5 }, { "createdAt", 7 },
		{ "giveUpAt", 8 }, { "deliveredAt", 9 },
	};
	size_t		 i;

	o = json_pack("{s:s, s:s, s:s, s:I}", "id", db_text(st, 0), "kind",
	    db_text(st, 1), "status", db_text(st, 2), "attempts",
	    (json_int_t)db_int(st, 3));
	if (o == NULL)
		return NULL;
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		if (json_object_set_new(o, times[i].key, db_json_time(st,
		    times[i].col)) == -1)
			goto fail;
	}
	payload = json_loads(db_text(st, 12), 0, &jerr);
	if (json_object_set_new(o, "lastError",
	    db_json_text(st, 6)) == -1 ||
	    json_object_set_new(o, "businessUnitId",
	    db_json_text(st, 10)) == -1 ||
	    json_object_set_new(o, "subscriptionId",
	    db_json_text(st, 11)) == -1 ||
	    json_object_set_new(o, "payload",
	    payload != NULL ? payload : json_null()) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static const char sql_list[] =
    "SELECT " ROW_COLUMNS " FROM outbox "
    "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR kind = ?2) "
    "ORDER BY id DESC LIMIT ?3 OFFSET ?4";

int
outbox_admin_list(ROUTE_HANDLER_PARAMS)
{
	static const char *const statuses[] = { "pending", "delivering",
	    "delivered", "dead", NULL };
	static const char *const kinds[] = { "email", "webhook", NULL };
	const char		*status, *kind;
	struct handler_page	 p = { 1, 20 };

	status = request_query_enum(req, "status", statuses, "must be "
	    "pending, delivering, delivered or dead", err);
	kind = request_query_enum(req, "kind", kinds, "must be email or "
	    "webhook", err);
	if (handler_page_args(req, PAGE_MAX, &p, err) == -1 ||
	    err->status != 0)
		return -1;
	return handler_page_query(req, res, &p, sql_list, row_json, "outbox",
	    err, "ss", status, kind);
}

static const char sql_retry_dead[] =
    "UPDATE outbox SET status = 'pending', next_attempt_at = ?1, "
    "  give_up_at = ?2, attempts = 0, lease_until = NULL "
    "WHERE public_id = ?3 AND status = 'dead'";
static const char sql_by_public_id[] =
    "SELECT " ROW_COLUMNS " FROM outbox WHERE public_id = ?";

int
outbox_admin_retry(ROUTE_HANDLER_PARAMS)
{
	struct db	*db = req->db;
	const char	*id = request_param(req, "outboxId");
	struct db_stmt	*st = NULL;
	int64_t		 now = clock_now_ms();
	int64_t		 changed = 0;
	int		 rc = -1, ret = -1;
	json_t		*row;	/* owned, taken by handler_commit */

	if (db_tx_begin(db) == 0 && db_run(db, sql_retry_dead, "iis", now,
	    now + req->cfg->outbox_give_up_s * 1000, id) == 0) {
		changed = db_changes(db);
		rc = db_row(db, sql_by_public_id, &st, "s", id);
	}
	if (rc == -1)
		db_fail(db, err);
	else if (rc == DB_DONE)
		api_error_set(err, 404, NULL, "Outbox row not found");
	else if (changed == 0)
		api_error_set(err, 409, NULL, "Only dead rows can be retried; "
		    "this one is %s", db_text(st, 2));
	else {
		row = row_json(st);
		db_release(st);
		st = NULL;
		ret = handler_commit(req, res, 200, row, true, err);
	}
	db_release(st);
	db_tx_rollback(db);
	return ret;
}

/* Changing rows for other modules. */

static const char sql_kill_subscription[] =
    "UPDATE outbox SET status = 'dead', lease_until = NULL, "
    "last_error = 'the subscription was deleted' "
    "WHERE subscription_id = ? AND status IN ('pending', 'delivering')";

int
outbox_kill_subscription(struct db *db, const char *subscription)
{
	return db_run(db, sql_kill_subscription, "s", subscription);
}

static const char sql_anonymise[] =
    "UPDATE outbox SET payload = json_replace(payload, "
    "  '$.body.events[0].eventData.consumer.name', 'Anonymous') "
    "WHERE kind = 'webhook' AND json_extract(payload, "
    "  '$.body.events[0].eventData.consumer.id') IN "
    "  (SELECT value FROM json_each(?))";

int
outbox_anonymise_consumers(struct db *db, const char *ids)
{
	return db_run(db, sql_anonymise, "s", ids);
}

/* instr() is SQLite's (strpos() in PostgreSQL); see db.h. */
static const char sql_erase[] =
    "UPDATE outbox SET payload = '{\"erased\":true}', "
    "  status = CASE WHEN status IN ('pending', 'delivering') THEN 'dead' "
    "  ELSE status END, last_error = CASE WHEN status IN ('pending', "
    "  'delivering') THEN 'erased on request' ELSE last_error END "
    "WHERE business_unit_id = ?1 AND (owner = ?2 OR "
    "  (?3 IS NOT NULL AND instr(lower(payload), '\"' || lower(?3) || "
    "  '\"') > 0 AND (owner LIKE 'invitation:%' OR kind = 'webhook' OR "
    "  status NOT IN ('pending', 'delivering'))))";

int
outbox_erase(struct db *db, const char *unit, const char *owner,
    const char *email)
{
	return db_run(db, sql_erase, "sss", unit, owner, email);
}
