/*
 * Unit tests of the strict JSON field readers: required and optional,
 * wrong types, ranges, lengths in code points, control characters, unknown
 * keys; every refusal a 400 naming the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/json.h"
#include "reviewd/utf8.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The object of a JSON text; the test fails when it does not parse. */
static json_t *
load(const char *text)
{
	json_error_t	 jerr;
	json_t		*o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (o == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return o;
}

/* err holds exactly one detail: status 400, field, reason. */
static void
check_err(const struct api_error *err, const char *field, const char *reason)
{
	assert_int_equal(err->status, 400);
	assert_int_equal(err->ndetails, 1);
	assert_string_equal(err->details[0].field, field);
	assert_string_equal(err->details[0].reason, reason);
}

static void
test_read_string(void **state)
{
	static const struct {
		const char	*json;
		bool		 required;
		size_t		 min, max;
		const char	*want;		/* NULL: *out is NULL */
		const char	*reason;	/* NULL: accepted */
	} cases[] = {
		{ "{\"v\": \"Ann\"}", true, 1, 200, "Ann", NULL },
		{ "{\"v\": \"Ann\"}", false, 0, 3, "Ann", NULL },
		{ "{\"v\": \"\"}", true, 0, 10, "", NULL },
		{ "{\"v\": \"\"}", true, 1, 10, NULL, "must not be empty" },
		{ "{\"v\": \"\"}", false, 1, 10, NULL, "must not be empty" },
		{ "{\"v\": \"ab\"}", true, 3, 10, NULL,
		    "must be at least 3 characters" },
		{ "{\"v\": \"abc\"}", true, 3, 3, "abc", NULL },
		{ "{\"v\": \"abcd\"}", true, 1, 3, NULL,
		    "must be at most 3 characters" },
		/* lengths count code points, not bytes */
		{ "{\"v\": \"\xc3\xa6\xc3\xa6\"}", true, 2, 2,
		    "\xc3\xa6\xc3\xa6", NULL },
		{ "{\"v\": \"\\u00e6\\u00e6\"}", true, 1, 2,
		    "\xc3\xa6\xc3\xa6", NULL },
		{ "{\"v\": \"\xc3\xa6\xc3\xa6\"}", true, 1, 1, NULL,
		    "must be at most 1 characters" },
		{ "{\"v\": \"\xc3\xa6\xc3\xa6\"}", true, 3, 10, NULL,
		    "must be at least 3 characters" },
		{ "{\"v\": \"\xe6\x97\xa5\xe6\x9c\xac\"}", true, 2, 2,
		    "\xe6\x97\xa5\xe6\x9c\xac", NULL },
		{ "{\"v\": \"\\ud83d\\ude00\"}", true, 1, 1,
		    "\xf0\x9f\x98\x80", NULL },
		/* line breaks and tabs are text; other controls are not */
		{ "{\"v\": \"a\\nb\\r\\nc\\td\"}", true, 1, 100,
		    "a\nb\r\nc\td", NULL },
		{ "{\"v\": \"a\\u0001b\"}", true, 1, 100, NULL,
		    "must not contain control characters" },
		{ "{\"v\": \"\\u001b[0m\"}", true, 1, 100, NULL,
		    "must not contain control characters" },
		{ "{\"v\": \"a\\u007f\"}", true, 1, 100, NULL,
		    "must not contain control characters" },
		{ "{\"v\": \"a\\fb\"}", true, 1, 100, NULL,
		    "must not contain control characters" },
		{ "{\"v\": \"a\\bb\"}", true, 1, 100, NULL,
		    "must not contain control characters" },
		{ "{\"v\": \"a\\u0085b\"}", true, 1, 100, NULL,
		    "must not contain control characters" },
		{ "{\"v\": \"a\\u00a0b\"}", true, 1, 100,
		    "a\xc2\xa0" "b", NULL },
		/* wrong types */
		{ "{\"v\": 5}", true, 0, 10, NULL, "must be a string" },
		{ "{\"v\": 5}", false, 0, 10, NULL, "must be a string" },
		{ "{\"v\": 1.5}", true, 0, 10, NULL, "must be a string" },
		{ "{\"v\": true}", true, 0, 10, NULL, "must be a string" },
		{ "{\"v\": []}", true, 0, 10, NULL, "must be a string" },
		{ "{\"v\": [\"a\"]}", true, 0, 10, NULL, "must be a string" },
		{ "{\"v\": {}}", true, 0, 10, NULL, "must be a string" },
		/* absent or null */
		{ "{}", true, 0, 10, NULL, "is required" },
		{ "{\"v\": null}", true, 0, 10, NULL, "is required" },
		{ "{\"w\": \"x\"}", true, 0, 10, NULL, "is required" },
		{ "{}", false, 1, 10, NULL, NULL },
		{ "{\"v\": null}", false, 1, 10, NULL, NULL },
	};
	static const char sentinel[] = "unset";
	struct api_error	 err;
	const char		*out;
	json_t			*o;
	size_t			 i;
	int			 r;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		o = load(cases[i].json);
		memset(&err, 0, sizeof(err));
		out = sentinel;
		r = json_read_string(o, "v", cases[i].required, cases[i].min,
		    cases[i].max, &out, &err);
		if (cases[i].reason != NULL) {
			assert_int_equal(r, -1);
			check_err(&err, "v", cases[i].reason);
			assert_null(out);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(err.status, 0);
			assert_int_equal(err.ndetails, 0);
			if (cases[i].want == NULL)
				assert_null(out);
			else
				assert_string_equal(out, cases[i].want);
		}
		json_decref(o);
	}
}

