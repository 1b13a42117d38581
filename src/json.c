/*
 * json: the strict field readers every handler uses, so a bad field always
 * produces a 400 naming it. Stateless; any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/clock.h"
#include "reviewd/json.h"
#include "reviewd/utf8.h"

json_t *
json_body(struct request *req, struct api_error *err)
{
	const char	*ctype = request_header(req, "Content-Type");
	json_error_t	 jerr;
	json_t		*root;
	size_t		 n;

	if (req->body_json != NULL)
		return req->body_json;
	if (ctype == NULL) {
		api_error_set(err, 415, "Content-Type",
		    "must be application/json");
		return NULL;
	}
	n = strcspn(ctype, "; \t");
	if (n != strlen("application/json") ||
	    strncasecmp(ctype, "application/json", n) != 0) {
		api_error_set(err, 415, "Content-Type",
		    "must be application/json");
		return NULL;
	}
	root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (root == NULL) {
		api_error_set(err, 400, "body", "malformed JSON at line %d "
		    "column %d: %s", jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		api_error_set(err, 400, "body", "must be a JSON object");
		return NULL;
	}
	req->body_json = root;
	return root;
}

static bool
has_control(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') ||
		    *p == 0x7f)
			return true;
		/* C1 controls, U+0080 to U+009F, are 0xc2 0x80-0x9f */
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return true;
	}
	return false;
}

static bool
is_string(const json_t *v)
{
	return json_is_string(v);
}

static bool
is_integer(const json_t *v)
{
	return json_is_integer(v);
}

static bool
is_boolean(const json_t *v)
{
	return json_is_boolean(v);
}

/*
 * The value of key in obj (borrowed) in *v, NULL when it is absent or
 * null. 0, or -1 with a 400 naming key when it is required and missing,
 * or when is() refuses it (reason says what it must be).
 */
static int
field(json_t *obj, const char *key, bool required,
    bool (*is)(const json_t *), const char *reason, json_t **v,
    struct api_error *err)
{
	*v = json_object_get(obj, key);
	if (*v == NULL || json_is_null(*v)) {
		*v = NULL;
		if (!required)
			return 0;
		api_error_set(err, 400, key, "is required");
		return -1;
	}
	if (!is(*v)) {
		api_error_set(err, 400, key, "%s", reason);
		return -1;
	}
	return 0;
}

int
json_read_string(json_t *obj, const char *key, bool required, size_t min_len,
    size_t max_len, const char **out, struct api_error *err)
{
	json_t		*v;	/* borrowed */
	const char	*s;
	size_t		 len;
	int		 rc;

	*out = NULL;
	rc = field(obj, key, required, is_string, "must be a string", &v, err);
	if (rc == -1 || v == NULL)
		return rc;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v) || has_control(s)) {
		api_error_set(err, 400, key, "must not contain control "
		    "characters");
		return -1;
	}
	len = utf8_length(s);
	if (len < min_len) {
		api_error_set(err, 400, key, min_len == 1 ?
		    "must not be empty" : "must be at least %zu characters",
		    min_len);
		return -1;
	}
	if (len > max_len) {
		api_error_set(err, 400, key, "must be at most %zu characters",
		    max_len);
		return -1;
	}
	*out = s;
	return 0;
}

