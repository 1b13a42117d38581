#ifndef REVIEWD_HTTP_H
#define REVIEWD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "reviewd/config.h"

/*
 * The HTTP server over libmicrohttpd: listening, the connection guard
 * (http_guard.h), the graceful stop. What handlers see is in request.h.
 */

/* Starts listening with cfg, answering the n routes of table (both
 * borrowed until http_stop). 0 or -1 (logged). */
struct route;
int	http_start(const struct config *cfg, const struct route *table,
	    size_t n);

/* The port actually bound (useful when listen asks for port 0). */
unsigned	http_port(void);

/* Stops accepting, waits up to grace_ms for requests in flight to finish,
 * then closes every connection. Safe to call once after http_start. */
void	http_stop(int64_t grace_ms);

#endif
