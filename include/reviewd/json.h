#ifndef REVIEWD_JSON_H
#define REVIEWD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/buf.h"
#include "reviewd/request.h"

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
 * or a non-object. Returns the object borrowed from req, which keeps it
 * (later calls return it again) and frees it with the request; or NULL
 * with err set. */
json_t	*json_body(struct request *req, struct api_error *err);

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
/* The test json_read_url applies, for a URL already stored. */
bool	json_url_valid(const char *s);

/* Refuses keys of obj not in the NULL-terminated list allowed. */
int	json_only_keys(json_t *obj, const char *const *allowed,
	    struct api_error *err);

/* An object {"href", "method", "rel"}, as Trustpilot's links carry. NULL
 * when out of memory. */
json_t	*json_link(const char *href, const char *method, const char *rel);

/* Sets key to a new string (copied) of ms as ISO-8601; -1 on failure. */
int	json_set_time(json_t *obj, const char *key, int64_t ms);

/*
 * A JSON writer straight into a buf, for the hot lists where building a
 * jansson tree per item costs more than the database: no allocation per
 * value. Errors (the buf's cap, memory, unbalanced nesting) are sticky and
 * reported once by json_writer_finish. key is NULL for array items and
 * the top level; a NULL string value is written as null. Text that is not
 * valid UTF-8 is written with U+FFFD in place of the bad bytes.
 *
 *	json_writer_init(&w, &b);
 *	json_writer_object(&w, NULL);
 *	json_writer_string(&w, "id", id);
 *	json_writer_end(&w);
 *	if (json_writer_finish(&w) == -1) ...
 */
#define JSON_WRITER_DEPTH	16

struct json_writer {
	struct buf	*b;
	int		 depth;
	bool		 failed;
	bool		 first[JSON_WRITER_DEPTH];
	char		 closer[JSON_WRITER_DEPTH];
};

void	json_writer_init(struct json_writer *w, struct buf *b);
void	json_writer_object(struct json_writer *w, const char *key);
void	json_writer_array(struct json_writer *w, const char *key);
void	json_writer_end(struct json_writer *w);
void	json_writer_string(struct json_writer *w, const char *key,
	    const char *s);
void	json_writer_int(struct json_writer *w, const char *key, int64_t v);
void	json_writer_bool(struct json_writer *w, const char *key, bool v);
void	json_writer_null(struct json_writer *w, const char *key);
/* An ISO-8601 time of ms since the epoch (as json_set_time writes). */
void	json_writer_time(struct json_writer *w, const char *key, int64_t ms);
/* A value already serialized (valid JSON), such as SQLite's json(). */
void	json_writer_raw(struct json_writer *w, const char *key,
	    const char *json);
/* A jansson value, dumped compactly (NULL fails the writer). */
void	json_writer_value(struct json_writer *w, const char *key,
	    const json_t *v);
/* 0 when everything was written and every object and array closed. */
int	json_writer_finish(const struct json_writer *w);

#endif
