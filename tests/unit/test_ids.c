/*
 * Unit tests of identifiers and tokens: shapes, randomness, hashing with a
 * known vector, constant-time equality, UUIDs, HMAC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "reviewd/ids.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char hexdigits[] = "0123456789abcdef";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz0123456789-_";

static void
test_ids_new(void **state)
{
	char	 a[IDS_ID_LEN + 1], b[IDS_ID_LEN + 1];
	int	 i;

	(void)state;
	for (i = 0; i < 32; i++) {
		memset(a, 'x', sizeof(a));
		ids_new(a);
		assert_int_equal(strlen(a), IDS_ID_LEN);
		assert_int_equal(strspn(a, hexdigits), IDS_ID_LEN);
		assert_true(ids_valid(a));
		ids_new(b);
		assert_string_not_equal(a, b);
	}
}

/* Timed ids sort in the order they were made (the point of them: they
 * land at the end of an index), start with the creation second, are
 * distinct, and are ids; and a plain id is not timed. */
static void
test_ids_new_timed(void **state)
{
	static char	 ids[20000][IDS_ID_LEN + 1];
	char		 second[9], plain[IDS_ID_LEN + 1];
	struct timespec	 ts;
	time_t		 before, after;
	size_t		 i;

	(void)state;
	/* the clock ids_new_timed reads: time(2) may lag it by a tick */
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	before = ts.tv_sec;
	for (i = 0; i < NELEM(ids); i++) {
		ids_new_timed(ids[i]);
		assert_true(ids_valid(ids[i]));
	}
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	after = ts.tv_sec;
	snprintf(second, sizeof(second), "%08x", (unsigned int)before);
	assert_true(memcmp(ids[0], second, 8) >= 0);
	snprintf(second, sizeof(second), "%08x", (unsigned int)after);
	assert_true(memcmp(ids[NELEM(ids) - 1], second, 8) <= 0);
	for (i = 1; i < NELEM(ids); i++) {
		assert_true(memcmp(ids[i - 1], ids[i], 12) <= 0);
		assert_string_not_equal(ids[i - 1], ids[i]);
	}
	/* plain ids (a consumer's) tell no time: each one's first 8 digits
	 * fall within a day of now by chance 1 in 25,000, all four never */
	for (i = 0; i < 4; i++) {
		ids_new(plain);
		snprintf(second, sizeof(second), "%.8s", plain);
		if (labs((long)strtoul(second, NULL, 16) - (long)before) >=
		    86400)
			break;
	}
	assert_true(i < 4);
}

/* A keyed token has ids_token's shape, gives back its id, and differs
 * each time; a token of another shape gives no id. */
static void
test_token_keyed(void **state)
{
	/* too short, too long, and three of the right length that do not
	 * decode: not base64, the standard alphabet's '/', padding */
	static const char *const bad[] = { "", "abc",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
	    "//////////////////////////////////////////A",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" };
	char	 id[IDS_ID_LEN + 1], key[IDS_ID_LEN + 1];
	char	 a[IDS_TOKEN_LEN + 1], b[IDS_TOKEN_LEN + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < 32; i++) {
		ids_new_timed(id);
		ids_token_keyed(id, a);
		ids_token_keyed(id, b);
		assert_int_equal(strlen(a), IDS_TOKEN_LEN);
		assert_int_equal(strspn(a, b64url), IDS_TOKEN_LEN);
		assert_string_not_equal(a, b);
		ids_token_key(a, key);
		assert_string_equal(key, id);
		ids_token_key(b, key);
		assert_string_equal(key, id);
	}
	for (i = 0; i < NELEM(bad); i++) {
		memset(key, 'x', sizeof(key));
		ids_token_key(bad[i], key);
		assert_string_equal(key, "");
	}
}

static void
test_ids_valid(void **state)
{
	static const char *const ok[] = { "0123456789abcdef01234567",
	    "000000000000000000000000", "ffffffffffffffffffffffff",
	    "abcdefabcdefabcdefabcdef" };
	static const char *const bad[] = { "",
	    "0123456789abcdef0123456",		/* 23 */
	    "0123456789abcdef012345678",	/* 25 */
	    "0123456789abcdef01234567 ",
	    " 0123456789abcdef01234567",
	    "0123456789ABCDEF01234567",		/* uppercase */
	    "0123456789abcdeF01234567",
	    "0123456789abcdef0123456g",		/* not hex */
	    "0123456789abcdef 1234567",
	    "0123456789abcdef-1234567",
	    "0123456789abcdef\n1234567",
	    "0123456789abcdef0123456\xc3",
	    "../../../../../../etc/pa" };
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++)
		assert_true(ids_valid(ok[i]));
	for (i = 0; i < NELEM(bad); i++)
		assert_false(ids_valid(bad[i]));
}

static void
test_tokens(void **state)
{
	char	 a[IDS_TOKEN_LEN + 1], b[IDS_TOKEN_LEN + 1];
	int	 i;

	(void)state;
	for (i = 0; i < 32; i++) {
		memset(a, 'x', sizeof(a));
		ids_token(a);
		ids_token(b);
		/* 43 base64url characters, no padding = 256 bits */
		assert_int_equal(strlen(a), IDS_TOKEN_LEN);
		assert_int_equal(strspn(a, b64url), IDS_TOKEN_LEN);
		assert_string_not_equal(a, b);
	}
}

