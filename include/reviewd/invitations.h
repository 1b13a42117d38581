#ifndef REVIEWD_INVITATIONS_H
#define REVIEWD_INVITATIONS_H

#include <stdint.h>

#include <jansson.h>

#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/request.h"
#include "reviewd/ids.h"

/*
 * Invitations: created by API (single, batch, idempotent), CSV upload or a
 * link, queued with a delivery time, suppressed when they would repeat,
 * dispatched as e-mails by the scheduler, and redeemed through a personal
 * link for verified reviews. Queued invitations can only be cancelled all
 * together; a cancelled one never comes back, a sent one is never
 * retracted. Every step is an event in the invitation's history.
 */

/* Remembers the configuration; start-up only. */
void	invitations_configure(const struct config *cfg);

/* The scheduler job: queues the e-mails of due invitations. */
int64_t	invitations_job(struct db *db, int64_t now);

/* The outbox hook: an invitation's e-mail was delivered (why NULL), or
 * given up for why: the invitation is then skipped as undeliverable. */
int	invitations_mail_outcome(struct db *db, const char *id,
	    const char *why, int64_t now);

enum invitation_link {
	INVITATION_LINK_OPEN,		/* the form can be shown */
	INVITATION_LINK_REVIEWED,	/* already used: show the review */
	INVITATION_LINK_EXPIRED,
	INVITATION_LINK_UNKNOWN
};

/*
 * Looks up a personal link token. On INVITATION_LINK_OPEN and _REVIEWED,
 * *out describes it: {"id", "name", "businessUnit": {...}, "service",
 * "products": [...], "reviews": [...]}. Records the first opening.
 * 0, or -1 on a database error.
 */
int	invitations_link(struct db *db, const char *token,
	    enum invitation_link *state, json_t **out);

/*
 * Redeems a link with the reviewer's answers: {"stars", "title", "text"}
 * for the service part and {"products": [{"sku", "stars", "title",
 * "text"}]} for products (at least one review). Creates verified reviews
 * in one transaction. 0, or -1 with err naming the bad fields (409 when the
 * link was used meanwhile, 410 when it expired).
 */
int	invitations_redeem(struct db *db, const char *token, json_t *answers,
	    struct api_error *err);

/* A customer arriving through a link the business made itself. */
struct link_claim {
	const char	*bu;
	const char	*kind;		/* bgl, unique_link, invitation_link */
	const char	*link_hash;	/* identifies the link; NULL: none */
	const char	*email, *name, *reference, *locale, *redirect_uri;
	json_t		*tags;		/* array of strings or NULL */
	json_t		*skus;		/* array of catalogue SKUs or NULL */
};

/*
 * Finds the invitation a link made before (by link_hash) or makes one
 * (already "sent": the business delivered the link), and gives it a fresh
 * personal token for /evaluate-link/. *state says whether the form may
 * be shown (OPEN), the review exists (REVIEWED, token given to show it) or
 * the link is too old (EXPIRED, no token). 0, or -1 with err (400 for an
 * unknown SKU).
 */
int	invitations_open_link(struct db *db, const struct link_claim *c,
	    char token[IDS_TOKEN_LEN + 1], char id_out[IDS_ID_LEN + 1],
	    enum invitation_link *state, struct api_error *err);

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

/* Applies (apply = true) or checks an unsubscribe token; *business gets
 * the unit's display name. 0 known, 1 unknown, -1 on a database error. */
int	invitations_unsubscribe(struct db *db, const char *token, bool apply,
	    char *business, size_t business_len);

route_handler	invitations_create, invitations_csv,
		invitations_list, invitations_get, invitations_patch,
		invitations_delete, invitations_cancel_queued,
		invitations_data_delete, invitations_templates_list,
		invitations_template_create, invitations_template_update;

/*
 * An operator's answer to an erasure request: in every business unit, what
 * POST .../invitation-data/delete erases for the address (its invitations,
 * the reviews written through them, its e-mails in the outbox). Inside the
 * caller's transaction; counts invitations erased and units touched.
 * 0 or -1 (see db_fail).
 */
int	invitations_erase_everywhere(struct db *db, const char *email,
	    size_t *invitations, size_t *units);

/* Moves erased pages out of the WAL into the (securely overwritten)
 * database file; after the erasing transaction committed. */
void	invitations_checkpoint_erasure(struct db *db);

#endif
