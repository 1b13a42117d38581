/*
 * Unit tests of the CSV upload reader: separators, BOM, quotes, embedded
 * line breaks, blank lines, malformed rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/csv.h"

/* Reads every row of text; fields joined with '|', rows with '/', a bad
 * row as "!". */
static void
read_all(const char *text, char *out, size_t outlen)
{
	struct csv_reader	 r;
	struct csv_row		 row;
	size_t			 used = 0, i;
	int			 rc;

	out[0] = '\0';
	csv_init(&r, text, strlen(text));
	while ((rc = csv_next(&r, &row)) != 0) {
		if (used > 0)
			used += (size_t)snprintf(out + used, outlen - used,
			    "/");
		if (rc == -1) {
			used += (size_t)snprintf(out + used, outlen - used,
			    "!");
			continue;
		}
		for (i = 0; i < row.n; i++)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%s", i > 0 ? "|" : "", row.field[i]);
	}
	csv_release(&r);
}

static void
test_rows(void **state)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "a,b,c\n1,2,3\n", "a|b|c/1|2|3" },
		{ "a;b;c\r\n1;2;3\r\n", "a|b|c/1|2|3" },
		{ "\xef\xbb\xbf" "email;name\nx@y.z;X\n",
		    "email|name/x@y.z|X" },
		{ "a,b\n\n\r\n1,2", "a|b/1|2" },
		{ "\"a,1\",\"b \"\"q\"\"\"\n", "a,1|b \"q\"" },
		{ "\"two\nlines\",x\n", "two\nlines|x" },
		{ "a,,c,\n", "a||c|" },
		/* the separator with more occurrences on the first line wins */
		{ "a;b,c;d\n", "a|b,c|d" },
		/* an open quote swallows the rest of the file: one bad row */
		{ "a,b\n\"open,x\n1,2\n", "a|b/!" },
		{ "a\"b,c\n1,2\n", "!/1|2" },
		{ "\"a\"x,b\n", "!" },
		{ "", "" },
	};
	char	 got[256];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		read_all(cases[i].in, got, sizeof(got));
		assert_string_equal(got, cases[i].want);
	}
}

static void
test_line_numbers(void **state)
{
	struct csv_reader	 r;
	struct csv_row		 row;
	const char		*text = "h1,h2\n\"a\nb\",c\n\nx,y\n";

	(void)state;
	csv_init(&r, text, strlen(text));
	assert_int_equal(csv_next(&r, &row), 1);
	assert_int_equal(row.line, 1);
	assert_int_equal(csv_next(&r, &row), 1);
	assert_int_equal(row.line, 2);
	assert_int_equal(csv_next(&r, &row), 1);
	assert_int_equal(row.line, 5);
	assert_string_equal(row.field[0], "x");
	assert_int_equal(csv_next(&r, &row), 0);
	csv_release(&r);
}

static void
test_too_many_fields(void **state)
{
	struct csv_reader	 r;
	struct csv_row		 row;
	char			 text[CSV_MAX_FIELDS * 2 + 8];
	size_t			 i;

	(void)state;
	for (i = 0; i < CSV_MAX_FIELDS + 1; i++) {
		text[i * 2] = 'a';
		text[i * 2 + 1] = ',';
	}
	text[(CSV_MAX_FIELDS + 1) * 2 - 1] = '\n';
	text[(CSV_MAX_FIELDS + 1) * 2] = '\0';
	csv_init(&r, text, strlen(text));
	assert_int_equal(csv_next(&r, &row), -1);
	assert_int_equal(csv_next(&r, &row), 0);
	csv_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_line_numbers),
		cmocka_unit_test(test_too_many_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
