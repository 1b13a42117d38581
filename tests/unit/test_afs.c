/*
 * Unit tests of RFC 2047 decoding of order e-mail headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/afs.h"

static void
test_encoded_words(void **state)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "plain text", "plain text" },
		{ "=?UTF-8?B?SsO2cmcgS8OkdWZlcg==?= <j@example.com>",
		    "J\xc3\xb6rg K\xc3\xa4ufer <j@example.com>" },
		{ "=?utf-8?q?Ihre_Bestellung?= ist da", "Ihre Bestellung ist da" },
		{ "=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab" },
		{ "=?ISO-8859-1?Q?K=F8benhavn?=", "K\xc3\xb8" "benhavn" },
		{ "=?UTF-8?B?broken", "=?UTF-8?B?broken" },
		{ "=?UTF-8?X?unknown?=", "=?UTF-8?X?unknown?=" },
		{ "", "" },
	};
	struct buf	 out;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&out, 1024);
		assert_int_equal(afs_decode_words(cases[i].in, &out), 0);
		assert_string_equal(out.data != NULL ? out.data : "",
		    cases[i].want);
		buf_release(&out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoded_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
