#ifndef REVIEWD_IDEMPOTENCY_H
#define REVIEWD_IDEMPOTENCY_H

#include <stdint.h>

#include <jansson.h>

#include "reviewd/api_error.h"
#include "reviewd/db.h"
#include "reviewd/ids.h"
#include "reviewd/request.h"

/*
 * Idempotency keys: a retried call with the same Idempotency-Key header
 * creates nothing and gets the first answer again, for [invitations]
 * idempotency_hours. Keys are per business unit.
 */

/* The key of one request, as idempotency_read found it. */
struct idempotency {
	const char	*key;		/* borrowed from req; NULL: no header */
	char		 hash[IDS_HASH_LEN + 1];	/* of the body */
	int64_t		 window_ms;	/* how long an answer is replayed */
};

/* Reads the Idempotency-Key header of req into ik (ik->key NULL when
 * absent). 0, or -1 with a 400 naming the header. */
int	idempotency_read(const struct request *req, struct idempotency *ik,
	    struct api_error *err);

/*
 * Inside the caller's transaction (or as a lone read): when unit bu
 * answered ik's key within the window, puts that answer into res (with
 * Idempotent-Replayed: true) and returns 1; 0 when the call is new (or
 * has no key); -1 with err (409 when the key came with another body).
 */
int	idempotency_replay(struct db *db, const char *bu,
	    const struct idempotency *ik, struct response *res,
	    struct api_error *err);

/* Inside the caller's transaction: remembers status and body (borrowed)
 * as the answer to ik's key; nothing without a key. 0 or -1. */
int	idempotency_save(struct db *db, const char *bu,
	    const struct idempotency *ik, int status, json_t *body);

/* Forgets the answers given before `before` (ms). 0 or -1. */
int	idempotency_purge(struct db *db, int64_t before);

/* Inside the caller's transaction: forgets unit bu's answers that name
 * the address email (erasure). 0 or -1. */
int	idempotency_erase_address(struct db *db, const char *bu,
	    const char *email);

#endif
