/*
 * Unit tests of the API's time formats: ISO-8601 and US parsing, accepted
 * and refused; ISO-8601 and RFC 5322 output; civil date arithmetic; the
 * test clock offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/clock.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* 2013-09-07T13:37:00Z and its midnight, the dates most cases use. */
#define T1337	INT64_C(1378561020000)
#define T0000	INT64_C(1378512000000)

static void
test_parse_accepted(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 ms;
	} ok[] = {
		/* ISO-8601, read as UTC without a zone */
		{ "2013-09-07T13:37:00", T1337 },
		{ "2013-09-07T13:37:00Z", T1337 },
		{ "2013-09-07t13:37:00z", T1337 },
		{ "2013-09-07T13:37:00.000Z", T1337 },
		{ "2013-09-07T13:37:00.5Z", T1337 + 500 },
		{ "2013-09-07T13:37:00.5", T1337 + 500 },
		{ "2013-09-07T13:37:00,25Z", T1337 + 250 },
		{ "2013-09-07T13:37:00.123Z", T1337 + 123 },
		{ "2013-09-07T13:37:00.123456789Z", T1337 + 123 },
		{ "2013-09-07T13:37:00.999Z", T1337 + 999 },
		{ "2013-09-07T13:37", T1337 },
		{ "2013-09-07T13:37Z", T1337 },
		{ "2013-09-07 13:37:00", T1337 },
		{ "2013-09-07", T0000 },
		{ "2013-09-07T00:00:00", T0000 },
		{ "2013-09-07T23:59:59.999Z", T0000 + 86399999 },
		/* offsets */
		{ "2013-09-07T15:37:00+02:00", T1337 },
		{ "2013-09-07T15:37:00+0200", T1337 },
		{ "2013-09-07T12:07:00-0130", T1337 },
		{ "2013-09-07T12:07:00-01:30", T1337 },
		{ "2013-09-07T13:37:00+00:00", T1337 },
		{ "2013-09-07T13:37:00-0000", T1337 },
		{ "2013-09-07T13:37:00.5+01:00", T1337 - 3600000 + 500 },
		{ "2013-09-07T13:37:00+14:00", INT64_C(1378510620000) },
		{ "2013-09-07T13:37:00-23:59", INT64_C(1378647360000) },
		{ "2013-09-08T00:30:00+11:00", T0000 + 13 * 3600000 + 1800000 },
		/* US, as in Trustpilot's documentation */
		{ "09/07/2013 13:37:00", T1337 },
		{ "9/7/2013 13:37:00", T1337 },
		{ "9/7/2013 13:37", T1337 },
		{ "9/7/2013 1:37:00 PM", T1337 },
		{ "9/7/2013 01:37:00 pm", T1337 },
		{ "9/7/2013 1:37 PM", T1337 },
		{ "9/7/2013 12:00:00 AM", T0000 },
		{ "9/7/2013 12:00:00 am", T0000 },
		{ "9/7/2013 12:30:00 PM", INT64_C(1378557000000) },
		{ "9/7/2013 11:59:59 PM", T0000 + 86399000 },
		{ "9/7/2013", T0000 },
		{ "09/07/2013", T0000 },
		{ "12/31/1999 23:59:59", INT64_C(946684799000) },
		{ "1/1/2000", INT64_C(946684800000) },
		/* leap days: every 4 years, not every 100, every 400 */
		{ "2024-02-29T00:00:00Z", INT64_C(1709164800000) },
		{ "2024-02-29", INT64_C(1709164800000) },
		{ "02/29/2024", INT64_C(1709164800000) },
		{ "2000-02-29", INT64_C(951782400000) },
		/* the edges of the years that can be formatted */
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59.999Z", -1 },
		{ "0001-01-01", INT64_C(-62135596800000) },
		{ "9999-12-31T23:59:59.999Z", INT64_C(253402300799999) },
		{ "1600-03-01", INT64_C(-11670912000000) },
	};
	int64_t	 ms;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		ms = INT64_C(42);
		if (clock_parse(ok[i].in, &ms) != 0)
			fail_msg("refused: \"%s\"", ok[i].in);
		if (ms != ok[i].ms)
			fail_msg("\"%s\": got %lld, want %lld", ok[i].in,
			    (long long)ms, (long long)ok[i].ms);
	}
}