int
json_read_int(json_t *obj, const char *key, bool required, int64_t min,
    int64_t max, int64_t *out, struct api_error *err)
{
	json_t		*v;	/* borrowed */
	json_int_t	 n;
	int		 rc;

	rc = field(obj, key, required, is_integer, "must be an integer", &v,
	    err);
	if (rc == -1 || v == NULL)
		return rc;
	n = json_integer_value(v);
	if (n < min || n > max) {
		api_error_set(err, 400, key, "must be from %lld to %lld",
		    (long long)min, (long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

int
json_read_bool(json_t *obj, const char *key, bool required, bool *out,
    struct api_error *err)
{
	json_t	*v;	/* borrowed */
	int	 rc;

	rc = field(obj, key, required, is_boolean, "must be true or false",
	    &v, err);
	if (rc == -1 || v == NULL)
		return rc;
	*out = json_is_true(v);
	return 0;
}

int
json_only_keys(json_t *obj, const char *const *allowed, struct api_error *err)
{
	const char	*key;
	json_t		*v;	/* borrowed */
	size_t		 i;
	int		 ret = 0;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(key, allowed[i]) == 0)
				break;
		}
		if (allowed[i] == NULL) {
			api_error_set(err, 400, key, "is not a known field");
			ret = -1;
		}
	}
	return ret;
}

json_t *
json_link(const char *href, const char *method, const char *rel)
{
	return json_pack("{s:s, s:s, s:s}", "href", href, "method", method,
	    "rel", rel);
}

int
json_set_time(json_t *obj, const char *key, int64_t ms)
{
	char	 iso[CLOCK_ISO_LEN];

	if (clock_format(ms, iso) == -1)
		return -1;
	return json_object_set_new(obj, key, json_string(iso));
}

bool
json_url_valid(const char *s)
{
	const char	*host, *p;

	host = strncmp(s, "https://", 8) == 0 ? s + 8 :
	    strncmp(s, "http://", 7) == 0 ? s + 7 : NULL;
	if (host == NULL || *host == '\0' || *host == '/' ||
	    utf8_length(s) > JSON_URL_MAX)
		return false;
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	}
	return true;
}

int
json_read_url(json_t *obj, const char *key, bool required, const char **out,
    struct api_error *err)
{
	if (json_read_string(obj, key, required, 1, JSON_URL_MAX, out,
	    err) == -1)
		return -1;
	if (*out == NULL || json_url_valid(*out))
		return 0;
	*out = NULL;
	api_error_set(err, 400, key, "must be an http:// or https:// URL");
	return -1;
}

/* The writer. */

void
json_writer_init(struct json_writer *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = true;
}

static void
put(struct json_writer *w, const char *s, size_t len)
{
	struct buf	*b = w->b;

	if (w->failed)
		return;
	/* most pieces are a few bytes into room that is already there
	 * (alloc never passes cap + 1, so this stays under the cap) */
	if (b->alloc - b->len > len) {
		memcpy(b->data + b->len, s, len);
		b->len += len;
		b->data[b->len] = '\0';
	} else if (buf_append(b, s, len) == -1)
		w->failed = true;
}

/*
 * The bytes a JSON string body copies as they are: 0x20 to 0x7f but '"'
 * and '\\'. A table, so the scan over a review's text is one load
 * and one test a byte (the writer's hottest loop: lists write 20 to 100
 * reviews of free text each).
 */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 10 */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* 50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 70 */
	/* 80 to ff: 0 */
};

/*
 * Whether the 8 bytes of v all copy as they are (plain[] of each), by
 * the bit tricks of "has a byte less than": a byte >= 0x80 sets its top
 * bit in v; once none does, a byte below 0x20 sets it in v - 0x20..20
 * and a '"' or '\\' sets it in (x - 0x01..01) & ~x of v xor the byte
 * (a borrow starts only at a byte that matches, so a word is never
 * called plain wrongly).
 */
static bool
word_plain(uint64_t v)
{
	const uint64_t	 ones = 0x0101010101010101ULL, top = ones * 0x80;
	uint64_t	 q = v ^ (ones * '"'), bs = v ^ (ones * '\\');

	return ((v | (v - ones * 0x20) | ((q - ones) & ~q) |
	    ((bs - ones) & ~bs)) & top) == 0;
}

/* Appends the len bytes of s (s[len] is a NUL; so is the end at an
 * earlier NUL) as a JSON string body (no quotes). */
