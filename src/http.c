/*
 * http: libmicrohttpd glue. Owns the daemon, the per-request state (one
 * struct http_req from the request line to the completed callback), body
 * accumulation under a per-route cap, error rendering, the access log and
 * the graceful stop. MHD's thread pool calls on_request/on_completed; the
 * counters below are atomics shared by those threads and the main thread.
 *
 * It also owns the connection guard: every TCP connection is a struct
 * http_conn on one list (conns_lock), from MHD's "started" notification to
 * its "closed" one, which MHD sends before it closes the socket. Over
 * [server] max_connections_per_ip from one address (an IPv6 /64 counting
 * as one, see http_peer_key) a new connection is shut at once. The
 * watchdog thread shuts connections that have not completed a request
 * head within [server] request_head_timeout_s of their accept or of the
 * end of their previous request, and those whose request body comes
 * slower than [server] min_body_rate_bytes_s on average after a grace of
 * request_body_timeout_s (with a 408 if the socket takes it). MHD's own
 * connection timeout is an idle one, reset by every byte, which a client
 * sending a byte now and then never reaches.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "reviewd/auth.h"
#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/http.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/router.h"
#include "reviewd/scheduler.h"
#include "reviewd/utf8.h"

/*
 * http_conn.deadline_ns: 0 while there is none (a request is handled or
 * answered), DEADLINE_TAKEN once the watchdog has shut the connection,
 * else a CLOCK_MONOTONIC time whose low bit says what is awaited by then:
 * clear for a request head, set for the rest of a request body. One word,
 * so that worker and watchdog can each change it by compare-and-swap.
 */
#define DEADLINE_TAKEN		INT64_C(-1)
#define DEADLINE_HEAD(t)	((t) & ~INT64_C(1))
#define DEADLINE_BODY(t)	((t) | 1)
#define DEADLINE_IS_BODY(d)	(((d) & 1) != 0)

struct http_conn {
	struct http_conn	*prev, *next;	/* conns_lock */
	int			 fd;
	struct http_peer	 peer;		/* as counted */
	bool			 trusted;	/* peer is a trusted proxy */
	bool			 counted;	/* toward the per-address cap */
	bool			 shut;		/* conns_lock */
	/* Behind a trusted proxy: the client of the request in progress
	 * (from X-Forwarded-For), family 0 when none. conns_lock. */
	struct http_peer	 client;
	/* The request in progress, for the watchdog's 408. conns_lock. */
	char			 rid[IDS_UUID_LEN + 1];
	/* Moved by the connection's worker, taken by the watchdog, each by
	 * compare-and-swap: when a deadline falls due as the worker moves
	 * it, exactly one of them wins. */
	_Atomic int64_t		 deadline_ns;
};

struct http_req {
	struct request		 req;
	const struct route	*route;
	struct http_conn	*conn;		/* borrowed; NULL if unknown */
	char			*raw_path;	/* as sent, before '?' */
	char			*raw_query;	/* after '?', or NULL */
	bool			 begun;		/* head complete, in inflight */
	int64_t			 body_since_ns;	/* the head completed */
	uint64_t		 body_got;	/* body bytes received */
	struct buf		 body;
	struct api_error	 err;
	struct response		 res;
	int			 status;	/* sent, for the access log */
	bool			 too_large;
	bool			 responded;
	int64_t			 started_ns;
};

static struct MHD_Daemon	*daemon_handle;
static const struct config	*server_cfg;
static const struct route	*route_table;
static size_t			 route_count;
static unsigned			 bound_port;
static atomic_int		 inflight;
static atomic_bool		 draining;

static pthread_mutex_t		 conns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 watchdog_cond;
static pthread_t		 watchdog;
static bool			 watchdog_running;
static bool			 watchdog_stop;		/* conns_lock */
static struct http_conn		*conns;			/* conns_lock */
static atomic_int		 refused_per_ip;

static const struct {
	int		 status;
	int		 code;
	const char	*message;
} status_table[] = {
	{ 400, 1001, "The request is not valid" },
	{ 401, 1010, "Authentication is required" },
	{ 403, 1014, "Access to resource is forbidden" },
	{ 404, 1004, "Not found" },
	{ 405, 1005, "Method not allowed" },
	{ 408, 1008, "Request timeout" },
	{ 409, 1009, "Conflict" },
	{ 413, 1013, "The request body is too large" },
	{ 415, 1015, "Unsupported media type" },
	{ 429, 1029, "Too many requests" },
	{ 500, 1500, "Internal error" },
	{ 503, 1503, "Service unavailable" },
};