/* Strings with a NUL inside cannot pass as shorter C strings. */
static void
test_read_string_nul(void **state)
{
	struct api_error	 err;
	const char		*out = NULL;
	json_t			*o;

	(void)state;
	o = json_pack("{s:s#}", "v", "ab\0cd", (int)5);
	assert_non_null(o);
	assert_int_equal(json_string_length(json_object_get(o, "v")), 5);
	memset(&err, 0, sizeof(err));
	assert_int_equal(json_read_string(o, "v", true, 0, 100, &out, &err),
	    -1);
	check_err(&err, "v", "must not contain control characters");
	assert_null(out);
	json_decref(o);
}

static void
test_read_int(void **state)
{
	static const struct {
		const char	*json;
		bool		 required;
		int64_t		 min, max;
		int64_t		 want;		/* 42: left unchanged */
		const char	*reason;	/* NULL: accepted */
	} cases[] = {
		{ "{\"v\": 5}", true, 1, 10, 5, NULL },
		{ "{\"v\": 1}", true, 1, 10, 1, NULL },
		{ "{\"v\": 10}", false, 1, 10, 10, NULL },
		{ "{\"v\": 0}", true, 0, 0, 0, NULL },
		{ "{\"v\": -3}", true, -5, 5, -3, NULL },
		{ "{\"v\": 0}", true, 1, 10, 42, "must be from 1 to 10" },
		{ "{\"v\": 11}", true, 1, 10, 42, "must be from 1 to 10" },
		{ "{\"v\": -1}", false, 0, 100, 42, "must be from 0 to 100" },
		{ "{\"v\": 9223372036854775807}", true, INT64_MIN, INT64_MAX,
		    INT64_MAX, NULL },
		{ "{\"v\": -9223372036854775808}", true, INT64_MIN, INT64_MAX,
		    INT64_MIN, NULL },
		{ "{\"v\": 9223372036854775807}", true, 0, 1000, 42,
		    "must be from 0 to 1000" },
		/* wrong types: a real with no fraction is not an integer */
		{ "{\"v\": 5.0}", true, 1, 10, 42, "must be an integer" },
		{ "{\"v\": 1e2}", true, 1, 1000, 42, "must be an integer" },
		{ "{\"v\": \"5\"}", true, 1, 10, 42, "must be an integer" },
		{ "{\"v\": true}", true, 0, 10, 42, "must be an integer" },
		{ "{\"v\": [5]}", false, 0, 10, 42, "must be an integer" },
		{ "{\"v\": {}}", true, 0, 10, 42, "must be an integer" },
		/* absent or null */
		{ "{}", true, 0, 10, 42, "is required" },
		{ "{\"v\": null}", true, 0, 10, 42, "is required" },
		{ "{}", false, 0, 10, 42, NULL },
		{ "{\"v\": null}", false, 0, 10, 42, NULL },
	};
	struct api_error	 err;
	int64_t			 out;
	json_t			*o;
	size_t			 i;
	int			 r;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		o = load(cases[i].json);
		memset(&err, 0, sizeof(err));
		out = 42;
		r = json_read_int(o, "v", cases[i].required, cases[i].min,
		    cases[i].max, &out, &err);
		if (cases[i].reason != NULL) {
			assert_int_equal(r, -1);
			check_err(&err, "v", cases[i].reason);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(err.status, 0);
		}
		assert_int_equal(out, cases[i].want);
		json_decref(o);
	}
}

