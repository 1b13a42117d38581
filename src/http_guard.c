/*
 * http_guard: the HTTP server's connection guard (see http_guard.h).
 * Every TCP connection is a struct http_conn on one list (conns_lock),
 * from MHD's "started" notification to its "closed" one, which MHD sends
 * before it closes the socket. Over [server] max_connections_per_ip from
 * one address (an IPv6 /64 counting as one, see http_peer_key) a new
 * connection is shut at once. The watchdog thread shuts connections that
 * have not completed a request head within [server] request_head_timeout_s
 * of their accept or of the end of their previous request, and those
 * whose request body comes slower than [server] min_body_rate_bytes_s on
 * average after a grace of request_body_timeout_s (with a 408 if the
 * socket takes it). MHD's own connection timeout is an idle one, reset by
 * every byte, which a client sending a byte now and then never reaches.
 * The watchdog also says when max_connections is reached, which MHD does
 * not (it stops accepting).
 *
 * Called by MHD's worker threads (through http.c) and the watchdog; the
 * configuration is set once by http_guard_start.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "reviewd/clock.h"
#include "reviewd/error_body.h"
#include "reviewd/http_guard.h"
#include "reviewd/ids.h"
#include "reviewd/log.h"

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

static const struct config	*guard_cfg;

static pthread_mutex_t		 conns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 watchdog_cond;
static pthread_t		 watchdog;
static bool			 watchdog_running;
static bool			 watchdog_stop;		/* conns_lock */
static struct http_conn		*conns;			/* conns_lock */
static int64_t			 nconns;		/* conns_lock */
static atomic_int		 refused_per_ip;
/* A connection opened made max_connections: MHD accepts no more until one
 * closes (the kernel queues them) and says nothing of it itself. */
static atomic_bool		 at_max;

/* Addresses. */

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

/* The peer of sa, whole (what trusted_proxies is matched against), and
 * whether it is a trusted proxy. */
static bool
peer_of(const struct sockaddr *sa, struct http_peer *full)
{
	addr_key_from(full, sa);
	return full->family != 0 && config_trusted_proxy(guard_cfg,
	    full->family, full->addr);
}

/*
 * Behind a trusted proxy, the client is the last entry of xff (the last
 * X-Forwarded-For header) that is not a trusted proxy itself: the
 * entries left of it come from the client and prove nothing.
 * out->family is 0 when there is none or an entry is not an address.
 */
static void
forwarded_client(const char *xff, struct http_peer *out)
{
	const char		*start, *end, *s, *e;
	char			 text[INET6_ADDRSTRLEN];
	unsigned char		 bytes[16];
	int			 family;
	struct http_peer	 full;

	memset(out, 0, sizeof(*out));
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
		if (!config_trusted_proxy(guard_cfg, full.family,
		    full.addr)) {
			http_peer_key(out, full.family, full.addr);
			return;
		}
		end = start > xff ? start - 1 : xff;
	}
}

void
http_guard_client(const struct sockaddr *sa, const char *xff,
    struct http_peer *out)
{
	struct http_peer	 full;

	if (peer_of(sa, &full))
		forwarded_client(xff, &full);
	http_peer_key(out, full.family, full.addr);
}

/* Connections. */

/* Whether peer may have one more connection: not when it already has
 * max_connections_per_ip. Trusted proxies carry many clients and are
 * exempt. Call with conns_lock held. */
static bool
peer_has_room(const struct http_peer *peer, bool trusted)
{
	const struct http_conn	*p;
	int64_t			 n = 0;
	int64_t			 limit = guard_cfg->max_connections_per_ip;

	if (limit == 0 || trusted)
		return true;
	for (p = conns; p != NULL; p = p->next) {
		if (p->counted && addr_key_equal(&p->peer, peer) &&
		    ++n >= limit)
			return false;
	}
	return true;
}

/* Refuses, quietly and before MHD makes a connection of it, a socket
 * whose address has no room. */
bool
http_guard_admit(const struct sockaddr *sa)
{
	struct http_peer	 full, peer;
	bool			 room, trusted;

	trusted = peer_of(sa, &full);
	http_peer_key(&peer, full.family, full.addr);
	(void)pthread_mutex_lock(&conns_lock);
	room = peer_has_room(&peer, trusted);
	(void)pthread_mutex_unlock(&conns_lock);
	if (!room)
		atomic_fetch_add(&refused_per_ip, 1);
	return room;
}