static int64_t
mono_ns(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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
	    request_url_encode(rb->out, key) == -1 ||
	    buf_puts(rb->out, "=") == -1 ||
	    request_url_encode(rb->out, value != NULL ? value : "") == -1) {
		rb->failed = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

json_t *
request_page_links(const struct request *req, json_t *items, int64_t page,
    int64_t per_page)
{
	json_t	*links = json_array();
	char	 next[24];

	if (links == NULL || items == NULL ||
	    json_array_size(items) <= (size_t)per_page)
		return links;
	(void)json_array_remove(items, (size_t)per_page);
	snprintf(next, sizeof(next), "%lld", (long long)page + 1);
	if (json_array_append_new(links, request_next_page_link(req, "page",
	    next)) == -1) {
		json_decref(links);
		return NULL;
	}
	return links;
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

static const char *
status_message(int status, int *code)
{
	size_t	 i;

	for (i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++) {
		if (status_table[i].status == status) {
			*code = status_table[i].code;
			return status_table[i].message;
		}
	}
	*code = status >= 500 ? 1500 : 1000;
	return status >= 500 ? "Internal error" : "The request failed";
}

/* {"message", "errorCode", "correlationId", "details"}; NULL when OOM. */
static json_t *
error_json(const struct api_error *err, const char *request_id)
{
	json_t		*o = NULL, *details = NULL;	/* owned */
	char		 message[sizeof(err->message) + 256];
	const char	*base;
	int		 code;
	size_t		 i;

	base = status_message(err->status, &code);
	if (err->message[0] != '\0')
		snprintf(message, sizeof(message), "%s", err->message);
	else if (err->ndetails > 0)
		snprintf(message, sizeof(message), "%s: %s %s", base,
		    err->details[0].field, err->details[0].reason);
	else
		snprintf(message, sizeof(message), "%s", base);
	details = json_array();
	if (details == NULL)
		return NULL;
	for (i = 0; i < err->ndetails; i++) {
		if (json_array_append_new(details, json_pack("{s:s, s:s}",
		    "field", err->details[i].field, "reason",
		    err->details[i].reason)) == -1) {
			json_decref(details);
			return NULL;
		}
	}
	o = json_pack("{s:s, s:i, s:s, s:o}", "message", message,
	    "errorCode", code, "correlationId", request_id, "details",
	    details);
	return o;
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
		res->json = error_json(&hr->err, hr->req.id);
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
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return false;
	}
	if (!add_header(r, "Content-Type", ctype) ||
	    !add_header(r, "X-Request-Id", hr->req.id))
		goto out;
	for (i = 0; i < res->nheaders; i++) {
		if (!add_header(r, res->header_name[i], res->header_value[i]))
			goto out;
	}
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

/* The connection guard (see the top of this file). */

/* The whole address, an IPv4-mapped one as IPv4: what trusted_proxies
 * is matched against. */
static void
addr_key_set(struct http_peer *k, int family, const unsigned char *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	memset(k, 0, sizeof(*k));
	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	k->family = family;
	memcpy(k->addr, addr, family == AF_INET ? 4 : 16);
}

static void
addr_key_from(struct http_peer *k, const struct sockaddr *sa)
{
	const struct sockaddr_in	*in4;
	const struct sockaddr_in6	*in6;

	memset(k, 0, sizeof(*k));
	if (sa != NULL && sa->sa_family == AF_INET) {
		in4 = (const struct sockaddr_in *)(const void *)sa;
		addr_key_set(k, AF_INET,
		    (const unsigned char *)&in4->sin_addr);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		in6 = (const struct sockaddr_in6 *)(const void *)sa;
		addr_key_set(k, AF_INET6,
		    (const unsigned char *)&in6->sin6_addr);
	}
}

void
http_peer_key(struct http_peer *k, int family, const unsigned char *addr)
{
	if (family == AF_INET || family == AF_INET6)
		addr_key_set(k, family, addr);
	else
		memset(k, 0, sizeof(*k));
	/* The interface identifier is the client's to choose. */
	if (k->family == AF_INET6)
		memset(k->addr + 8, 0, 8);
}

static bool
addr_key_equal(const struct http_peer *a, const struct http_peer *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr,
	    sizeof(a->addr)) == 0;
}

/* Whether peer may have one more connection: not when it already has
 * max_connections_per_ip. Trusted proxies carry many clients and are
 * exempt. Call with conns_lock held. */
static bool
peer_has_room(const struct http_peer *peer, bool trusted)
{
	const struct http_conn	*p;
	int64_t			 n = 0;
	int64_t			 limit = server_cfg->max_connections_per_ip;

	if (limit == 0 || trusted)
		return true;
	for (p = conns; p != NULL; p = p->next) {
		if (p->counted && addr_key_equal(&p->peer, peer) &&
		    ++n >= limit)
			return false;
	}
	return true;
}

/* The accept policy: refuses, quietly and before MHD makes a connection
 * of it, a socket whose address has no room. */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_peer	 full, peer;
	bool			 room, trusted;

	(void)cls;
	(void)addrlen;
	addr_key_from(&full, addr);
	trusted = full.family != 0 && config_trusted_proxy(server_cfg,
	    full.family, full.addr);
	http_peer_key(&peer, full.family, full.addr);
	(void)pthread_mutex_lock(&conns_lock);
	room = peer_has_room(&peer, trusted);
	(void)pthread_mutex_unlock(&conns_lock);
	if (room)
		return MHD_YES;
	atomic_fetch_add(&refused_per_ip, 1);
	return MHD_NO;
}

