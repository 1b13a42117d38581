/*
 * Unit tests of routing: literal before parameter routes, parameters,
 * 404 and 405 with the Allow list, HEAD as GET, the limits on parameters;
 * and the daemon's real table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/routes.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
handler_a(struct request *req, struct response *res, struct api_error *err)
{
	(void)req;
	(void)res;
	(void)err;
	return 0;
}

static const struct route table[] = {
	/* 0 */ { "GET", "/v1/business-units/find", ROUTE_AUTH_APIKEY,
	    handler_a, 0 },
	/* 1 */ { "GET", "/v1/business-units/{businessUnitId}",
	    ROUTE_AUTH_APIKEY, handler_a, 0 },
	/* 2 */ { "PATCH", "/v1/business-units/{businessUnitId}",
	    ROUTE_AUTH_BEARER, handler_a, 0 },
	/* 3 */ { "POST", "/v1/business-units/{businessUnitId}/reviews/"
	    "{reviewId}", ROUTE_AUTH_BEARER, handler_a, 0 },
	/* 4 */ { "PUT", "/v1/things/find", ROUTE_AUTH_NONE, handler_a,
	    0 },
	/* 5 */ { "DELETE", "/v1/things/{thingId}", ROUTE_AUTH_NONE,
	    handler_a, 0 },
	/* 6 */ { "GET", "/v1/things/{thingId}", ROUTE_AUTH_NONE, handler_a,
	    0 },
	/* 7 */ { "POST", "/v1/four/{a}/{b}/{c}/{d}", ROUTE_AUTH_NONE,
	    handler_a, 0 },
	/* 8 */ { "POST", "/v1/five/{a}/{b}/{c}/{d}/{e}", ROUTE_AUTH_NONE,
	    handler_a, 0 },
	/* 9 */ { "GET", "/", ROUTE_AUTH_NONE, handler_a, ROUTE_UPLOAD },
};

struct want_param {
	const char	*name, *value;
};

static void
check_params(const struct route_params *p, const struct want_param *want)
{
	struct request	 req;
	size_t		 n;

	memset(&req, 0, sizeof(req));
	req.params = *p;
	for (n = 0; n < ROUTE_MAX_PARAMS && want[n].name != NULL; n++)
		assert_string_equal(request_param(&req, want[n].name),
		    want[n].value);
	assert_int_equal(p->n, n);
}

static void
test_matches(void **state)
{
	static const struct {
		const char		*method, *path;
		size_t			 route;
		struct want_param	 params[ROUTE_MAX_PARAMS + 1];
	} cases[] = {
		/* the literal route comes first and wins */
		{ "GET", "/v1/business-units/find", 0, { { NULL, NULL } } },
		{ "HEAD", "/v1/business-units/find", 0, { { NULL, NULL } } },
		{ "GET", "/v1/business-units/abc", 1,
		    { { "businessUnitId", "abc" }, { NULL, NULL } } },
		{ "HEAD", "/v1/business-units/abc", 1,
		    { { "businessUnitId", "abc" }, { NULL, NULL } } },
		/* other methods reach the parameter route, even for "find" */
		{ "PATCH", "/v1/business-units/abc", 2,
		    { { "businessUnitId", "abc" }, { NULL, NULL } } },
		{ "PATCH", "/v1/business-units/find", 2,
		    { { "businessUnitId", "find" }, { NULL, NULL } } },
		{ "GET", "/v1/business-units/finder", 1,
		    { { "businessUnitId", "finder" }, { NULL, NULL } } },
		{ "GET", "/v1/business-units/fin", 1,
		    { { "businessUnitId", "fin" }, { NULL, NULL } } },
		{ "POST", "/v1/business-units/u1/reviews/r2", 3,
		    { { "businessUnitId", "u1" }, { "reviewId", "r2" },
		    { NULL, NULL } } },
		/* a value is any non-empty segment, percent-decoded: %2F is
		 * data, not a separator; what is not %XX stays */
		{ "GET", "/v1/business-units/a%2Fb{}", 1,
		    { { "businessUnitId", "a/b{}" }, { NULL, NULL } } },
		{ "GET", "/v1/business-units/%41%62%2a%e2%82%ac", 1,
		    { { "businessUnitId", "Ab*\xe2\x82\xac" },
		    { NULL, NULL } } },
		{ "GET", "/v1/business-units/100%25%zz%4%", 1,
		    { { "businessUnitId", "100%%zz%4%" }, { NULL, NULL } } },
		{ "GET", "/v1/business-units/a+b", 1,
		    { { "businessUnitId", "a+b" }, { NULL, NULL } } },
		/* literal segments compare decoded */
		{ "GET", "/v1/business-units/%66ind", 0, { { NULL, NULL } } },
		{ "GET", "/v1/business-units/x", 1,
		    { { "businessUnitId", "x" }, { NULL, NULL } } },
		{ "PUT", "/v1/things/find", 4, { { NULL, NULL } } },
		{ "DELETE", "/v1/things/find", 5,
		    { { "thingId", "find" }, { NULL, NULL } } },
		{ "GET", "/v1/things/t", 6,
		    { { "thingId", "t" }, { NULL, NULL } } },
		{ "POST", "/v1/four/1/2/3/4", 7,
		    { { "a", "1" }, { "b", "2" }, { "c", "3" }, { "d", "4" },
		    { NULL, NULL } } },
		{ "GET", "/", 9, { { NULL, NULL } } },
	};
	const struct route	*r;
	struct route_params	 p;
	char			 allow[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		r = NULL;
		memset(&p, 0xa5, sizeof(p));
		assert_int_equal(router_match(table, NELEM(table),
		    cases[i].method, cases[i].path, &r, &p, allow,
		    sizeof(allow)), 0);
		assert_ptr_equal(r, &table[cases[i].route]);
		check_params(&p, cases[i].params);
	}
}