static void
test_read_bool(void **state)
{
	static const struct {
		const char	*json;
		bool		 required;
		int		 want;		/* -1: left unchanged */
		const char	*reason;	/* NULL: accepted */
	} cases[] = {
		{ "{\"v\": true}", true, 1, NULL },
		{ "{\"v\": false}", true, 0, NULL },
		{ "{\"v\": false}", false, 0, NULL },
		{ "{\"v\": \"true\"}", true, -1, "must be true or false" },
		{ "{\"v\": 1}", true, -1, "must be true or false" },
		{ "{\"v\": 0}", false, -1, "must be true or false" },
		{ "{\"v\": []}", true, -1, "must be true or false" },
		{ "{}", true, -1, "is required" },
		{ "{\"v\": null}", true, -1, "is required" },
		{ "{}", false, -1, NULL },
		{ "{\"v\": null}", false, -1, NULL },
	};
	struct api_error	 err;
	bool			 out, unset;
	json_t			*o;
	size_t			 i, k;
	int			 r;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		/* both starting values, to see "unchanged" either way */
		for (k = 0; k < 2; k++) {
			unset = k == 1;
			o = load(cases[i].json);
			memset(&err, 0, sizeof(err));
			out = unset;
			r = json_read_bool(o, "v", cases[i].required, &out,
			    &err);
			if (cases[i].reason != NULL) {
				assert_int_equal(r, -1);
				check_err(&err, "v", cases[i].reason);
			} else {
				assert_int_equal(r, 0);
				assert_int_equal(err.status, 0);
			}
			if (cases[i].want == -1)
				assert_int_equal(out, unset);
			else
				assert_int_equal(out, cases[i].want == 1);
			json_decref(o);
		}
	}
}

static void
test_only_keys(void **state)
{
	static const char *const allowed[] = { "name", "email", "locale",
	    NULL };
	static const char *const none[] = { NULL };
	struct api_error	 err;
	json_t			*o;
	bool			 saw_x, saw_y;
	size_t			 i;

	(void)state;
	/* all known, some or none present */
	o = json_pack("{s:s, s:s}", "name", "Ann", "email", "a@b.co");
	assert_non_null(o);
	memset(&err, 0, sizeof(err));
	assert_int_equal(json_only_keys(o, allowed, &err), 0);
	assert_int_equal(err.status, 0);
	json_decref(o);
	o = json_object();
	assert_non_null(o);
	assert_int_equal(json_only_keys(o, allowed, &err), 0);
	assert_int_equal(json_only_keys(o, none, &err), 0);
	assert_int_equal(err.status, 0);
	json_decref(o);

	/* one unknown key */
	o = json_pack("{s:s, s:i}", "name", "Ann", "Name", 1);
	assert_non_null(o);
	memset(&err, 0, sizeof(err));
	assert_int_equal(json_only_keys(o, allowed, &err), -1);
	check_err(&err, "Name", "is not a known field");
	json_decref(o);

	/* every unknown key is reported */
	o = json_pack("{s:s, s:n, s:b}", "name", "Ann", "x", "y", 1);
	assert_non_null(o);
	memset(&err, 0, sizeof(err));
	assert_int_equal(json_only_keys(o, allowed, &err), -1);
	assert_int_equal(err.status, 400);
	assert_int_equal(err.ndetails, 2);
	saw_x = saw_y = false;
	for (i = 0; i < err.ndetails; i++) {
		assert_string_equal(err.details[i].reason,
		    "is not a known field");
		if (strcmp(err.details[i].field, "x") == 0)
			saw_x = true;
		if (strcmp(err.details[i].field, "y") == 0)
			saw_y = true;
	}
	assert_true(saw_x && saw_y);
	json_decref(o);

	/* nothing allowed */
	o = json_pack("{s:i}", "name", 1);
	assert_non_null(o);
	memset(&err, 0, sizeof(err));
	assert_int_equal(json_only_keys(o, none, &err), -1);
	check_err(&err, "name", "is not a known field");
	json_decref(o);
}

