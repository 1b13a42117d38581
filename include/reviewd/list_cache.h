#ifndef REVIEWD_LIST_CACHE_H
#define REVIEWD_LIST_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "reviewd/buf.h"

/*
 * The rendered review lists, public and private, of this process,
 * bounded in bytes and kept in least-recently-used order. An entry is a
 * key (the request as the list's body depends on it), the generation of
 * the unit's lists it was rendered at (migrations 0017 and 0031), its
 * body and its ETag; it is served only to a request that read the same
 * generation. Any thread.
 */

/* "\"" 16 hex digits of the body's hash "\"" */
#define LIST_CACHE_ETAG_LEN	19

/*
 * The ETag of body into etag (NUL-terminated): it differs when the body
 * does and names the same body in every process. Not the generation,
 * which also moves on changes a public page does not show.
 */
void	list_cache_etag(const char *body, size_t len,
	    char etag[LIST_CACHE_ETAG_LEN]);

/*
 * Looks up key at generation gen. 0 when an entry is there: its ETag is
 * copied into etag and its body appended to body. -1 when there is none
 * at gen (an entry of an older generation is dropped) or when body cannot
 * take it (body is then as it was).
 */
int	list_cache_get(const char *key, size_t key_len, int64_t gen,
	    char etag[LIST_CACHE_ETAG_LEN], struct buf *body);

/*
 * Keeps a copy of body with etag under key at generation gen, replacing
 * what key held unless that is of a newer generation, then drops the
 * least recently used entries until the whole cache takes at most
 * max_bytes (keys, bodies and bookkeeping counted); an entry larger
 * than max_bytes / 8 is not kept. Out of memory keeps nothing: the cache
 * is an optimisation.
 */
void	list_cache_put(const char *key, size_t key_len, int64_t gen,
	    const char *etag, const char *body, size_t len, size_t max_bytes);

/* The bytes the cache takes and its entries now (for tests). */
void	list_cache_usage(size_t *bytes, size_t *entries);

/* Drops every entry and frees the table. */
void	list_cache_clear(void);

#endif
