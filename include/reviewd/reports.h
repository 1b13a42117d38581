#ifndef REVIEWD_REPORTS_H
#define REVIEWD_REPORTS_H

#include "reviewd/db.h"
#include "reviewd/request.h"

/*
 * Reports on reviews, hiding while pending, moderation by the operator,
 * and the audit trail every step of Find Reviewer and reports goes to.
 */

/* Appends to the audit trail inside the caller's transaction. actor is
 * "business:<unit>", "admin", "reviewer" or "system"; subject
 * "review:<id>", "report:<id>", "find-reviewer:<id>". 0 or -1. */
int	reports_audit(struct db *db, const char *actor, const char *action,
	    const char *subject, const char *detail);

/* POST /v1/private/reviews/{reviewId}/reports, GET /v1/admin/reports,
 * POST /v1/admin/reports/{reportId}/decision, GET /v1/admin/audit. */
route_handler	reports_create, reports_admin_list, reports_decide,
		reports_audit_list;

#endif
