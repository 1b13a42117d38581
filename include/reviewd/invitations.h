#ifndef REVIEWD_INVITATIONS_H
#define REVIEWD_INVITATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/api_error.h"
#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/ids.h"
#include "reviewd/request.h"

/*
 * Invitations: created by API (single, batch, idempotent), CSV upload or a
 * link, queued with a delivery time, suppressed when they would repeat,
 * dispatched as e-mails by the scheduler, and redeemed through a personal
 * link for verified reviews. Queued invitations can only be cancelled all
 * together; a cancelled one never comes back, a sent one is never
 * retracted. Every step is an event in the invitation's history.
 *
 * This header: creation and the input readers. The rest
 * of the module has its own headers: invitations_history.h (listing and
 * changes), invitations_upload.h (CSV), invitations_templates.h,
 * invitations_unsubscribe.h, invitations_dispatch.h (the scheduler's
 * side) and invitations_links.h (the reviewer's links).
 */

/*
 * Queues the invitation an order e-mail asks for (origin "afs"), due at
 * send_at, inside the caller's transaction; suppression applies as for any
 * invitation. Writes its id and whether it was skipped. 0, or -1 with err.
 */
int	invitations_from_order(struct db *db, const char *bu,
	    const char *email, const char *name, const char *reference,
	    int64_t send_at, char id_out[IDS_ID_LEN + 1], bool *skipped,
	    struct api_error *err);

/*
 * The per-unit daily sending quota ([invitations] daily_limit_per_unit):
 * whether bu may create n more e-mail invitations, counting those it
 * created in the last 24 hours (rolling window; every e-mail invitation
 * counts whatever became of it; those made by customers through links do
 * not). Call it inside the write transaction that then inserts the n
 * invitations, so the check and the inserts are one atomic step; a
 * request that would go past the limit is refused whole. 0, or -1 with err
 * (429 naming the limit, with Retry-After when waiting can help; 5xx on a
 * database error).
 */
int	invitations_quota_check(struct db *db, const char *bu, size_t n,
	    struct api_error *err);

/* Reads the time o[key] into *out when present: Trustpilot accepts
 * "09/07/2013 13:37:00" and "2013-09-07T13:37:00". A bad one adds a 400
 * naming key to err. */
void	invitations_read_time(json_t *o, const char *key, int64_t *out,
	    struct api_error *err);

/* A copy of the strings array o[key] of at most max items of 1..len
 * characters each, one line; NULL when absent or bad (a 400 naming key
 * added to err). */
json_t	*invitations_read_strings(json_t *o, const char *key, size_t max,
	    size_t len, struct api_error *err);

/* POST .../email-invitations. */
route_handler	invitations_create;

#endif
