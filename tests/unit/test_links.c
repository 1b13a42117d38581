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
	char		*p = NULL, *spaced, why[160];
	char		 hash[IDS_HASH_LEN + 1], hash2[IDS_HASH_LEN + 1];
	size_t		 len, i;

	(void)state;
	randombytes_buf(enc, sizeof(enc));
	randombytes_buf(auth, sizeof(auth));
	randombytes_buf(other, sizeof(other));
	in = json_pack("{s:s, s:s, s:s}", "email", "a@b.co", "name",
	    "Ann", "ref", "R-1");
	/* random IVs: make links until one has a '+' for the check below */
	for (i = 0; i < 1000 && (p == NULL || strchr(p, '+') == NULL); i++) {
		free(p);
		assert_int_equal(links_bgl_make(enc, auth, in, &p), 0);
	}
	assert_non_null(strchr(p, '+'));
	assert_int_equal(links_bgl_open(enc, auth, p, &out, hash, why,
	    sizeof(why)), 0);
	assert_true(json_equal(in, out));
	json_decref(out);
	/* a '+' that arrived as a space is the same link, with one identity */
	spaced = strdup(p);
	assert_non_null(spaced);
	for (i = 0; spaced[i] != '\0'; i++)
		if (spaced[i] == '+')
			spaced[i] = ' ';
	assert_int_equal(links_bgl_open(enc, auth, spaced, &out, hash2, why,
	    sizeof(why)), 0);
	assert_string_equal(hash, hash2);
	json_decref(out);
	free(spaced);
	/* another auth key: refused before decryption */
	assert_int_equal(links_bgl_open(enc, other, p, &out, NULL, why,
	    sizeof(why)), -1);
	assert_null(out);
	assert_non_null(strstr(why, "signature"));
	/* a changed character anywhere: refused */
	len = strlen(p);
	p[len / 2] = p[len / 2] == 'A' ? 'B' : 'A';
	assert_int_equal(links_bgl_open(enc, auth, p, &out, NULL, why,
	    sizeof(why)), -1);
	/* truncated: refused */
	p[20] = '\0';
	assert_int_equal(links_bgl_open(enc, auth, p, &out, NULL, why,
	    sizeof(why)), -1);
	assert_int_equal(links_bgl_open(enc, auth, "%%%", &out, NULL, why,
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