static void
test_parse_refused(void **state)
{
	static const char *const bad[] = {
		"", " ", "yesterday", "now", "0",
		/* dates out of range */
		"2013-13-01", "2013-00-10", "2013-09-00", "2013-09-31",
		"2013-04-31", "2013-02-29", "2023-02-29", "1900-02-29",
		"2100-02-29", "0000-01-01", "2013-09-32",
		/* times out of range */
		"2013-09-07T25:00", "2013-09-07T24:00:00", "2013-09-07T13:60",
		"2013-09-07T13:37:60", "2013-09-07T13:37:99Z",
		/* shapes */
		"2013-9-7", "2013-09-7", "13-09-07", "20130907", "2013/09/07",
		"+2013-09-07", "-2013-09-07", " 2013-09-07", "2013-09-07 ",
		"2013-09-07T", "2013-09-07T13", "2013-09-07T13:3",
		"2013-09-07T1:37", "2013-09-07T13:37:0", "2013-09-07T13:37:",
		"2013-09-07X13:37", "2013-09-07T13:37:00.",
		"2013-09-07T13:37:00.Z", "2013-09-07T13:37:00.1234567890Z",
		"2013-09-07T13:37.5", "2013-09-07T13:37:00 Z",
		"13:37:00", "T13:37:00",
		/* trailing garbage */
		"2013-09-07T13:37:00Zjunk", "2013-09-07T13:37:00ZZ",
		"2013-09-07x", "2013-09-07T13:37:00+02:00x",
		"2013-09-07T13:37:00\n",
		/* zones */
		"2013-09-07T13:37:00+", "2013-09-07T13:37:00+2",
		"2013-09-07T13:37:00+0:00", "2013-09-07T13:37:00+02:0",
		"2013-09-07T13:37:00+24:00", "2013-09-07T13:37:00+02:60",
		"2013-09-07T13:37:00+02:00:00", "2013-09-07T13:37:00UTC",
		"2013-09-07T13:37:00 +02:00",
		/* US */
		"13/07/2013", "9/31/2013", "02/29/2023", "9/7/13",
		"123/7/2013", "9/7/20133", "9//2013", "/7/2013", "9/7/2013 ",
		"9/7/2013T13:37", "9/7/2013 13:37Z", "9/7/2013 13:00:00 PM",
		"9/7/2013 0:30:00 AM", "9/7/2013 1:37:00 Pm",
		"9/7/2013 1:37:00 PMx", "9/7/2013 1:37:00  PM",
		"9/7/2013 1:37:00 P", "9/7/2013 1:3", "9/7/2013 1",
		"9/7/2013 24:00", "9/7/2013 1:37:60",
	};
	int64_t	 ms;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		/* the output is written only on success */
		ms = INT64_C(42);
		if (clock_parse(bad[i], &ms) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_int_equal(ms, 42);
	}
}

static void
test_format(void **state)
{
	static const struct {
		int64_t		 ms;
		const char	*want;		/* NULL: refused */
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ 1, "1970-01-01T00:00:00.001Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
		{ INT64_C(-86400000), "1969-12-31T00:00:00.000Z" },
		{ INT64_C(-86400001), "1969-12-30T23:59:59.999Z" },
		{ T1337, "2013-09-07T13:37:00.000Z" },
		{ T1337 + 123, "2013-09-07T13:37:00.123Z" },
		{ INT64_C(1709164800000), "2024-02-29T00:00:00.000Z" },
		{ INT64_C(951782400000), "2000-02-29T00:00:00.000Z" },
		{ INT64_C(-62135596800000), "0001-01-01T00:00:00.000Z" },
		{ INT64_C(253402300799999), "9999-12-31T23:59:59.999Z" },
		/* outside years 0001..9999 */
		{ INT64_C(-62135596800001), NULL },
		{ INT64_C(253402300800000), NULL },
		{ INT64_MIN, NULL },
		{ INT64_MAX, NULL },
	};
	char	 iso[CLOCK_ISO_LEN];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		if (cases[i].want == NULL) {
			assert_int_equal(clock_format(cases[i].ms, iso), -1);
			continue;
		}
		memset(iso, 'x', sizeof(iso));
		assert_int_equal(clock_format(cases[i].ms, iso), 0);
		assert_string_equal(iso, cases[i].want);
		assert_int_equal(strlen(iso), CLOCK_ISO_LEN - 1);
	}
}