/* Names match whole: a prefix or an extension of a name is not it. */
static void
test_param_names(void **state)
{
	const struct route	*r = NULL;
	struct route_params	 p;
	struct request		 req;
	char			 allow[64];

	(void)state;
	assert_int_equal(router_match(table, NELEM(table), "POST",
	    "/v1/business-units/u1/reviews/r2", &r, &p, allow, sizeof(allow)),
	    0);
	memset(&req, 0, sizeof(req));
	req.params = p;
	assert_string_equal(request_param(&req, "businessUnitId"), "u1");
	assert_string_equal(request_param(&req, "reviewId"), "r2");
	assert_null(request_param(&req, "businessUnit"));
	assert_null(request_param(&req, "businessUnitIdx"));
	assert_null(request_param(&req, "review"));
	assert_null(request_param(&req, "ReviewId"));
	assert_null(request_param(&req, ""));
	/* no parameters at all */
	memset(&req, 0, sizeof(req));
	assert_null(request_param(&req, "businessUnitId"));
}

static void
test_refusals(void **state)
{
	static const struct {
		const char	*method, *path;
		int		 status;
		const char	*allow;
	} cases[] = {
		/* unknown paths; a trailing slash or an empty segment is not
		 * a match */
		{ "GET", "/v1/business-units", 404, "" },
		{ "GET", "/v1/business-units/", 404, "" },
		{ "GET", "/v1/business-units/find/", 404, "" },
		{ "GET", "/v1/business-units/abc/", 404, "" },
		{ "GET", "/v1/business-units//", 404, "" },
		{ "POST", "/v1/business-units//reviews/r", 404, "" },
		{ "POST", "/v1/business-units/u/reviews/", 404, "" },
		{ "POST", "/v1/business-units/u/reviews//", 404, "" },
		{ "GET", "/v1//business-units/abc", 404, "" },
		{ "GET", "//v1/business-units/abc", 404, "" },
		{ "GET", "/v1/business-units/a/b", 404, "" },
		{ "GET", "/V1/business-units/abc", 404, "" },
		{ "GET", "v1/business-units/abc", 404, "" },
		{ "GET", "/x", 404, "" },
		{ "GET", "", 404, "" },
		{ "GET", "//", 404, "" },
		{ "DELETE", "/nowhere", 404, "" },
		/* the path is known, the method is not: Allow in table
		 * order, HEAD right after GET, each method once */
		{ "DELETE", "/v1/business-units/x", 405, "GET, HEAD, PATCH" },
		{ "POST", "/v1/business-units/find", 405, "GET, HEAD, PATCH" },
		{ "PUT", "/v1/business-units/find", 405, "GET, HEAD, PATCH" },
		{ "GET", "/v1/business-units/u/reviews/r", 405, "POST" },
		{ "HEAD", "/v1/business-units/u/reviews/r", 405, "POST" },
		{ "POST", "/v1/things/find", 405, "PUT, DELETE, GET, HEAD" },
		{ "PATCH", "/v1/things/x", 405, "DELETE, GET, HEAD" },
		{ "get", "/v1/things/x", 405, "DELETE, GET, HEAD" },
		{ "POST", "/", 405, "GET, HEAD" },
		/* more parameters than ROUTE_MAX_PARAMS never match */
		{ "POST", "/v1/five/1/2/3/4/5", 404, "" },
		{ "GET", "/v1/four/1/2/3/4", 405, "POST" },
	};
	const struct route	*r;
	struct route_params	 p;
	char			 allow[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		r = NULL;
		memset(allow, 'x', sizeof(allow));
		assert_int_equal(router_match(table, NELEM(table),
		    cases[i].method, cases[i].path, &r, &p, allow,
		    sizeof(allow)), cases[i].status);
		assert_null(r);
		assert_string_equal(allow, cases[i].allow);
	}
}

