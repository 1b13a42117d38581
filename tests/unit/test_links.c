/*
 * Unit tests of the link formats: the published Unique Link vectors and a
 * BGL round trip, with tampering and wrong keys refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "reviewd/links.h"

static void
test_unique_link_vectors(void **state)
{
	char	 hash[LINKS_SHA1_HEX + 1];

	(void)state;
	links_unique_hash("mykey12", "email@email.com", "1234", hash);
	assert_string_equal(hash, "b232dc87ad2a699763720a29f5b3db2df6f80dfd");
	links_unique_hash("l12u20m13a1", "john@hisemail.com", "1922", hash);
	assert_string_equal(hash, "badbe6d8ee3f93936c25e6c76ec454b2cdcacc85");
}

static void
test_bgl_round_trip(void **state)
{
	unsigned char	 enc[LINKS_KEY_LEN], auth[LINKS_KEY_LEN];
	unsigned char	 other[LINKS_KEY_LEN];
	json_t		*in, *out = NULL;
	char		*p = NULL, why[160];
	size_t		 len;

	(void)state;
	randombytes_buf(enc, sizeof(enc));
	randombytes_buf(auth, sizeof(auth));
	randombytes_buf(other, sizeof(other));
	in = json_pack("{s:s, s:s, s:s}", "email", "a@b.co", "name",
	    "Ann", "ref", "R-1");
	assert_int_equal(links_bgl_make(enc, auth, in, &p), 0);
	assert_int_equal(links_bgl_open(enc, auth, p, &out, why,
	    sizeof(why)), 0);
	assert_true(json_equal(in, out));
	json_decref(out);
	/* another auth key: refused before decryption */
	assert_int_equal(links_bgl_open(enc, other, p, &out, why,
	    sizeof(why)), -1);
	assert_null(out);
	assert_non_null(strstr(why, "signature"));
	/* a changed character anywhere: refused */
	len = strlen(p);
	p[len / 2] = p[len / 2] == 'A' ? 'B' : 'A';
	assert_int_equal(links_bgl_open(enc, auth, p, &out, why,
	    sizeof(why)), -1);
	/* truncated: refused */
	p[20] = '\0';
	assert_int_equal(links_bgl_open(enc, auth, p, &out, why,
	    sizeof(why)), -1);
	assert_int_equal(links_bgl_open(enc, auth, "%%%", &out, why,
	    sizeof(why)), -1);
	free(p);
	json_decref(in);
}

static void
test_bgl_length_matches_the_reference(void **state)
{
	unsigned char	 key[LINKS_KEY_LEN] = { 0 };
	json_t		*in;
	char		*p = NULL, *text;

	(void)state;
	/* as the reference's size check: 17 to 31 bytes give 16 (IV) + 32
	 * (two AES blocks) + 32 (HMAC) = 80 bytes, 108 base64 characters */
	in = json_pack("{s:s, s:s}", "email", "a@bc.de", "name", "Xy");
	text = json_dumps(in, JSON_COMPACT);
	assert_int_equal(strlen(text), 31);
	free(text);
	assert_int_equal(links_bgl_make(key, key, in, &p), 0);
	assert_int_equal(strlen(p), 108);
	free(p);
	json_decref(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unique_link_vectors),
		cmocka_unit_test(test_bgl_round_trip),
		cmocka_unit_test(test_bgl_length_matches_the_reference),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
