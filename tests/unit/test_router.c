/*
 * Unit tests of routing: literal before parameter routes, parameters,
 * 404 and 405 with the Allow list, HEAD as GET; and the real table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/router.h"

static int
handler_a(struct request *req, struct response *res, struct api_error *err)
{
	(void)req;
	(void)res;
	(void)err;
	return 0;
}

static const struct route table[] = {
	{ "GET", "/v1/units/find", ROUTE_AUTH_NONE, handler_a, false },
	{ "GET", "/v1/units/{unitId}", ROUTE_AUTH_NONE, handler_a, false },
	{ "PATCH", "/v1/units/{unitId}", ROUTE_AUTH_NONE, handler_a, false },
	{ "POST", "/v1/units/{unitId}/items/{itemId}", ROUTE_AUTH_NONE,
	    handler_a, false },
};

#define N	(sizeof(table) / sizeof(table[0]))

static void
test_matches(void **state)
{
	const struct route	*r = NULL;
	struct route_params	 p;
	struct request		 req;
	char			 allow[64];

	(void)state;
	assert_int_equal(router_match(table, N, "GET", "/v1/units/find", &r, &p,
	    allow, sizeof(allow)), 0);
	assert_ptr_equal(r, &table[0]);
	assert_int_equal(router_match(table, N, "GET", "/v1/units/abc", &r, &p,
	    allow, sizeof(allow)), 0);
	assert_ptr_equal(r, &table[1]);
	assert_int_equal(router_match(table, N, "POST", "/v1/units/u1/items/i2",
	    &r, &p, allow, sizeof(allow)), 0);
	memset(&req, 0, sizeof(req));
	req.params = p;
	assert_string_equal(request_param(&req, "unitId"), "u1");
	assert_string_equal(request_param(&req, "itemId"), "i2");
	assert_null(request_param(&req, "unit"));
	/* HEAD is answered like GET */
	assert_int_equal(router_match(table, N, "HEAD", "/v1/units/x", &r, &p,
	    allow, sizeof(allow)), 0);
}

static void
test_refusals(void **state)
{
	const struct route	*r = NULL;
	struct route_params	 p;
	char			 allow[64];
	static const char *const unknown[] = { "/v1/units", "/v1/units/",
	    "/v1/units//items/x", "/v1/units/a/b", "/x", "", "/v1/units/a/" };
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_int_equal(router_match(table, N, "GET", unknown[i], &r,
		    &p, allow, sizeof(allow)), 404);
	assert_int_equal(router_match(table, N, "DELETE", "/v1/units/x", &r,
	    &p, allow, sizeof(allow)), 405);
	assert_string_equal(allow, "GET, HEAD, PATCH");
	assert_int_equal(router_match(table, N, "POST", "/v1/units/find", &r,
	    &p, allow, sizeof(allow)), 405);
	assert_string_equal(allow, "GET, HEAD, PATCH");
}

static void
test_real_table(void **state)
{
	const struct route	*r = NULL;
	struct route_params	 p;
	char			 allow[64];

	(void)state;
	assert_int_equal(router_find("GET", "/healthz", &r, &p, allow,
	    sizeof(allow)), 0);
	assert_int_equal(r->auth, ROUTE_AUTH_NONE);
	assert_int_equal(router_find("GET", "/v1/business-units/find", &r, &p,
	    allow, sizeof(allow)), 0);
	assert_string_equal(r->pattern, "/v1/business-units/find");
	assert_int_equal(router_find("GET", "/v1/private/business-units/abc",
	    &r, &p, allow, sizeof(allow)), 0);
	assert_int_equal(r->auth, ROUTE_AUTH_BEARER);
	assert_int_equal(router_find("GET", "/v1/admin/outbox", &r, &p, allow,
	    sizeof(allow)), 0);
	assert_int_equal(r->auth, ROUTE_AUTH_ADMIN);
	assert_int_equal(router_find("POST", "/v1/business-units/x/invitations/"
	    "csv", &r, &p, allow, sizeof(allow)), 404);
	assert_int_equal(router_find("POST", "/v1/private/business-units/x/"
	    "invitations/csv", &r, &p, allow, sizeof(allow)), 0);
	assert_true(r->upload);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_real_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
