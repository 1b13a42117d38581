/*
 * Unit tests of the form-body reader, URL encoding, api_error filling and
 * the per-address key of the connection limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "reviewd/http_guard.h"
#include "reviewd/request.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_form_values(void **state)
{
	static const struct {
		const char	*body, *name, *want;	/* want NULL: -1 */
	} cases[] = {
		/* plain */
		{ "grant_type=password&username=a", "grant_type", "password" },
		{ "grant_type=password&username=a", "username", "a" },
		{ "a=1", "a", "1" },
		{ "a=1&b=2&c=3", "c", "3" },
		/* '+' is a space, %XX a byte, in either case */
		{ "msg=hello+world%21", "msg", "hello world!" },
		{ "m=%41%62%2f%2F%3d%26", "m", "Ab//=&" },
		{ "m=%2B+%2b", "m", "+ +" },
		{ "m=%C3%A6%c3%b8", "m", "\xc3\xa6\xc3\xb8" },
		{ "m=a=b", "m", "a=b" },
		/* empty values */
		{ "a=&b=1", "a", "" },
		{ "a=&b=1", "b", "1" },
		{ "a=", "a", "" },
		/* absent, or only a prefix or an extension of another key */
		{ "a=1&b=2", "c", NULL },
		{ "a=1&grant_type=x", "grant", NULL },
		{ "grant=1&grant_type=x", "grant_type", "x" },
		{ "grant_type=x&grant=1", "grant", "1" },
		{ "xa=1", "a", NULL },
		{ "A=1", "a", NULL },
		{ "", "a", NULL },
		{ "&&&", "a", NULL },
		/* a key without '=' is not a key with an empty value */
		{ "a&b=1", "a", NULL },
		{ "novalue&a=2", "a", "2" },
		/* encoded keys */
		{ "%67rant=yes", "grant", "yes" },
		{ "my+key=v", "my key", "v" },
		{ "my%20key=v", "my key", "v" },
		/* the first occurrence wins */
		{ "a=1&a=2", "a", "1" },
		/* malformed escapes */
		{ "a=%G1", "a", NULL },
		{ "a=%1G", "a", NULL },
		{ "a=%4", "a", NULL },
		{ "a=%", "a", NULL },
		{ "a=x%", "a", NULL },
		{ "a=%%41", "a", NULL },
		/* an encoded NUL would cut the value short */
		{ "a=%00", "a", NULL },
		{ "a=%00x", "a", NULL },
		{ "a=x%00", "a", NULL },
		/* not UTF-8 */
		{ "a=%FF", "a", NULL },
		{ "a=M%FCller", "a", NULL },
		{ "a=%C3", "a", NULL },
		{ "a=%C0%AF", "a", NULL },
		/* a bad key elsewhere does not hide a good one */
		{ "%G1=x&a=1", "a", "1" },
		{ "%00=x&a=1", "a", "1" },
	};
	char	 out[32];
	size_t	 i;
	int	 r;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		r = request_form_value(cases[i].body, strlen(cases[i].body),
		    cases[i].name, out, sizeof(out));
		if (cases[i].want == NULL) {
			/* absent: -1; present but unusable: -2, and "" */
			if (r != (strstr(cases[i].body, "a=") ==
			    cases[i].body && strcmp(cases[i].name, "a") == 0 ?
			    -2 : -1))
				fail_msg("\"%s\" [%s]: %d \"%s\"",
				    cases[i].body, cases[i].name, r, out);
			if (r == -2)
				assert_string_equal(out, "");
		} else {
			if (r != 0)
				fail_msg("\"%s\" [%s]: not found",
				    cases[i].body, cases[i].name);
			assert_string_equal(out, cases[i].want);
		}
	}
}

/* The body is (ptr, len): bytes past len are not read. */
static void
test_form_length(void **state)
{
	static const char body[] = "a=12345&b=2";
	char	 out[32];

	(void)state;
	assert_int_equal(request_form_value(body, 4, "a", out, sizeof(out)), 0);
	assert_string_equal(out, "12");
	assert_int_equal(request_form_value(body, 7, "b", out,
	    sizeof(out)), -1);
	assert_int_equal(request_form_value(body, 0, "a", out,
	    sizeof(out)), -1);
	assert_int_equal(request_form_value(body, 9, "b", out,
	    sizeof(out)), -1);
	assert_int_equal(request_form_value(body, 10, "b", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "");
	/* a NUL byte inside the body is refused in a value */
	assert_int_equal(request_form_value("a=x\0y", 5, "a", out, sizeof(out)),
	    -2);
}

/* A value longer than outlen - 1 is refused, not cut. */
static void
test_form_too_long(void **state)
{
	static const struct {
		const char	*body;
		size_t		 outlen;
		int		 want;
	} cases[] = {
		{ "a=0123456789", 11, 0 },
		{ "a=0123456789", 10, -2 },
		{ "a=0123456789", 5, -2 },
		{ "a=", 1, 0 },
		{ "a=x", 1, -2 },
		{ "a=%41%42", 3, 0 },
		{ "a=%41%42", 2, -2 },
		{ "a=++", 3, 0 },
	};
	char	 out[32], body[200], name[100];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		assert_int_equal(request_form_value(cases[i].body,
		    strlen(cases[i].body), "a", out, cases[i].outlen),
		    cases[i].want);
	/* a key longer than the reader's key buffer never matches */
	memset(name, 'k', 99);
	name[99] = '\0';
	snprintf(body, sizeof(body), "%s=v", name);
	assert_int_equal(request_form_value(body, strlen(body), name, out,
	    sizeof(out)), -1);
}

static void
test_url_encode(void **state)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "", "" },
		{ "abcXYZ019-_.~", "abcXYZ019-_.~" },
		{ "a b+c/d=\xc3\xa9~", "a%20b%2Bc%2Fd%3D%C3%A9~" },
		{ "&?#%", "%26%3F%23%25" },
		{ "\x01\x7f\xff", "%01%7F%FF" },
	};
	struct buf	 b;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		buf_init(&b, 256);
		assert_int_equal(request_url_encode(&b, cases[i].in), 0);
		assert_string_equal(b.data == NULL ? "" : b.data,
		    cases[i].want);
		buf_release(&b);
	}
	/* over the cap: -1 */
	buf_init(&b, 5);
	assert_int_equal(request_url_encode(&b, "ab/"), 0);
	assert_string_equal(b.data, "ab%2F");
	assert_int_equal(request_url_encode(&b, "c"), -1);
	buf_release(&b);
}