/* Writes prefix and nseg segments of seglen letters ('a', 'b', ..). */
static void
make_path(char *out, size_t outlen, const char *prefix, size_t nseg,
    size_t seglen)
{
	size_t	 used = strlen(prefix), i;

	assert_true(used < outlen);
	memcpy(out, prefix, used);
	for (i = 0; i < nseg; i++) {
		assert_true(used + 1 + seglen < outlen);
		out[used++] = '/';
		memset(out + used, 'a' + (int)i, seglen);
		used += seglen;
	}
	out[used] = '\0';
}

/* Parameter values share one buffer of ROUTE_MAX_PATH bytes. */
static void
test_long_params(void **state)
{
	static const struct {
		const char	*method, *prefix;
		size_t		 nseg, seglen;
		int		 status;
		size_t		 route;
	} cases[] = {
		/* one value of ROUTE_MAX_PATH - 1 bytes fits with its NUL */
		{ "GET", "/v1/things", 1, ROUTE_MAX_PATH - 1, 0, 6 },
		{ "GET", "/v1/things", 1, ROUTE_MAX_PATH, 404, 0 },
		/* four values: 4 * (255 + 1) = ROUTE_MAX_PATH exactly */
		{ "POST", "/v1/four", 4, 255, 0, 7 },
		{ "POST", "/v1/four", 4, 256, 404, 0 },
	};
	const struct route	*r;
	struct route_params	 p;
	char			 path[2 * ROUTE_MAX_PATH], allow[64];
	size_t			 i, j;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		make_path(path, sizeof(path), cases[i].prefix, cases[i].nseg,
		    cases[i].seglen);
		r = NULL;
		assert_int_equal(router_match(table, NELEM(table),
		    cases[i].method, path, &r, &p, allow, sizeof(allow)),
		    cases[i].status);
		if (cases[i].status != 0) {
			assert_null(r);
			continue;
		}
		assert_ptr_equal(r, &table[cases[i].route]);
		assert_int_equal(p.n, cases[i].nseg);
		for (j = 0; j < p.n; j++) {
			assert_int_equal(strlen(p.value[j]), cases[i].seglen);
			assert_int_equal(p.value[j][0], 'a' + (int)j);
			/* values point into the caller's params */
			assert_true(p.value[j] >= p.buf &&
			    p.value[j] < p.buf + sizeof(p.buf));
		}
	}
}

/* A short allow buffer keeps whole method names and its terminator. */
static void
test_short_allow(void **state)
{
	const struct route	*r = NULL;
	struct route_params	 p;
	char			 allow[16];

	(void)state;
	memset(allow, 'x', sizeof(allow));
	assert_int_equal(router_match(table, NELEM(table), "DELETE",
	    "/v1/business-units/x", &r, &p, allow, 8), 405);
	assert_string_equal(allow, "GET");
	assert_int_equal(allow[8], 'x');
	memset(allow, 'x', sizeof(allow));
	assert_int_equal(router_match(table, NELEM(table), "DELETE",
	    "/v1/business-units/x", &r, &p, allow, 12), 405);
	assert_string_equal(allow, "GET, HEAD");
}

