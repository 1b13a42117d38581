/*
 * http: libmicrohttpd glue. Owns the daemon, the per-request state (one
 * struct http_req from the request line to the completed callback), body
 * accumulation under a per-route cap, sending answers and errors (their
 * body is error_body.c's), the access log and the graceful stop. MHD's
 * thread pool calls on_request/on_completed; the counters below are
 * atomics shared by those threads and the main thread.
 *
 * The connection guard (per-address limit, forwarded-client limit, head
 * and body deadlines, the watchdog thread) is http_guard.c; this file
 * hands it MHD's connections and requests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "reviewd/auth.h"
#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/error_body.h"
#include "reviewd/http.h"
#include "reviewd/handler.h"
#include "reviewd/http_guard.h"
#include "reviewd/ids.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/metrics.h"
#include "reviewd/rate_limit.h"
#include "reviewd/request.h"
#include "reviewd/router.h"
#include "reviewd/utf8.h"
#include "reviewd/writer.h"

struct http_req {
	struct request		 req;
	const struct route	*route;
	struct http_conn	*conn;		/* borrowed; NULL if unknown */
	char			*raw_path;	/* as sent, before '?' */
	char			*raw_query;	/* after '?', or NULL */
	bool			 begun;		/* head complete, in inflight */
	bool			 expected;	/* writer_expect'ed */
	int64_t			 body_since_ns;	/* the head completed */
	uint64_t		 body_got;	/* body bytes received */
	struct buf		 body;
	struct api_error	 err;
	struct response		 res;
	int			 status;	/* sent, for the access log */
	bool			 responded;
	int64_t			 refused_ns;	/* refuse_large; 0: not */
	uint64_t		 refused_at;	/* body_got then */
	int64_t			 started_ns;
	struct rate_limit_note	 rate;
	struct writer_job	 job;		/* a write, in the writer */
	atomic_int		 job_state;	/* JOB_* */
};

enum { JOB_NONE, JOB_QUEUED, JOB_DONE };

/* What lingering() reads and drops of a refused body at most. */
#define LINGER_BYTES	(1024 * 1024)
#define LINGER_NS	(INT64_C(2) * 1000000000)

static struct MHD_Daemon	*daemon_handle;
static const struct config	*server_cfg;
static const struct route	*route_table;
static size_t			 route_count;
static unsigned			 bound_port;
static atomic_int		 inflight;
static atomic_bool		 draining;

const char *
request_header(const struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
	    name);
}

const char *
request_query(const struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection,
	    MHD_GET_ARGUMENT_KIND, name);
}

struct rebuild {
	const char	*skip;
	struct buf	*out;
	int		 failed;
};

static enum MHD_Result
rebuild_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct rebuild	*rb = cls;

	(void)kind;
	if (rb->skip != NULL && strcmp(key, rb->skip) == 0)
		return MHD_YES;
	if ((rb->out->len > 0 && rb->out->data[rb->out->len - 1] != '?' &&
	    buf_puts(rb->out, "&") == -1) ||
	    request_url_encode(rb->out, key) == -1)
		goto fail;
	/* "?x" stays "x": the lists read it apart from "?x=" (NULL
	 * against "") */
	if (value == NULL)
		return MHD_YES;
	if (buf_puts(rb->out, "=") == -1 ||
	    request_url_encode(rb->out, value) == -1)
		goto fail;
	return MHD_YES;
fail:
	rb->failed = 1;
	return MHD_NO;
}

/* Big enough for any query MHD accepts, every byte percent-encoded. */
#define NEXT_LINK_MAX	(3 * 64 * 1024)

json_t *
request_next_page_link(const struct request *req, const char *param,
    const char *value)
{
	struct rebuild	 rb;
	struct buf	 url;
	json_t		*link = NULL;

	buf_init(&url, NEXT_LINK_MAX);
	rb.skip = param;
	rb.out = &url;
	rb.failed = 0;
	if (buf_printf(&url, "%s%s?", req->cfg->public_url, req->path) == 0) {
		(void)MHD_get_connection_values(req->connection,
		    MHD_GET_ARGUMENT_KIND, rebuild_arg, &rb);
		if (!rb.failed && buf_printf(&url, "%s%s=%s",
		    url.data[url.len - 1] == '?' ? "" : "&", param, value) == 0)
			link = json_link(url.data, "GET", "next-page");
	}
	buf_release(&url);
	return link;
}

