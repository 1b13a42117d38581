/*
 * audit: the audit trail. Owns audit_log, an append-only table: rows are
 * added inside the transaction of the step they record (so a rolled back
 * step leaves no entry) and never changed. HTTP worker threads and the
 * scheduler thread (Find Reviewer deadlines) append; the operator reads.
 */
#include <stdint.h>

#include "reviewd/audit.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/json.h"

#define PAGE_MAX	1000

static const char sql_audit[] =
    "INSERT INTO audit_log (at, actor, action, subject, detail) "
    "VALUES (?, ?, ?, ?, ?)";

int
audit_add(struct db *db, const char *actor, const char *action,
    const char *subject, const char *detail)
{
	return db_run(db, sql_audit, "issss", clock_now_ms(), actor, action,
	    subject, detail);
}

static const char sql_audit_list[] =
    "SELECT id, at, actor, action, subject, detail FROM audit_log "
    "WHERE (?1 IS NULL OR subject = ?1) ORDER BY id LIMIT ?2 OFFSET ?3";

static json_t *
entry_json(struct db_stmt *st)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "id",
	    (json_int_t)db_int(st, 0), "actor", db_text(st, 2), "action",
	    db_text(st, 3), "subject", db_text(st, 4), "detail",
	    db_json_text(st, 5), "at", db_json_time(st, 1));
}

int
audit_list(ROUTE_HANDLER_PARAMS)
{
	struct handler_page	 p = { 1, 100 };

	if (handler_page_args(req, PAGE_MAX, &p, err) == -1)
		return -1;
	return handler_page_query(req, res, &p, sql_audit_list, entry_json,
	    "entries", err, "s", request_query(req, "subject"));
}