/* When the next request head is due, from now. */
static int64_t
head_deadline(void)
{
	return DEADLINE_HEAD(mono_ns() + server_cfg->request_head_timeout_s *
	    INT64_C(1000000000));
}

/*
 * When the rest of hr's body is due: request_body_timeout_s after its
 * head, plus the time what came so far takes at min_body_rate_bytes_s.
 * The allowance grows with the bytes as they come rather than with the
 * Content-Length up front: a body of any size at that average rate is
 * in time, while one declared large and then dribbled is cut within
 * request_body_timeout_s all the same.
 */
static int64_t
body_deadline(const struct http_req *hr)
{
	const uint64_t	 rate = (uint64_t)server_cfg->min_body_rate_bytes_s;
	uint64_t	 secs = hr->body_got / rate;
	int64_t		 ns;

	/* A year: past any body the caps let through, and no overflow. */
	if (secs > 365 * 86400)
		secs = 365 * 86400;
	ns = (int64_t)secs * 1000000000 +
	    (int64_t)(hr->body_got % rate * 1000000000 / rate);
	return DEADLINE_BODY(hr->body_since_ns +
	    server_cfg->request_body_timeout_s * INT64_C(1000000000) + ns);
}

/*
 * Moves c's deadline to next (0: none) unless the watchdog has taken it.
 * false then: the connection is being shut, and its request must go no
 * further (a handler started now could commit what the client, cut off,
 * never hears of).
 */
static bool
deadline_move(struct http_conn *c, int64_t next)
{
	int64_t	 cur;

	if (c == NULL)
		return true;
	cur = atomic_load(&c->deadline_ns);
	while (cur != DEADLINE_TAKEN &&
	    !atomic_compare_exchange_weak(&c->deadline_ns, &cur, next))
		continue;
	return cur != DEADLINE_TAKEN;
}

/*
 * MHD_OPTION_NOTIFY_CONNECTION: registers a connection; unregisters it
 * when MHD closes it, before MHD closes the socket, so the watchdog never
 * touches a reused fd. The accept policy ran without the lock held across
 * to here, so workers accepting at once can pass it together: the count
 * is made exact here, by shutting the one too many.
 */
static void
on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo	*ci;
	struct http_conn		*c = *socket_context;
	struct http_peer		 full;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (c == NULL)
			return;
		(void)pthread_mutex_lock(&conns_lock);
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			conns = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		(void)pthread_mutex_unlock(&conns_lock);
		free(c);
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		/* Unguarded connections are not served. */
		(void)shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	c->fd = ci->connect_fd;
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	addr_key_from(&full, ci != NULL ? ci->client_addr : NULL);
	c->trusted = full.family != 0 && config_trusted_proxy(server_cfg,
	    full.family, full.addr);
	http_peer_key(&c->peer, full.family, full.addr);
	atomic_store(&c->deadline_ns, head_deadline());
	(void)pthread_mutex_lock(&conns_lock);
	if (peer_has_room(&c->peer, c->trusted))
		c->counted = !c->trusted;
	else {
		/* MHD reads the end of the stream and closes it. */
		(void)shutdown(c->fd, SHUT_RDWR);
		c->shut = true;
		atomic_fetch_add(&refused_per_ip, 1);
	}
	c->next = conns;
	if (conns != NULL)
		conns->prev = c;
	conns = c;
	(void)pthread_mutex_unlock(&conns_lock);
	*socket_context = c;
}

