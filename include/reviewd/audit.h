#ifndef REVIEWD_AUDIT_H
#define REVIEWD_AUDIT_H

#include "reviewd/db.h"
#include "reviewd/request.h"

/*
 * The audit trail (the audit_log table, written only here): every step of
 * Find Reviewer and of reports, who took it and on what. Appended inside
 * the caller's transaction; the operator reads it back.
 */

/* Appends to the audit trail inside the caller's transaction. actor is
 * "business:<unit>", "admin", "reviewer" or "system"; subject
 * "review:<id>", "report:<id>", "find-reviewer:<id>"; detail may be NULL.
 * 0 or -1 (see db_fail). */
int	audit_add(struct db *db, const char *actor, const char *action,
	    const char *subject, const char *detail);

/* GET /v1/admin/audit: the trail, oldest first, optionally of one
 * subject, a page at a time. */
route_handler	audit_list;

#endif
