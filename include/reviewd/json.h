#ifndef REVIEWD_JSON_H
#define REVIEWD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/http.h"

/*
 * Strict readers over jansson. Every reader that rejects a value adds a
 * detail naming the field to err (status 400) and returns -1, so a handler
 * can read all fields and report every bad one at once:
 *
 *	json_read_string(body, "name", true, 1, 200, &name, err);
 *	json_read_string(body, "domain", true, 1, 253, &domain, err);
 *	if (err->status != 0)
 *		goto out;
 *
 * Strings returned are borrowed from the object.
 */

/* Parses the request body as a JSON object: 415 unless the Content-Type is
 * application/json, 400 for malformed JSON, invalid UTF-8, duplicate keys
 * or a non-object. Returns a new reference or NULL with err set. */
json_t	*json_body(const struct request *req, struct api_error *err);

/* Absent or null: *out = NULL (an error only when required). Lengths are in
 * characters (code points); control characters other than \n \r \t are
 * refused. */
int	json_read_string(json_t *obj, const char *key, bool required,
	    size_t min_len, size_t max_len, const char **out,
	    struct api_error *err);

/* Absent or null leaves *out unchanged (an error only when required). */
int	json_read_int(json_t *obj, const char *key, bool required, int64_t min,
	    int64_t max, int64_t *out, struct api_error *err);
int	json_read_bool(json_t *obj, const char *key, bool required, bool *out,
	    struct api_error *err);

#define JSON_URL_MAX	2048

/* A string that is an absolute http:// or https:// URL with a host, of at
 * most JSON_URL_MAX characters, without spaces or control characters (so
 * it is safe in an href or a Location header). Absent or null: *out NULL,
 * an error only when required. 0, or -1 with the field named in err. */
int	json_read_url(json_t *obj, const char *key, bool required,
	    const char **out, struct api_error *err);

/* Refuses keys of obj not in the NULL-terminated list allowed. */
int	json_only_keys(json_t *obj, const char *const *allowed,
	    struct api_error *err);

/* True when s is well-formed UTF-8: no stray continuation bytes, no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
bool	json_utf8_valid(const char *s);

/* Drops a UTF-8 sequence left incomplete at the end of s, as a cut to a
 * byte length leaves it. */
void	json_utf8_cut(char *s);

/* Number of code points of valid UTF-8 s. */
size_t	json_utf8_length(const char *s);

/* An object {"href", "method", "rel"}, as Trustpilot's links carry. NULL
 * when out of memory. */
json_t	*json_link(const char *href, const char *method, const char *rel);

/* Sets key to a new string (copied) of ms as ISO-8601; -1 on failure. */
int	json_set_time(json_t *obj, const char *key, int64_t ms);

#endif