/*
 * Tells the client of c, whose body came too slowly, why it is cut, if
 * its socket takes the answer at once. While a body is awaited MHD writes
 * nothing but, at most, an early error answer of a few hundred bytes,
 * sent whole long before: the 408 does not interleave with it. Called
 * with conns_lock held (c->rid).
 */
static void
send_body_timeout(const struct http_conn *c)
{
	struct api_error	 err;
	json_t			*o;
	char			*text = NULL, out[1024];
	int			 n;

	memset(&err, 0, sizeof(err));
	api_error_set(&err, 408, NULL, "The request body came too slowly: "
	    "below %lld bytes a second after %lld seconds",
	    (long long)server_cfg->min_body_rate_bytes_s,
	    (long long)server_cfg->request_body_timeout_s);
	o = error_json(&err, c->rid);
	if (o == NULL)
		goto out;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		goto out;
	n = snprintf(out, sizeof(out), "HTTP/1.1 408 Request Timeout\r\n"
	    "Connection: close\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Request-Id: %s\r\nContent-Length: %zu\r\n\r\n%s", c->rid,
	    strlen(text), text);
	/* Ignored: the peer may not read, or be gone already. */
	if (n > 0 && (size_t)n < sizeof(out))
		(void)send(c->fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
out:
	free(text);
}

/* Shuts, every 500 ms, the connections whose request head or body is
 * late. */
/*
 * Whether bytes the client sent wait unread in the socket: then the
 * client is not the slow side but the worker thread that owns the
 * connection, busy with another request; a deadline must not cut the
 * client for that.
 */
static bool
unread(int fd)
{
	int	 n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

static void *
watchdog_main(void *arg)
{
	struct http_conn	*c;
	struct timespec		 until;
	int64_t			 now, due;
	int			 heads, bodies, refused;

	(void)arg;
	(void)pthread_mutex_lock(&conns_lock);
	while (!watchdog_stop) {
		(void)clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 500 * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&watchdog_cond, &conns_lock,
		    &until);
		now = mono_ns();
		heads = bodies = 0;
		for (c = conns; c != NULL; c = c->next) {
			due = atomic_load(&c->deadline_ns);
			if (c->shut || due <= 0 || now < due ||
			    unread(c->fd))
				continue;
			/* Lost when the worker has just moved it: the head
			 * or body came in time after all. */
			if (!atomic_compare_exchange_strong(&c->deadline_ns,
			    &due, DEADLINE_TAKEN))
				continue;
			if (DEADLINE_IS_BODY(due)) {
				send_body_timeout(c);
				bodies++;
			} else
				heads++;
			/* Ignored: the peer may have closed it already. */
			(void)shutdown(c->fd, SHUT_RDWR);
			c->shut = true;
		}
		(void)pthread_mutex_unlock(&conns_lock);
		refused = atomic_exchange(&refused_per_ip, 0);
		if (heads > 0)
			log_warn("http: closed connections=%d without a "
			    "complete request head after request_head_timeout_s"
			    "=%lld", heads,
			    (long long)server_cfg->request_head_timeout_s);
		if (bodies > 0)
			log_warn("http: closed connections=%d without a "
			    "complete request body at min_body_rate_bytes_s="
			    "%lld after request_body_timeout_s=%lld", bodies,
			    (long long)server_cfg->min_body_rate_bytes_s,
			    (long long)server_cfg->request_body_timeout_s);
		if (refused > 0)
			log_warn("http: refused connections=%d over "
			    "max_connections_per_ip=%lld", refused,
			    (long long)server_cfg->max_connections_per_ip);
		(void)pthread_mutex_lock(&conns_lock);
	}
	(void)pthread_mutex_unlock(&conns_lock);
	return NULL;
}

static int
watchdog_start(void)
{
	pthread_condattr_t	 attr;
	int			 rc;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&watchdog_cond, &attr);
	(void)pthread_condattr_destroy(&attr);
	if (rc != 0)
		return -1;
	watchdog_stop = false;
	if (pthread_create(&watchdog, NULL, watchdog_main, NULL) != 0) {
		(void)pthread_cond_destroy(&watchdog_cond);
		return -1;
	}
	watchdog_running = true;
	return 0;
}

