/*
 * Unit tests of the list cache: an entry answers its generation only,
 * replaces its key's older one, and the whole cache stays within the
 * bytes each put is given, dropping the least recently used first; an
 * ETag follows the body alone, every bit of it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/list_cache.h"

#define MAX		(64 * 1024)

static int
teardown(void **state)
{
	(void)state;
	list_cache_clear();
	return 0;
}

static void
put(const char *key, int64_t gen, const char *body, size_t max)
{
	char	 etag[LIST_CACHE_ETAG_LEN];

	list_cache_etag(body, strlen(body), etag);
	list_cache_put(key, strlen(key), gen, etag, body, strlen(body), max);
}

/* 0 and the body of key at gen in want, or -1 when absent (want NULL). */
static void
check(const char *key, int64_t gen, const char *want)
{
	struct buf	 b;
	char		 etag[LIST_CACHE_ETAG_LEN], expect[LIST_CACHE_ETAG_LEN];
	int		 rc;

	buf_init(&b, MAX);
	rc = list_cache_get(key, strlen(key), gen, etag, &b);
	if (want == NULL) {
		assert_int_equal(rc, -1);
		assert_int_equal(b.len, 0);
	} else {
		assert_int_equal(rc, 0);
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.data, want, b.len);
		list_cache_etag(want, strlen(want), expect);
		assert_string_equal(etag, expect);
	}
	buf_release(&b);
}

static size_t
usage(size_t *entries)
{
	size_t	 bytes, n;

	list_cache_usage(&bytes, &n);
	if (entries != NULL)
		*entries = n;
	return bytes;
}

static void
test_generation(void **state)
{
	(void)state;
	check("k", 1, NULL);
	put("k", 1, "{\"a\":1}", MAX);
	check("k", 1, "{\"a\":1}");
	check("k", 1, "{\"a\":1}");
	check("kk", 1, NULL);
	check("", 1, NULL);
	/* another generation: a miss, and the old entry is gone */
	check("k", 2, NULL);
	check("k", 1, NULL);
	assert_int_equal(usage(NULL) > 0, 1);
	put("k", 2, "{\"a\":2}", MAX);
	put("k", 3, "{\"a\":3}", MAX);	/* replaces */
	check("k", 2, NULL);
	put("k", 3, "{\"a\":3}", MAX);
	check("k", 3, "{\"a\":3}");
}

static void
test_keys_with_nul(void **state)
{
	static const char a[] = "p\0q", b[] = "p\0r";
	char	 etag[LIST_CACHE_ETAG_LEN];
	struct buf	 out;

	(void)state;
	list_cache_put(a, 3, 1, "\"e\"", "A", 1, MAX);
	list_cache_put(b, 3, 1, "\"f\"", "B", 1, MAX);
	buf_init(&out, MAX);
	assert_int_equal(list_cache_get(a, 3, 1, etag, &out), 0);
	assert_string_equal(out.data, "A");
	assert_string_equal(etag, "\"e\"");
	buf_reset(&out);
	assert_int_equal(list_cache_get(b, 3, 1, etag, &out), 0);
	assert_string_equal(out.data, "B");
	buf_reset(&out);
	assert_int_equal(list_cache_get(a, 1, 1, etag, &out), -1);
	buf_release(&out);
}

/* Thousands of puts under a small bound: never over it, the newest kept,
 * the least recently used dropped first. */
static void
test_bound_and_lru(void **state)
{
	char	 key[32], body[600];
	size_t	 i, n, max = 32 * 1024;

	(void)state;
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	put("hot", 1, "hot body", max);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "key-%zu", i);
		put(key, 7, body, max);
		assert_true(usage(&n) <= max);
		check("hot", 1, "hot body");	/* used: stays */
	}
	assert_true(n > 10);
	check("key-4999", 7, body);
	check("key-0", 7, NULL);
	/* a smaller bound on the next put shrinks the cache to it */
	put("last", 7, "small", 4096);
	assert_true(usage(&n) <= 4096);
	check("last", 7, "small");
}

static void
test_too_large_not_kept(void **state)
{
	static char	 body[2048];

	(void)state;
	memset(body, 'y', sizeof(body) - 1);
	put("big", 1, body, 8 * 1024);	/* over an eighth */
	check("big", 1, NULL);
	put("big", 1, body, 64 * 1024);
	check("big", 1, body);
	put("off", 1, "x", 0);
	check("off", 1, NULL);
}

static void
test_etag(void **state)
{
	char	 a[LIST_CACHE_ETAG_LEN], b[LIST_CACHE_ETAG_LEN];

	(void)state;
	list_cache_etag("body", 4, a);
	assert_int_equal(strlen(a), LIST_CACHE_ETAG_LEN - 1);
	assert_int_equal(a[0], '"');
	assert_int_equal(a[LIST_CACHE_ETAG_LEN - 2], '"');
	assert_int_equal(strspn(a + 1, "0123456789abcdef"), 16);
	list_cache_etag("body", 4, b);
	assert_string_equal(a, b);
	list_cache_etag("bodz", 4, b);
	assert_string_not_equal(a, b);
	list_cache_etag("body", 3, b);
	assert_string_not_equal(a, b);
}

/* A page's hash goes by words: a change of any bit anywhere in it, in
 * the words or the tail, moves its ETag, as a byte's move does. */
static void
test_etag_every_byte(void **state)
{
	static char	 page[1000 + 7];
	char		 a[LIST_CACHE_ETAG_LEN], b[LIST_CACHE_ETAG_LEN];
	size_t		 i;
	int		 bit;

	(void)state;
	for (i = 0; i < sizeof(page); i++)
		page[i] = (char)('a' + i % 26);
	list_cache_etag(page, sizeof(page), a);
	for (i = 0; i < sizeof(page); i++)
		for (bit = 0; bit < 8; bit++) {
			page[i] ^= (char)(1 << bit);
			list_cache_etag(page, sizeof(page), b);
			page[i] ^= (char)(1 << bit);
			if (strcmp(a, b) == 0)
				fail_msg("bit %d of byte %zu", bit, i);
		}
	page[0] = 'b';
	page[1] = 'a';
	list_cache_etag(page, sizeof(page), b);
	assert_string_not_equal(a, b);
	list_cache_etag(page + 1, sizeof(page) - 1, b);
	assert_string_not_equal(a, b);
}

/* A reader holding an older generation neither evicts nor replaces the
 * page of a newer one. */
static void
test_older_reader_keeps_newer_page(void **state)
{
	(void)state;
	put("k", 5, "{\"a\":5}", MAX);
	check("k", 4, NULL);
	check("k", 5, "{\"a\":5}");
	put("k", 4, "{\"a\":4}", MAX);
	check("k", 5, "{\"a\":5}");
	check("k", 6, NULL);
	check("k", 5, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_generation, teardown),
		cmocka_unit_test_teardown(test_keys_with_nul, teardown),
		cmocka_unit_test_teardown(test_bound_and_lru, teardown),
		cmocka_unit_test_teardown(test_too_large_not_kept, teardown),
		cmocka_unit_test_teardown(test_etag, teardown),
		cmocka_unit_test_teardown(test_etag_every_byte, teardown),
		cmocka_unit_test_teardown(test_older_reader_keeps_newer_page,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