static void
put_escaped(struct json_writer *w, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";	/* as jansson */
	static const char	 from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
	const unsigned char	*p = (const unsigned char *)s, *run = p;
	const unsigned char	*end = p + len;
	const char		*named;
	char			 esc[8];
	uint64_t		 v;
	size_t			 n;

	for (;;) {
		/* eight bytes at a time through the plain runs of text */
		while (end - p >= 8) {
			memcpy(&v, p, 8);
			if (!word_plain(v))
				break;
			p += 8;
		}
		while (plain[*p])
			p++;
		/* a valid sequence stays in the run */
		if (*p >= 0x80 && (n = utf8_sequence(p)) != 0) {
			p += n;
			continue;
		}
		put(w, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			return;
		if (*p >= 0x80) {
			put(w, "\xef\xbf\xbd", 3);	/* U+FFFD */
			run = ++p;
			continue;
		}
		esc[0] = '\\';
		if ((named = strchr(from, *p)) != NULL) {
			esc[1] = to[named - from];
			n = 2;
		} else {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			n = 6;
		}
		put(w, esc, n);
		run = ++p;
	}
}

/* The separator and key before a value; false when there is no room for
 * one (a key in an array, no key in an object, or failed). */
static bool
start_value(struct json_writer *w, const char *key)
{
	bool	 in_object = w->depth > 0 && w->closer[w->depth] == '}';

	if (w->failed || (key != NULL) != in_object ||
	    (w->depth == 0 && !w->first[0])) {
		w->failed = true;
		return false;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
	if (key != NULL) {
		put(w, "\"", 1);
		put_escaped(w, key, strlen(key));
		put(w, "\":", 2);
	}
	return !w->failed;
}

static void
open_container(struct json_writer *w, const char *key, char open,
    char close)
{
	if (!start_value(w, key))
		return;
	if (w->depth + 1 >= JSON_WRITER_DEPTH) {
		w->failed = true;
		return;
	}
	put(w, &open, 1);
	w->depth++;
	w->first[w->depth] = true;
	w->closer[w->depth] = close;
}

void
json_writer_object(struct json_writer *w, const char *key)
{
	open_container(w, key, '{', '}');
}

void
json_writer_array(struct json_writer *w, const char *key)
{
	open_container(w, key, '[', ']');
}

void
json_writer_end(struct json_writer *w)
{
	if (w->depth == 0) {
		w->failed = true;
		return;
	}
	put(w, &w->closer[w->depth], 1);
	w->depth--;
}

void
json_writer_string(struct json_writer *w, const char *key, const char *s)
{
	if (s == NULL) {
		json_writer_null(w, key);
		return;
	}
	if (!start_value(w, key))
		return;
	put(w, "\"", 1);
	put_escaped(w, s, strlen(s));
	put(w, "\"", 1);
}

void
json_writer_int(struct json_writer *w, const char *key, int64_t v)
{
	char		 s[24], *p = s + sizeof(s);
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	if (!start_value(w, key))
		return;
	/* by hand: snprintf's format parsing cost more than the digits */
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	put(w, p, (size_t)(s + sizeof(s) - p));
}

void
json_writer_bool(struct json_writer *w, const char *key, bool v)
{
	if (start_value(w, key))
		put(w, v ? "true" : "false", v ? 4 : 5);
}

void
json_writer_null(struct json_writer *w, const char *key)
{
	if (start_value(w, key))
		put(w, "null", 4);
}

void
json_writer_time(struct json_writer *w, const char *key, int64_t ms)
{
	char	 iso[CLOCK_ISO_LEN];

	if (clock_format(ms, iso) == -1)
		json_writer_null(w, key);
	else
		json_writer_string(w, key, iso);
}

void
json_writer_raw(struct json_writer *w, const char *key, const char *json)
{
	if (start_value(w, key))
		put(w, json, strlen(json));
}

void
json_writer_value(struct json_writer *w, const char *key, const json_t *v)
{
	char	*text = v != NULL ? json_dumps(v, JSON_COMPACT |
		    JSON_ENCODE_ANY) : NULL;

	if (text == NULL)
		w->failed = true;
	else
		json_writer_raw(w, key, text);
	free(text);
}

int
json_writer_finish(const struct json_writer *w)
{
	return w->failed || w->depth != 0 ? -1 : 0;
}
