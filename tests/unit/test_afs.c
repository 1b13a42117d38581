/*
 * Unit tests of RFC 2047 decoding of order e-mail headers and of the
 * referencePattern check.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/afs_message.h"

static void
test_encoded_words(void **state)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "plain text", "plain text" },
		{ "=?UTF-8?B?SsO2cmcgS8OkdWZlcg==?= <j@example.com>",
		    "J\xc3\xb6rg K\xc3\xa4ufer <j@example.com>" },
		{ "=?utf-8?q?Ihre_Bestellung?= ist da",
		    "Ihre Bestellung ist da" },
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

static void
test_pattern_check(void **state)
{
	static const struct {
		const char	*pattern;
		bool		 ok;
		const char	*why;	/* start of the reason */
	} cases[] = {
		/* POSIX ERE as stored before PCRE2 keeps its meaning */
		{ "Order #([0-9]+)", true, NULL },
		{ "[[:digit:]]{4,8}", true, NULL },
		{ "(ref|REF)-[A-Z]{2}[0-9]+", true, NULL },
		{ "^Bestellung: (.*)$", true, NULL },
		{ "Auftragsnummer f\xc3\xbcr ([0-9]+)", true, NULL },
		{ "\\d+", true, NULL },
		{ "([a-z]+)x", true, NULL },	/* bounded at match time */
		/* backreferences, in every spelling */
		{ "^(a+)+\\1b", false, "must not use backreferences" },
		{ "(a)\\g{1}", false, "must not use backreferences" },
		{ "(?<n>a)\\k<n>", false, "must not use backreferences" },
		{ "(?P<n>a)(?P=n)", false, "must not use backreferences" },
		/* not patterns, or not allowed */
		{ "([unclosed", false, "is not a valid pattern" },
		{ "a\\Cb", false, "is not a valid pattern" },
		{ "x{2,1}", false, "is not a valid pattern" },
	};
	char		 why[240], longest[260];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		assert_int_equal(afs_pattern_check(cases[i].pattern, why,
		    sizeof(why)), cases[i].ok ? 0 : -1);
		if (!cases[i].ok)
			assert_memory_equal(why, cases[i].why,
			    strlen(cases[i].why));
	}
	memset(longest, 'a', 200);
	longest[200] = '\0';
	assert_int_equal(afs_pattern_check(longest, why, sizeof(why)), 0);
	longest[200] = 'a';
	longest[201] = '\0';
	assert_int_equal(afs_pattern_check(longest, why, sizeof(why)), -1);
	assert_string_equal(why, "is longer than 200 characters");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_pattern_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
