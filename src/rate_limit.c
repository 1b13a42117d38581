/*
 * rate_limit: the token buckets of [ratelimit] (see rate_limit.h). The
 * buckets sit in a fixed table split into shards, each behind its own
 * mutex, so that two requests contend only when their keys share a
 * shard. A key is looked for in a short window of slots from its hash;
 * a new key takes a free slot there or the one seen longest ago: its
 * client loses no more than the requests it had used (a fresh bucket is
 * full), so a flood of new addresses cannot lock anyone out, and memory
 * stays fixed whatever the number of clients.
 *
 * Several daemons on one PostgreSQL database share each bucket: a thread
 * of this module adds, about once a second, what this daemon's clients
 * spent to the debts of rate_limit_debts (summed over every daemon, and
 * draining at the bucket's rate) and sets each bucket to its limit less
 * the debt read back. A client spread over N daemons so gets its limit,
 * plus at most what the other daemons let through in the last second.
 * HTTP worker threads; the sharing thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/log.h"
#include "reviewd/rate_limit.h"
#include "reviewd/settings.h"
#include "reviewd/sleeper.h"

#define SHARDS		64
#define SLOTS		512	/* per shard */
#define WINDOW		8	/* slots a key may take from its hash */
#define KEY_LEN		40
#define ONE		1000000	/* a request, in the buckets' units */
#define MINUTE_NS	60000000000LL

struct bucket {
	char	 key[KEY_LEN];	/* "" when free */
	int64_t	 tokens;	/* millionths of a request */
	int64_t	 seen_ns;	/* last asked for */
	int64_t	 filled_ns;	/* tokens counted up to then */
	int64_t	 spent;		/* requests taken since the last share */
};

struct shard {
	pthread_mutex_t	 lock;
	struct bucket	 slot[SLOTS];
};

static const struct config	*limits;
static struct shard		*shards;
static pthread_once_t		 shards_once = PTHREAD_ONCE_INIT;

static void
shards_init(void)
{
	size_t	 i;

	shards = calloc(SHARDS, sizeof(*shards));
	for (i = 0; shards != NULL && i < SHARDS; i++)
		pthread_mutex_init(&shards[i].lock, NULL);
}

void
rate_limit_configure(const struct config *cfg)
{
	size_t	 i;

	pthread_once(&shards_once, shards_init);
	limits = cfg;
	for (i = 0; shards != NULL && i < SHARDS; i++) {
		pthread_mutex_lock(&shards[i].lock);
		memset(shards[i].slot, 0, sizeof(shards[i].slot));
		pthread_mutex_unlock(&shards[i].lock);
	}
}

/* FNV-1a: the keys are ids and addresses, not chosen to collide, and a
 * collision only shares a window of slots. */
static uint64_t
key_hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511627211ULL;
	return h;
}

/* The bucket of key in sh (locked): its own, a free one or the one seen
 * longest ago, refilled to now for limit requests a minute. */
static struct bucket *
bucket_of(struct shard *sh, uint64_t h, const char *key, int64_t limit,
    int64_t now_ns)
{
	struct bucket	*b, *oldest = NULL;
	size_t		 i;

	for (i = 0; i < WINDOW; i++) {
		b = &sh->slot[(h + i) % SLOTS];
		if (strcmp(b->key, key) == 0) {
			/* a minute refills any bucket: no overflow past it */
			b->tokens += (now_ns - b->filled_ns < MINUTE_NS ?
			    now_ns - b->filled_ns : MINUTE_NS) * limit / 60000;
			if (b->tokens > limit * ONE)
				b->tokens = limit * ONE;
			b->seen_ns = b->filled_ns = now_ns;
			return b;
		}
		if (oldest == NULL || b->key[0] == '\0' ||
		    (oldest->key[0] != '\0' && b->seen_ns < oldest->seen_ns))
			oldest = b;
	}
	snprintf(oldest->key, sizeof(oldest->key), "%s", key);
	oldest->tokens = limit * ONE;
	oldest->seen_ns = oldest->filled_ns = now_ns;
	oldest->spent = 0;
	return oldest;
}

/* Whole seconds, rounded up, in which a bucket of limit requests a
 * minute gains tokens. */
static int64_t
seconds_to_fill(int64_t tokens, int64_t limit)
{
	return (tokens * 60 + limit * ONE - 1) / (limit * ONE);
}

