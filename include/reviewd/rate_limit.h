#ifndef REVIEWD_RATE_LIMIT_H
#define REVIEWD_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "reviewd/api_error.h"
#include "reviewd/config.h"
#include "reviewd/request.h"
#include "reviewd/router.h"

/*
 * API rate limits: a token bucket per application key for the routes that
 * take one, and per client address (request_client) for the public ones
 * ([ratelimit] in the configuration). A bucket holds a minute of requests
 * and refills continuously, so a client may burst up to its limit and
 * then goes at limit/60 a second. The buckets live in this daemon's
 * memory; with several daemons on PostgreSQL, rate_limit_start shares
 * them through the database about once a second (docs/operations.md).
 * ROUTE_UNLIMITED routes (health, readiness) and the operator's are not
 * limited.
 */

/* What the answer tells the client (the X-RateLimit-* headers). */
struct rate_limit_note {
	bool	 counted;	/* false: the route is not limited */
	int64_t	 limit;		/* requests a minute */
	int64_t	 remaining;	/* whole requests left now */
	int64_t	 reset_s;	/* seconds until the bucket is full */
};

/* Sets the limits (cfg borrowed for the daemon's life) and empties the
 * buckets. */
void	rate_limit_configure(const struct config *cfg);

/*
 * Takes one request of req (authenticated for route) from its bucket. 0
 * with *note filled, or -1 with a 429 in err (Retry-After, the seconds
 * until one request is free) when the bucket is empty.
 */
int	rate_limit_take(const struct request *req, const struct route *route,
	    struct rate_limit_note *note, struct api_error *err);

/* On PostgreSQL with a limit set: starts the thread that shares the
 * buckets with the other daemons (else nothing). 0 or -1 (logged). */
int	rate_limit_start(void);

/* Stops it; safe when it never started. */
void	rate_limit_stop(void);

#endif
