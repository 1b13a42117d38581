/*
 * webhooks: emitting and delivery (the webhook lane's thread); the
 * subscription handlers are in webhooks_subscriptions.c. A subscription's
 * URL must not reach loopback, private or link-local addresses unless
 * [webhooks] allow_private_targets is on: it is checked when the
 * subscription is made and again on the socket curl is about to connect
 * (so DNS changes cannot smuggle a private target in).
 * IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4,
 * Teredo) are judged by that IPv4 address.
 *
 * The signing key is needed in clear to sign, so it is kept sealed with
 * [links] master_key (ids_seal); making a subscription without a master
 * key is refused, as making link keys is. A secret still in the clear form
 * "whsec_<base64>" of older versions keeps working and is sealed at the
 * next start with a master key (webhooks_upgrade).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/upgrade.h"
#include "reviewd/webhooks.h"
#include "reviewd/webhooks_internal.h"

#define KEY_MAX			64

/* SSRF guard. */

static bool
v4_public(uint32_t a)
{
	static const struct {
		uint32_t	 net, mask;
	} blocked[] = {
		{ 0x00000000, 0xff000000 },	/* 0/8 "this network" */
		{ 0x0a000000, 0xff000000 },	/* 10/8 */
		{ 0x64400000, 0xffc00000 },	/* 100.64/10 CGNAT */
		{ 0x7f000000, 0xff000000 },	/* 127/8 loopback */
		{ 0xa9fe0000, 0xffff0000 },	/* 169.254/16 link-local */
		{ 0xac100000, 0xfff00000 },	/* 172.16/12 */
		{ 0xc0000000, 0xffffff00 },	/* 192.0.0/24 */
		{ 0xc0a80000, 0xffff0000 },	/* 192.168/16 */
		{ 0xc6120000, 0xfffe0000 },	/* 198.18/15 benchmarking */
		{ 0xe0000000, 0xe0000000 },	/* 224/3 multicast, reserved */
	};
	size_t	 i;

	for (i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
		if ((a & blocked[i].mask) == blocked[i].net)
			return false;
	}
	return true;
}

static uint32_t
v4_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* IPv6 prefixes that carry an IPv4 address: where it sits, and whether it
 * is stored inverted (Teredo's client). A prefix with no IPv4 offset is
 * refused whole. */
static const struct {
	uint8_t		 prefix[16];
	unsigned int	 bits;
	int		 v4;		/* byte offset, or -1: refused */
	bool		 inverted;
} v6_embedding[] = {
	/* ::ffff:0:0/96 IPv4-mapped */
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 96, 12, false },
	/* ::ffff:0:0:0/96 IPv4-translated (SIIT) */
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 }, 96, 12, false },
	/* ::/96 IPv4-compatible (also :: and ::1, as 0.0.0.0 and 0.0.0.1) */
	{ { 0 }, 96, 12, false },
	/* 64:ff9b::/96 NAT64 well-known prefix */
	{ { 0, 0x64, 0xff, 0x9b }, 96, 12, false },
	/* 64:ff9b:1::/48 NAT64 local use: never global, any layout */
	{ { 0, 0x64, 0xff, 0x9b, 0, 1 }, 48, -1, false },
	/* 2002::/16 6to4: the IPv4 address follows the prefix */
	{ { 0x20, 0x02 }, 16, 2, false },
	/* 2001::/32 Teredo: server IPv4 next, client IPv4 last, inverted */
	{ { 0x20, 0x01, 0, 0 }, 32, 4, false },
	{ { 0x20, 0x01, 0, 0 }, 32, 12, true },
	/* 2001:db8::/32 documentation, 100::/64 discard */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, -1, false },
	{ { 0x01, 0 }, 64, -1, false },
};

static bool
v6_prefix(const uint8_t *a, const uint8_t *prefix, unsigned int bits)
{
	unsigned int	 whole = bits / 8, rest = bits % 8;

	if (memcmp(a, prefix, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ prefix[whole]) &
	    (0xff << (8 - rest))) == 0;
}