static void
test_token_hash(void **state)
{
	/* BLAKE2b-256, unkeyed: python3 hashlib.blake2b(x, digest_size=32) */
	static const struct {
		const char	*in, *want;
	} vectors[] = {
		{ "abc", "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262"
		    "c8c068d52319" },
		{ "", "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45"
		    "cdf12fe3a8" },
	};
	char	 tok[IDS_TOKEN_LEN + 1], other[IDS_TOKEN_LEN + 1];
	char	 h1[IDS_HASH_LEN + 1], h2[IDS_HASH_LEN + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(vectors); i++) {
		memset(h1, 'x', sizeof(h1));
		ids_token_hash(vectors[i].in, h1);
		assert_string_equal(h1, vectors[i].want);
	}
	ids_token(tok);
	ids_token(other);
	ids_token_hash(tok, h1);
	assert_int_equal(strlen(h1), IDS_HASH_LEN);
	assert_int_equal(strspn(h1, hexdigits), IDS_HASH_LEN);
	/* deterministic */
	ids_token_hash(tok, h2);
	assert_string_equal(h1, h2);
	/* different tokens, different hashes; the hash is not the token */
	ids_token_hash(other, h2);
	assert_string_not_equal(h1, h2);
	assert_null(strstr(h1, tok));
	/* one character changed */
	tok[0] = tok[0] == 'A' ? 'B' : 'A';
	ids_token_hash(tok, h2);
	assert_string_not_equal(h1, h2);
}

static void
test_equal(void **state)
{
	static const struct {
		const char	*a, *b;
		bool		 want;
	} cases[] = {
		{ "same", "same", true },
		{ "", "", true },
		{ "same", "samf", false },
		{ "same", "Same", false },
		{ "same", "sam", false },
		{ "sam", "same", false },
		{ "", "x", false },
		{ "x", "", false },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		assert_int_equal(ids_equal(cases[i].a, cases[i].b),
		    cases[i].want);
}

static int
compare_uuid(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_uuid(void **state)
{
	static char	 many[2000][IDS_UUID_LEN + 1];
	static char	 timed[2000][IDS_ID_LEN + 1];
	static char	 hex[2000 * 32 + 1];
	char		 u[IDS_UUID_LEN + 1], v[IDS_UUID_LEN + 1];
	char		*hex_end = hex;
	size_t		 j;
	int		 i;

	(void)state;
	for (i = 0; i < 64; i++) {
		memset(u, 'x', sizeof(u));
		ids_uuid(u);
		ids_uuid(v);
		assert_string_not_equal(u, v);
		/* 8-4-4-4-12 lowercase hex */
		assert_int_equal(strlen(u), IDS_UUID_LEN);
		for (j = 0; j < IDS_UUID_LEN; j++) {
			if (j == 8 || j == 13 || j == 18 || j == 23)
				assert_int_equal(u[j], '-');
			else
				assert_non_null(memchr(hexdigits, u[j], 16));
		}
		/* version 4, RFC 4122 variant */
		assert_int_equal(u[14], '4');
		assert_non_null(memchr("89ab", u[19], 4));
	}
	/* the bytes come from a per-thread pool shared with ids_new_timed:
	 * across many refills, at every offset, no two are the same */
	for (i = 0; i < (int)NELEM(many); i++) {
		ids_new_timed(timed[i]);
		ids_uuid(many[i]);
	}
	qsort(many, NELEM(many), sizeof(many[0]), compare_uuid);
	for (j = 1; j < NELEM(many); j++)
		assert_string_not_equal(many[j - 1], many[j]);
	/* nor does an id's random part reappear in a request id */
	for (i = 0; i < (int)NELEM(many); i++)
		for (j = 0; j < IDS_UUID_LEN; j++)
			if (many[i][j] != '-')
				*hex_end++ = many[i][j];
	*hex_end = '\0';
	for (i = 0; i < (int)NELEM(timed); i++)
		assert_null(strstr(hex, timed[i] + 12));
}

static void
test_random_hex(void **state)
{
	static const size_t lens[] = { 1, 5, 12, 63, 64, 65, 100, 200 };
	char	 out[2 * 200 + 2];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(lens); i++) {
		memset(out, 'x', sizeof(out));
		ids_random_hex(out, lens[i]);
		assert_int_equal(strlen(out), 2 * lens[i]);
		assert_int_equal(strspn(out, hexdigits), 2 * lens[i]);
		/* nothing written past the NUL */
		assert_int_equal(out[2 * lens[i] + 1], 'x');
	}
}

static void
test_uniform(void **state)
{
	static const uint32_t uppers[] = { 1, 2, 7, 1000, UINT32_MAX };
	size_t	 i;
	int	 j;

	(void)state;
	for (i = 0; i < NELEM(uppers); i++) {
		for (j = 0; j < 100; j++)
			assert_true(ids_uniform(uppers[i]) < uppers[i]);
	}
	assert_int_equal(ids_uniform(1), 0);
}

static void
test_hmac(void **state)
{
	/* RFC 4231 test cases 1 and 2, as base64 */
	static const unsigned char key1[20] = {
		0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
		0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	};
	char	 mac[IDS_HMAC_B64_LEN + 1];

	(void)state;
	memset(mac, 'x', sizeof(mac));
	ids_hmac_sha256_base64(key1, sizeof(key1), "Hi There", 8, mac);
	assert_string_equal(mac,
	    "sDRMYdjbOFNcqK/OrwvxK4gdwgDJgz2nJuk3bC4yz/c=");
	ids_hmac_sha256_base64((const unsigned char *)"Jefe", 4,
	    "what do ya want for nothing?", 28, mac);
	assert_string_equal(mac,
	    "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
}

static int
setup(void **state)
{
	(void)state;
	return sodium_init() == -1 ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_new),
		cmocka_unit_test(test_ids_new_timed),
		cmocka_unit_test(test_ids_valid),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_token_keyed),
		cmocka_unit_test(test_token_hash),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_random_hex),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_hmac),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