int
rate_limit_take(const struct request *req, const struct route *route,
    struct rate_limit_note *note, struct api_error *err)
{
	char		 client[REQUEST_CLIENT_LEN], key[KEY_LEN], retry[24];
	struct shard	*sh;
	struct bucket	*b;
	int64_t		 limit = 0, wait_s;
	uint64_t	 h;
	int		 ret = 0;

	memset(note, 0, sizeof(*note));
	if (limits == NULL || shards == NULL ||
	    (route->flags & ROUTE_UNLIMITED))
		return 0;
	if ((route->auth == ROUTE_AUTH_APIKEY ||
	    route->auth == ROUTE_AUTH_BEARER) &&
	    req->principal.app_id[0] != '\0') {
		limit = limits->ratelimit_app_per_minute;
		snprintf(key, sizeof(key), "k%s", req->principal.app_id);
	} else if (route->auth == ROUTE_AUTH_NONE &&
	    request_client(req, client) == 0) {
		limit = limits->ratelimit_address_per_minute;
		snprintf(key, sizeof(key), "c%s", client);
	}
	if (limit == 0)
		return 0;
	h = key_hash(key);
	sh = &shards[h % SHARDS];
	pthread_mutex_lock(&sh->lock);
	b = bucket_of(sh, h / SHARDS, key, limit, clock_mono_ns());
	if (b->tokens >= ONE) {
		b->tokens -= ONE;
		b->spent++;
	} else {
		wait_s = seconds_to_fill(ONE - b->tokens, limit);
		ret = -1;
	}
	note->counted = true;
	note->limit = limit;
	note->remaining = b->tokens / ONE;
	note->reset_s = seconds_to_fill(limit * ONE - b->tokens, limit);
	pthread_mutex_unlock(&sh->lock);
	if (ret == -1) {
		snprintf(retry, sizeof(retry), "%lld", (long long)wait_s);
		api_error_set(err, 429, NULL, "Over the limit of %lld "
		    "requests a minute for this %s; retry in %lld s",
		    (long long)limit, key[0] == 'k' ? "application" :
		    "address", (long long)wait_s);
		api_error_header(err, "Retry-After", retry);
	}
	return ret;
}

/* Sharing across daemons (PostgreSQL). */

#define SHARE_MS	1000
#define SHARE_MAX	4096	/* buckets shared a round; the rest wait */
#define HASH_BYTES	16
#define SECRET_HEX	64
#define SECRET_NAME	"rate_limit_key"
#define PURGE_ROUNDS	60

struct shared {
	char	 hash[2 * HASH_BYTES + 1];
	char	 key[KEY_LEN];
	int64_t	 limit;
	int64_t	 took;		/* requests spent since the last round */
};

static struct sleeper	 sharer = SLEEPER_INIT;

/* A round: the buckets that spent add it to their debts (draining each
 * for the time since it last moved) and read the sum back; the others
 * only read theirs. PostgreSQL's SQL (json_to_recordset, ::): the thread
 * runs only there. Times are the server's, so that the daemons' clocks
 * do not matter; rows are locked in key order, the same on every daemon.
 */
#define DB_NOW_MS	"floor(date_part('epoch', now()) * 1000)::bigint"
#define DRAINED(d, now)	"greatest(0, " d ".debt - least(60000, " \
	"greatest(0, " now " - " d ".updated_ms)) * " d ".per_minute * 50 / 3)"
static const char sql_spend[] =
    "INSERT INTO rate_limit_debts AS d (key, debt, per_minute, updated_ms) "
    "SELECT x.key, x.took * 1000000, x.per_minute, " DB_NOW_MS " "
    "FROM json_to_recordset(?1::json) "
    "  AS x(key text, took bigint, per_minute bigint) "
    "ORDER BY x.key "
    "ON CONFLICT (key) DO UPDATE SET debt = least("
    "  excluded.per_minute * 1000000, "
    DRAINED("d", "excluded.updated_ms") " + excluded.debt), "
    "  per_minute = excluded.per_minute, "
    "  updated_ms = greatest(d.updated_ms, excluded.updated_ms) "
    "RETURNING key, debt";
static const char sql_debts[] =
    "SELECT d.key, " DRAINED("d", DB_NOW_MS) " FROM rate_limit_debts d "
    "WHERE d.key IN (SELECT x.key FROM json_to_recordset(?1::json) "
    "  AS x(key text))";