static bool
add_header(struct MHD_Response *r, const char *name, const char *value)
{
	return MHD_add_response_header(r, name, value) == MHD_YES;
}

static bool
has_header(const struct response *res, const char *name)
{
	size_t	 i;

	for (i = 0; i < res->nheaders; i++) {
		if (strcasecmp(res->header_name[i], name) == 0)
			return true;
	}
	return false;
}

/* The X-RateLimit-* headers of a rate-limited route's answer. */
static bool
rate_headers(struct MHD_Response *r, const struct rate_limit_note *n)
{
	char	 limit[24], remaining[24], reset[24];

	snprintf(limit, sizeof(limit), "%lld", (long long)n->limit);
	snprintf(remaining, sizeof(remaining), "%lld",
	    (long long)n->remaining);
	snprintf(reset, sizeof(reset), "%lld", (long long)n->reset_s);
	return add_header(r, "X-RateLimit-Limit", limit) &&
	    add_header(r, "X-RateLimit-Remaining", remaining) &&
	    add_header(r, "X-RateLimit-Reset", reset);
}

/* Answers no cache may keep: a token in the path or query, a token
 * answer, anything for a business or the operator. */
static bool
personal(const struct route *route)
{
	return route != NULL && ((route->flags & ROUTE_NO_STORE) ||
	    route->auth == ROUTE_AUTH_BEARER ||
	    route->auth == ROUTE_AUTH_ADMIN);
}

/* Queues hr's response (or its error); false when MHD refused it. */
static bool
respond(struct http_req *hr, struct MHD_Connection *conn)
{
	struct response		*res = &hr->res;
	struct MHD_Response	*r = NULL;
	char			*text = NULL;
	size_t			 len = 0, i;
	const char		*ctype = "application/json; charset=utf-8";
	bool			 ok = false;

	hr->responded = true;
	if (hr->err.status != 0) {
		response_release(res);
		res->status = hr->err.status;
		res->json = error_body(&hr->err, hr->req.id);
		if (res->json == NULL)
			res->status = 500;
	}
	if (res->body != NULL) {
		text = res->body;
		len = res->body_len;
		res->body = NULL;
		if (res->content_type != NULL)
			ctype = res->content_type;
	} else if (res->json != NULL) {
		text = json_dumps(res->json, JSON_COMPACT);
		len = text != NULL ? strlen(text) : 0;
	}
	if (text == NULL) {
		res->status = 500;
		text = strdup("{\"message\":\"Internal error\","
		    "\"errorCode\":1500}");
		if (text == NULL)
			return false;
		len = strlen(text);
	}
	if (len == 0) {		/* MHD keeps no buffer of an empty body */
		free(text);
		text = NULL;
		r = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	} else
		r = MHD_create_response_from_buffer(len, text,
		    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return false;
	}
	/* an empty answer (202 of email-invitations) has no type */
	if ((len > 0 && !add_header(r, "Content-Type", ctype)) ||
	    !add_header(r, "X-Request-Id", hr->req.id))
		goto out;
	for (i = 0; i < res->nheaders; i++) {
		if (!add_header(r, res->header_name[i], res->header_value[i]))
			goto out;
	}
	if (hr->rate.counted && !rate_headers(r, &hr->rate))
		goto out;
	if (!has_header(res, "X-Content-Type-Options") &&
	    !add_header(r, "X-Content-Type-Options", "nosniff"))
		goto out;
	if (personal(hr->route) && !has_header(res, "Cache-Control") &&
	    !add_header(r, "Cache-Control", "no-store"))
		goto out;
	if (hr->err.status != 0 && hr->err.header_name[0] != '\0' &&
	    !add_header(r, hr->err.header_name, hr->err.header_value))
		goto out;
	if (hr->err.status == 401 && hr->err.header_name[0] == '\0' &&
	    !add_header(r, "WWW-Authenticate", "Bearer realm=\"reviewd\""))
		goto out;
	if (atomic_load(&draining) && !add_header(r, "Connection", "close"))
		goto out;
	hr->status = res->status;
	ok = MHD_queue_response(conn, (unsigned)res->status, r) == MHD_YES;
out:
	MHD_destroy_response(r);
	return ok;
}

