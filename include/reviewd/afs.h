#ifndef REVIEWD_AFS_H
#define REVIEWD_AFS_H

#include <stddef.h>

#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/ids.h"
#include "reviewd/request.h"

/*
 * The Automatic Feedback Service: a business BCCs its order or shipping
 * e-mails to a private inbound address; each becomes a queued invitation
 * for the recipient in its To:, delivered after the business's delay.
 * Messages arrive through `reviewd afs-receive` (an MTA pipe) or
 * POST /v1/inbound/afs (a mail-to-HTTP relay). Reading the message is
 * afs_message.h.
 */

enum afs_result {
	AFS_CREATED,		/* an invitation was queued */
	AFS_SKIPPED,		/* stored as skipped (suppression) */
	AFS_DUPLICATE,		/* this Message-ID was seen before */
	AFS_UNKNOWN_RECIPIENT,	/* no unit has this inbound address */
	AFS_REJECTED,		/* not a usable message: permanent */
	AFS_TEMPORARY		/* the database is busy: try again */
};

/* Handles one raw RFC 5322 message for recipient. Writes the invitation
 * id (when one was made) and, for AFS_REJECTED, the reason. 0 always;
 * the outcome is in *result. */
int	afs_receive(struct db *db, const struct config *cfg,
	    const char *recipient, const char *msg, size_t len,
	    enum afs_result *result, char id_out[IDS_ID_LEN + 1], char *why,
	    size_t whylen);

/* At start, after the migrations: stores the inbound address tokens still
 * kept in clear (before migration 0011) as hashes, sealed too when [links]
 * master_key is set, and warns of stored patterns PCRE2 refuses. 0 or -1
 * (logged). */
int	afs_upgrade(struct db *db, const struct config *cfg);

/* GET and PATCH .../afs, POST .../afs/rotate, POST /v1/inbound/afs. */
route_handler	afs_get, afs_patch, afs_rotate, afs_inbound;

#endif
