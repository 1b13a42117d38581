/*
 * invitations_csv: the record of CSV imports. Owns invitation_imports (one
 * row per upload: status and counts) and invitation_import_rows (the
 * outcome of each line). The uploading request (on the writer's long
 * lane) writes the record inside its chunk transactions
 * (invitations_upload.c); the GET routes (HTTP worker threads) read it.
 *
 * An import is 'importing' from before its first chunk until its last
 * chunk commits ('completed'), or 'failed' when a chunk failed. The
 * chunks already committed stay, with their outcomes. An import left
 * 'importing' that has not moved for IMPORT_STALE_MS (the daemon stopped
 * during it) reads as 'interrupted'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/invitations_csv.h"
#include "reviewd/json.h"
#include "reviewd/log.h"

#define IMPORT_STALE_MS		(60 * 1000)
#define ROWS_PAGE_MAX		1000
#define HREF_MAX		(CONFIG_STR + 160)

int
invitations_import_init(struct csv_import *imp, const char *bu)
{
	memset(imp, 0, sizeof(*imp));
	imp->bu = bu;
	imp->problems = json_array();
	imp->ignored = json_array();
	return imp->problems != NULL && imp->ignored != NULL ? 0 : -1;
}

/* Forgets the row outcomes not stored. */
static void
pending_drop(struct csv_import *imp)
{
	size_t	 i;

	for (i = 0; i < imp->npending; i++) {
		free(imp->pending[i].errors);
		imp->pending[i].errors = NULL;
	}
	imp->npending = 0;
}

void
invitations_import_release(struct csv_import *imp)
{
	if (imp == NULL)
		return;
	pending_drop(imp);
	json_decref(imp->problems);
	json_decref(imp->ignored);
	imp->problems = imp->ignored = NULL;
}

void
invitations_import_reset(struct csv_import *imp)
{
	imp->created = imp->skipped = imp->merged = imp->invalid = 0;
	imp->problems_total = 0;
	json_array_clear(imp->problems);
}