static void
set_request_id(struct http_req *hr, struct MHD_Connection *conn)
{
	const char	*given = MHD_lookup_connection_value(conn,
			    MHD_HEADER_KIND, "X-Request-Id");
	size_t		 len;

	if (given != NULL) {
		len = strspn(given, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
		if (len > 0 && len <= IDS_UUID_LEN && given[len] == '\0') {
			memcpy(hr->req.id, given, len + 1);
			return;
		}
	}
	ids_uuid(hr->req.id);
}

/* The connection guard's side here (see http_guard.h). */

/* The accept policy: refuses, quietly and before MHD makes a connection
 * of it, a socket whose address has no room. */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)cls;
	(void)addrlen;
	return http_guard_admit(addr) ? MHD_YES : MHD_NO;
}

/* MHD_OPTION_NOTIFY_CONNECTION: registers a connection with the guard;
 * unregisters it when MHD closes it, before MHD closes the socket. */
static void
on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo	*ci, *ai;

	(void)cls;
	metrics_connection(code == MHD_CONNECTION_NOTIFY_CLOSED ? -1 : 1);
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_guard_close(*socket_context);
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	ai = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	*socket_context = http_guard_open(ci->connect_fd, ai != NULL ?
	    ai->client_addr : NULL);
}


static enum MHD_Result
last_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	if (strcasecmp(key, "X-Forwarded-For") == 0)
		*(const char **)cls = value;
	return MHD_YES;
}

/* The last X-Forwarded-For header of mc (borrowed), or NULL. */
static const char *
forwarded_header(struct MHD_Connection *mc)
{
	const char	*xff = NULL;

	(void)MHD_get_connection_values(mc, MHD_HEADER_KIND, last_forwarded,
	    &xff);
	return xff;
}

int
request_client(const struct request *req, char out[REQUEST_CLIENT_LEN])
{
	const union MHD_ConnectionInfo	*ci;
	struct http_peer		 k;
	size_t				 i, n;

	ci = MHD_get_connection_info(req->connection,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	http_guard_client(ci != NULL ? ci->client_addr : NULL,
	    forwarded_header(req->connection), &k);
	if (k.family == 0)
		return -1;
	n = k.family == AF_INET ? 4 : 16;
	out[0] = k.family == AF_INET ? '4' : '6';
	for (i = 0; i < n; i++)
		snprintf(out + 1 + i * 2, 3, "%02x", k.addr[i]);
	return 0;
}

/* Through a trusted proxy, max_connections_per_ip bounds the requests in
 * progress per forwarded client address instead. */
static int
limit_forwarded(struct http_req *hr, struct MHD_Connection *mc)
{
	if (http_guard_request_begin(hr->conn, forwarded_header(mc)) == 0)
		return 0;
	api_error_set(&hr->err, 429, NULL, "Too many requests in progress "
	    "from this address; retry shortly");
	api_error_header(&hr->err, "Retry-After", "1");
	return -1;
}

/*
 * The name of the first query parameter whose raw text holds %00, which
 * MHD would silently cut at; "query" when the name itself holds it. NULL
 * when none does.
 */
static const char *
query_nul(const char *q, char *name, size_t namelen)
{
	const char	*p = q, *amp, *eq, *hit;

	while (*p != '\0') {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		hit = memmem(p, (size_t)(amp - p), "%00", 3);
		if (hit != NULL) {
			eq = memchr(p, '=', (size_t)(amp - p));
			if (eq == NULL)
				eq = amp;
			if (hit < eq || request_form_decode(p, eq, name,
			    namelen) == -1 || !utf8_line(name))
				return "query";
			return name;
		}
		p = *amp != '\0' ? amp + 1 : amp;
	}
	return NULL;
}

/* This connection's guard entry (borrowed), or NULL. */
static struct http_conn *
connection_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo	*ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* Stops at the first query parameter that is not UTF-8 text: *cls
 * becomes the field to name, its key or, when the key is the bad part,
 * "query". */
static enum MHD_Result
check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	if (utf8_line(key) && (value == NULL || utf8_line(value)))
		return MHD_YES;
	*(const char **)cls = utf8_line(key) ? key : "query";
	return MHD_NO;
}

/* Every handler may take path and query text as UTF-8 it can store, log
 * and echo in JSON; what is not is refused here, once. */