/* A handler reads every field, then reports all bad ones at once. */
static void
test_several_fields(void **state)
{
	struct api_error	 err;
	const char		*name = NULL, *domain = NULL, *locale = NULL;
	int64_t			 stars = 0;
	bool			 flag = false;
	json_t			*o;

	(void)state;
	o = json_pack("{s:s, s:i, s:s, s:b}", "name", "", "stars", 6,
	    "locale", "da-DK", "flag", 1);
	assert_non_null(o);
	memset(&err, 0, sizeof(err));
	assert_int_equal(json_read_string(o, "name", true, 1, 200, &name,
	    &err), -1);
	assert_int_equal(json_read_string(o, "domain", true, 1, 253, &domain,
	    &err), -1);
	assert_int_equal(json_read_int(o, "stars", true, 1, 5, &stars, &err),
	    -1);
	assert_int_equal(json_read_string(o, "locale", false, 2, 10, &locale,
	    &err), 0);
	assert_int_equal(json_read_bool(o, "flag", false, &flag, &err), 0);
	assert_int_equal(err.status, 400);
	assert_int_equal(err.ndetails, 3);
	assert_string_equal(err.details[0].field, "name");
	assert_string_equal(err.details[0].reason, "must not be empty");
	assert_string_equal(err.details[1].field, "domain");
	assert_string_equal(err.details[1].reason, "is required");
	assert_string_equal(err.details[2].field, "stars");
	assert_string_equal(err.details[2].reason, "must be from 1 to 5");
	/* the good fields were still read */
	assert_string_equal(locale, "da-DK");
	assert_true(flag);
	assert_null(name);
	assert_null(domain);
	assert_int_equal(stars, 0);
	json_decref(o);
}

static void
test_utf8_length(void **state)
{
	static const struct {
		const char	*s;
		size_t		 want;
	} cases[] = {
		{ "", 0 },
		{ "abc", 3 },
		{ "\xc3\xa6\xc3\xa6", 2 },
		{ "a\xc3\xa9z", 3 },
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3 },
		{ "\xf0\x9f\x98\x80", 1 },
		{ "a\xc3\xa9\xf0\x9f\x98\x80", 3 },
		{ "\n\t", 2 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		assert_int_equal(utf8_length(cases[i].s), cases[i].want);
}

static void
test_utf8_valid(void **state)
{
	static const struct {
		const char	*s;
		bool		 want;
	} cases[] = {
		{ "", true },
		{ "plain", true },
		{ "M\xc3\xbcller", true },
		{ "\xe6\x97\xa5\xe6\x9c\xac", true },
		{ "\xf0\x9f\x98\x80", true },
		{ "\xf4\x8f\xbf\xbf", true },	/* U+10FFFF */
		{ "M\xfcller", false },		/* Latin-1 */
		{ "\x80", false },			/* stray continuation */
		{ "\xc3", false },			/* cut short */
		{ "\xe6\x97", false },
		{ "\xc0\xaf", false },		/* overlong '/' */
		{ "\xe0\x80\xaf", false },
		{ "\xed\xa0\x80", false },		/* surrogate */
		{ "\xf4\x90\x80\x80", false },	/* above U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", false },
		{ "\xff", false },
	};
	static const char ascii[] = "abcdefghijklmnopq";
	char	 text[64];
	size_t	 i, at;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		if (utf8_valid(cases[i].s) != cases[i].want)
			fail_msg("case %zu", i);
		/* none of the cases has a control character */
		if (utf8_line(cases[i].s) != cases[i].want)
			fail_msg("line case %zu", i);
		/* at every offset in ASCII, so that the case falls in, and
		 * across the end of, the eight-byte steps */
		for (at = 0; at < 17; at++) {
			snprintf(text, sizeof(text), "%.*s%s%.*s", (int)at,
			    ascii, cases[i].s, 17, ascii);
			if (utf8_valid_len(text, strlen(text)) !=
			    cases[i].want)
				fail_msg("case %zu at %zu", i, at);
		}
	}
	/* only the len bytes count; a NUL ends them, as the contract asks
	 * (the byte after it is not read) */
	{
		char	 t[] = "abcdefgh\0\xff";

		assert_true(utf8_valid_len(t, 8));
	}
	assert_false(utf8_valid_len("abcdefgh\xc3", 9));
	assert_false(utf8_line("a\nb"));
	assert_false(utf8_line("a\tb"));
	assert_false(utf8_line("a\x7f"));
	assert_false(utf8_line("\x1b[31m"));
	assert_false(utf8_line("a\xc2\x85" "b"));		/* NEL */
	assert_false(utf8_line("a\xe2\x80\xa8" "b"));	/* U+2028 */
	assert_false(utf8_line("a\xe2\x80\xa9" "b"));	/* U+2029 */
	assert_true(utf8_line("a\xe2\x80\x94" "b"));	/* an em dash */
	assert_true(utf8_line("M\xc3\xbcller & Co."));
}

static void
test_utf8_cut(void **state)
{
	static const struct {
		const char	*s, *want;
	} cases[] = {
		{ "", "" },
		{ "abc", "abc" },
		{ "a\xc3\xa9", "a\xc3\xa9" },
		{ "a\xc3", "a" },
		{ "a\xe6\x97", "a" },
		{ "a\xe6", "a" },
		{ "a\xf0\x9f\x98", "a" },
		{ "a\xf0\x9f\x98\x80", "a\xf0\x9f\x98\x80" },
		{ "\xc3", "" },
	};
	char	 s[16];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		snprintf(s, sizeof(s), "%s", cases[i].s);
		utf8_cut(s);
		assert_string_equal(s, cases[i].want);
	}
}

