/*
 * Unit tests of the API's time formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/clock.h"

static void
test_parse(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 ms;
	} ok[] = {
		{ "2013-09-07T13:37:00", INT64_C(1378561020000) },
		{ "2013-09-07T13:37:00Z", INT64_C(1378561020000) },
		{ "2013-09-07T13:37:00.000Z", INT64_C(1378561020000) },
		{ "2013-09-07T13:37:00.5Z", INT64_C(1378561020500) },
		{ "2013-09-07T15:37:00+02:00", INT64_C(1378561020000) },
		{ "2013-09-07T12:07:00-0130", INT64_C(1378561020000) },
		{ "2013-09-07 13:37:00", INT64_C(1378561020000) },
		{ "2013-09-07", INT64_C(1378512000000) },
		{ "09/07/2013 13:37:00", INT64_C(1378561020000) },
		{ "9/7/2013 1:37:00 PM", INT64_C(1378561020000) },
		{ "9/7/2013 12:00:00 AM", INT64_C(1378512000000) },
		{ "2024-02-29T00:00:00Z", INT64_C(1709164800000) },
		{ "1970-01-01T00:00:00Z", 0 },
	};
	static const char *const bad[] = { "", "2013-13-01", "2013-09-31",
	    "2013-09-07T25:00:00", "2013-09-07T13:60", "2013-9-7",
	    "2013-09-07T13:37:00Zjunk", "2023-02-29", "13/07/2013",
	    "9/7/2013 13:00:00 PM", "yesterday", "2013-09-07T13" };
	int64_t	 ms;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(clock_parse(ok[i].in, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(clock_parse(bad[i], &ms), -1);
}

static void
test_format(void **state)
{
	char		 iso[CLOCK_ISO_LEN], date[CLOCK_RFC5322_LEN];
	int64_t		 values[] = { 0, INT64_C(1378561020123),
			    INT64_C(-86400001), INT64_C(1709164800000) };
	int64_t		 back;
	size_t		 i;

	(void)state;
	assert_int_equal(clock_format(0, iso), 0);
	assert_string_equal(iso, "1970-01-01T00:00:00.000Z");
	assert_int_equal(clock_format(INT64_C(-1), iso), 0);
	assert_string_equal(iso, "1969-12-31T23:59:59.999Z");
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		assert_int_equal(clock_format(values[i], iso), 0);
		assert_int_equal(clock_parse(iso, &back), 0);
		assert_int_equal(back, values[i]);
	}
	assert_int_equal(clock_format_rfc5322(INT64_C(1378561020000), date), 0);
	assert_string_equal(date, "Sat, 07 Sep 2013 13:37:00 +0000");
	assert_int_equal(clock_days_from_civil(2000, 3, 1), 11017);
}

static void
test_offset(void **state)
{
	int64_t	 before = clock_now_ms();

	(void)state;
	clock_set_offset_ms(INT64_C(86400000));
	assert_true(clock_now_ms() - before >= INT64_C(86400000));
	clock_set_offset_ms(0);
	assert_true(clock_now_ms() - before < INT64_C(60000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
