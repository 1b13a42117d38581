/*
 * request: what handlers share to read a request and fill a response,
 * apart from the connection itself (http.c reads that). Stateless; any
 * thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/request.h"
#include "reviewd/utf8.h"

const char *
request_param(const struct request *req, const char *name)
{
	size_t	 i, len = strlen(name);

	for (i = 0; i < req->params.n; i++) {
		if (strncmp(req->params.name[i], name, len) == 0 &&
		    req->params.name[i][len] == '}')
			return req->params.value[i];
	}
	return NULL;
}

int
request_query_int(const struct request *req, const char *name, int64_t min,
    int64_t max, int64_t *out, struct api_error *err)
{
	const char	*v = request_query(req, name);
	char		*end;
	long long	 n;

	if (v == NULL)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		api_error_set(err, 400, name, "must be an integer from %lld "
		    "to %lld", (long long)min, (long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

json_t *
request_page_links(const struct request *req, json_t *items, int64_t page,
    int64_t per_page)
{
	json_t	*links = json_array();
	char	 next[24];

	if (links == NULL || items == NULL ||
	    json_array_size(items) <= (size_t)per_page)
		return links;
	(void)json_array_remove(items, (size_t)per_page);
	snprintf(next, sizeof(next), "%lld", (long long)page + 1);
	if (json_array_append_new(links, request_next_page_link(req, "page",
	    next)) == -1) {
		json_decref(links);
		return NULL;
	}
	return links;
}

int
request_url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char	 esc[3];

	for (; *s != '\0'; s++) {
		unsigned char	 c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			if (buf_append(out, s, 1) == -1)
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if (buf_append(out, esc, 3) == -1)
			return -1;
	}
	return 0;
}

int
response_json(struct response *res, int status, json_t *body,
    struct api_error *err)
{
	if (body == NULL) {
		api_error_internal(err);
		return -1;
	}
	json_decref(res->json);
	res->json = body;
	res->status = status;
	return 0;
}

int
response_json_text(struct response *res, int status, struct buf *b,
    struct api_error *err)
{
	size_t	 len;
	char	*text = buf_detach(b, &len);

	if (text == NULL) {
		api_error_internal(err);
		return -1;
	}
	response_body(res, status, text, len,
	    "application/json; charset=utf-8");
	return 0;
}

int
response_header(struct response *res, const char *name, const char *value)
{
	char	*n, *v;

	if (res->nheaders == RESPONSE_MAX_HEADERS)
		return -1;
	n = strdup(name);
	v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return -1;
	}
	res->header_name[res->nheaders] = n;
	res->header_value[res->nheaders] = v;
	res->nheaders++;
	return 0;
}

void
response_release(struct response *res)
{
	size_t	 i;

	json_decref(res->json);
	free(res->body);
	for (i = 0; i < res->nheaders; i++) {
		free(res->header_name[i]);
		free(res->header_value[i]);
	}
	memset(res, 0, sizeof(*res));
}

int
request_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
request_form_decode(const char *p, const char *end, char *out,
    size_t outlen)
{
	size_t	 n = 0;

	for (; p < end; p++) {
		char	 c = *p;

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (end - p < 3 || request_hex_digit(p[1]) < 0 ||
			    request_hex_digit(p[2]) < 0)
				return -1;
			c = (char)(request_hex_digit(p[1]) * 16 +
			    request_hex_digit(p[2]));
			p += 2;
		}
		if (c == '\0' || n + 1 >= outlen)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

int
request_form_value(const char *body, size_t len, const char *name, char *out,
    size_t outlen)
{
	const char	*p = body, *end = body + len, *amp, *eq;
	char		 key[64];

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && request_form_decode(p, eq, key,
		    sizeof(key)) == 0 && strcmp(key, name) == 0) {
			if (outlen > 0 && request_form_decode(eq + 1, amp, out,
			    outlen) == 0 && utf8_valid(out))
				return 0;
			if (outlen > 0)
				out[0] = '\0';	/* never half a value */
			return -2;
		}
		p = amp + 1;
	}
	return -1;
}

/* for reviews, reports (and outbox's twin one_of): a query parameter
 * from a fixed list. */
const char *
request_query_enum(const struct request *req, const char *name,
    const char *const *allowed, const char *reason, struct api_error *err)
{
	const char	*v = request_query(req, name);
	size_t		 i;

	if (v == NULL)
		return NULL;
	for (i = 0; allowed[i] != NULL; i++) {
		if (strcmp(v, allowed[i]) == 0)
			return v;
	}
	api_error_set(err, 400, name, "%s", reason);
	return NULL;
}

/* for html (issue 12): an answer whose body is ready. */
void
response_body(struct response *res, int status, char *body, size_t len,
    const char *content_type)
{
	json_decref(res->json);
	res->json = NULL;
	free(res->body);
	res->status = status;
	res->body = body;
	res->body_len = len;
	res->content_type = content_type;
}