static void
test_round_trip(void **state)
{
	static const int64_t values[] = { 0, 1, -1, 999, -999,
	    INT64_C(86399999), INT64_C(-86400001), T1337, T1337 + 123,
	    INT64_C(951782400000), INT64_C(1709164800000),
	    INT64_C(1709251199999), INT64_C(4102444800000),
	    INT64_C(-62135596800000), INT64_C(253402300799999),
	    INT64_C(-11670912000000), INT64_C(1234567890123) };
	char	 iso[CLOCK_ISO_LEN];
	int64_t	 back;
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(values); i++) {
		assert_int_equal(clock_format(values[i], iso), 0);
		back = 0;
		assert_int_equal(clock_parse(iso, &back), 0);
		assert_int_equal(back, values[i]);
	}
}

static void
test_format_rfc5322(void **state)
{
	static const struct {
		int64_t		 ms;
		const char	*want;		/* NULL: refused */
	} cases[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
		{ -1, "Wed, 31 Dec 1969 23:59:59 +0000" },
		{ T1337, "Sat, 07 Sep 2013 13:37:00 +0000" },
		{ T1337 + 999, "Sat, 07 Sep 2013 13:37:00 +0000" },
		{ INT64_C(1709164800000), "Thu, 29 Feb 2024 00:00:00 +0000" },
		{ INT64_C(253402300799999), "Fri, 31 Dec 9999 23:59:59 +0000" },
		{ INT64_C(-62135596800000), "Mon, 01 Jan 0001 00:00:00 +0000" },
		{ INT64_C(253402300800000), NULL },
		{ INT64_C(-62135596800001), NULL },
	};
	char	 date[CLOCK_RFC5322_LEN];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		if (cases[i].want == NULL) {
			assert_int_equal(clock_format_rfc5322(cases[i].ms,
			    date), -1);
			continue;
		}
		assert_int_equal(clock_format_rfc5322(cases[i].ms, date), 0);
		assert_string_equal(date, cases[i].want);
	}
}

static void
test_days_from_civil(void **state)
{
	static const struct {
		int64_t		 y;
		unsigned	 m, d;
		int64_t		 days;
	} cases[] = {
		{ 1970, 1, 1, 0 },
		{ 1969, 12, 31, -1 },
		{ 1970, 3, 1, 59 },
		{ 2000, 2, 29, 11016 },
		{ 2000, 3, 1, 11017 },
		{ 2013, 9, 7, 15955 },
		{ 2100, 3, 1, 47541 },
		{ 1600, 3, 1, -135080 },
		{ 1, 1, 1, -719162 },
		{ 9999, 12, 31, 2932896 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		assert_int_equal(clock_days_from_civil(cases[i].y, cases[i].m,
		    cases[i].d), cases[i].days);
	/* consecutive days across month, leap and year ends */
	assert_int_equal(clock_days_from_civil(2024, 3, 1) -
	    clock_days_from_civil(2024, 2, 28), 2);
	assert_int_equal(clock_days_from_civil(2023, 3, 1) -
	    clock_days_from_civil(2023, 2, 28), 1);
	assert_int_equal(clock_days_from_civil(2014, 1, 1) -
	    clock_days_from_civil(2013, 1, 1), 365);
}

static void
test_offset(void **state)
{
	static const int64_t offsets[] = { INT64_C(86400000),
	    INT64_C(-3600000), INT64_C(30) * 86400000, 0 };
	int64_t	 before, now;
	size_t	 i;

	(void)state;
	assert_int_equal(clock_offset_ms(), 0);
	for (i = 0; i < NELEM(offsets); i++) {
		before = clock_now_ms();
		clock_set_offset_ms(offsets[i]);
		assert_int_equal(clock_offset_ms(), offsets[i]);
		now = clock_now_ms();
		/* moved by the offset, give or take a slow machine */
		assert_true(now - before >= offsets[i]);
		assert_true(now - before < offsets[i] + 60000);
		clock_set_offset_ms(0);
	}
	before = clock_now_ms();
	assert_true(before > INT64_C(1700000000000));
}

/* Leaves the clock as found, whatever a test did. */
static int
reset_offset(void **state)
{
	(void)state;
	clock_set_offset_ms(0);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepted),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_format_rfc5322),
		cmocka_unit_test(test_days_from_civil),
		cmocka_unit_test_teardown(test_offset, reset_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
