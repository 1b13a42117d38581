#ifndef REVIEWD_ROUTER_H
#define REVIEWD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "reviewd/request.h"

/*
 * Method + path pattern -> handler. Patterns are literal segments and
 * "{name}" parameters, each matching one non-empty segment. The first
 * matching entry wins, so literal routes go before parameter routes.
 * Paths are matched raw (still percent-encoded): each segment is decoded
 * here, so "%2F" is data inside a parameter, never a separator.
 */

enum route_auth {
	ROUTE_AUTH_NONE,	/* public pages, health, token endpoints */
	ROUTE_AUTH_APIKEY,	/* apikey (or a bearer token) */
	ROUTE_AUTH_BEARER,	/* /v1/private: a business bearer token */
	ROUTE_AUTH_ADMIN	/* /v1/admin: the operator's token */
};

struct route {
	const char	*method;
	const char	*pattern;
	enum route_auth	 auth;
	route_handler	*handler;
	unsigned	 flags;		/* ROUTE_* below */
};

/*
 * The body limit, checked as the body comes (chunked too), before it is
 * kept: [server] max_upload_bytes with ROUTE_UPLOAD, [afs]
 * max_message_bytes with ROUTE_MAIL, else max_body_bytes, and at most
 * max_public_body_bytes on a ROUTE_AUTH_NONE route that is neither.
 */
#define ROUTE_UPLOAD	0x1
/* Personal: a token in the path or query, or a token answer. Sent with
 * Cache-Control: no-store, as every bearer and admin route is. */
#define ROUTE_NO_STORE	0x2
#define ROUTE_MAIL	0x4
/* The handler is called once more first, from the request head with
 * req->body NULL, before any of the body is read: -1 answers at once (a
 * credential in the query, such as an inbound address, is checked there),
 * 0 goes on without touching res. */
#define ROUTE_HEAD_CHECK	0x8
/* Not rate limited (health and readiness probes). */
#define ROUTE_UNLIMITED	0x10
/* A POST run on its HTTP worker, not in the writer's group commit
 * (writer.h): long work (a password check) would hold every other write,
 * and a read (batch-summaries) has no business there. */
#define ROUTE_SOLO	0x20

/*
 * Matches method and the raw path (no query) against table. Returns 0 and
 * sets *out and params on a match; 400 on a match where a parameter
 * decodes to a NUL byte (*out set, params->bad names the parameter); 404
 * when no pattern matches the path; 405 when some do but not with this
 * method, with their methods, comma-separated, in allow. HEAD matches GET
 * routes.
 */
int	router_match(const struct route *table, size_t n, const char *method,
	    const char *path, const struct route **out,
	    struct route_params *params, char *allow, size_t allowlen);

#endif