static int
check_request_text(struct http_req *hr, struct MHD_Connection *conn)
{
	char		 name[64];
	const char	*nul, *bad = NULL;
	size_t		 i;

	if (hr->raw_query != NULL &&
	    (nul = query_nul(hr->raw_query, name, sizeof(name))) != NULL) {
		api_error_set(&hr->err, 400, nul, "must not hold a NUL byte "
		    "(%%00)");
		return -1;
	}
	for (i = 0; i < hr->req.params.n; i++) {
		if (!utf8_line(hr->req.params.value[i])) {
			api_error_set(&hr->err, 400, "path", "must be UTF-8 "
			    "text without control characters");
			return -1;
		}
	}
	(void)MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
	    check_arg, &bad);
	if (bad != NULL) {
		api_error_set(&hr->err, 400, bad, "must be UTF-8 text "
		    "without control characters");
		return -1;
	}
	return 0;
}

/* The largest body hr's route takes (see ROUTE_UPLOAD): anyone may send
 * to a public route, so it gets a small one. */
static size_t
body_limit(const struct route *route)
{
	int64_t	 max = server_cfg->max_body_bytes;

	if (route->flags & ROUTE_MAIL)
		max = server_cfg->afs_max_message_bytes;
	else if (route->flags & ROUTE_UPLOAD)
		max = server_cfg->max_upload_bytes;
	else if (route->auth == ROUTE_AUTH_NONE &&
	    server_cfg->max_public_body_bytes < max)
		max = server_cfg->max_public_body_bytes;
	return (size_t)max;
}

/* ROUTE_HEAD_CHECK: the handler's look at the head, body NULL. */
static int
head_check(struct http_req *hr)
{
	int	 r;

	hr->req.db = db_thread();
	if (hr->req.db == NULL) {
		db_fail(NULL, &hr->err);
		return -1;
	}
	hr->req.body = NULL;
	hr->req.body_len = 0;
	db_fault_clear(hr->req.db);
	r = hr->route->handler(&hr->req, &hr->res, &hr->err);
	if (r == -1)
		handler_failed(hr->req.db, &hr->err);
	db_thread_check();
	return r;
}

/* The checks made from the request line and headers alone, before any of
 * the body is read: route, declared size, authentication, path and query
 * text. */
static int
first_call(struct http_req *hr, struct MHD_Connection *conn,
    const char *method)
{
	char		 allow[64], name[64];
	const char	*clen;
	size_t		 max_body;
	int		 r;

	if (atomic_load(&draining)) {
		api_error_set(&hr->err, 503, NULL, "The server is shutting "
		    "down; retry shortly");
		api_error_header(&hr->err, "Retry-After", "1");
		return -1;
	}
	if (hr->raw_path == NULL) {
		api_error_internal(&hr->err);
		return -1;
	}
	if (limit_forwarded(hr, conn) == -1)
		return -1;
	/* The raw path: MHD's decoded url ends at the first %00. */
	r = router_match(route_table, route_count, method, hr->raw_path,
	    &hr->route, &hr->req.params, allow, sizeof(allow));
	if (r == 400) {
		snprintf(name, sizeof(name), "%.*s",
		    (int)strcspn(hr->req.params.bad, "}"),
		    hr->req.params.bad);
		api_error_set(&hr->err, 400, name, "must not hold a NUL byte "
		    "(%%00)");
		return -1;
	}
	if (r == 404) {
		api_error_set(&hr->err, 404, NULL, "No resource at this path");
		return -1;
	}
	if (r == 405) {
		api_error_set(&hr->err, 405, NULL, "Method %s is not allowed "
		    "here; allowed: %s", method, allow);
		api_error_header(&hr->err, "Allow", allow);
		return -1;
	}
	max_body = body_limit(hr->route);
	buf_init(&hr->body, max_body);
	clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Content-Length");
	if (clen != NULL && strtoull(clen, NULL, 10) > max_body) {
		api_error_set(&hr->err, 413, NULL, "The request body is "
		    "larger than %zu bytes", max_body);
		return -1;
	}
	if (auth_check(&hr->req, hr->route->auth, &hr->err) == -1 ||
	    rate_limit_take(&hr->req, hr->route, &hr->rate, &hr->err) == -1 ||
	    check_request_text(hr, conn) == -1)
		return -1;
	return (hr->route->flags & ROUTE_HEAD_CHECK) ? head_check(hr) : 0;
}

