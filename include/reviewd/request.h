#ifndef REVIEWD_REQUEST_H
#define REVIEWD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/api_error.h"
#include "reviewd/buf.h"
#include "reviewd/config.h"
#include "reviewd/ids.h"

/*
 * What every handler sees: it reads a struct request, fills a struct
 * response, or describes a client error in a struct api_error. Handlers
 * never include <microhttpd.h>; the accessors that read the connection
 * (request_header, request_query, request_client, request_next_page_link,
 * request_query_key) are implemented by the server, http.c.
 */

struct db;

#define ROUTE_MAX_PARAMS	4
#define ROUTE_MAX_PATH		1024
#define RESPONSE_MAX_HEADERS	8

enum principal_kind {
	PRINCIPAL_NONE,
	PRINCIPAL_APP,		/* a valid apikey, public endpoints */
	PRINCIPAL_BUSINESS,	/* a bearer token of an app or business user */
	PRINCIPAL_ADMIN		/* the operator's admin token */
};

struct principal {
	enum principal_kind	 kind;
	char			 app_id[IDS_ID_LEN + 1];
	char			 user_id[IDS_ID_LEN + 1];	/* "" if none */
	char			 business_unit_id[IDS_ID_LEN + 1];
};

struct route_params {
	size_t		 n;
	const char	*name[ROUTE_MAX_PARAMS];	/* borrowed: table */
	const char	*value[ROUTE_MAX_PARAMS];	/* point into buf */
	const char	*bad;	/* a parameter holding %00, as name */
	char		 buf[ROUTE_MAX_PATH];
};

struct request {
	const char		*method;	/* borrowed from MHD */
	const char		*path;		/* borrowed, percent-decoded */
	char			 id[IDS_UUID_LEN + 1];	/* X-Request-Id */
	struct route_params	 params;
	const char		*body;		/* NUL-terminated, may be "" */
	size_t			 body_len;
	json_t			*body_json;	/* json_body's, owned */
	struct principal	 principal;
	const struct config	*cfg;
	struct db		*db;		/* this thread's connection */
	void			*connection;	/* http.c only */
};

struct response {
	int		 status;
	json_t		*json;		/* owned; rendered when body is NULL */
	char		*body;		/* owned (malloc); pages, text */
	size_t		 body_len;
	const char	*content_type;	/* static string, for body */
	size_t		 nheaders;
	char		*header_name[RESPONSE_MAX_HEADERS];	/* owned */
	char		*header_value[RESPONSE_MAX_HEADERS];	/* owned */
};

/*
 * A route handler: fills res and returns 0, or fills err and returns -1.
 * Every handler is defined as name(ROUTE_HANDLER_PARAMS): the router calls
 * each with these three arguments under these names, so they are written
 * once, here, and a handler cannot drift from the type the table holds.
 */
#define ROUTE_HANDLER_PARAMS \
	struct request *req, struct response *res, struct api_error *err
typedef int route_handler(ROUTE_HANDLER_PARAMS);

/* The client of req as a short stable key ("4" or "6" and the address in
 * hex): the peer, or behind a [server] trusted_proxies address the client
 * it forwards for. For per-client limits; never shown. 0, or -1 when the
 * address is unknown. */
#define REQUEST_CLIENT_LEN	34
int	request_client(const struct request *req,
	    char out[REQUEST_CLIENT_LEN]);

/* Request accessors; results are borrowed for the request's lifetime. NULL
 * when absent. Header names are case-insensitive. */
const char	*request_header(const struct request *req, const char *name);
const char	*request_query(const struct request *req, const char *name);
const char	*request_param(const struct request *req, const char *name);

/* Reads an integer query parameter in [min, max]; absent leaves *out as it
 * is. 0, or -1 with a 400 naming the parameter. */
int	request_query_int(const struct request *req, const char *name,
	    int64_t min, int64_t max, int64_t *out, struct api_error *err);

/* Trustpilot's paging link {"href", "method": "GET", "rel": "next-page"}:
 * this request's public URL with param set to value and every other query
 * argument kept. NULL when out of memory. */
json_t	*request_next_page_link(const struct request *req, const char *param,
	    const char *value);

/* The "links" array of page `page` of a list read with one row more than
 * per_page: when items holds that extra row, it is dropped and the next
 * page linked. NULL when out of memory. */
json_t	*request_page_links(const struct request *req, json_t *items,
	    int64_t page, int64_t per_page);

/* Decodes the form-encoded [p, end) ('+' is a space) into out; -1 when
 * malformed, holding a NUL, or longer than outlen - 1. */
int	request_form_decode(const char *p, const char *end, char *out,
	    size_t outlen);

/* The value of a hex digit of either case, or -1. */
int	request_hex_digit(char c);

/* Appends s percent-encoded for a URL query value. 0 or -1. */
int	request_url_encode(struct buf *out, const char *s);

/* Sets status and takes body (which may be NULL only on failure to build
 * it, which is then a 500). 0, or -1 with err set. */
int	response_json(struct response *res, int status, json_t *body,
	    struct api_error *err);

/* Sets status and takes the JSON text in b (see json_writer), leaving b
 * empty. 0, or -1 with err set (500) when out of memory. */
int	response_json_text(struct response *res, int status, struct buf *b,
	    struct api_error *err);

/* Frees what res holds and clears it. */
void	response_release(struct response *res);

/* Adds a header (copied). 0, or -1 when out of memory or slots. */
int	response_header(struct response *res, const char *name,
	    const char *value);

/*
 * Finds name in an application/x-www-form-urlencoded body and writes its
 * decoded value to out. 0 when found; -1 when absent; -2 when present but
 * unusable: malformed, longer than outlen - 1, holding a NUL or not UTF-8
 * (out is then "").
 */
int	request_form_value(const char *body, size_t len, const char *name,
	    char *out, size_t outlen);

/* for reviews, reports (and outbox's twin one_of): a query parameter
 * from a fixed list. The value of query parameter name (borrowed) when it
 * is one of allowed (NULL-terminated); NULL when absent, or when not one
 * of them, then with a 400 naming it for reason in err. */
const char	*request_query_enum(const struct request *req, const char *name,
		    const char *const *allowed, const char *reason,
		    struct api_error *err);

/* for html (issue 12): an answer whose body is ready. */

/* Answers status with body (len bytes, taken) of content_type (a static
 * string), replacing what res held. */
void	response_body(struct response *res, int status, char *body,
	    size_t len, const char *content_type);

/* for reviews_list (its cache key): appends req's path, "?" and every
 * query argument in order, percent-encoded as the next-page links spell
 * them ("k=v&k=v"). 0, or -1 when out cannot take them. */
int	request_query_key(const struct request *req, struct buf *out);

#endif