bool
webhooks_address_public(const struct sockaddr *sa)
{
	const uint8_t	*a;
	uint32_t	 v4;
	size_t		 i;

	if (sa->sa_family == AF_INET)
		return v4_public(ntohl(
		    ((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return false;
	a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	for (i = 0; i < sizeof(v6_embedding) / sizeof(v6_embedding[0]); i++) {
		if (!v6_prefix(a, v6_embedding[i].prefix,
		    v6_embedding[i].bits))
			continue;
		if (v6_embedding[i].v4 < 0)
			return false;
		v4 = v4_at(a + v6_embedding[i].v4);
		if (!v4_public(v6_embedding[i].inverted ? ~v4 : v4))
			return false;
	}
	/* loopback and unspecified are in ::/96 above */
	return !(a[0] == 0xff ||			/* ff00::/8 multicast */
	    (a[0] & 0xfe) == 0xfc ||			/* fc00::/7 ULA */
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0));	/* fec0::/10 */
}

/* Emitting. */

static const char sql_subscribers[] =
    "SELECT id FROM webhook_subscriptions WHERE business_unit_id = ? AND "
    "status = 'active' AND EXISTS (SELECT 1 FROM json_each(events) "
    "WHERE value = ?)";

json_t *
webhooks_envelope(const char *name, json_t *data)
{
	return json_pack("{s:s, s:{s:[{s:s, s:s, s:O}]}}", "eventName", name,
	    "body", "events", "eventName", name, "version", "1", "eventData",
	    data);
}

int
webhooks_emit(struct db *db, const char *bu, const char *name, json_t *data)
{
	json_t		*payload = webhooks_envelope(name, data); /* owned */
	struct db_stmt	*st = db_query(db, sql_subscribers, "ss", bu, name);
	char		 id[IDS_ID_LEN + 1];
	int		 rc = -1;

	if (st == NULL || payload == NULL)
		goto out;
	/* Collect first: outbox_add steps other statements meanwhile, which
	 * is fine for SQLite, but keeps this loop simple to reason about. */
	while ((rc = db_step(db, st)) == DB_ROW) {
		snprintf(id, sizeof(id), "%s", db_text(st, 0));
		if (outbox_add(db, OUTBOX_WEBHOOK, bu, id, payload,
		    clock_now_ms(), NULL) == -1) {
			rc = -1;
			break;
		}
	}
out:
	db_release(st);
	json_decref(payload);
	return rc == DB_DONE ? 0 : -1;
}

int
webhooks_anonymise_consumers(struct db *db, const char *ids)
{
	return outbox_anonymise_consumers(db, ids);
}

/* Delivery. */

static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	const struct config	*cfg = arg;

	(void)purpose;
	if (!cfg->webhooks_allow_private && !webhooks_address_public(&a->addr))
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t
discard(char *p, size_t size, size_t nmemb, void *arg)
{
	(void)p;
	(void)arg;
	return size * nmemb;
}

static const char sql_subscription[] =
    "SELECT business_unit_id, url, secret, status FROM "
    "webhook_subscriptions WHERE id = ?";
static const char sql_disable[] =
    "UPDATE webhook_subscriptions SET status = 'disabled', "
    "disabled_reason = ? WHERE id = ?";
/* ?6, the HTTP status, is stored only when there was one (above 0). */
static const char sql_log[] =
    "INSERT INTO webhook_deliveries (business_unit_id, subscription_id, "
    "  event_id, event_name, attempt, status_code, error, duration_ms, "
    "  created_at) VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?6 > 0 THEN ?6 END, "
    "  ?7, ?8, ?9)";

struct target {
	char		 bu[IDS_ID_LEN + 1];
	char		 url[URL_MAX + 1];
	unsigned char	 key[KEY_MAX];		/* the signing key */
	size_t		 keylen;
	bool		 active;
};

/* The signing key of a stored secret: sealed, or "whsec_<base64>" as
 * versions before sealing stored it. 0, or -1 (no or another master key,
 * or a damaged value). */
static int
open_secret(const struct config *cfg, const char *stored,
    unsigned char key[KEY_MAX], size_t *keylen)
{
	unsigned char	 mk[IDS_MASTER_LEN];
	int		 ret;

	if (strncmp(stored, "whsec_", 6) == 0)
		return sodium_base642bin(key, KEY_MAX, stored + 6,
		    strlen(stored) - 6, NULL, keylen, NULL,
		    sodium_base64_VARIANT_ORIGINAL) == 0 ? 0 : -1;
	if (ids_master_key(cfg->links_master_key, mk) == -1)
		return -1;
	ret = ids_unseal(mk, stored, key, KEY_MAX, keylen);
	sodium_memzero(mk, sizeof(mk));
	return ret;
}

static int
load_target(struct db *db, const struct config *cfg, const char *subscription,
    struct target *t)
{
	struct db_stmt	*st;
	int		 rc;

	if ((rc = db_row(db, sql_subscription, &st, "s", subscription)) == -1)
		return -1;
	if (rc == DB_ROW) {
		snprintf(t->bu, sizeof(t->bu), "%s", db_text(st, 0));
		snprintf(t->url, sizeof(t->url), "%s", db_text(st, 1));
		t->active = strcmp(db_text(st, 3), "active") == 0;
		if (open_secret(cfg, db_text(st, 2), t->key,
		    &t->keylen) == -1) {
			log_error("webhooks: cannot open the signing secret of "
			    "subscription=%s ([links] master_key missing or "
			    "changed?)", subscription);
			rc = -2;
		}
	}
	db_release(st);
	return rc == DB_ROW ? 1 : rc == -2 ? -2 : 0;
}

static void
log_attempt(struct db *db, const struct target *t, const char *subscription,
    const char *event_id, const char *name, int64_t attempt, long code,
    const char *error, int64_t duration_ms)
{
	if (db_run(db, sql_log, "ssssiisii", t->bu, subscription, event_id,
	    name, attempt, (int64_t)code, error, duration_ms,
	    clock_now_ms()) == -1)
		log_error("webhooks: cannot log the attempt of event=%s",
		    event_id);
}

static void
disable(struct db *db, const char *subscription, const char *reason)
{
	if (db_run(db, sql_disable, "ss", reason, subscription) == -1)
		log_error("webhooks: cannot disable subscription=%s",
		    subscription);
	log_warn("webhooks: disabled subscription=%s: %s", subscription,
	    reason);
}

static int
append_header(struct curl_slist **list, const char *line)
{
	struct curl_slist	*l = curl_slist_append(*list, line);

	if (l == NULL)
		return -1;	/* *list is left whole for the caller to free */
	*list = l;
	return 0;
}

/* Adds the three Standard Webhooks headers for body to *list. 0 or -1. */
static int
sign(const struct target *t, const char *event_id, const char *body,
    struct curl_slist **list)
{
	size_t		 len;
	char		 ts[24], mac[IDS_HMAC_B64_LEN + 1], line[128];
	char		*signed_text;

	snprintf(ts, sizeof(ts), "%lld", (long long)(clock_now_ms() / 1000));
	len = strlen(event_id) + strlen(ts) + strlen(body) + 3;
	if ((signed_text = malloc(len)) == NULL)
		return -1;
	snprintf(signed_text, len, "%s.%s.%s", event_id, ts, body);
	ids_hmac_sha256_base64(t->key, t->keylen, signed_text,
	    strlen(signed_text), mac);
	free(signed_text);
	snprintf(line, sizeof(line), "webhook-id: %s", event_id);
	if (append_header(list, line) == -1)
		return -1;
	snprintf(line, sizeof(line), "webhook-timestamp: %s", ts);
	if (append_header(list, line) == -1)
		return -1;
	snprintf(line, sizeof(line), "webhook-signature: v1,%s", mac);
	return append_header(list, line);
}

/* The options of one delivery: a POST of body with headers to t's URL,
 * no redirect, the timeout, and the SSRF guard on every socket. */
static int
set_options(CURL *curl, const struct config *cfg, const struct target *t,
    const char *body, struct curl_slist *headers)
{
	if (curl_easy_setopt(curl, CURLOPT_URL, t->url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
	    "http,https") != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT,
	    (long)cfg->webhooks_timeout_s) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, cfg) != CURLE_OK)
		return -1;
	return 0;
}

/* The outcome of the receiver's answer code (and Retry-After, honoured
 * up to a day on 429 and 5xx); 410 Gone gives up. */
static enum outbox_result
judge(long code, curl_off_t retry_after, int64_t *retry_after_s, char *why,
    size_t whylen)
{
	if (code >= 200 && code <= 299) {
		why[0] = '\0';
		return OUTBOX_DELIVERED;
	}
	if (code == 410) {
		snprintf(why, whylen, "the receiver answered 410 Gone; the "
		    "subscription is disabled");
		return OUTBOX_DEAD;
	}
	snprintf(why, whylen, "the receiver answered %ld", code);
	if ((code == 429 || code >= 500) && retry_after > 0)
		*retry_after_s = retry_after > 86400 ? 86400 :
		    (int64_t)retry_after;
	return OUTBOX_RETRY;
}

/*
 * The outbox's sender of webhook rows, concurrent (curl multi) on the
 * webhook lane's thread: each row one signed POST, many in flight, at
 * most [webhooks] per_destination to one receiver (host and port), so a
 * receiver that never answers holds a few slots, never the lane. A
 * receiver that timed out is backed off (its rows wait, uncounted, from
 * the webhook timeout doubling up to [outbox] retry_cap_s), and an
 * attempt after a timeout is given twice the time of the last (up to
 * TIMEOUT_MAX_S) and comes no sooner than that: a slow receiver is not
 * fired at faster than it answers. Each repeat has the same webhook-id.
 */

#define TIMEOUT_MAX_S	300

struct dest {
	char		 key[URL_MAX + 1];	/* host:port */
	int64_t		 in_flight;
	int64_t		 backoff_ms;		/* 0: none */
	int64_t		 backoff_until;		/* clock ms */
	struct dest	*next;
};

struct transfer {
	CURL			*curl;
	struct curl_slist	*headers;
	char			*body;
	void			*tag;		/* the outbox's */
	struct dest		*dest;
	char			 bu[IDS_ID_LEN + 1];
	char			*subscription, *event_id, *name;
	int64_t			 attempt, started, timeout_s;
	struct transfer		*next;
};

struct hooks_session {
	const struct config	*cfg;
	CURLM			*multi;
	struct transfer		*transfers;
	struct dest		*dests;
};

static void
transfer_free(struct hooks_session *s, struct transfer *tr)
{
	struct transfer	**p;

	for (p = &s->transfers; *p != NULL; p = &(*p)->next) {
		if (*p == tr) {
			*p = tr->next;
			break;
		}
	}
	if (tr->curl != NULL) {
		(void)curl_multi_remove_handle(s->multi, tr->curl);
		curl_easy_cleanup(tr->curl);
	}
	if (tr->dest != NULL)
		tr->dest->in_flight--;
	curl_slist_free_all(tr->headers);
	free(tr->body);
	free(tr->subscription);
	free(tr->event_id);
	free(tr->name);
	free(tr);
}

/* The destination of url ("host:port"), made on first use; NULL when out
 * of memory or the URL does not parse. Idle ones are dropped here. */
static struct dest *
dest_get(struct hooks_session *s, const char *url, int64_t now)
{
	CURLU		*u = curl_url();
	char		*host = NULL, *port = NULL;
	char		 key[URL_MAX + 1];
	struct dest	**p, *d = NULL;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto out;
	snprintf(key, sizeof(key), "%s:%s", host, port);
	for (p = &s->dests; *p != NULL; ) {
		if (strcmp((*p)->key, key) == 0)
			d = *p;
		if (*p != d && (*p)->in_flight == 0 &&
		    (*p)->backoff_until <= now) {
			struct dest	*idle = *p;

			*p = idle->next;
			free(idle);
			continue;
		}
		p = &(*p)->next;
	}
	if (d == NULL && (d = calloc(1, sizeof(*d))) != NULL) {
		snprintf(d->key, sizeof(d->key), "%s", key);
		d->next = s->dests;
		s->dests = d;
	}
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return d;
}

/* The seconds until d may take one more: its backoff, or the soonest end
 * of its attempts in flight; 0 when it may now. */
static int64_t
dest_wait_s(const struct hooks_session *s, const struct dest *d,
    int64_t now)
{
	const struct transfer	*tr;
	int64_t			 end, soonest = INT64_MAX;

	if (d->backoff_until > now)
		return (d->backoff_until - now + 999) / 1000;
	if (d->in_flight < s->cfg->webhooks_per_destination)
		return 0;
	for (tr = s->transfers; tr != NULL; tr = tr->next) {
		end = tr->started + tr->timeout_s * 1000;
		if (tr->dest == d && end < soonest)
			soonest = end;
	}
	return soonest == INT64_MAX || soonest <= now ? 1 :
	    (soonest - now + 999) / 1000;
}

/* The time attempt n may take: [webhooks] timeout_s, doubled for each
 * attempt before it (which timed out or failed), up to TIMEOUT_MAX_S. */
static int64_t
attempt_timeout_s(const struct config *cfg, int64_t attempt)
{
	int64_t	 t = cfg->webhooks_timeout_s;

	while (attempt-- > 1 && t < TIMEOUT_MAX_S)
		t *= 2;
	return t > TIMEOUT_MAX_S ? TIMEOUT_MAX_S : t;
}

static void *
hooks_open(const struct config *cfg)
{
	struct hooks_session	*s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	if ((s->multi = curl_multi_init()) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static void
hooks_close(void *session)
{
	struct hooks_session	*s = session;
	struct dest		*d;

	if (s == NULL)
		return;
	while (s->transfers != NULL)
		transfer_free(s, s->transfers);
	while ((d = s->dests) != NULL) {
		s->dests = d->next;
		free(d);
	}
	(void)curl_multi_cleanup(s->multi);
	free(s);
}

static void
hooks_wake(void *session)
{
	struct hooks_session	*s = session;

	(void)curl_multi_wakeup(s->multi);
}

static int64_t
hooks_longest_ms(const struct config *cfg)
{
	(void)cfg;	/* [webhooks] timeout_s is at most TIMEOUT_MAX_S */
	return TIMEOUT_MAX_S * 1000;
}

/* The request of tr to t (its signing key used and wiped by the caller):
 * body, headers, options. 0 or -1. */
static int
prepare(struct hooks_session *s, struct transfer *tr, const struct target *t,
    json_t *payload)
{
	tr->body = json_dumps(json_object_get(payload, "body"), JSON_COMPACT);
	if (tr->body == NULL ||
	    append_header(&tr->headers, "Content-Type: application/json") ==
	    -1 ||
	    append_header(&tr->headers, "User-Agent: reviewd-webhooks/1") ==
	    -1 || sign(t, tr->event_id, tr->body, &tr->headers) == -1 ||
	    (tr->curl = curl_easy_init()) == NULL ||
	    set_options(tr->curl, s->cfg, t, tr->body, tr->headers) == -1 ||
	    curl_easy_setopt(tr->curl, CURLOPT_TIMEOUT,
	    (long)tr->timeout_s) != CURLE_OK ||
	    curl_easy_setopt(tr->curl, CURLOPT_PRIVATE, tr) != CURLE_OK)
		return -1;
	return 0;
}

static enum outbox_result
hooks_start(struct db *db, const struct config *cfg, void *session,
    const struct outbox_item *item, void *tag, int64_t *retry_after_s,
    char *why, size_t whylen)
{
	struct hooks_session	*s = session;
	struct transfer		*tr = NULL;
	struct target		 t;
	struct dest		*d;
	const char		*name = json_string_value(json_object_get(
				    item->payload, "eventName"));
	int64_t			 now = clock_now_ms(), wait;
	enum outbox_result	 result = OUTBOX_RETRY;

	memset(&t, 0, sizeof(t));
	switch (load_target(db, cfg, item->subscription, &t)) {
	case -1:
		snprintf(why, whylen, "database error");
		goto out;
	case -2:
		snprintf(why, whylen, "cannot open the signing secret");
		goto out;
	case 0:
		snprintf(why, whylen, "the subscription was deleted");
		result = OUTBOX_DEAD;
		goto out;
	}
	if (!t.active) {
		snprintf(why, whylen, "the subscription is disabled");
		result = OUTBOX_DEAD;
		goto out;
	}
	if ((d = dest_get(s, t.url, now)) == NULL || name == NULL) {
		snprintf(why, whylen, "cannot build the request");
		goto out;
	}
	if ((wait = dest_wait_s(s, d, now)) > 0) {
		/* not attempted: the outbox keeps the last error */
		*retry_after_s = wait;
		why[0] = '\0';
		result = OUTBOX_DEFER;
		goto out;
	}
	if ((tr = calloc(1, sizeof(*tr))) == NULL ||
	    (tr->subscription = strdup(item->subscription)) == NULL ||
	    (tr->event_id = strdup(item->id)) == NULL ||
	    (tr->name = strdup(name)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	snprintf(tr->bu, sizeof(tr->bu), "%s", t.bu);
	tr->tag = tag;
	tr->attempt = item->attempt;
	tr->started = now;
	tr->timeout_s = attempt_timeout_s(cfg, item->attempt);
	tr->next = s->transfers;
	s->transfers = tr;
	if (prepare(s, tr, &t, item->payload) == -1 ||
	    curl_multi_add_handle(s->multi, tr->curl) != CURLM_OK) {
		snprintf(why, whylen, "cannot build the request");
		goto out;
	}
	tr->dest = d;
	d->in_flight++;
	tr = NULL;
	result = OUTBOX_STARTED;
out:
	sodium_memzero(t.key, sizeof(t.key));
	if (tr != NULL)
		transfer_free(s, tr);
	return result;
}

/* The outcome of tr, which ended with rc: logged for the business, the
 * destination backed off after a timeout, the outbox told. */
static void
finish(struct db *db, struct hooks_session *s, struct transfer *tr,
    CURLcode rc, outbox_done *done, void *arg)
{
	struct dest		*d = tr->dest;
	struct target		 t;
	char			 why[256] = "";
	long			 code = 0;
	curl_off_t		 retry_after = 0;
	int64_t			 after = 0, now = clock_now_ms();
	enum outbox_result	 result = OUTBOX_RETRY;

	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", curl_easy_strerror(rc));
		if (rc == CURLE_OPERATION_TIMEDOUT) {
			d->backoff_ms = d->backoff_ms == 0 ?
			    s->cfg->webhooks_timeout_s * 1000 :
			    d->backoff_ms * 2;
			if (d->backoff_ms > s->cfg->outbox_retry_cap_s * 1000)
				d->backoff_ms = s->cfg->outbox_retry_cap_s *
				    1000;
			d->backoff_until = now + d->backoff_ms;
			after = 2 * tr->timeout_s;
			if (d->backoff_ms / 1000 > after)
				after = d->backoff_ms / 1000;
			log_info("webhooks: receiver %s timed out after %lld "
			    "s; backed off %lld s", d->key,
			    (long long)tr->timeout_s,
			    (long long)(d->backoff_ms / 1000));
		}
	} else {
		(void)curl_easy_getinfo(tr->curl, CURLINFO_RESPONSE_CODE,
		    &code);
		(void)curl_easy_getinfo(tr->curl, CURLINFO_RETRY_AFTER,
		    &retry_after);
		result = judge(code, retry_after, &after, why, sizeof(why));
		d->backoff_ms = d->backoff_until = 0;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.bu, sizeof(t.bu), "%s", tr->bu);
	if (db_tx_begin(db) == 0) {
		log_attempt(db, &t, tr->subscription, tr->event_id, tr->name,
		    tr->attempt, code, why[0] != '\0' ? why : NULL,
		    now - tr->started);
		if (code == 410)
			disable(db, tr->subscription, "the receiver answered "
			    "410 Gone");
		if (db_tx_commit(db) == -1)
			db_tx_rollback(db);
	}
	done(arg, tr->tag, result, after, why);
	transfer_free(s, tr);
}

/* Runs the transfers; hands each that ended to finish. */
static int
drain(struct db *db, struct hooks_session *s, outbox_done *done, void *arg,
    int *ended)
{
	CURLMsg		*msg;
	struct transfer	*tr;
	int		 running, left;

	if (curl_multi_perform(s->multi, &running) != CURLM_OK)
		return -1;
	while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE ||
		    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&tr) != CURLE_OK || tr == NULL)
			continue;
		finish(db, s, tr, msg->data.result, done, arg);
		(*ended)++;
	}
	return 0;
}

static int
hooks_poll(struct db *db, void *session, int timeout_ms, outbox_done *done,
    void *arg)
{
	struct hooks_session	*s = session;
	int			 ended = 0;

	if (drain(db, s, done, arg, &ended) == -1)
		return -1;
	if (ended > 0)
		return 0;
	if (curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK)
		return -1;
	return drain(db, s, done, arg, &ended);
}

const struct outbox_sender	webhooks_sender = {
	.open = hooks_open,
	.close = hooks_close,
	.start = hooks_start,
	.poll = hooks_poll,
	.wake = hooks_wake,
	.longest_ms = hooks_longest_ms,
};

static const char sql_clear_secret[] =
    "SELECT id, secret FROM webhook_subscriptions "
    "WHERE substr(secret, 1, 6) = 'whsec_' LIMIT 1";
static const char sql_seal_secret[] =
    "UPDATE webhook_subscriptions SET secret = ? WHERE id = ?";

struct sealing {
	const struct config	*cfg;
	unsigned char		 mk[IDS_MASTER_LEN];
};

/* upgrade_rows' step: the clear secret of subscription id is sealed. */
static int
seal_secret(struct db *db, const char *id, const char *clear,
    const void *arg)
{
	const struct sealing	*s = arg;
	unsigned char		 key[KEY_MAX];
	char			*sealed = NULL;
	size_t			 keylen;
	int			 rc = -1;

	if (open_secret(s->cfg, clear, key, &keylen) == -1) {
		log_error("webhooks: the secret of subscription=%s is "
		    "damaged", id);
		return -1;
	}
	if ((sealed = ids_seal(s->mk, key, keylen)) != NULL)
		rc = db_run(db, sql_seal_secret, "ss", sealed, id);
	free(sealed);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
webhooks_upgrade(struct db *db, const struct config *cfg)
{
	struct sealing	 s = { cfg, { 0 } };
	bool		 applied;
	int		 rc, n, ret = -1;

	/* a migrations directory that stops before 0002: nothing to do */
	if (upgrade_migrated(db, 2, &applied) == -1)
		goto out;
	if (!applied) {
		ret = 0;
		goto out;
	}
	if (ids_master_key(cfg->links_master_key, s.mk) == -1) {
		/* no key to seal with: say so when clear secrets remain */
		rc = db_exists(db, sql_clear_secret, "");
		if (rc == DB_ROW)
			log_warn("webhooks: signing secrets are stored in "
			    "clear; set [links] master_key to seal them");
		ret = rc == -1 ? -1 : 0;
		goto out;
	}
	if (upgrade_rows(db, sql_clear_secret, seal_secret, &s, &n) == -1)
		goto out;
	if (n > 0)
		log_info("webhooks: sealed %d signing secrets", n);
	ret = 0;
out:
	if (ret == -1)
		log_error("webhooks: cannot seal the stored signing secrets");
	sodium_memzero(s.mk, sizeof(s.mk));
	return ret;
}