/* The writer's text parses back to what jansson makes of the same values,
 * byte for byte once both are dumped compactly. */
static void
test_writer_matches_jansson(void **state)
{
	static const char *const texts[] = { "", "plain", "quote \" slash \\",
	    "line\nfeed\ttab\rret\b\f", "\x01\x1f\x7f", "M\xc3\xbcller",
	    "\xe6\x97\xa5 \xf0\x9f\x98\x80", "</script>" };
	struct buf		 b;
	struct json_writer	 w;
	json_t			*want, *got, *arr;
	json_error_t		 jerr;
	char			*dumped;
	size_t			 i;

	(void)state;
	buf_init(&b, 4096);
	json_writer_init(&w, &b);
	json_writer_object(&w, NULL);
	json_writer_array(&w, "texts");
	for (i = 0; i < NELEM(texts); i++)
		json_writer_string(&w, NULL, texts[i]);
	json_writer_end(&w);
	json_writer_int(&w, "big", INT64_MAX);
	json_writer_int(&w, "neg", -42);
	json_writer_bool(&w, "yes", true);
	json_writer_bool(&w, "no", false);
	json_writer_null(&w, "none");
	json_writer_string(&w, "alsoNone", NULL);
	json_writer_raw(&w, "raw", "[{\"a\":1}]");
	json_writer_object(&w, "empty");
	json_writer_end(&w);
	json_writer_time(&w, "at", 1764460800123);
	json_writer_end(&w);
	assert_int_equal(json_writer_finish(&w), 0);
	got = json_loads(b.data, 0, &jerr);
	assert_non_null(got);
	arr = json_array();
	for (i = 0; i < NELEM(texts); i++)
		json_array_append_new(arr, json_string(texts[i]));
	want = json_pack("{s:o, s:I, s:i, s:b, s:b, s:n, s:n, s:[{s:i}], "
	    "s:{}, s:s}", "texts", arr, "big", (json_int_t)INT64_MAX, "neg",
	    -42,
	    "yes", 1, "no", 0, "none", "alsoNone", "raw", "a", 1, "empty",
	    "at", "2025-11-30T00:00:00.123Z");
	assert_true(json_equal(want, got));
	dumped = json_dumps(want, JSON_COMPACT);
	assert_string_equal(dumped, b.data);
	free(dumped);
	json_decref(want);
	json_decref(got);
	buf_release(&b);
}

/* Each byte that needs escaping, and multibyte text, at every place in
 * and around the 8-byte words the writer scans at a time, as jansson
 * writes it; and the extreme integers. */
