/*
 * list_cache: rendered review lists, public and private (list_cache.h),
 * one table per process under one mutex, taken by the HTTP workers.
 *
 * Entries sit in a chained hash table by key and on one doubly linked
 * list, most recently used first. Invariant: bytes is the sum of
 * entry_cost() over the entries and, with the bucket array, after every
 * put at most the max_bytes that put was given. Freshness is not the
 * cache's business: a caller reads the unit's generation from the
 * database before it asks, and an entry answers only that generation.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/list_cache.h"

#define BUCKETS_MIN	256

struct entry {
	struct entry	*next;		/* in the bucket */
	struct entry	*newer, *older;	/* on the LRU list */
	uint64_t	 hash;
	int64_t		 gen;
	char		 etag[LIST_CACHE_ETAG_LEN];
	size_t		 key_len;
	size_t		 len;
	char		*key;		/* owned, key_len bytes */
	char		*body;		/* owned, len bytes and a NUL */
};

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
/* Under the lock: */
static struct entry	**buckets;
static size_t		 nbuckets;	/* 0 or a power of two */
static size_t		 nentries;
static size_t		 bytes;
static struct entry	*newest, *oldest;

/* FNV-1a, 64 bits: keys and ETags, not secrets. */
static uint64_t
fnv(const char *p, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * A page's hash for its ETag: four lanes of 8-byte words, each multiplied
 * and rotated, folded with FNV-1a over the tail. FNV-1a alone goes a byte
 * per multiply, one after the other: 36 us of a 28 KB page, a tenth of
 * what rendering it costs; the lanes run side by side at a few us.
 */
static uint64_t
body_hash(const char *p, size_t len)
{
	static const uint64_t	 k = 0x9e3779b97f4a7c15ULL;	/* odd */
	uint64_t		 lane[4] = { 1, 2, 3, 4 }, w, h;
	size_t			 i, j;

	for (i = 0; len - i >= sizeof(lane); i += sizeof(lane))
		for (j = 0; j < 4; j++) {
			memcpy(&w, p + i + j * 8, 8);
			lane[j] = (lane[j] ^ w) * k;
			lane[j] = lane[j] << 31 | lane[j] >> 33;
		}
	h = fnv(p + i, len - i) ^ (uint64_t)len;
	for (j = 0; j < 4; j++) {
		h = (h ^ lane[j]) * k;
		h ^= h >> 32;
	}
	return h;
}

void
list_cache_etag(const char *body, size_t len,
    char etag[LIST_CACHE_ETAG_LEN])
{
	/* The body alone: the generation also moves on changes the page
	 * does not show (an erased referral, a hidden review's edit), and
	 * an ETag that counted them would tell anyone polling the list when
	 * the business acted. */
	(void)snprintf(etag, LIST_CACHE_ETAG_LEN, "\"%016llx\"",
	    (unsigned long long)body_hash(body, len));
}

static size_t
entry_cost(const struct entry *e)
{
	return sizeof(*e) + e->key_len + e->len + 1;
}

static struct entry **
slot(uint64_t hash, const char *key, size_t key_len)
{
	struct entry	**p;

	if (nbuckets == 0)
		return NULL;
	for (p = &buckets[hash & (nbuckets - 1)]; *p != NULL;
	    p = &(*p)->next) {
		if ((*p)->hash == hash && (*p)->key_len == key_len &&
		    memcmp((*p)->key, key, key_len) == 0)
			return p;
	}
	return p;
}

static void
lru_unlink(struct entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
lru_push(struct entry *e)
{
	e->older = newest;
	e->newer = NULL;
	if (newest != NULL)
		newest->newer = e;
	newest = e;
	if (oldest == NULL)
		oldest = e;
}

static void
entry_free(struct entry *e)
{
	if (e == NULL)
		return;
	free(e->key);
	free(e->body);
	free(e);
}

/* Unlinks the entry at *p from both lists and frees it. */
static void
drop(struct entry **p)
{
	struct entry	*e = *p;

	*p = e->next;
	lru_unlink(e);
	bytes -= entry_cost(e);
	nentries--;
	entry_free(e);
}

/* Doubles the table when it holds more entries than buckets; keeps the
 * old one when out of memory (chains grow, lookups stay right). */
static void
grow(void)
{
	struct entry	**nb, *e, *next;
	size_t		 n = nbuckets == 0 ? BUCKETS_MIN : nbuckets * 2, i;

	if (nentries < nbuckets)
		return;
	if ((nb = calloc(n, sizeof(nb[0]))) == NULL)
		return;
	for (i = 0; i < nbuckets; i++) {
		for (e = buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(buckets);
	buckets = nb;
	nbuckets = n;
}

int
list_cache_get(const char *key, size_t key_len, int64_t gen,
    char etag[LIST_CACHE_ETAG_LEN], struct buf *body)
{
	struct entry	**p, *e;
	uint64_t	 hash = fnv(key, key_len);
	int		 ret = -1;

	if (pthread_mutex_lock(&lock) != 0)
		return -1;
	p = slot(hash, key, key_len);
	if (p == NULL || *p == NULL)
		goto out;
	e = *p;
	/* A reader that read the generation before a writer moved it must
	 * not evict the newer page a later reader stored. */
	if (e->gen < gen) {
		drop(p);
		goto out;
	}
	if (e->gen != gen)
		goto out;
	if (buf_append(body, e->body, e->len) == -1)
		goto out;
	memcpy(etag, e->etag, LIST_CACHE_ETAG_LEN);
	lru_unlink(e);
	lru_push(e);
	ret = 0;
out:
	(void)pthread_mutex_unlock(&lock);	/* ours, locked */
	return ret;
}

/* A new entry holding copies of its arguments; NULL when out of memory. */
static struct entry *
entry_new(const char *key, size_t key_len, uint64_t hash, int64_t gen,
    const char *etag, const char *body, size_t len)
{
	struct entry	*e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->key = malloc(key_len);
	e->body = malloc(len + 1);
	if (e->key == NULL || e->body == NULL) {
		entry_free(e);
		return NULL;
	}
	memcpy(e->key, key, key_len);
	memcpy(e->body, body, len);
	e->body[len] = '\0';
	e->key_len = key_len;
	e->len = len;
	e->hash = hash;
	e->gen = gen;
	(void)snprintf(e->etag, sizeof(e->etag), "%s", etag);
	return e;
}

void
list_cache_put(const char *key, size_t key_len, int64_t gen,
    const char *etag, const char *body, size_t len, size_t max_bytes)
{
	struct entry	*e, **p;
	uint64_t	 hash = fnv(key, key_len);

	/* copied before the lock: workers wait on it for memcpy only */
	if ((e = entry_new(key, key_len, hash, gen, etag, body, len)) == NULL)
		return;
	if (entry_cost(e) > max_bytes / 8) {
		entry_free(e);
		return;
	}
	if (pthread_mutex_lock(&lock) != 0) {
		entry_free(e);
		return;
	}
	grow();
	if (nbuckets == 0) {
		(void)pthread_mutex_unlock(&lock);	/* ours, locked */
		entry_free(e);
		return;
	}
	p = slot(hash, key, key_len);
	if (*p != NULL && (*p)->gen > e->gen) {
		/* a newer page is there already */
		(void)pthread_mutex_unlock(&lock);	/* ours, locked */
		entry_free(e);
		return;
	}
	if (*p != NULL)
		drop(p);
	p = slot(hash, key, key_len);
	*p = e;
	lru_push(e);
	bytes += entry_cost(e);
	nentries++;
	while (bytes + nbuckets * sizeof(buckets[0]) > max_bytes &&
	    oldest != NULL)
		drop(slot(oldest->hash, oldest->key, oldest->key_len));
	(void)pthread_mutex_unlock(&lock);	/* ours, locked */
}

void
list_cache_usage(size_t *out_bytes, size_t *out_entries)
{
	if (pthread_mutex_lock(&lock) != 0) {
		*out_bytes = *out_entries = 0;
		return;
	}
	*out_bytes = bytes + nbuckets * sizeof(buckets[0]);
	*out_entries = nentries;
	(void)pthread_mutex_unlock(&lock);	/* ours, locked */
}

void
list_cache_clear(void)
{
	if (pthread_mutex_lock(&lock) != 0)
		return;
	while (oldest != NULL)
		drop(slot(oldest->hash, oldest->key, oldest->key_len));
	free(buckets);
	buckets = NULL;
	nbuckets = 0;
	(void)pthread_mutex_unlock(&lock);	/* ours, locked */
}
