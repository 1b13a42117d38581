#ifndef REVIEWD_OUTBOX_H
#define REVIEWD_OUTBOX_H

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
 * The transactional outbox: every e-mail and webhook call. Handlers add a
 * row inside their own transaction (never touching the network) and call
 * scheduler_wake() after commit, which wakes the outbox's lanes: a thread
 * per kind of row that leases its due rows, sends them and records the
 * outcome, each step committed, so that no kind waits for another. A
 * lease that runs out (the process died) makes its row due again.
 */

enum outbox_kind {
	OUTBOX_EMAIL,
	OUTBOX_WEBHOOK
};

/* The outcome of one delivery attempt. */
enum outbox_result {
	OUTBOX_DELIVERED,
	OUTBOX_RETRY,		/* after backoff, or retry_after_s when > 0 */
	OUTBOX_DEAD,		/* permanent failure: give up now */
	OUTBOX_DEFER,		/* not attempted (its receiver is backed off
				   or busy): due again after retry_after_s,
				   the attempt not counted, never dead */
	OUTBOX_TRANSPORT,	/* the transport failed, not the row: due
				   again when the lane, paused with backoff,
				   tries again; never dead for it */
	OUTBOX_STARTED		/* concurrent senders: on its way; the
				   outcome comes from poll */
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

/* As outbox_add_owned with the payload already serialized (JSON text),
 * so that a caller can do that before its write transaction. */
int	outbox_add_text(struct db *db, enum outbox_kind kind, const char *bu,
	    const char *subscription, const char *payload, int64_t due,
	    const char *owner, char id_out[IDS_ID_LEN + 1]);

/* Called on a lane's thread, inside the transaction that marks the
 * row delivered (why NULL) or given up (why the last error), with the id
 * part of the owner. 0 or -1 (rolls back). */
typedef int outbox_outcome_hook(struct db *db, const char *owner_id,
    const char *why, int64_t now);

/* Registers the hook of owners "kind:..."; start-up only. 0 or -1. */
int	outbox_on_outcome(const char *kind, outbox_outcome_hook *hook);

/* Checks msg (with the e-mail sender's check: 400 naming the field) and
 * adds it as an e-mail due now, in the caller's transaction. 0, or -1
 * with err set. */
int	outbox_add_email(struct db *db, const char *bu, json_t *msg,
	    char id_out[IDS_ID_LEN + 1], struct api_error *err);

/* One row on its way, as its sender sees it; borrowed for the call. */
struct outbox_item {
	const char	*id;		/* the row's public id */
	const char	*subscription;	/* "" when none */
	int64_t		 attempt;	/* 1 for the first */
	json_t		*payload;
};

/*
 * The transport of one kind of row. check (NULL: none) vets a payload
 * before it is queued: 0, or -1 with 400 details in err. open (NULL:
 * none) makes a session at the first row of its kind in a batch, closed
 * after the batch; NULL from it means out of memory. send makes one
 * attempt on its lane's thread, outside any transaction (it may run
 * its own): the outcome, with the reason of a failure in why and, when the
 * receiver asked for one, a delay in *retry_after_s (0 otherwise).
 * flush (NULL: none) runs on an open session after the batch's sends and
 * before their outcomes are recorded (all in one transaction): it makes
 * the sends that answered OUTBOX_DELIVERED final (the maildir's one fsync
 * pass); 0, or -1 with why, and then each of them is retried instead.
 *
 * A concurrent sender (start not NULL; send, flush unused) keeps many
 * attempts in flight on its lane's thread and session: start begins one,
 * tagged tag (OUTBOX_STARTED), or answers at once as send does; poll
 * waits up to timeout_ms, or until wake (any thread) is called, and
 * calls done with the tag and outcome of each attempt that ended (0, or
 * -1 on a failure of the session); close ends the attempts still in
 * flight (their rows are given back). longest_ms is the longest time one
 * attempt may take: the lane's leases outlast it, so a row in flight is
 * never leased twice.
 */
typedef void outbox_done(void *arg, void *tag, enum outbox_result result,
    int64_t retry_after_s, const char *why);

struct outbox_sender {
	int	 (*check)(json_t *payload, struct api_error *err);
	void	*(*open)(const struct config *cfg);
	void	 (*close)(void *session);
	enum outbox_result (*send)(struct db *db, const struct config *cfg,
		    void *session, const struct outbox_item *item,
		    int64_t *retry_after_s, char *why, size_t whylen);
	int	 (*flush)(void *session, char *why, size_t whylen);
	enum outbox_result (*start)(struct db *db, const struct config *cfg,
		    void *session, const struct outbox_item *item, void *tag,
		    int64_t *retry_after_s, char *why, size_t whylen);
	int	 (*poll)(struct db *db, void *session, int timeout_ms,
		    outbox_done *done, void *arg);
	void	 (*wake)(void *session);
	int64_t	 (*longest_ms)(const struct config *cfg);
};

/* Registers the sender of kind (borrowed: static storage); start-up only.
 * 0, or -1 when kind has one already. */
int	outbox_register_sender(enum outbox_kind kind,
	    const struct outbox_sender *sender);

/* The scheduler job: wakes the lanes (rows may have been added). The
 * e-mail lane delivers batches of due rows ([outbox] batch_size), their
 * outcomes recorded in one transaction after the senders' flush (a crash
 * in between sends that one batch again, under the same ids); the
 * webhook lane keeps up to [webhooks] concurrency rows in flight. */
int64_t	outbox_job(struct db *db, int64_t now);

/* Starts the lanes' threads (after config_share, the senders and
 * db_configure; signals blocked): 0 or -1 (logged). outbox_stop stops
 * them: the attempts in hand end, leased rows not attempted are given
 * back. Safe when never started. */
int	outbox_start(void);
void	outbox_stop(void);

/* Whether the lane of kind is paused by a transport failure: true, with
 * the reason in why, since when and until when (clock ms). Any thread. */
bool	outbox_paused(enum outbox_kind kind, char *why, size_t whylen,
	    int64_t *since, int64_t *until);

/* The calls that change rows other modules queued; each inside the
 * caller's transaction, 0 or -1 (see db_fail). */

/* The webhook rows of a deleted subscription that are still due die
 * ("the subscription was deleted"). */
int	outbox_kill_subscription(struct db *db, const char *subscription);

/* In every webhook row (due or delivered) whose event is about one of the
 * consumers in ids (a JSON array of consumer ids), the consumer's name
 * becomes "Anonymous". */
int	outbox_anonymise_consumers(struct db *db, const char *ids);

/*
 * Erasure of what unit's rows hold of a person: the rows of owner ("kind:
 * id", NULL for none) and, when email is not NULL, the rows whose payload
 * holds email (any case) as a whole JSON string and that are invitation
 * e-mails (owner "invitation:..."), webhook events or no longer due.
 * Their payload becomes {"erased": true}; those still due die ("erased on
 * request").
 */
int	outbox_erase(struct db *db, const char *unit, const char *owner,
	    const char *email);

/* GET /v1/admin/outbox, POST /v1/admin/outbox/{id}/retry. */
route_handler	outbox_admin_list, outbox_admin_retry;

/* for invitations_dispatch: an e-mail row under the public id id (its
 * Message-ID and maildir name), owned by owner: delivered already (by the
 * caller, into the maildir, payload the envelope kept for inspection) or
 * pending for the e-mail lane (payload the whole message). Inside the
 * caller's transaction. 0 or -1. */
int	outbox_add_email_as(struct db *db, const char *id, const char *bu,
	    const char *payload, int64_t now, const char *owner,
	    bool delivered);

#endif