/*
 * The body has passed the route's limit: answered 413 now, while it is
 * still coming (MHD cannot queue an answer then: http_guard_refuse writes
 * it), and nothing more of it kept. false when the connection is to be
 * closed at once.
 */
static bool
refuse_large(struct http_req *hr)
{
	api_error_set(&hr->err, 413, NULL, "The request body is larger than "
	    "%zu bytes", hr->body.cap);
	buf_release(&hr->body);
	hr->responded = true;
	if (!http_guard_refuse(hr->conn, "413 Content Too Large", &hr->err))
		return false;
	hr->status = 413;
	hr->refused_ns = clock_mono_ns();
	hr->refused_at = hr->body_got;
	return true;
}

/*
 * After refuse_large, the rest of the body is read and dropped for a
 * moment: closing a socket with unread bytes resets it, and a client
 * still sending would lose the answer. Whether to go on.
 */
static bool
lingering(const struct http_req *hr)
{
	return hr->body_got - hr->refused_at <= LINGER_BYTES &&
	    clock_mono_ns() - hr->refused_ns <= LINGER_NS;
}

/* Writes go through the writer's group commit; uploads (committed in
 * chunks) go to the writer's long lane; inbound mail (parsed at length)
 * and ROUTE_SOLO routes (long work such as a password check, or no write
 * at all) run on their worker. */
static bool
grouped(const struct http_req *hr)
{
	return strcmp(hr->req.method, "GET") != 0 &&
	    strcmp(hr->req.method, "HEAD") != 0 &&
	    (hr->route->flags & (ROUTE_UPLOAD | ROUTE_MAIL | ROUTE_SOLO)) ==
	    0;
}

/* The request's write is queued, or will not be (writer.h). */
static void
expected_end(struct http_req *hr)
{
	if (hr->expected) {
		hr->expected = false;
		writer_unexpect();
	}
}

/* The writer thread: the job's group has committed (or failed). */
static void
job_done(struct writer_job *job)
{
	struct http_req	*hr = (struct http_req *)(void *)((char *)job -
			    offsetof(struct http_req, job));

	atomic_store(&hr->job_state, JOB_DONE);
	MHD_resume_connection(hr->req.connection);
}

/* The head is complete: the body is awaited from now, unless the watchdog
 * has just cut the head. */
static enum MHD_Result
begin(struct http_req *hr, struct MHD_Connection *conn, const char *method,
    const char *url)
{
	struct http_conn	*c = connection_of(conn);

	hr->body_since_ns = clock_mono_ns();
	if (!http_guard_body(c, hr->body_since_ns, 0))
		return MHD_NO;
	hr->begun = true;
	atomic_fetch_add(&inflight, 1);
	hr->conn = c;
	hr->started_ns = hr->body_since_ns;
	hr->req.method = method;
	hr->req.path = url;
	hr->req.cfg = server_cfg;
	hr->req.connection = conn;
	set_request_id(hr, conn);
	http_guard_request_id(c, hr->req.id);
	if (first_call(hr, conn, method) == -1)
		return respond(hr, conn) ? MHD_YES : MHD_NO;
	if (grouped(hr)) {
		hr->expected = true;
		writer_expect();
	}
	return MHD_YES;
}

/* The body is in: the handler runs on the writer's thread (a grouped
 * write, an upload) or here. */