/* One row's outcome as the API shows it. */
static json_t *
outcome_json(size_t line, const char *status, const char *invitation_id,
    const char *reason, json_t *errors)
{
	json_t	*o = json_pack("{s:I, s:s}", "line", (json_int_t)line,
		    "status", status);	/* owned */

	if (o == NULL)
		return NULL;
	if ((invitation_id != NULL && json_object_set_new(o, "invitationId",
	    json_string(invitation_id)) == -1) ||
	    (reason != NULL && json_object_set_new(o, "reason",
	    json_string(reason)) == -1) ||
	    (errors != NULL && json_object_set(o, "errors", errors) == -1)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
invitations_import_count(struct csv_import *imp, size_t line,
    const char *status, const char *invitation_id, const char *reason,
    json_t *errors)
{
	bool	 problem = false;

	if (strcmp(status, "queued") == 0)
		imp->created++;
	else if (strcmp(status, "merged") == 0)
		imp->merged++;
	else if (strcmp(status, "skipped") == 0) {
		imp->skipped++;
		problem = true;
	} else {
		imp->invalid++;
		problem = true;
	}
	if (!problem)
		return 0;
	imp->problems_total++;
	if (json_array_size(imp->problems) >= IMPORT_PROBLEMS_MAX)
		return 0;
	return json_array_append_new(imp->problems, outcome_json(line, status,
	    invitation_id, reason, errors));
}

static const char sql_running[] =
    "SELECT 1 FROM invitation_imports WHERE business_unit_id = ? AND "
    "idempotency_key = ? AND status = 'importing' AND updated_at >= ?";
static const char sql_import_insert[] =
    "INSERT INTO invitation_imports (id, business_unit_id, "
    "  idempotency_key, status, total, ignored_columns, created_at, "
    "  updated_at) VALUES (?1, ?2, ?3, 'importing', ?4, ?5, ?6, ?6)";

int
invitations_import_begin(struct db *db, struct csv_import *imp,
    const char *idem_key, struct api_error *err)
{
	char		*ignored = NULL, id[IDS_ID_LEN + 1];
	int64_t		 now = clock_now_ms();
	int		 rc = DB_DONE, ret = -1;
	bool		 running = false;

	if (db_tx_begin(db) == -1 || (idem_key != NULL &&
	    (rc = db_exists(db, sql_running, "ssi", imp->bu, idem_key,
	    now - IMPORT_STALE_MS)) == -1))
		goto dberr;
	running = rc == DB_ROW;
	if (running) {
		api_error_set(err, 409, "Idempotency-Key", "belongs to an "
		    "import still running");
		goto out;
	}
	ignored = json_dumps(imp->ignored, JSON_COMPACT);
	ids_new(id);
	if (ignored == NULL || db_run(db, sql_import_insert, "sssisi", id,
	    imp->bu, idem_key, (int64_t)imp->total, ignored, now) == -1 ||
	    db_tx_commit(db) == -1)
		goto dberr;
	memcpy(imp->id, id, sizeof(id));
	ret = 0;
	goto out;
dberr:
	db_fail(db, err);
out:
	db_tx_rollback(db);
	free(ignored);
	return ret;
}

/* Binds pending row p as parameters idx.. (line, status, invitation_id,
 * reason, errors). 0 or -1. */
static int
pending_bind(struct db_stmt *st, int idx, const struct csv_import_pending *p)
{
	return db_bind_int(st, idx, p->line) == -1 ||
	    db_bind_text(st, idx + 1, p->status) == -1 ||
	    db_bind_text(st, idx + 2, p->invitation_id[0] != '\0' ?
	    p->invitation_id : NULL) == -1 ||
	    db_bind_text(st, idx + 3, p->reason) == -1 ||
	    db_bind_text(st, idx + 4, p->errors) == -1 ? -1 : 0;
}

/* IMPORT_ROWS_BATCH rows: one statement, not one a row (each of which
 * is a round trip to PostgreSQL) */
static const char sql_rows_insert[] =
    "INSERT INTO invitation_import_rows (import_id, line, status, "
    "invitation_id, reason, errors) VALUES (?1, ?2, ?3, ?4, ?5, ?6), "
    "(?1, ?7, ?8, ?9, ?10, ?11), (?1, ?12, ?13, ?14, ?15, ?16), (?1, "
    "?17, ?18, ?19, ?20, ?21), (?1, ?22, ?23, ?24, ?25, ?26), (?1, ?27, "
    "?28, ?29, ?30, ?31), (?1, ?32, ?33, ?34, ?35, ?36), (?1, ?37, ?38, "
    "?39, ?40, ?41), (?1, ?42, ?43, ?44, ?45, ?46), (?1, ?47, ?48, ?49, "
    "?50, ?51), (?1, ?52, ?53, ?54, ?55, ?56), (?1, ?57, ?58, ?59, ?60, "
    "?61), (?1, ?62, ?63, ?64, ?65, ?66), (?1, ?67, ?68, ?69, ?70, "
    "?71), (?1, ?72, ?73, ?74, ?75, ?76), (?1, ?77, ?78, ?79, ?80, ?81)";
static const char sql_row_insert[] =
    "INSERT INTO invitation_import_rows (import_id, line, status, "
    "  invitation_id, reason, errors) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

int
invitations_import_flush(struct db *db, struct csv_import *imp,
    struct api_error *err)
{
	struct db_stmt	*st = NULL;
	size_t		 i, n = imp->npending;
	int		 ret = -1;

	if (n == 0)
		return 0;
	if (n == IMPORT_ROWS_BATCH) {
		if ((st = db_prepare(db, sql_rows_insert)) == NULL ||
		    db_bind_text(st, 1, imp->id) == -1)
			goto out;
		for (i = 0; i < n; i++) {
			if (pending_bind(st, 2 + 5 * (int)i,
			    &imp->pending[i]) == -1)
				goto out;
		}
		if (db_step(db, st) != DB_DONE)
			goto out;
	} else {
		for (i = 0; i < n; i++) {
			if ((st = db_prepare(db, sql_row_insert)) == NULL ||
			    db_bind_text(st, 1, imp->id) == -1 ||
			    pending_bind(st, 2, &imp->pending[i]) == -1 ||
			    db_step(db, st) != DB_DONE)
				goto out;
			db_release(st);
			st = NULL;
		}
	}
	pending_drop(imp);
	ret = 0;
out:
	db_release(st);
	if (ret == -1)
		db_fail(db, err);
	return ret;
}

int
invitations_import_row(struct db *db, struct csv_import *imp, size_t line,
    const char *status, const char *invitation_id, const char *reason,
    json_t *errors, struct api_error *err)
{
	struct csv_import_pending *p;

	if (imp->npending == IMPORT_ROWS_BATCH &&
	    invitations_import_flush(db, imp, err) == -1)
		return -1;
	p = &imp->pending[imp->npending];
	p->line = (int64_t)line;
	p->status = status;
	p->reason = reason;
	snprintf(p->invitation_id, sizeof(p->invitation_id), "%s",
	    invitation_id != NULL ? invitation_id : "");
	p->errors = NULL;
	if ((errors != NULL && (p->errors = json_dumps(errors,
	    JSON_COMPACT)) == NULL) || invitations_import_count(imp, line,
	    status, invitation_id, reason, errors) == -1) {
		free(p->errors);
		p->errors = NULL;
		api_error_internal(err);
		return -1;
	}
	imp->npending++;
	return 0;
}

static const char sql_import_save[] =
    "UPDATE invitation_imports SET created = ?2, skipped = ?3, "
    "  merged = ?4, invalid = ?5, updated_at = ?6, "
    "  status = CASE WHEN ?7 THEN 'completed' ELSE status END, "
    "  finished_at = CASE WHEN ?7 THEN ?6 END WHERE id = ?1";

int
invitations_import_save(struct db *db, struct csv_import *imp,
    bool done, struct api_error *err)
{
	if (invitations_import_flush(db, imp, err) == -1)
		return -1;
	if (db_run(db, sql_import_save, "siiiiii", imp->id,
	    (int64_t)imp->created, (int64_t)imp->skipped,
	    (int64_t)imp->merged, (int64_t)imp->invalid, clock_now_ms(),
	    (int64_t)done) == -1) {
		db_fail(db, err);
		return -1;
	}
	return 0;
}

static const char sql_import_fail[] =
    "UPDATE invitation_imports SET status = 'failed', updated_at = ?2, "
    "  finished_at = ?2 WHERE id = ?1 AND status = 'importing'";

void
invitations_import_fail(struct db *db, struct csv_import *imp)
{
	pending_drop(imp);
	if (db == NULL || imp->id[0] == '\0')
		return;
	db_tx_rollback(db);
	if (db_tx_begin(db) == 0) {
		if (db_run(db, sql_import_fail, "si", imp->id,
		    clock_now_ms()) == 0 && db_tx_commit(db) == 0)
			return;
		db_tx_rollback(db);
	}
	log_warn("csv import=%s could not be marked failed (it will read "
	    "as interrupted)", imp->id);
}

/* The links of an import: itself and its rows. */
static json_t *
import_links(const struct request *req, const char *bu, const char *id)
{
	char	 self[HREF_MAX], rows[HREF_MAX + 8];

	snprintf(self, sizeof(self), "%s/v1/private/business-units/%s/"
	    "invitation-imports/%s", req->cfg->public_url, bu, id);
	snprintf(rows, sizeof(rows), "%s/rows", self);
	return json_pack("[o, o]", json_link(self, "GET", "self"),
	    json_link(rows, "GET", "rows"));
}

json_t *
invitations_import_json(const struct request *req,
    const struct csv_import *imp, const char *status)
{
	json_t	*o;	/* owned */

	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:O}",
	    "importId", imp->id, "status", status,
	    "total", (json_int_t)imp->total,
	    "created", (json_int_t)imp->created,
	    "skipped", (json_int_t)imp->skipped,
	    "merged", (json_int_t)imp->merged,
	    "invalid", (json_int_t)imp->invalid,
	    "problems", (json_int_t)imp->problems_total,
	    "rows", imp->problems, "ignoredColumns", imp->ignored);
	if (o == NULL)
		return NULL;
	if (imp->id[0] == '\0') {
		/* refused before it began: nothing to link to */
		json_object_del(o, "importId");
		return o;
	}
	if (json_object_set_new(o, "links", import_links(req, imp->bu,
	    imp->id)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Reading the record back. */

static const char sql_import_get[] =
    "SELECT id, business_unit_id, CASE WHEN status = 'importing' AND "
    "  updated_at < ?3 THEN 'interrupted' ELSE status END, total, "
    "  created, skipped, merged, invalid, ignored_columns, created_at, "
    "  updated_at, finished_at FROM invitation_imports "
    "WHERE id = ?1 AND business_unit_id = ?2";

/* The import named by the path, of the caller's unit (404 otherwise);
 * *out is left on its row. */
static int
find_import(const struct request *req, const char **bu,
    struct db_stmt **out, struct api_error *err)
{
	struct db_stmt	*st;
	int		 rc;

	if (auth_business_unit(req, bu, err) == -1)
		return -1;
	rc = db_row(req->db, sql_import_get, &st, "ssi",
	    request_param(req, "importId"), *bu,
	    clock_now_ms() - IMPORT_STALE_MS);
	if (rc == -1)
		db_fail(req->db, err);
	else if (rc == DB_DONE)
		api_error_set(err, 404, NULL, "Import not found");
	else
		*out = st;
	return rc == DB_ROW ? 0 : -1;
}

int
invitations_import_get(ROUTE_HANDLER_PARAMS)
{
	struct db_stmt	*st = NULL;
	json_error_t	 jerr;
	json_t		*o = NULL;	/* owned */
	const char	*bu;
	int64_t		 total, done;

	if (find_import(req, &bu, &st, err) == -1)
		return -1;
	total = db_int(st, 3);
	done = db_int(st, 4) + db_int(st, 5) +
	    db_int(st, 6) + db_int(st, 7);
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o, "
	    "s:o, s:o, s:o, s:o}", "id", db_text(st, 0),
	    "businessUnitId", db_text(st, 1), "status", db_text(st, 2),
	    "total", (json_int_t)total, "processed", (json_int_t)done,
	    "created", (json_int_t)db_int(st, 4),
	    "skipped", (json_int_t)db_int(st, 5),
	    "merged", (json_int_t)db_int(st, 6),
	    "invalid", (json_int_t)db_int(st, 7),
	    "ignoredColumns", json_loads(db_text(st, 8), 0, &jerr),
	    "createdAt", db_json_time(st, 9), "updatedAt", db_json_time(st, 10),
	    "finishedAt", db_json_time(st, 11),
	    "links", import_links(req, bu, db_text(st, 0)));
	db_release(st);
	return response_json(res, 200, o, err);
}

static const char sql_import_rows[] =
    "SELECT line, status, invitation_id, reason, errors "
    "FROM invitation_import_rows WHERE import_id = ?1 AND "
    "(?2 IS NULL OR status = ?2) ORDER BY line LIMIT ?3 OFFSET ?4";

/* One row of sql_import_rows as the API shows it. */
static json_t *
row_outcome(struct db_stmt *st)
{
	json_error_t	 jerr;
	json_t		*errors, *o;	/* owned */

	errors = db_is_null(st, 4) ? NULL : json_loads(db_text(st, 4), 0,
	    &jerr);
	o = outcome_json((size_t)db_int(st, 0), db_text(st, 1),
	    db_is_null(st, 2) ? NULL : db_text(st, 2),
	    db_is_null(st, 3) ? NULL : db_text(st, 3), errors);
	json_decref(errors);
	return o;
}

int
invitations_import_rows(ROUTE_HANDLER_PARAMS)
{
	static const char *const statuses[] = { "queued", "skipped", "merged",
	    "invalid", NULL };
	struct handler_page p = { 1, 100 };
	struct db_stmt	*st = NULL;
	const char	*bu, *status;
	char		 id[IDS_ID_LEN + 1];

	if (find_import(req, &bu, &st, err) == -1)
		return -1;
	snprintf(id, sizeof(id), "%s", db_text(st, 0));
	db_release(st);
	status = request_query_enum(req, "status", statuses, "must be "
	    "queued, skipped, merged or invalid", err);
	if (handler_page_args(req, ROWS_PAGE_MAX, &p, err) == -1 ||
	    err->status != 0)
		return -1;
	return handler_page_query(req, res, &p, sql_import_rows, row_outcome,
	    "rows", err, "ss", id, status);
}