/* When the next request head is due, from now. */
static int64_t
head_deadline(void)
{
	return DEADLINE_HEAD(clock_mono_ns() +
	    guard_cfg->request_head_timeout_s * INT64_C(1000000000));
}

/*
 * The accept policy ran without the lock held across to here, so workers
 * accepting at once can pass it together: the count is made exact here,
 * by shutting the one too many.
 */
struct http_conn *
http_guard_open(int fd, const struct sockaddr *sa)
{
	struct http_conn	*c;
	struct http_peer	 full;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		/* Unguarded connections are not served. */
		(void)shutdown(fd, SHUT_RDWR);
		return NULL;
	}
	c->fd = fd;
	c->trusted = peer_of(sa, &full);
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
	if (++nconns >= guard_cfg->max_connections)
		atomic_store(&at_max, true);
	(void)pthread_mutex_unlock(&conns_lock);
	return c;
}

/* Before MHD closes the socket, so the watchdog never touches a reused
 * fd. */
void
http_guard_close(struct http_conn *c)
{
	if (c == NULL)
		return;
	(void)pthread_mutex_lock(&conns_lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	nconns--;
	(void)pthread_mutex_unlock(&conns_lock);
	free(c);
}

/* Requests. */

/*
 * Moves c's deadline to next (0: none) unless the watchdog has taken it.
 * false then: the connection is being shut.
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
 * The rest of the body is due request_body_timeout_s after its head, plus
 * the time what came so far takes at min_body_rate_bytes_s. The allowance
 * grows with the bytes as they come rather than with the Content-Length
 * up front: a body of any size at that average rate is in time, while one
 * declared large and then dribbled is cut within request_body_timeout_s
 * all the same.
 */
bool
http_guard_body(struct http_conn *c, int64_t since_ns, uint64_t got)
{
	uint64_t	 rate, secs;
	int64_t		 ns;

	if (c == NULL)
		return true;
	rate = (uint64_t)guard_cfg->min_body_rate_bytes_s;
	secs = got / rate;
	/* A year: past any body the caps let through, and no overflow. */
	if (secs > 365 * 86400)
		secs = 365 * 86400;
	ns = (int64_t)secs * 1000000000 +
	    (int64_t)(got % rate * 1000000000 / rate);
	return deadline_move(c, DEADLINE_BODY(since_ns +
	    guard_cfg->request_body_timeout_s * INT64_C(1000000000) + ns));
}

bool
http_guard_handling(struct http_conn *c)
{
	return deadline_move(c, 0);
}

void
http_guard_request_id(struct http_conn *c, const char *rid)
{
	if (c == NULL)
		return;
	(void)pthread_mutex_lock(&conns_lock);
	snprintf(c->rid, sizeof(c->rid), "%s", rid);
	(void)pthread_mutex_unlock(&conns_lock);
}

int
http_guard_request_begin(struct http_conn *c, const char *xff)
{
	struct http_peer	 client;
	struct http_conn	*p;
	int64_t			 n = 0;
	int64_t			 limit = guard_cfg->max_connections_per_ip;

	if (c == NULL || !c->trusted || limit == 0)
		return 0;
	forwarded_client(xff, &client);
	if (client.family == 0)
		return 0;
	(void)pthread_mutex_lock(&conns_lock);
	for (p = conns; p != NULL; p = p->next) {
		if (addr_key_equal(&p->client, &client))
			n++;
	}
	if (n < limit)
		c->client = client;
	(void)pthread_mutex_unlock(&conns_lock);
	return n < limit ? 0 : -1;
}

void
http_guard_request_end(struct http_conn *c)
{
	if (c == NULL)
		return;
	(void)pthread_mutex_lock(&conns_lock);
	memset(&c->client, 0, sizeof(c->client));
	(void)pthread_mutex_unlock(&conns_lock);
	(void)deadline_move(c, head_deadline());
}

/* The watchdog. */

/*
 * Writes err to c's socket as a whole "Connection: close" answer with
 * status line status (e.g. "408 Request Timeout"), if the socket takes it
 * at once. While a body is awaited MHD writes nothing but, at most, an
 * early error answer of a few hundred bytes, sent whole long before: this
 * does not interleave with it. Called with conns_lock held (c->rid).
 */
static void
send_error(const struct http_conn *c, const char *status,
    const struct api_error *err)
{
	json_t			*o;
	char			*text = NULL, out[1024];
	int			 n;

	o = error_body(err, c->rid);
	if (o == NULL)
		goto out;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		goto out;
	n = snprintf(out, sizeof(out), "HTTP/1.1 %s\r\n"
	    "Connection: close\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Request-Id: %s\r\nContent-Length: %zu\r\n\r\n%s", status,
	    c->rid, strlen(text), text);
	/* Ignored: the peer may not read, or be gone already. */
	if (n > 0 && (size_t)n < sizeof(out))
		(void)send(c->fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
out:
	free(text);
}

/* Tells the client of c, whose body came too slowly, why it is cut. */
static void
send_body_timeout(const struct http_conn *c)
{
	struct api_error	 err;

	memset(&err, 0, sizeof(err));
	api_error_set(&err, 408, NULL, "The request body came too slowly: "
	    "below %lld bytes a second after %lld seconds",
	    (long long)guard_cfg->min_body_rate_bytes_s,
	    (long long)guard_cfg->request_body_timeout_s);
	send_error(c, "408 Request Timeout", &err);
}

bool
http_guard_refuse(struct http_conn *c, const char *status,
    const struct api_error *err)
{
	int64_t	 due;

	if (c == NULL)
		return false;
	due = atomic_load(&c->deadline_ns);
	while (due != DEADLINE_TAKEN &&
	    !atomic_compare_exchange_weak(&c->deadline_ns, &due,
	    DEADLINE_TAKEN))
		continue;
	if (due == DEADLINE_TAKEN)
		return false;
	(void)pthread_mutex_lock(&conns_lock);
	send_error(c, status, err);
	(void)pthread_mutex_unlock(&conns_lock);
	return true;
}

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

/* Shuts the connections whose request head or body is late; counts them
 * into *heads and *bodies. Called with conns_lock held. */
static void
shut_late(int *heads, int *bodies)
{
	struct http_conn	*c;
	int64_t			 now = clock_mono_ns(), due;

	for (c = conns; c != NULL; c = c->next) {
		due = atomic_load(&c->deadline_ns);
		if (c->shut || due <= 0 || now < due || unread(c->fd))
			continue;
		/* Lost when the worker has just moved it: the head or body
		 * came in time after all. */
		if (!atomic_compare_exchange_strong(&c->deadline_ns, &due,
		    DEADLINE_TAKEN))
			continue;
		if (DEADLINE_IS_BODY(due)) {
			send_body_timeout(c);
			(*bodies)++;
		} else
			(*heads)++;
		/* Ignored: the peer may have closed it already. */
		(void)shutdown(c->fd, SHUT_RDWR);
		c->shut = true;
	}
}

/* Every 500 ms, shuts the late connections and logs what it did. */
static void *
watchdog_main(void *arg)
{
	struct timespec		 until;
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
		heads = bodies = 0;
		shut_late(&heads, &bodies);
		(void)pthread_mutex_unlock(&conns_lock);
		refused = atomic_exchange(&refused_per_ip, 0);
		if (heads > 0)
			log_warn("http: closed connections=%d without a "
			    "complete request head after request_head_timeout_s"
			    "=%lld", heads,
			    (long long)guard_cfg->request_head_timeout_s);
		if (bodies > 0)
			log_warn("http: closed connections=%d without a "
			    "complete request body at min_body_rate_bytes_s="
			    "%lld after request_body_timeout_s=%lld", bodies,
			    (long long)guard_cfg->min_body_rate_bytes_s,
			    (long long)guard_cfg->request_body_timeout_s);
		if (refused > 0)
			log_warn("http: refused connections=%d over "
			    "max_connections_per_ip=%lld", refused,
			    (long long)guard_cfg->max_connections_per_ip);
		if (atomic_exchange(&at_max, false))
			log_warn("http: reached max_connections=%lld: new "
			    "connections wait in the listen queue until one "
			    "closes", (long long)guard_cfg->max_connections);
		(void)pthread_mutex_lock(&conns_lock);
	}
	(void)pthread_mutex_unlock(&conns_lock);
	return NULL;
}

int
http_guard_start(const struct config *cfg)
{
	pthread_condattr_t	 attr;
	int			 rc;

	guard_cfg = cfg;
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
	(void)pthread_setname_np(watchdog, "http guard");
	watchdog_running = true;
	return 0;
}

void
http_guard_stop(void)
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
