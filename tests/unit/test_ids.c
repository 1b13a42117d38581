/*
 * Unit tests of identifiers and tokens: shapes, randomness, hashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "reviewd/ids.h"

static void
test_ids(void **state)
{
	char	 a[IDS_ID_LEN + 1], b[IDS_ID_LEN + 1];
	static const char *const bad[] = { "", "0123456789abcdef0123456",
	    "0123456789abcdef012345678", "0123456789ABCDEF01234567",
	    "0123456789abcdef0123456g", "0123456789abcdef 1234567" };
	size_t	 i;

	(void)state;
	ids_new(a);
	ids_new(b);
	assert_int_equal(strlen(a), 24);
	assert_true(ids_valid(a));
	assert_string_not_equal(a, b);
	assert_true(ids_valid("0123456789abcdef01234567"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(ids_valid(bad[i]));
}

static void
test_tokens(void **state)
{
	char	 a[IDS_TOKEN_LEN + 1], b[IDS_TOKEN_LEN + 1];
	char	 h1[IDS_HASH_LEN + 1], h2[IDS_HASH_LEN + 1];

	(void)state;
	ids_token(a);
	ids_token(b);
	/* 43 base64url characters = 256 bits */
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_"), 43);
	assert_string_not_equal(a, b);
	ids_token_hash(a, h1);
	ids_token_hash(a, h2);
	assert_string_equal(h1, h2);
	ids_token_hash(b, h2);
	assert_string_not_equal(h1, h2);
	/* BLAKE2b-256 of "abc" */
	ids_token_hash("abc", h1);
	assert_string_equal(h1, "bddd813c634239723171ef3fee98579b94964e3bb1cb"
	    "3e427262c8c068d52319");
	assert_true(ids_equal("same", "same"));
	assert_false(ids_equal("same", "samf"));
	assert_false(ids_equal("same", "sam"));
}

static void
test_uuid_and_hmac(void **state)
{
	char		 u[IDS_UUID_LEN + 1], mac[IDS_HMAC_B64_LEN + 1];
	char		 hex[11];

	(void)state;
	ids_uuid(u);
	assert_int_equal(strlen(u), 36);
	assert_int_equal(u[8], '-');
	assert_int_equal(u[14], '4');
	assert_non_null(strchr("89ab", u[19]));
	/* RFC 4231 test case 2 */
	ids_hmac_sha256_base64((const unsigned char *)"Jefe", 4,
	    "what do ya want for nothing?", 28, mac);
	assert_string_equal(mac, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
	ids_random_hex(hex, 5);
	assert_int_equal(strlen(hex), 10);
	assert_true(ids_uniform(7) < 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_uuid_and_hmac),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