static void
test_api_error(void **state)
{
	struct api_error	 err;
	int			 i;

	(void)state;
	memset(&err, 0, sizeof(err));
	api_error_set(&err, 400, "name", "must be at most %d characters", 5);
	/* the first status set wins */
	api_error_set(&err, 404, "id", "is unknown");
	assert_int_equal(err.status, 400);
	assert_int_equal(err.ndetails, 2);
	assert_string_equal(err.details[0].field, "name");
	assert_string_equal(err.details[0].reason,
	    "must be at most 5 characters");
	assert_string_equal(err.details[1].field, "id");
	assert_string_equal(err.details[1].reason, "is unknown");
	assert_string_equal(err.message, "");
	/* a NULL field sets the message, once */
	api_error_set(&err, 500, NULL, "first %s", "message");
	api_error_set(&err, 500, NULL, "second");
	assert_string_equal(err.message, "first message");
	assert_int_equal(err.ndetails, 2);
	/* details stop at API_ERROR_MAX_DETAILS */
	for (i = 0; i < 2 * API_ERROR_MAX_DETAILS; i++)
		api_error_set(&err, 400, "f", "r%d", i);
	assert_int_equal(err.ndetails, API_ERROR_MAX_DETAILS);
	api_error_header(&err, "Allow", "GET, HEAD");
	assert_string_equal(err.header_name, "Allow");
	assert_string_equal(err.header_value, "GET, HEAD");
}

/* The key of a textual address, as the connection guard makes it. */
static struct http_peer
key_of(const char *text)
{
	struct http_peer	 k;
	unsigned char		 bytes[16];

	if (inet_pton(AF_INET, text, bytes) == 1)
		http_peer_key(&k, AF_INET, bytes);
	else if (inet_pton(AF_INET6, text, bytes) == 1)
		http_peer_key(&k, AF_INET6, bytes);
	else
		fail_msg("bad test address %s", text);
	return k;
}

static void
test_peer_key(void **state)
{
	static const struct {
		const char	*a, *b;
		int		 same;
	} cases[] = {
		/* IPv4 counts address by address */
		{ "192.0.2.7", "192.0.2.7", 1 },
		{ "192.0.2.7", "192.0.2.8", 0 },
		/* an IPv4-mapped IPv6 address is that IPv4 address */
		{ "::ffff:192.0.2.7", "192.0.2.7", 1 },
		{ "::ffff:192.0.2.7", "::ffff:192.0.2.8", 0 },
		/* IPv6 counts by /64: the rest is the client's to pick */
		{ "2001:db8:1:2::1", "2001:db8:1:2::2", 1 },
		{ "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", 1 },
		{ "2001:db8:1:2::1", "2001:db8:1:3::1", 0 },
		{ "2001:db8:1:2::1", "2001:db9:1:2::1", 0 },
		{ "fe80::1", "fe80::2", 1 },
		{ "::1", "::2", 1 },
		/* a /64 that looks like an IPv4 address is still IPv6 */
		{ "::c000:207", "192.0.2.7", 0 },
		{ "64:ff9b::c000:207", "192.0.2.7", 0 },
	};
	struct http_peer	 a, b;
	unsigned char		 raw[16];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		a = key_of(cases[i].a);
		b = key_of(cases[i].b);
		if ((a.family == b.family && memcmp(a.addr, b.addr,
		    sizeof(a.addr)) == 0) != cases[i].same)
			fail_msg("%s and %s: expected %s", cases[i].a,
			    cases[i].b, cases[i].same ? "one key" : "two");
	}
	/* the kept bytes, and zero past them */
	a = key_of("::ffff:10.1.2.3");
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(a.addr, "\x0a\x01\x02\x03\0\0\0\0\0\0\0\0\0\0"
	    "\0\0", 16);
	a = key_of("2001:db8:aa:bb:1:2:3:4");
	assert_int_equal(a.family, AF_INET6);
	assert_memory_equal(a.addr, "\x20\x01\x0d\xb8\x00\xaa\x00\xbb"
	    "\0\0\0\0\0\0\0\0", 16);
	/* no address: no family */
	memset(raw, 0x55, sizeof(raw));
	memset(&a, 0x55, sizeof(a));
	http_peer_key(&a, AF_UNIX, raw);
	assert_int_equal(a.family, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_values),
		cmocka_unit_test(test_form_length),
		cmocka_unit_test(test_form_too_long),
		cmocka_unit_test(test_url_encode),
		cmocka_unit_test(test_api_error),
		cmocka_unit_test(test_peer_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