static enum MHD_Result
handle(struct http_req *hr, struct MHD_Connection *conn)
{
	bool	 group;

	/* Off the watch until the request ends, unless the watchdog has
	 * just cut it, when the handler must not run. */
	if (!http_guard_handling(hr->conn))
		return MHD_NO;
	if (hr->responded)
		return MHD_YES;
	hr->req.body = hr->body.data != NULL ? hr->body.data : "";
	hr->req.body_len = hr->body.len;
	group = grouped(hr);
	if (group || (hr->route->flags & ROUTE_UPLOAD)) {
		hr->job = (struct writer_job){ &hr->req, &hr->res, &hr->err,
		    hr->route->handler, job_done, NULL };
		atomic_store(&hr->job_state, JOB_QUEUED);
		/* Suspended first: the writer resumes it when done. */
		MHD_suspend_connection(conn);
		if (writer_submit(&hr->job, group ? WRITER_GROUP :
		    WRITER_LONG) == 0) {
			expected_end(hr);
			return MHD_YES;
		}
		MHD_resume_connection(conn);
		atomic_store(&hr->job_state, JOB_NONE);
	}
	expected_end(hr);
	hr->req.db = db_thread();
	if (hr->req.db == NULL) {
		db_fail(NULL, &hr->err);
		return respond(hr, conn) ? MHD_YES : MHD_NO;
	}
	db_fault_clear(hr->req.db);
	if (hr->route->handler(&hr->req, &hr->res, &hr->err) == -1)
		handler_failed(hr->req.db, &hr->err);
	db_thread_check();
	return respond(hr, conn) ? MHD_YES : MHD_NO;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http_req	*hr = *con_cls;
	size_t		 len;

	(void)cls;
	(void)version;
	if (hr == NULL) {
		/* on_uri ran out of memory */
		hr = calloc(1, sizeof(*hr));
		if (hr == NULL)
			return MHD_NO;
		*con_cls = hr;
	}
	if (!hr->begun)
		return begin(hr, conn, method, url);
	if (*upload_size != 0) {
		len = *upload_size;
		*upload_size = 0;
		hr->body_got += len;
		if (hr->refused_ns != 0)
			return lingering(hr) ? MHD_YES : MHD_NO;
		if (!http_guard_body(hr->conn, hr->body_since_ns,
		    hr->body_got))
			return MHD_NO;
		if (hr->responded ||
		    buf_append(&hr->body, upload, len) == 0)
			return MHD_YES;
		return refuse_large(hr) ? MHD_YES : MHD_NO;
	}
	/* Answered already (refuse_large): MHD closes the connection. */
	if (hr->refused_ns != 0)
		return MHD_NO;
	switch (atomic_load(&hr->job_state)) {
	case JOB_DONE:
		return respond(hr, conn) ? MHD_YES : MHD_NO;
	case JOB_QUEUED:
		return MHD_YES;
	default:
		return handle(hr, conn);
	}
}

/*
 * The path of a request no route matched (404, 405), for the access log:
 * as sent, at most LOG_PATH_MAX bytes ("..." after), each byte that is
 * not printable ASCII or is a space as '?', and each segment longer than
 * LOG_SEGMENT_MAX as "*": a mistyped or truncated reviewer link still
 * carries its token, and the log must not. Returns out.
 */
#define LOG_PATH_MAX	120
#define LOG_SEGMENT_MAX	16

