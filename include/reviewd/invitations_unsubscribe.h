#ifndef REVIEWD_INVITATIONS_UNSUBSCRIBE_H
#define REVIEWD_INVITATIONS_UNSUBSCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reviewd/db.h"
#include "reviewd/ids.h"

/*
 * Unsubscribes from a business's invitations, kept per unit under a keyed
 * hash of the address (never the address). Owns unsubscribes and the
 * "unsubscribe_key" setting.
 */

/* Applies (apply = true) or checks an unsubscribe token; *business gets
 * the unit's display name. 0 known, 1 unknown, -1 on a database error. */
int	invitations_unsubscribe(struct db *db, const char *token, bool apply,
	    char *business, size_t business_len);

/* Whether email unsubscribed from bu's invitations, into *found; a row
 * stored before the server secret is re-keyed. Inside the caller's write
 * transaction. 0 or -1. */
int	invitations_unsubscribed(struct db *db, const char *bu,
	    const char *email, bool *found);

/*
 * The same in two steps, so that the hashing can be done outside the
 * transaction (a dispatch hashes its batch on its rendering threads):
 * the server secret read (0; 1 when there is none yet: then use
 * invitations_unsubscribed, which makes it; or -1; wipe it after use),
 * the address's hashes under it (any thread, no database), and the look-up.
 */
#define INV_UNSUB_KEY_LEN	64	/* hex of 32 bytes */

struct unsub_hashes {
	char	 hmac[IDS_HMAC_B64_LEN + 1];	/* keyed */
	char	 legacy[IDS_HASH_LEN + 1];	/* rows before the secret */
};

int	invitations_unsubscribe_key(struct db *db,
	    char key[INV_UNSUB_KEY_LEN + 1]);
void	invitations_address_hashes(const char *key, const char *email,
	    struct unsub_hashes *h);
int	invitations_unsubscribed_hashed(struct db *db, const char *bu,
	    const struct unsub_hashes *h, bool *found);

/*
 * One step of re-keying the rows stored before the server secret, in its
 * own short transaction; *seq is the cursor (0 to start). Scheduler
 * thread. true when the pass is over.
 */
bool	invitations_unsubscribe_rekey(struct db *db, int64_t *seq);

#endif
