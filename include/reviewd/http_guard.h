#ifndef REVIEWD_HTTP_GUARD_H
#define REVIEWD_HTTP_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include <sys/socket.h>

#include "reviewd/api_error.h"
#include "reviewd/config.h"

/*
 * The connection guard of the HTTP server, for http.c alone: every TCP
 * connection is a struct http_conn from its start to its close; the guard
 * counts them per client address, bounds the requests in progress per
 * forwarded client behind a trusted proxy, and its watchdog thread shuts
 * those whose request head or body comes too late. It knows sockets and
 * addresses, not libmicrohttpd: http.c hands it the file descriptor, the
 * peer's address and the X-Forwarded-For text.
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

/* One guarded connection; owned by the guard. */
struct http_conn;

/* Starts the watchdog with cfg's limits (cfg borrowed until
 * http_guard_stop). 0 or -1. */
int	http_guard_start(const struct config *cfg);

/* Stops the watchdog; a no-op when it does not run. */
void	http_guard_stop(void);

/* The accept policy: whether a socket from sa may become a connection
 * (false when its address has max_connections_per_ip already; counted
 * for the watchdog's log line). */
bool	http_guard_admit(const struct sockaddr *sa);

/*
 * Registers the connection on fd from sa, awaiting its first request
 * head. One too many from its address is shut at once but registered
 * all the same, until http_guard_close. NULL when out of memory: fd is
 * shut then, as an unguarded connection is not served.
 */
struct http_conn	*http_guard_open(int fd, const struct sockaddr *sa);

/* Unregisters and frees c, before its socket is closed; accepts NULL. */
void	http_guard_close(struct http_conn *c);

/*
 * Deadlines of the request in progress on c (NULL: none, always true).
 * Each is false when the watchdog has taken c already: the connection is
 * being shut and its request must go no further (a handler started now
 * could commit what the client, cut off, never hears of).
 * - http_guard_body: the body is awaited; got bytes of it came since the
 *   head completed at since_ns (CLOCK_MONOTONIC, clock_mono_ns()).
 * - http_guard_handling: the body is in; no deadline until the request
 *   ends.
 */
bool	http_guard_body(struct http_conn *c, int64_t since_ns, uint64_t got);
bool	http_guard_handling(struct http_conn *c);

/*
 * Answers the request in progress on c at once with err, written to the
 * socket as a whole "Connection: close" answer whose status line is
 * status ("413 Content Too Large"), while its body is still coming: MHD
 * cannot queue an answer then. The caller then has MHD close the
 * connection (the rest of the body is not read). false when c is NULL or
 * the watchdog has taken c already (it answers instead).
 */
bool	http_guard_refuse(struct http_conn *c, const char *status,
	    const struct api_error *err);

/* Records rid as the request in progress on c, for the 408; accepts
 * NULL. */
void	http_guard_request_id(struct http_conn *c, const char *rid);

/*
 * Behind a trusted proxy, max_connections_per_ip bounds the requests in
 * progress per forwarded client (the last X-Forwarded-For header's text
 * xff, NULL when none): -1 when the one on c would be one too many, else
 * 0 (the client counts until http_guard_request_end). Accepts c NULL.
 */
int	http_guard_request_begin(struct http_conn *c, const char *xff);

/* The request on c has ended: its client no longer counts, and a kept-
 * alive connection awaits its next head from now. Accepts NULL. */
void	http_guard_request_end(struct http_conn *c);

/* The client key of a request from peer sa: behind a trusted proxy, the
 * forwarded client of xff (the last X-Forwarded-For header, or NULL).
 * family 0 when there is none. */
void	http_guard_client(const struct sockaddr *sa, const char *xff,
	    struct http_peer *out);

#endif
