/*
 * Unit tests of the growable buffer: appends up to the cap and never past
 * it, formatted appends that grow, reset, detach and release.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/buf.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* b holds exactly the len bytes of want, NUL-terminated. */
static void
check(const struct buf *b, const char *want, size_t len)
{
	assert_int_equal(b->len, len);
	assert_true(b->len <= b->cap);
	assert_non_null(b->data);
	assert_true(b->alloc > b->len);
	assert_memory_equal(b->data, want, len);
	assert_int_equal(b->data[len], '\0');
}

static void
test_init(void **state)
{
	struct buf	 b;

	(void)state;
	memset(&b, 0xa5, sizeof(b));
	buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.cap, 100);
	buf_release(&b);
}

/* A sequence of appends against a cap: each one accepted or refused, the
 * contents after it. */
static void
test_append_cap(void **state)
{
	static const struct {
		size_t		 cap;
		const char	*parts[4];
		int		 want[4];
		const char	*contents;
	} cases[] = {
		{ 10, { "hello", "world", NULL }, { 0, 0 }, "helloworld" },
		{ 10, { "hello", "world!", "!", NULL }, { 0, -1, 0 },
		    "hello!" },
		{ 10, { "hello", "world!", "wor", "ld" }, { 0, -1, 0, 0 },
		    "helloworld" },
		{ 10, { "0123456789a", "", NULL }, { -1, 0 }, "" },
		{ 10, { "0123456789", "", "x", NULL }, { 0, 0, -1 },
		    "0123456789" },
		{ 0, { "", "x", "", NULL }, { 0, -1, 0 }, "" },
		{ 1, { "ab", "a", "b", NULL }, { -1, 0, -1 }, "a" },
	};
	struct buf	 b;
	size_t		 i, j;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		buf_init(&b, cases[i].cap);
		for (j = 0; j < 4 && cases[i].parts[j] != NULL; j++)
			assert_int_equal(buf_puts(&b, cases[i].parts[j]),
			    cases[i].want[j]);
		if (b.data != NULL || cases[i].contents[0] != '\0')
			check(&b, cases[i].contents,
			    strlen(cases[i].contents));
		buf_release(&b);
	}
}

/* Refused appends leave the bytes and the terminator as they were. */
static void
test_append_refused_unchanged(void **state)
{
	struct buf	 b;
	char		 big[300];

	(void)state;
	memset(big, 'z', sizeof(big));
	buf_init(&b, 200);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append(&b, big, 198), -1);
	check(&b, "abc", 3);
	assert_int_equal(buf_append(&b, big, 197), 0);
	assert_int_equal(b.len, 200);
	assert_int_equal(buf_append(&b, big, 1), -1);
	assert_int_equal(b.len, 200);
	assert_int_equal(b.data[200], '\0');
	assert_memory_equal(b.data, "abc", 3);
	/* a length that would wrap around is refused, not wrapped */
	assert_int_equal(buf_append(&b, big, SIZE_MAX), -1);
	assert_int_equal(b.len, 200);
	buf_release(&b);
}

/* Binary data, empty appends, growth over several reallocations. */
static void
test_append_grow(void **state)
{
	struct buf	 b;
	char		 want[5000];
	size_t		 i;

	(void)state;
	buf_init(&b, sizeof(want));
	/* an empty append still gives a terminated, empty buffer */
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	check(&b, "", 0);
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	check(&b, "a\0b", 3);
	buf_reset(&b);
	for (i = 0; i < sizeof(want); i++) {
		want[i] = (char)('a' + i % 26);
		assert_int_equal(buf_append(&b, &want[i], 1), 0);
	}
	check(&b, want, sizeof(want));
	/* the allocation never passes the cap and its terminator */
	assert_true(b.alloc <= b.cap + 1);
	assert_int_equal(buf_append(&b, "x", 1), -1);
	check(&b, want, sizeof(want));
	buf_release(&b);
}