static void
watchdog_end(void)
{
	if (!watchdog_running)
		return;
	(void)pthread_mutex_lock(&conns_lock);
	watchdog_stop = true;
	(void)pthread_cond_signal(&watchdog_cond);
	(void)pthread_mutex_unlock(&conns_lock);
	(void)pthread_join(watchdog, NULL);
	(void)pthread_cond_destroy(&watchdog_cond);
	watchdog_running = false;
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

/*
 * Behind a trusted proxy, the client is the last entry of the last
 * X-Forwarded-For header that is not a trusted proxy itself: the entries
 * left of it come from the client and prove nothing. out->family is 0
 * when there is none or an entry is not an address.
 */
static void
forwarded_client(struct MHD_Connection *mc, struct http_peer *out)
{
	const char		*xff = NULL, *start, *end, *s, *e;
	char			 text[INET6_ADDRSTRLEN];
	unsigned char		 bytes[16];
	int			 family;
	struct http_peer	 full;

	memset(out, 0, sizeof(*out));
	(void)MHD_get_connection_values(mc, MHD_HEADER_KIND, last_forwarded,
	    &xff);
	if (xff == NULL)
		return;
	end = xff + strlen(xff);
	while (end > xff) {
		start = end;
		while (start > xff && start[-1] != ',')
			start--;
		s = start;
		e = end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == s || (size_t)(e - s) >= sizeof(text))
			return;
		memcpy(text, s, (size_t)(e - s));
		text[e - s] = '\0';
		if (inet_pton(AF_INET, text, bytes) == 1)
			family = AF_INET;
		else if (inet_pton(AF_INET6, text, bytes) == 1)
			family = AF_INET6;
		else
			return;
		addr_key_set(&full, family, bytes);
		if (!config_trusted_proxy(server_cfg, full.family,
		    full.addr)) {
			http_peer_key(out, full.family, full.addr);
			return;
		}
		end = start > xff ? start - 1 : xff;
	}
}

