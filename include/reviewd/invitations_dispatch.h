#ifndef REVIEWD_INVITATIONS_DISPATCH_H
#define REVIEWD_INVITATIONS_DISPATCH_H

#include <stdint.h>

#include "reviewd/db.h"

/*
 * The scheduler's side of invitations: due invitations become e-mails in
 * the outbox, and the outbox reports how they ended.
 */

/* The scheduler job: sends the e-mails of due invitations, into the
 * maildir itself or through the outbox (SMTP). */
int64_t	invitations_job(struct db *db, int64_t now);

/* The outbox hook: an invitation's e-mail was delivered (why NULL), or
 * given up for why: the invitation is then skipped as undeliverable. */
int	invitations_mail_outcome(struct db *db, const char *id,
	    const char *why, int64_t now);

#endif
