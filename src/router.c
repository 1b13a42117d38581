/*
 * router: the matcher of a route table (routes.c holds the daemon's).
 * Matching is pure (no allocation) and runs on every worker thread.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "reviewd/request.h"
#include "reviewd/router.h"

/* Next path segment of *p into [*seg, *seg + *len); 0, or -1 at the end. */
static int
next_segment(const char **p, const char **seg, size_t *len)
{
	if (**p != '/')
		return -1;
	(*p)++;
	*seg = *p;
	while (**p != '\0' && **p != '/')
		(*p)++;
	*len = (size_t)(*p - *seg);
	return 0;
}

/*
 * Percent-decodes the raw segment [s, s + len) into out (not terminated),
 * as libmicrohttpd does: %XX is a byte, anything else stays as it is.
 * Sets *outlen; *nul when a byte decoded to NUL. -1 when over outcap.
 */
static int
segment_decode(const char *s, size_t len, char *out, size_t outcap,
    size_t *outlen, bool *nul)
{
	size_t	 i, n = 0;
	char	 c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '%' && len - i >= 3 &&
		    request_hex_digit(s[i + 1]) >= 0 &&
		    request_hex_digit(s[i + 2]) >= 0) {
			c = (char)(request_hex_digit(s[i + 1]) * 16 +
			    request_hex_digit(s[i + 2]));
			i += 2;
			if (c == '\0')
				*nul = true;
		}
		if (n == outcap)
			return -1;
		out[n++] = c;
	}
	*outlen = n;
	return 0;
}

/*
 * Matches one pattern against a raw (still percent-encoded) path, decoding
 * each segment: values are copied into params->buf. 0 on a match; -2 on a
 * match where a parameter held %00 (params->bad names the first); -1
 * otherwise.
 */
static int
match_path(const char *pattern, const char *path, struct route_params *params)
{
	const char	*pp = pattern, *sp = path, *pseg = NULL, *sseg = NULL;
	size_t		 plen = 0, slen = 0, dlen = 0, used = 0;
	char		 lit[ROUTE_MAX_PATH];
	bool		 nul;

	params->n = 0;
	params->bad = NULL;
	for (;;) {
		int	 pend = next_segment(&pp, &pseg, &plen);
		int	 send = next_segment(&sp, &sseg, &slen);

		if (pend == -1 || send == -1) {
			if (pend != send || *pp != '\0' || *sp != '\0')
				return -1;
			return params->bad != NULL ? -2 : 0;
		}
		nul = false;
		if (plen >= 2 && pseg[0] == '{' && pseg[plen - 1] == '}') {
			if (slen == 0 || params->n == ROUTE_MAX_PARAMS ||
			    used >= sizeof(params->buf) ||
			    segment_decode(sseg, slen, params->buf + used,
			    sizeof(params->buf) - used - 1, &dlen, &nul) == -1)
				return -1;
			params->buf[used + dlen] = '\0';
			/* Names point into the constant table, past the
			 * '{'; they end at the '}' (see request_param). */
			params->name[params->n] = pseg + 1;
			params->value[params->n] = params->buf + used;
			if (nul && params->bad == NULL)
				params->bad = pseg + 1;
			params->n++;
			used += dlen + 1;
		} else if (segment_decode(sseg, slen, lit, sizeof(lit), &dlen,
		    &nul) == -1 || nul || plen != dlen ||
		    memcmp(pseg, lit, plen) != 0)
			return -1;
	}
}

static void
add_allow(char *allow, size_t allowlen, const char *method)
{
	size_t	 len, mlen = strlen(method);
	const char *p = allow;

	if (allowlen == 0)
		return;
	len = strlen(allow);
	while ((p = strstr(p, method)) != NULL) {
		if ((p == allow || p[-1] == ' ') &&
		    (p[mlen] == ',' || p[mlen] == '\0'))
			return;
		p += mlen;
	}
	if (len + mlen + 3 > allowlen)
		return;
	snprintf(allow + len, allowlen - len, "%s%s", len > 0 ? ", " : "",
	    method);
}

int
router_match(const struct route *table, size_t n, const char *method,
    const char *path, const struct route **out, struct route_params *params,
    char *allow, size_t allowlen)
{
	struct route_params	 scratch;
	size_t			 i, j;
	int			 path_known = 0, r;
	const char		*m = strcmp(method, "HEAD") == 0 ? "GET" :
				    method;

	if (allowlen > 0)
		allow[0] = '\0';
	for (i = 0; i < n; i++) {
		r = match_path(table[i].pattern, path, &scratch);
		if (r == -1)
			continue;
		if (strcmp(table[i].method, m) == 0) {
			*params = scratch;
			/* Values point into scratch.buf: rebase them. */
			for (j = 0; j < params->n; j++)
				params->value[j] = params->buf +
				    (scratch.value[j] - scratch.buf);
			*out = &table[i];
			return r == -2 ? 400 : 0;
		}
		path_known = 1;
		add_allow(allow, allowlen, table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			add_allow(allow, allowlen, "HEAD");
	}
	return path_known ? 405 : 404;
}