int
request_client(const struct request *req, char out[REQUEST_CLIENT_LEN])
{
	const union MHD_ConnectionInfo	*ci;
	struct http_peer		 full, k;
	size_t				 i, n;

	ci = MHD_get_connection_info(req->connection,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	addr_key_from(&full, ci != NULL ? ci->client_addr : NULL);
	if (full.family != 0 && config_trusted_proxy(server_cfg, full.family,
	    full.addr))
		forwarded_client(req->connection, &full);
	http_peer_key(&k, full.family, full.addr);
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
	struct http_peer	 client;
	struct http_conn	*p;
	int64_t			 n = 0;
	int64_t			 limit = server_cfg->max_connections_per_ip;

	if (hr->conn == NULL || !hr->conn->trusted || limit == 0)
		return 0;
	forwarded_client(mc, &client);
	if (client.family == 0)
		return 0;
	(void)pthread_mutex_lock(&conns_lock);
	for (p = conns; p != NULL; p = p->next) {
		if (addr_key_equal(&p->client, &client))
			n++;
	}
	if (n < limit)
		hr->conn->client = client;
	(void)pthread_mutex_unlock(&conns_lock);
	if (n < limit)
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
			if (hit < eq || request_form_decode(p, eq, name, namelen) ==
			    -1 || !utf8_line(name))
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

struct bad_arg {
	const char	*name;	/* the first bad query parameter, or NULL */
	bool		 found;
};

static enum MHD_Result
check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct bad_arg	*bad = cls;

	(void)kind;
	if (utf8_line(key) && (value == NULL || utf8_line(value)))
		return MHD_YES;
	bad->found = true;
	bad->name = utf8_line(key) ? key : NULL;
	return MHD_NO;
}

/* Every handler may take path and query text as UTF-8 it can store, log
 * and echo in JSON; what is not is refused here, once. */
static int
check_request_text(struct http_req *hr, struct MHD_Connection *conn)
{
	struct bad_arg	 bad = { NULL, false };
	char		 name[64];
	const char	*nul;
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
	if (bad.found) {
		api_error_set(&hr->err, 400, bad.name != NULL ? bad.name :
		    "query", "must be UTF-8 text without control characters");
		return -1;
	}
	return 0;
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
		api_error_set(&hr->err, 500, NULL, "Internal error");
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
	max_body = (size_t)((hr->route->flags & ROUTE_UPLOAD) ?
	    server_cfg->max_upload_bytes : server_cfg->max_body_bytes);
	buf_init(&hr->body, max_body);
	clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Content-Length");
	if (clen != NULL && strtoull(clen, NULL, 10) > max_body) {
		api_error_set(&hr->err, 413, NULL, "The request body is "
		    "larger than %zu bytes", max_body);
		return -1;
	}
	if (auth_check(&hr->req, hr->route->auth, &hr->err) == -1)
		return -1;
	return check_request_text(hr, conn);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http_req		*hr = *con_cls;
	struct http_conn	*c;

	(void)cls;
	(void)version;
	if (hr == NULL) {
		/* on_uri ran out of memory */
		hr = calloc(1, sizeof(*hr));
		if (hr == NULL)
			return MHD_NO;
		*con_cls = hr;
	}
	if (!hr->begun) {
		/* The head is complete: the body is awaited from now, unless
		 * the watchdog has just cut the head. */
		c = connection_of(conn);
		hr->body_since_ns = mono_ns();
		if (!deadline_move(c, body_deadline(hr)))
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
		if (c != NULL) {
			(void)pthread_mutex_lock(&conns_lock);
			memcpy(c->rid, hr->req.id, sizeof(c->rid));
			(void)pthread_mutex_unlock(&conns_lock);
		}
		if (first_call(hr, conn, method) == -1)
			return respond(hr, conn) ? MHD_YES : MHD_NO;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		hr->body_got += *upload_size;
		if (!deadline_move(hr->conn, body_deadline(hr)))
			return MHD_NO;
		if (!hr->responded && !hr->too_large &&
		    buf_append(&hr->body, upload, *upload_size) == -1) {
			hr->too_large = true;
			buf_release(&hr->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	/* The body is in: off the watch until the request ends, unless the
	 * watchdog has just cut it, when the handler must not run. */
	if (!deadline_move(hr->conn, 0))
		return MHD_NO;
	if (hr->responded)
		return MHD_YES;
	if (hr->too_large) {
		api_error_set(&hr->err, 413, NULL, "The request body is "
		    "larger than %zu bytes", hr->body.cap);
		return respond(hr, conn) ? MHD_YES : MHD_NO;
	}
	hr->req.body = hr->body.data != NULL ? hr->body.data : "";
	hr->req.body_len = hr->body.len;
	hr->req.db = db_thread();
	if (hr->req.db == NULL) {
		db_fail(NULL, &hr->err);
		return respond(hr, conn) ? MHD_YES : MHD_NO;
	}
	if (hr->route->handler(&hr->req, &hr->res, &hr->err) == -1 &&
	    hr->err.status == 0)
		api_error_set(&hr->err, 500, NULL, "Internal error");
	db_thread_check();
	return respond(hr, conn) ? MHD_YES : MHD_NO;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req	*hr = *con_cls;

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
	    "(unknown)", hr->status,
	    (long long)((mono_ns() - hr->started_ns) / 1000), hr->req.id,
	    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
	if (hr->conn != NULL) {
		(void)pthread_mutex_lock(&conns_lock);
		memset(&hr->conn->client, 0, sizeof(hr->conn->client));
		(void)pthread_mutex_unlock(&conns_lock);
		/* A kept-alive connection awaits its next head from now. */
		(void)deadline_move(hr->conn, head_deadline());
	}
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
	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;
	if (cfg->listen_addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
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
		return -1;
	}
	if (watchdog_start() == -1) {
		log_error("http: cannot start the request head watchdog");
		MHD_stop_daemon(daemon_handle);
		daemon_handle = NULL;
		return -1;
	}
	info = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_LISTEN_FD);
	if (info == NULL || getsockname(info->listen_fd,
	    (struct sockaddr *)&bound, &blen) == -1) {
		log_error_errno("http: getsockname");
		watchdog_end();
		MHD_stop_daemon(daemon_handle);
		daemon_handle = NULL;
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

void
http_stop(int64_t grace_ms)
{
	int64_t		 deadline = mono_ns() + grace_ms * 1000000;
	struct timespec	 tick = { 0, 10 * 1000000 };

	if (daemon_handle == NULL)
		return;
	/* Not MHD_quiesce_daemon: with epoll and a thread pool it races the
	 * workers for the listen socket and can abort the process
	 * (libmicrohttpd 0.9.75). Requests that arrive now get 503. */
	atomic_store(&draining, true);
	while (atomic_load(&inflight) > 0 && mono_ns() < deadline)
		(void)nanosleep(&tick, NULL);
	if (atomic_load(&inflight) > 0)
		log_warn("http: stopping with requests=%d still in flight",
		    atomic_load(&inflight));
	watchdog_end();
	MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
}
