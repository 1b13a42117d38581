#ifndef REVIEWD_ERASURE_H
#define REVIEWD_ERASURE_H

#include <stddef.h>

#include "reviewd/db.h"
#include "reviewd/request.h"

/*
 * Erasure of customer data: a business's (POST .../invitation-data/delete)
 * or an operator's (reviewd erase). Erasure owns no table: it asks each
 * owner to erase what it keeps (invitations, reviews, outbox,
 * idempotency), inside one transaction.
 */

/*
 * An operator's answer to an erasure request: in every business unit, what
 * POST .../invitation-data/delete erases for the address (its invitations,
 * the reviews written through them, its e-mails in the outbox). Inside the
 * caller's transaction; counts invitations erased and units touched.
 * 0 or -1 (see db_fail).
 */
int	erasure_everywhere(struct db *db, const char *email,
	    size_t *invitations, size_t *units);

/* Moves erased pages out of the WAL into the (securely overwritten)
 * database file; after the erasing transaction committed. */
void	erasure_checkpoint(struct db *db);

/* POST .../invitation-data/delete. */
route_handler	erasure_data_delete;

#endif
