/*
 * Form and URL decoding (src/request.c) and path matching (src/router.c)
 * on arbitrary bytes. Input: a form body, then after the first '\n' a raw
 * request path. Invariants: a decoded form value is never longer than its
 * encoding, holds no NUL, and encodes back (request_url_encode) to text
 * that decodes to it again; request_form_value agrees with a plain split
 * of the body and never leaves half a value; router_match over the
 * daemon's own table answers 0, 400, 404 or 405 only, with parameters that
 * fit their buffer and hold no '/' unless it came in as %2F.
 */
#include "reviewd/buf.h"
#include "reviewd/request.h"
#include "reviewd/router.h"
#include "reviewd/routes.h"
#include "reviewd/utf8.h"

#include "fuzz.h"

#define VALUE_MAX	512

/* Decodes [p, end) and checks the value round-trips through the encoder. */
static int
decode_checked(const char *p, const char *end, char *out, size_t outlen)
{
	struct buf	 enc;
	char		 again[VALUE_MAX];
	int		 rc;

	rc = request_form_decode(p, end, out, outlen);
	if (rc == -1)
		return -1;
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(strlen(out) <= (size_t)(end - p));
	buf_init(&enc, 3 * VALUE_MAX);
	FUZZ_ASSERT(buf_append(&enc, "", 0) == 0);	/* data for "" too */
	FUZZ_ASSERT(request_url_encode(&enc, out) == 0);
	FUZZ_ASSERT(strcspn(enc.data, "+&= ") == enc.len);
	FUZZ_ASSERT(request_form_decode(enc.data, enc.data + enc.len, again,
	    sizeof(again)) == 0);
	FUZZ_ASSERT(strcmp(again, out) == 0);
	buf_release(&enc);
	return 0;
}

static void
form(const char *body, size_t len)
{
	const char	*p = body, *end = body + len, *amp, *eq;
	char		 key[64], value[VALUE_MAX], got[VALUE_MAX];
	int		 rc, want;

	/* every pair of the body, decoded */
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && decode_checked(p, eq, key,
		    sizeof(key)) == 0) {
			want = decode_checked(eq + 1, amp, value,
			    sizeof(value)) == 0 && utf8_valid(value) ? 0 : -2;
			/* the first pair of that name is the one read */
			rc = request_form_value(body, len, key, got,
			    sizeof(got));
			FUZZ_ASSERT(rc == 0 || rc == -2);
			if (rc == 0) {
				FUZZ_ASSERT(utf8_valid(got));
				FUZZ_ASSERT(strlen(got) < sizeof(got));
			} else
				FUZZ_ASSERT(got[0] == '\0');
			/* when this pair is the first of its name */
			if (request_form_value(body, (size_t)(p - body), key,
			    got, sizeof(got)) == -1) {
				FUZZ_ASSERT(rc == want);
				if (rc == 0) {
					request_form_value(body, len, key, got,
					    sizeof(got));
					FUZZ_ASSERT(strcmp(got, value) == 0);
				}
			}
		}
		p = amp + 1;
	}
	rc = request_form_value(body, len, "message", got, sizeof(got));
	FUZZ_ASSERT(rc == 0 || rc == -1 || rc == -2);
}

static void
route(const char *path)
{
	const struct route	*r = NULL;
	struct route_params	 params;
	char			 allow[128];
	const char		*v;
	size_t			 i, j;
	int			 rc;
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT",
	    "PATCH", "DELETE" };

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		rc = router_match(routes_table, routes_count, methods[i], path,
		    &r, &params, allow, sizeof(allow));
		FUZZ_ASSERT(rc == 0 || rc == 400 || rc == 404 || rc == 405);
		FUZZ_ASSERT(strlen(allow) < sizeof(allow));
		if (rc == 405)
			FUZZ_ASSERT(allow[0] != '\0');
		if (rc != 0 && rc != 400)
			continue;
		FUZZ_ASSERT(r >= routes_table && r < routes_table +
		    routes_count);
		FUZZ_ASSERT(params.n <= ROUTE_MAX_PARAMS);
		FUZZ_ASSERT((rc == 400) == (params.bad != NULL));
		for (j = 0; j < params.n; j++) {
			v = params.value[j];
			FUZZ_ASSERT(v >= params.buf && v < params.buf +
			    sizeof(params.buf));
			FUZZ_ASSERT(strlen(v) < sizeof(params.buf) -
			    (size_t)(v - params.buf));
			FUZZ_ASSERT(strchr(v, '/') == NULL ||
			    strstr(path, "%2F") != NULL ||
			    strstr(path, "%2f") != NULL);
			FUZZ_ASSERT(rc == 400 || v[0] != '\0');
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nl = memchr(data, '\n', size);
	size_t		 blen = nl != NULL ? (size_t)(nl - data) : size;
	char		*body, *path;

	body = fuzz_string(data, blen);		/* NUL bytes kept */
	path = nl != NULL ? fuzz_string(nl + 1, size - blen - 1) :
	    fuzz_string(data, 0);
	form(body, blen);
	if (path[0] == '/' && strlen(path) < ROUTE_MAX_PATH)
		route(path);
	free(body);
	free(path);
	return 0;
}