static void
test_printf(void **state)
{
	struct buf	 b;
	char		 want[400];
	size_t		 i;

	(void)state;
	buf_init(&b, 1000);
	assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), 0);
	check(&b, "n=42", 4);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	check(&b, "n=42", 4);
	assert_int_equal(buf_printf(&b, ";%05.1f|%x|%c", 3.14159, 255u, 'Z'),
	    0);
	check(&b, "n=42;003.1|ff|Z", 15);
	/* past the first allocation: the output is redone, not cut */
	memset(want, 'q', sizeof(want));
	want[300] = '\0';
	assert_int_equal(buf_printf(&b, "[%s]", want), 0);
	assert_int_equal(b.len, 15 + 302);
	assert_memory_equal(b.data, "n=42;003.1|ff|Z[", 16);
	assert_memory_equal(b.data + 16, want, 300);
	assert_int_equal(b.data[316], ']');
	assert_int_equal(b.data[317], '\0');
	buf_release(&b);

	/* many small ones in a row */
	buf_init(&b, 10000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%zu,", i % 10), 0);
	assert_int_equal(b.len, 2000);
	assert_memory_equal(b.data, "0,1,2,3,4,5,6,7,8,9,0,1", 23);
	buf_release(&b);
}

/* A formatted append past the cap fails as a whole. */
static void
test_printf_cap(void **state)
{
	static const struct {
		size_t		 cap;
		const char	*first, *second;
		int		 want;
		const char	*contents;
	} cases[] = {
		{ 10, "abc", "defghij", 0, "abcdefghij" },
		{ 10, "abc", "defghijk", -1, "abc" },
		{ 10, "", "0123456789", 0, "0123456789" },
		{ 10, "", "0123456789a", -1, "" },
		{ 3, "abc", "", 0, "abc" },
		{ 3, "abc", "d", -1, "abc" },
		{ 0, "", "", 0, "" },
		{ 0, "", "x", -1, "" },
		/* caps above the first allocation of 64 bytes */
		{ 100, "0123456789012345678901234567890123456789",
		    "01234567890123456789012345678901234567890123456789012345"
		    "67890", -1, "0123456789012345678901234567890123456789" },
		{ 100, "0123456789012345678901234567890123456789",
		    "01234567890123456789012345678901234567890123456789012345"
		    "6789", 0, "0123456789012345678901234567890123456789"
		    "01234567890123456789012345678901234567890123456789012345"
		    "6789" },
	};
	struct buf	 b;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		buf_init(&b, cases[i].cap);
		assert_int_equal(buf_printf(&b, "%s", cases[i].first), 0);
		assert_int_equal(buf_printf(&b, "%s", cases[i].second),
		    cases[i].want);
		check(&b, cases[i].contents, strlen(cases[i].contents));
		/* still usable after a refusal */
		if (cases[i].want == -1 && b.len < b.cap) {
			assert_int_equal(buf_puts(&b, "."), 0);
			assert_int_equal(b.data[b.len - 1], '.');
		}
		buf_release(&b);
	}
}

static void
test_reset(void **state)
{
	struct buf	 b;
	char		*data;
	size_t		 alloc;

	(void)state;
	buf_init(&b, 100);
	buf_reset(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_puts(&b, "some text"), 0);
	data = b.data;
	alloc = b.alloc;
	buf_reset(&b);
	check(&b, "", 0);
	/* the memory is kept */
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.alloc, alloc);
	assert_int_equal(buf_puts(&b, "again"), 0);
	check(&b, "again", 5);
	buf_release(&b);
}

static void
test_detach(void **state)
{
	struct buf	 b;
	char		*s;
	size_t		 len;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_printf(&b, "%s-%d", "detached", 7), 0);
	len = 999;
	s = buf_detach(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "detached-7");
	assert_int_equal(len, 10);
	/* the buffer is empty afterwards, with its cap, and reusable */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.cap, 100);
	assert_int_equal(buf_puts(&b, "next"), 0);
	check(&b, "next", 4);
	free(s);
	s = buf_detach(&b, NULL);
	assert_string_equal(s, "next");
	free(s);
	/* an empty buffer gives "", never NULL */
	assert_int_equal(buf_puts(&b, ""), 0);
	len = 999;
	s = buf_detach(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "x"), -1);
	s = buf_detach(&b, &len);
	assert_non_null(s);
	free(s);
	buf_release(&b);
}

static void
test_release(void **state)
{
	struct buf	 b;

	(void)state;
	buf_release(NULL);
	buf_init(&b, 100);
	buf_release(&b);
	assert_int_equal(buf_puts(&b, "data"), 0);
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	/* twice is harmless, and the buffer may be used again */
	buf_release(&b);
	assert_int_equal(buf_puts(&b, "more"), 0);
	check(&b, "more", 4);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_append_cap),
		cmocka_unit_test(test_append_refused_unchanged),
		cmocka_unit_test(test_append_grow),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_printf_cap),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
