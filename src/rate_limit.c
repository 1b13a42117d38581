/*
 * rate_limit: the token buckets of [ratelimit] (see rate_limit.h). The
 * buckets sit in a fixed table split into shards, each behind its own
 * mutex, so that two requests contend only when their keys share a
 * shard. A key is looked for in a short window of slots from its hash;
 * a new key takes a free slot there or the one seen longest ago: its
 * client loses no more than the requests it had used (a fresh bucket is
 * full), so a flood of new addresses cannot lock anyone out, and memory
 * stays fixed whatever the number of clients. HTTP worker threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/rate_limit.h"

#define SHARDS		64
#define SLOTS		512	/* per shard */
#define WINDOW		8	/* slots a key may take from its hash */
#define KEY_LEN		40
#define ONE		1000000	/* a request, in the buckets' units */
#define MINUTE_NS	60000000000LL

struct bucket {
	char	 key[KEY_LEN];	/* "" when free */
	int64_t	 tokens;	/* millionths of a request */
	int64_t	 seen_ns;
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
			b->tokens += (now_ns - b->seen_ns < MINUTE_NS ?
			    now_ns - b->seen_ns : MINUTE_NS) * limit / 60000;
			if (b->tokens > limit * ONE)
				b->tokens = limit * ONE;
			b->seen_ns = now_ns;
			return b;
		}
		if (oldest == NULL || b->key[0] == '\0' ||
		    (oldest->key[0] != '\0' && b->seen_ns < oldest->seen_ns))
			oldest = b;
	}
	snprintf(oldest->key, sizeof(oldest->key), "%s", key);
	oldest->tokens = limit * ONE;
	oldest->seen_ns = now_ns;
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
	if (b->tokens >= ONE)
		b->tokens -= ONE;
	else {
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