/* idle a minute: drained to nothing; rows a round holds are skipped */
static const char sql_purge[] =
    "DELETE FROM rate_limit_debts WHERE key IN (SELECT key "
    "  FROM rate_limit_debts WHERE updated_ms < " DB_NOW_MS " - 60000 "
    "  ORDER BY key /*FOR UPDATE SKIP LOCKED*/)";

static int64_t
limit_of(const char *key)
{
	return key[0] == 'k' ? limits->ratelimit_app_per_minute :
	    limits->ratelimit_address_per_minute;
}

static int
by_hash(const void *a, const void *b)
{
	return strcmp(((const struct shared *)a)->hash,
	    ((const struct shared *)b)->hash);
}

/* The buckets asked for in the last minute into out (at most max), with
 * what they spent since the last round, which is taken (it is shared
 * now), and their keyed hashes (no address leaves the daemon). A round
 * that cannot take them all leaves the rest to the next, which starts
 * where this one stopped. The count, sorted by hash. */
static size_t
collect(const unsigned char *secret, struct shared *out, size_t max,
    int64_t now_ns)
{
	static size_t	 first;	/* the sharing thread's */
	struct bucket	*b;
	struct shard	*sh;
	unsigned char	 h[HASH_BYTES];
	size_t		 i, j, n = 0;

	for (i = 0; i < SHARDS && n < max; i++) {
		sh = &shards[(first + i) % SHARDS];
		pthread_mutex_lock(&sh->lock);
		for (j = 0; j < SLOTS; j++) {
			b = &sh->slot[j];
			if (b->key[0] == '\0' ||
			    now_ns - b->seen_ns >= MINUTE_NS)
				continue;
			if (n == max)
				break;
			memcpy(out[n].key, b->key, sizeof(out[n].key));
			out[n].took = b->spent;
			b->spent = 0;
			n++;
		}
		pthread_mutex_unlock(&sh->lock);
	}
	if (n == max)		/* the last shard again: it may have more */
		first = (first + i - 1) % SHARDS;
	for (i = 0; i < n; i++) {
		out[i].limit = limit_of(out[i].key);
		crypto_generichash(h, sizeof(h), (const unsigned char *)
		    out[i].key, strlen(out[i].key), secret, SECRET_HEX / 2);
		sodium_bin2hex(out[i].hash, sizeof(out[i].hash), h,
		    sizeof(h));
	}
	qsort(out, n, sizeof(*out), by_hash);
	return n;
}

/* The bucket of s after a round: its limit less the debt of every daemon
 * and what this one spent since it was collected. */
static void
settle(const struct shared *s, int64_t debt, int64_t now_ns)
{
	struct shard	*sh;
	struct bucket	*b;
	uint64_t	 h = key_hash(s->key);
	size_t		 i;

	sh = &shards[h % SHARDS];
	pthread_mutex_lock(&sh->lock);
	for (i = 0; i < WINDOW; i++) {
		b = &sh->slot[(h / SHARDS + i) % SLOTS];
		if (strcmp(b->key, s->key) != 0)
			continue;
		b->tokens = s->limit * ONE - debt - b->spent * ONE;
		if (b->tokens < 0)
			b->tokens = 0;
		if (b->tokens > s->limit * ONE)
			b->tokens = s->limit * ONE;
		b->filled_ns = now_ns;	/* the debt drained up to now */
		break;
	}
	pthread_mutex_unlock(&sh->lock);
}

/* A round's spending that could not be shared goes back to its buckets
 * for the next. */
static void
restore(const struct shared *round, size_t n)
{
	struct shard	*sh;
	struct bucket	*b;
	uint64_t	 h;
	size_t		 i, k;

	for (i = 0; i < n; i++) {
		if (round[i].took == 0)
			continue;
		h = key_hash(round[i].key);
		sh = &shards[h % SHARDS];
		pthread_mutex_lock(&sh->lock);
		for (k = 0; k < WINDOW; k++) {
			b = &sh->slot[(h / SHARDS + k) % SLOTS];
			if (strcmp(b->key, round[i].key) == 0) {
				b->spent += round[i].took;
				break;
			}
		}
		pthread_mutex_unlock(&sh->lock);
	}
}

/* Runs sql over the JSON list and settles each bucket it returns a debt
 * for. 0 or -1. */
static int
settle_all(struct db *db, const char *sql, json_t *list,
    struct shared *round, size_t n)
{
	struct db_stmt	*st = NULL;
	struct shared	 probe, *hit;
	char		*text;
	int		 rc = -1;