static void
test_real_table(void **state)
{
	static const struct {
		const char	*method, *path;
		int		 status;
		const char	*pattern;	/* 0: the route's; 405: Allow */
		enum route_auth	 auth;
		unsigned	 flags;
	} cases[] = {
		{ "GET", "/healthz", 0, "/healthz", ROUTE_AUTH_NONE,
		    ROUTE_UNLIMITED },
		{ "HEAD", "/healthz", 0, "/healthz", ROUTE_AUTH_NONE,
		    ROUTE_UNLIMITED },
		{ "POST", "/healthz", 405, "GET, HEAD", 0, 0 },
		{ "GET", "/healthz/", 404, "", 0, 0 },
		{ "GET", "/readyz", 0, "/readyz", ROUTE_AUTH_NONE,
		    ROUTE_UNLIMITED },
		{ "GET", "/v1/business-units/find", 0,
		    "/v1/business-units/find", ROUTE_AUTH_APIKEY, 0 },
		{ "GET", "/v1/business-units/0123456789abcdef01234567", 0,
		    "/v1/business-units/{businessUnitId}", ROUTE_AUTH_APIKEY,
		    0 },
		{ "GET", "/v1/business-units/abc/reviews", 0,
		    "/v1/business-units/{businessUnitId}/reviews",
		    ROUTE_AUTH_APIKEY, 0 },
		{ "POST", "/v1/business-units/find", 405, "GET, HEAD", 0,
		    0 },
		{ "GET", "/v1/private/business-units/abc", 0,
		    "/v1/private/business-units/{businessUnitId}",
		    ROUTE_AUTH_BEARER, 0 },
		{ "PUT", "/v1/private/business-units/abc", 405,
		    "GET, HEAD, PATCH", 0, 0 },
		{ "GET", "/v1/private/business-units/abc/webhooks/deliveries",
		    0, "/v1/private/business-units/{businessUnitId}/webhooks/"
		    "deliveries", ROUTE_AUTH_BEARER, 0 },
		{ "DELETE", "/v1/private/business-units/abc/webhooks/s1", 0,
		    "/v1/private/business-units/{businessUnitId}/webhooks/"
		    "{subscriptionId}", ROUTE_AUTH_BEARER, 0 },
		{ "GET", "/v1/private/reviews/r1/tags", 0,
		    "/v1/private/reviews/{reviewId}/tags", ROUTE_AUTH_BEARER,
		    0 },
		{ "PATCH", "/v1/private/reviews/r1/tags", 405,
		    "GET, HEAD, POST, PUT, DELETE", 0, 0 },
		{ "PUT", "/v1/private/invitations/i1", 405,
		    "GET, HEAD, PATCH, DELETE", 0, 0 },
		{ "GET", "/v1/admin/outbox", 0, "/v1/admin/outbox",
		    ROUTE_AUTH_ADMIN, 0 },
		{ "POST", "/v1/admin/clock", 0, "/v1/admin/clock",
		    ROUTE_AUTH_ADMIN, 0 },
		{ "DELETE", "/v1/admin/clock", 405, "GET, HEAD, POST", 0,
		    0 },
		{ "POST", "/v1/business-units/x/invitations/csv", 404, "", 0,
		    0 },
		{ "POST", "/v1/private/business-units/x/invitations/csv", 0,
		    "/v1/private/business-units/{businessUnitId}/invitations/"
		    "csv", ROUTE_AUTH_BEARER, ROUTE_UPLOAD },
		{ "POST", "/v1/inbound/afs", 0, "/v1/inbound/afs",
		    ROUTE_AUTH_NONE, ROUTE_MAIL | ROUTE_HEAD_CHECK },
		{ "POST", "/v1/oauth/oauth-business-users-for-applications/"
		    "accesstoken", 0, "/v1/oauth/oauth-business-users-for-"
		    "applications/accesstoken", ROUTE_AUTH_NONE,
		    ROUTE_NO_STORE | ROUTE_SOLO },
		{ "GET", "/review/confirm/tok", 0, "/review/confirm/{token}",
		    ROUTE_AUTH_NONE, ROUTE_NO_STORE },
		{ "GET", "/find-reviewer/tok", 0, "/find-reviewer/{token}",
		    ROUTE_AUTH_NONE, ROUTE_NO_STORE },
		{ "POST", "/evaluate-link/tok", 0, "/evaluate-link/{token}",
		    ROUTE_AUTH_NONE, ROUTE_NO_STORE },
		{ "GET", "/unsubscribe/tok", 0, "/unsubscribe/{token}",
		    ROUTE_AUTH_NONE, ROUTE_NO_STORE },
		{ "GET", "/b/example.com", 0, "/b/{businessDomain}",
		    ROUTE_AUTH_NONE, 0 },
		{ "GET", "/review/example.com", 0, "/review/{businessDomain}",
		    ROUTE_AUTH_NONE, 0 },
		{ "GET", "/", 404, "", 0, 0 },
	};
	const struct route	*r;
	struct route_params	 p;
	char			 allow[64];
	size_t			 i;
	int			 status;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		r = NULL;
		status = router_match(routes_table, routes_count,
		    cases[i].method, cases[i].path, &r, &p, allow,
		    sizeof(allow));
		assert_int_equal(status, cases[i].status);
		if (status != 0) {
			assert_null(r);
			assert_string_equal(allow, cases[i].pattern);
			continue;
		}
		assert_non_null(r);
		assert_non_null(r->handler);
		assert_string_equal(r->pattern, cases[i].pattern);
		assert_int_equal(r->auth, cases[i].auth);
		assert_int_equal(r->flags, cases[i].flags);
	}
	/* the parameter of the real table, found by its name */
	assert_int_equal(router_match(routes_table, routes_count, "GET",
	    "/v1/business-units/abc/reviews", &r, &p, allow, sizeof(allow)),
	    0);
	check_params(&p, (const struct want_param[]){
	    { "businessUnitId", "abc" }, { NULL, NULL } });
}

