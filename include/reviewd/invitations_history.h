#ifndef REVIEWD_INVITATIONS_HISTORY_H
#define REVIEWD_INVITATIONS_HISTORY_H

#include <stdint.h>

#include <jansson.h>

#include "reviewd/db.h"
#include "reviewd/request.h"

/*
 * An invitation's history and the changes a business may make: listing
 * with filters, one invitation, rescheduling, the refused single cancel,
 * cancelling all queued ones, and the erasure of customer data.
 */

/*
 * Inside the caller's transaction: erases unit bu's invitations of the
 * addresses in emails (a JSON array of strings, may be NULL) or created
 * before older (0: none): address, name and personal link go, a queued
 * one is cancelled and one whose e-mail waits in the outbox skipped, each
 * change and the erasure in its history. *ids gets the ids erased (a new
 * array). 0 or -1 (see db_fail).
 */
int	invitations_erase(struct db *db, const char *bu, json_t *emails,
	    int64_t older, int64_t now, json_t **ids);

/* GET .../invitations, GET, PATCH, DELETE .../invitations/{id}, POST
 * .../invitations/cancel-queued. */
route_handler	invitations_list, invitations_get, invitations_patch,
		invitations_delete, invitations_cancel_queued;

#endif