static void
test_writer_words(void **state)
{
	static const char *const special[] = { "\"", "\\", "\n", "\x01",
	    "\x1f", " ", "\x7f", "\xc3\xbc", "\xe6\x97\xa5",
	    "\xf0\x9f\x98\x80" };
	struct buf		 b;
	struct json_writer	 w;
	json_t			*j;
	char			 text[64], *dumped;
	size_t			 i, at, n;

	(void)state;
	buf_init(&b, 4096);
	for (i = 0; i < NELEM(special); i++) {
		for (at = 0; at < 20; at++) {
			n = strlen(special[i]);
			memset(text, 'a', sizeof(text));
			memcpy(text + at, special[i], n);
			text[at + n + at % 11] = '\0';
			buf_reset(&b);
			json_writer_init(&w, &b);
			json_writer_string(&w, NULL, text);
			assert_int_equal(json_writer_finish(&w), 0);
			j = json_string(text);
			assert_non_null(j);
			dumped = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
			assert_string_equal(b.data, dumped);
			free(dumped);
			json_decref(j);
		}
	}
	buf_reset(&b);
	json_writer_init(&w, &b);
	json_writer_array(&w, NULL);
	json_writer_int(&w, NULL, INT64_MIN);
	json_writer_int(&w, NULL, 0);
	json_writer_int(&w, NULL, 7);
	json_writer_end(&w);
	assert_string_equal(b.data, "[-9223372036854775808,0,7]");
	buf_release(&b);
}

static void
test_writer_refuses_misuse_and_repairs_text(void **state)
{
	struct buf		 b;
	struct json_writer	 w;

	(void)state;
	/* text that is not UTF-8: each bad byte becomes U+FFFD */
	buf_init(&b, 64);
	json_writer_init(&w, &b);
	json_writer_string(&w, NULL, "a\xff\xc3(b");
	assert_int_equal(json_writer_finish(&w), 0);
	assert_string_equal(b.data, "\"a\xef\xbf\xbd\xef\xbf\xbd(b\"");
	buf_release(&b);
	/* a key in an array, no key in an object, two top-level values,
	 * an unclosed object, one end too many */
	buf_init(&b, 64);
	json_writer_init(&w, &b);
	json_writer_array(&w, NULL);
	json_writer_int(&w, "k", 1);
	assert_int_equal(json_writer_finish(&w), -1);
	buf_reset(&b);
	json_writer_init(&w, &b);
	json_writer_object(&w, NULL);
	json_writer_int(&w, NULL, 1);
	assert_int_equal(json_writer_finish(&w), -1);
	buf_reset(&b);
	json_writer_init(&w, &b);
	json_writer_int(&w, NULL, 1);
	json_writer_int(&w, NULL, 2);
	assert_int_equal(json_writer_finish(&w), -1);
	buf_reset(&b);
	json_writer_init(&w, &b);
	json_writer_object(&w, NULL);
	assert_int_equal(json_writer_finish(&w), -1);
	json_writer_end(&w);
	json_writer_end(&w);
	assert_int_equal(json_writer_finish(&w), -1);
	buf_release(&b);
	/* the buf's cap: refused, not cut */
	buf_init(&b, 8);
	json_writer_init(&w, &b);
	json_writer_string(&w, NULL, "longer than eight");
	assert_int_equal(json_writer_finish(&w), -1);
	buf_release(&b);
}

static void
test_link_and_time(void **state)
{
	json_t	*o, *l;

	(void)state;
	l = json_link("https://x.example/v1/a", "GET", "self");
	assert_non_null(l);
	assert_string_equal(json_string_value(json_object_get(l, "href")),
	    "https://x.example/v1/a");
	assert_string_equal(json_string_value(json_object_get(l, "method")),
	    "GET");
	assert_string_equal(json_string_value(json_object_get(l, "rel")),
	    "self");
	assert_int_equal(json_object_size(l), 3);
	json_decref(l);

	o = json_object();
	assert_non_null(o);
	assert_int_equal(json_set_time(o, "createdAt", INT64_C(1378561020123)),
	    0);
	assert_string_equal(json_string_value(json_object_get(o,
	    "createdAt")), "2013-09-07T13:37:00.123Z");
	/* a time that cannot be formatted sets nothing */
	assert_int_equal(json_set_time(o, "later", INT64_MAX), -1);
	assert_null(json_object_get(o, "later"));
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_string),
		cmocka_unit_test(test_read_string_nul),
		cmocka_unit_test(test_read_int),
		cmocka_unit_test(test_read_bool),
		cmocka_unit_test(test_only_keys),
		cmocka_unit_test(test_several_fields),
		cmocka_unit_test(test_utf8_length),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_writer_matches_jansson),
		cmocka_unit_test(test_writer_words),
		cmocka_unit_test(test_writer_refuses_misuse_and_repairs_text),
		cmocka_unit_test(test_link_and_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