	if (json_array_size(list) == 0)
		return 0;
	text = json_dumps(list, JSON_COMPACT);
	st = text == NULL ? NULL : db_prepare(db, sql);
	if (st != NULL && db_bind(st, "s", text) == 0) {
		while ((rc = db_step(db, st)) == DB_ROW) {
			snprintf(probe.hash, sizeof(probe.hash), "%s",
			    db_text(st, 0));
			hit = bsearch(&probe, round, n, sizeof(*round),
			    by_hash);
			if (hit != NULL)
				settle(hit, db_int(st, 1), clock_mono_ns());
		}
	}
	db_release(st);
	free(text);
	return rc == DB_DONE ? 0 : -1;
}

/* One round: 0, or -1 when the database failed (this daemon's buckets
 * then go on alone, and keep what they spent for the next round). */
static int
share(struct db *db, const unsigned char *secret, struct shared *round)
{
	json_t		*spend, *quiet, *item;
	size_t		 n, i;
	int		 ret = -1;

	n = collect(secret, round, SHARE_MAX, clock_mono_ns());
	if (n == 0)
		return 0;
	spend = json_array();
	quiet = json_array();
	for (i = 0; spend != NULL && quiet != NULL && i < n; i++) {
		item = round[i].took == 0 ? json_pack("{s:s}", "key",
		    round[i].hash) : json_pack("{s:s, s:I, s:I}", "key",
		    round[i].hash, "took", (json_int_t)round[i].took,
		    "per_minute", (json_int_t)round[i].limit);
		if (item == NULL || json_array_append_new(round[i].took == 0 ?
		    quiet : spend, item) == -1)
			goto out;
	}
	if (spend == NULL || quiet == NULL ||
	    settle_all(db, sql_spend, spend, round, n) == -1) {
		restore(round, n);
		goto out;
	}
	ret = settle_all(db, sql_debts, quiet, round, n);
out:
	json_decref(spend);
	json_decref(quiet);
	return ret;
}

/* The key of the bucket keys' hashes, the same for every daemon. 0 or
 * -1 (a database error: tried again next round). */
static int
share_secret(struct db *db, unsigned char secret[SECRET_HEX / 2])
{
	char	 hex[SECRET_HEX + 1];
	int	 ret = -1;

	if (settings_secret(db, SECRET_NAME, hex, SECRET_HEX) == 0 &&
	    sodium_hex2bin(secret, SECRET_HEX / 2, hex, SECRET_HEX, NULL,
	    NULL, NULL) == 0)
		ret = 0;
	sodium_memzero(hex, sizeof(hex));
	return ret;
}

static void *
share_main(void *arg)
{
	unsigned char	 secret[SECRET_HEX / 2];
	struct shared	*round;
	struct db	*db = db_thread();
	bool		 keyed = false, failing = false;
	int64_t		 rounds = 0;

	(void)arg;
	round = calloc(SHARE_MAX, sizeof(*round));
	if (round == NULL) {
		log_error("ratelimit: out of memory; each daemon counts its "
		    "own");
		goto out;
	}
	while (!sleeper_wait(&sharer, SHARE_MS)) {
		if (db == NULL)
			db = db_thread();
		if (db == NULL || (!keyed && share_secret(db, secret) == -1) ||
		    share(db, secret, round) == -1) {
			if (!failing)
				log_warn("ratelimit: sharing failed (%s); "
				    "each daemon counts its own until it "
				    "works again", db == NULL ? "no database" :
				    db_error_text(db));
			failing = true;
			continue;
		}
		keyed = true;
		if (failing)
			log_info("ratelimit: sharing works again");
		failing = false;
		/* the first round too: a start cleans what a crash left */
		if (rounds++ % PURGE_ROUNDS == 0 &&
		    db_run(db, sql_purge, "") == -1)
			log_warn("ratelimit: cannot delete idle debts");
	}
out:
	sodium_memzero(secret, sizeof(secret));
	free(round);
	db_thread_close();
	return NULL;
}

int
rate_limit_start(void)
{
	if (limits == NULL || shards == NULL ||
	    db_backend() != DB_POSTGRESQL ||
	    (limits->ratelimit_app_per_minute == 0 &&
	    limits->ratelimit_address_per_minute == 0))
		return 0;
	return sleeper_start(&sharer, "ratelimit", share_main, NULL);
}

void
rate_limit_stop(void)
{
	sleeper_stop(&sharer, "ratelimit");
}
