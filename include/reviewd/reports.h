#ifndef REVIEWD_REPORTS_H
#define REVIEWD_REPORTS_H

#include "reviewd/request.h"

/*
 * Reports on reviews, hiding while pending, moderation by the operator.
 * Every step goes to the audit trail (audit.h).
 */

/* POST /v1/private/reviews/{reviewId}/reports, GET /v1/admin/reports,
 * POST /v1/admin/reports/{reportId}/decision. */
route_handler	reports_create, reports_admin_list, reports_decide;

#endif
