#ifndef REVIEWD_HTTP_H
#define REVIEWD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/buf.h"
#include "reviewd/config.h"
#include "reviewd/ids.h"

/*
 * The HTTP server over libmicrohttpd: listening, the connection guard, the
 * graceful stop. What handlers see is in request.h.
 */

/*
 * A client address as [server] max_connections_per_ip counts it: IPv4 by
 * its 4 bytes, an IPv4-mapped IPv6 address as that IPv4 address, any other
 * IPv6 address by its /64, the least one site is given: counted one by
 * one, a client holding a /64 would have 2^64 addresses to spread over.
 */
struct http_peer {
	int		 family;	/* AF_INET, AF_INET6; 0: none */
	unsigned char	 addr[16];	/* zero past what counts */
};

/* Fills k with the key of addr (4 bytes for AF_INET, 16 for AF_INET6);
 * any other family gives family 0. */
void	http_peer_key(struct http_peer *k, int family,
	    const unsigned char *addr);

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