/* A parameter that decodes to a NUL byte is named, not cut at the NUL. */
static void
test_nul_params(void **state)
{
	static const struct {
		const char	*method, *path;
		int		 status;
		const char	*bad;	/* up to '}' */
	} cases[] = {
		{ "GET", "/v1/business-units/abc%00def", 400,
		    "businessUnitId" },
		{ "GET", "/v1/business-units/%00", 400, "businessUnitId" },
		{ "POST", "/v1/business-units/u1/reviews/r%002", 400,
		    "reviewId" },
		{ "POST", "/v1/business-units/%00/reviews/%00", 400,
		    "businessUnitId" },
		/* only a whole match counts; other methods are 405 */
		{ "DELETE", "/v1/business-units/a%00", 405, NULL },
		{ "GET", "/v1/business-units/a%00/x", 404, NULL },
		/* a literal segment with %00 is no literal: the parameter
		 * route takes it */
		{ "GET", "/v1/business-units/find%00", 400,
		    "businessUnitId" },
		{ "PUT", "/v1/things/find%00", 405, NULL },
		/* not an escape: %0 at the end, %0g */
		{ "GET", "/v1/business-units/a%0", 0, NULL },
		{ "GET", "/v1/business-units/a%0g", 0, NULL },
	};
	const struct route	*r;
	struct route_params	 p;
	char			 allow[64];
	size_t			 i;
	int			 status;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		r = NULL;
		status = router_match(table, NELEM(table), cases[i].method,
		    cases[i].path, &r, &p, allow, sizeof(allow));
		assert_int_equal(status, cases[i].status);
		if (cases[i].bad == NULL) {
			if (status == 0)
				assert_null(p.bad);
			continue;
		}
		assert_non_null(r);
		assert_non_null(p.bad);
		assert_int_equal(strcspn(p.bad, "}"), strlen(cases[i].bad));
		assert_memory_equal(p.bad, cases[i].bad, strlen(cases[i].bad));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_param_names),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_long_params),
		cmocka_unit_test(test_short_allow),
		cmocka_unit_test(test_real_table),
		cmocka_unit_test(test_nul_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
