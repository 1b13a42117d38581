/*
 * Unit tests of the form-body reader and URL encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/http.h"

static void
test_form_values(void **state)
{
	static const struct {
		const char	*body, *name, *want;	/* want NULL: -1 */
	} cases[] = {
		{ "grant_type=password&username=a", "grant_type", "password" },
		{ "a=1&grant_type=x", "grant", NULL },
		{ "msg=hello+world%21", "msg", "hello world!" },
		{ "a=&b=1", "a", "" },
		{ "%67rant=yes", "grant", "yes" },
		{ "a=%G1", "a", NULL },
		{ "a=%00x", "a", NULL },
		{ "a=%4", "a", NULL },
		{ "novalue&a=2", "a", "2" },
		{ "", "a", NULL },
	};
	char	 out[32];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = http_form_value(cases[i].body, strlen(cases[i].body),
		    cases[i].name, out, sizeof(out));

		if (cases[i].want == NULL)
			assert_int_equal(r, -1);
		else {
			assert_int_equal(r, 0);
			assert_string_equal(out, cases[i].want);
		}
	}
	/* a value longer than the buffer is refused, not cut */
	assert_int_equal(http_form_value("a=0123456789", 12, "a", out, 5), -1);
}

static void
test_url_encode(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 256);
	assert_int_equal(http_url_encode(&b, "a b+c/d=é~"), 0);
	assert_string_equal(b.data, "a%20b%2Bc%2Fd%3D%C3%A9~");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_values),
		cmocka_unit_test(test_url_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
