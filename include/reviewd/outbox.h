#ifndef REVIEWD_OUTBOX_H
#define REVIEWD_OUTBOX_H

#include <stdint.h>

#include <jansson.h>

#include "reviewd/db.h"
#include "reviewd/request.h"
#include "reviewd/ids.h"

/*
 * The transactional outbox: every e-mail and webhook call. Handlers add a
 * row inside their own transaction (never touching the network) and call
 * scheduler_wake() after commit; the scheduler thread leases due rows,
 * sends them and records the outcome, each step committed. A lease that
 * runs out (the process died) makes its row due again.
 */

enum outbox_kind {
	OUTBOX_EMAIL,
	OUTBOX_WEBHOOK
};

/* The outcome of one delivery attempt. */
enum outbox_result {
	OUTBOX_DELIVERED,
	OUTBOX_RETRY,		/* after backoff, or retry_after_s when > 0 */
	OUTBOX_DEAD		/* permanent failure: give up now */
};

/*
 * Adds a row due at `due` inside the caller's open transaction. payload is
 * borrowed (serialized now). bu and subscription may be NULL. Writes the
 * row's public id to id_out when not NULL. 0 or -1 (see db_fail).
 */
int	outbox_add(struct db *db, enum outbox_kind kind, const char *bu,
	    const char *subscription, json_t *payload, int64_t due,
	    char id_out[IDS_ID_LEN + 1]);

/* As outbox_add, with an owner ("kind:id") told of the delivery, or of
 * giving up, through the hook registered for its kind. */
int	outbox_add_owned(struct db *db, enum outbox_kind kind, const char *bu,
	    const char *subscription, json_t *payload, int64_t due,
	    const char *owner, char id_out[IDS_ID_LEN + 1]);

/* Called on the scheduler thread, inside the transaction that marks the
 * row delivered (why NULL) or given up (why the last error), with the id
 * part of the owner. 0 or -1 (rolls back). */
typedef int outbox_outcome_hook(struct db *db, const char *owner_id,
    const char *why, int64_t now);

/* Registers the hook of owners "kind:..."; start-up only. 0 or -1. */
int	outbox_on_outcome(const char *kind, outbox_outcome_hook *hook);

/* Checks msg (mailer_check: 400 naming the field) and adds it as an e-mail
 * due now, in the caller's transaction. 0, or -1 with err set. */
int	outbox_add_email(struct db *db, const char *bu, json_t *msg,
	    char id_out[IDS_ID_LEN + 1], struct api_error *err);

/* The scheduler job: delivers one batch of due rows. */
int64_t	outbox_job(struct db *db, int64_t now);

/* Remembers the configuration the job uses; start-up only. */
void	outbox_configure(const struct config *cfg);

/* GET /v1/admin/outbox, POST /v1/admin/outbox/{id}/retry,
 * POST /v1/admin/mail/test. */
route_handler	outbox_admin_list, outbox_admin_retry, outbox_admin_mail_test;

/* for erasure: redacting the rows that name an erased address */

/*
 * Inside the caller's transaction: redacts unit bu's rows owned by owner
 * ("kind:id", may be NULL) and, with email (may be NULL), those naming
 * that address: their payload is replaced; what is not sent yet is
 * dropped unless it is mail the platform owes a reviewer. 0 or -1 (see
 * db_fail).
 */
int	outbox_erase(struct db *db, const char *bu, const char *owner,
	    const char *email);

#endif