static const char *
log_path(const char *raw, char *out, size_t outlen)
{
	size_t	 i = 0, o = 0, seg;

	if (raw == NULL || raw[0] == '\0')
		return "(none)";
	while (raw[i] != '\0' && o < LOG_PATH_MAX && o + 4 < outlen) {
		if (raw[i] == '/') {
			out[o++] = raw[i++];
			continue;
		}
		seg = strcspn(raw + i, "/");
		if (seg > LOG_SEGMENT_MAX) {
			out[o++] = '*';
			i += seg;
			continue;
		}
		for (; seg > 0 && o < LOG_PATH_MAX && o + 4 < outlen;
		    seg--, i++)
			out[o++] = raw[i] > ' ' && raw[i] < 0x7f ? raw[i] : '?';
	}
	if (raw[i] != '\0')
		memcpy(out + o, "...", 4);
	else
		out[o] = '\0';
	return out;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req	*hr = *con_cls;
	char		 path[LOG_PATH_MAX + 4];

	(void)cls;
	(void)conn;
	if (hr == NULL)
		return;
	if (!hr->begun) {
		/* The head never completed; MHD closes the connection. */
		free(hr->raw_path);
		free(hr->raw_query);
		free(hr);
		*con_cls = NULL;
		return;
	}
	/* The route's pattern, not the path: paths carry link tokens. */
	log_info("access method=%s path=%s status=%d us=%lld rid=%s%s",
	    hr->req.method, hr->route != NULL ? hr->route->pattern :
	    log_path(hr->raw_path, path, sizeof(path)), hr->status,
	    (long long)((clock_mono_ns() - hr->started_ns) / 1000), hr->req.id,
	    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
	metrics_request(hr->route, hr->status,
	    clock_mono_ns() - hr->started_ns);
	expected_end(hr);
	http_guard_request_end(hr->conn);
	json_decref(hr->req.body_json);
	buf_release(&hr->body);
	response_release(&hr->res);
	free(hr->raw_path);
	free(hr->raw_query);
	free(hr);
	*con_cls = NULL;
	atomic_fetch_sub(&inflight, 1);
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request line, raw, before MHD decodes
 * it; the result becomes the request's state. NULL when out of memory. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_req	*hr;
	const char	*q = strchr(uri, '?');

	(void)cls;
	(void)conn;
	hr = calloc(1, sizeof(*hr));
	if (hr == NULL)
		return NULL;
	hr->raw_path = strndup(uri, q != NULL ? (size_t)(q - uri) :
	    strlen(uri));
	if (q != NULL)
		hr->raw_query = strdup(q + 1);
	if (hr->raw_path == NULL || (q != NULL && hr->raw_query == NULL)) {
		free(hr->raw_path);
		free(hr->raw_query);
		free(hr);
		return NULL;
	}
	return hr;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	 line[512];
	size_t	 len;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	log_warn("http: %s", line);
}

int
http_start(const struct config *cfg, const struct route *table, size_t n)
{
	const union MHD_DaemonInfo	*info;
	struct sockaddr_storage		 bound;
	socklen_t			 blen = sizeof(bound);
	unsigned			 flags;

	server_cfg = cfg;
	route_table = table;
	route_count = n;
	if (metrics_init(table, n) == -1)
		return -1;
	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	if (cfg->listen_addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	rate_limit_configure(cfg);
	/* Before the daemon: its first connection goes through the guard,
	 * its first write to the writer. */
	if (writer_start() == -1)
		return -1;
	if (http_guard_start(cfg) == -1) {
		log_error("http: cannot start the request head watchdog");
		writer_stop();
		return -1;
	}
	daemon_handle = MHD_start_daemon(flags, 0, on_accept, NULL,
	    on_request, NULL,
	    /* First, or MHD prints earlier messages itself. */
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cfg->listen_addr,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
	    MHD_OPTION_END);
	if (daemon_handle == NULL) {
		log_error("http: cannot listen on %s", cfg->listen);
		http_guard_stop();
		writer_stop();
		return -1;
	}
	info = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_LISTEN_FD);
	if (info == NULL || getsockname(info->listen_fd,
	    (struct sockaddr *)&bound, &blen) == -1) {
		log_error_errno("http: getsockname");
		http_guard_stop();
		MHD_stop_daemon(daemon_handle);
		daemon_handle = NULL;
		writer_stop();
		return -1;
	}
	bound_port = ntohs(bound.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&bound)->sin6_port :
	    ((struct sockaddr_in *)&bound)->sin_port);
	return 0;
}

unsigned
http_port(void)
{
	return bound_port;
}

/* Waits up to ms milliseconds for the requests in flight to end. */
static void
wait_inflight(int64_t ms)
{
	int64_t		 deadline = clock_mono_ns() + ms * 1000000;
	struct timespec	 tick = { 0, 10 * 1000000 };

	while (atomic_load(&inflight) > 0 && clock_mono_ns() < deadline)
		(void)nanosleep(&tick, NULL);
}

void
http_stop(int64_t grace_ms)
{
	if (daemon_handle == NULL)
		return;
	/* Not MHD_quiesce_daemon: with epoll and a thread pool it races the
	 * workers for the listen socket and can abort the process
	 * (libmicrohttpd 0.9.75). Requests that arrive now get 503. */
	atomic_store(&draining, true);
	wait_inflight(grace_ms);
	if (atomic_load(&inflight) > 0)
		log_warn("http: stopping with requests=%d still in flight",
		    atomic_load(&inflight));
	/* Runs what is queued and resumes its connections: MHD must not
	 * stop with a connection suspended. */
	writer_stop();
	/* The answers of what the writer ran last are written by the
	 * workers: a moment for them, or the clients get a reset. */
	wait_inflight(2000);
	http_guard_stop();
	MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
}

/* for reviews_list (its cache key): the path and every query argument. */
int
request_query_key(const struct request *req, struct buf *out)
{
	struct rebuild	 rb;

	rb.skip = NULL;
	rb.out = out;
	rb.failed = 0;
	if (buf_puts(out, req->path) == -1 || buf_puts(out, "?") == -1)
		return -1;
	(void)MHD_get_connection_values(req->connection,
	    MHD_GET_ARGUMENT_KIND, rebuild_arg, &rb);
	return rb.failed ? -1 : 0;
}
