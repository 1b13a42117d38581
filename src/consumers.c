/*
 * consumers: the public consumer profile and its reviews (see
 * consumers.h). Reads the reviews module's tables (consumers, reviews)
 * and writes nothing. HTTP worker threads.
 *
 * Anonymity is what this file must keep: an anonymous review shows its
 * own id as its consumer's (reviews_json.h), so no id leads here from
 * one; and everything here is made of named reviews alone, so the name
 * or country an anonymous review was written under (which the consumers
 * row may hold, from its first review) never shows, nor how many
 * anonymous reviews there are. The e-mail address is never read.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "reviewd/buf.h"
#include "reviewd/consumers.h"
#include "reviewd/handler.h"
#include "reviewd/json.h"
#include "reviewd/reviews_json.h"

#define PAGE_MAX	100
#define PER_PAGE	20	/* Trustpilot's default perPage */

/* A named review: what a profile is made of. */
#define NAMED								\
	"r.status = 'published' AND r.hidden_reason IS NULL AND "	\
	"r.anonymous = 0 "

static const char sql_profile[] =
    "SELECT r.consumer_id, r.display_name, r.country, c.named_count "
    "FROM reviews r JOIN consumers c ON c.id = r.consumer_id "
    "WHERE r.consumer_id = ?1 AND " NAMED
    "ORDER BY r.pub_seq DESC LIMIT 1";

/* {href, method, rel} of path under the public URL. */
static json_t *
link_of(const struct request *req, const char *path, const char *id,
    const char *tail, const char *rel)
{
	char	 href[CONFIG_STR + 128];

	snprintf(href, sizeof(href), "%s%s%s%s", req->cfg->public_url, path,
	    id, tail);
	return json_pack("{s:s, s:s, s:s}", "href", href, "method", "GET",
	    "rel", rel);
}

int
consumers_get(ROUTE_HANDLER_PARAMS)
{
	const char	*id = request_param(req, "consumerId");
	struct db_stmt	*st;
	json_t		*out;	/* owned, taken by response_json */
	int		 rc;

	if ((rc = db_row(req->db, sql_profile, &st, "s", id)) != DB_ROW) {
		if (rc == -1)
			db_fail(req->db, err);
		else
			api_error_set(err, 404, NULL, "Consumer not found");
		return -1;
	}
	out = json_pack("{s:s, s:s, s:o, s:o, s:I, s:[o, o]}",
	    "id", db_text(st, 0),
	    "displayName", db_text(st, 1),
	    "displayLocation", db_bytes(st, 2) > 0 ? json_string(db_text(st,
	    2)) : json_null(),
	    "countryCode", db_bytes(st, 2) > 0 ? json_string(db_text(st, 2)) :
	    json_null(),
	    "numberOfReviews", (json_int_t)db_int(st, 3),
	    "links", link_of(req, "/v1/consumers/", id, "", "self"),
	    link_of(req, "/v1/consumers/", id, "/reviews", "consumer-reviews"));
	db_release(st);
	return response_json(res, 200, out, err);
}

/* The public columns (no tags, no Find Reviewer thread), as public lists
 * read them (reviews_shape.c). */
#define CONSUMER_REVIEWS(order)						\
	"SELECT " REVIEW_BASE_COLUMNS ", '[]', '[]', " REVIEW_REPORT	\
	REVIEW_FROM "WHERE r.consumer_id = ?1 AND " NAMED		\
	"AND (?2 = 1 OR r.reported = 0) AND "				\
	"((CAST(?3 AS BIGINT) >> CAST(r.stars AS INTEGER)) & 1) = 1 AND " \
	"(?4 IS NULL OR r.language IN (SELECT value FROM json_each(?4))) " \
	"AND (?5 IS NULL OR r.business_unit_id = ?5) "			\
	"ORDER BY r.pub_seq " order " LIMIT ?6 OFFSET ?7"

static const char sql_reviews_desc[] = CONSUMER_REVIEWS("DESC");
static const char sql_reviews_asc[] = CONSUMER_REVIEWS("ASC");
static const char sql_exists[] =
    "SELECT 1 FROM reviews r WHERE r.consumer_id = ?1 AND " NAMED "LIMIT 1";

/* What the query asks of the list. */
struct consumer_filters {
	struct handler_page	 p;
	int64_t			 stars;		/* bit n: n stars */
	char			 languages[64];	/* JSON array, "" for all */
	const char		*bu;		/* NULL for all */
	bool			 reported;
	bool			 asc;
};

/* stars=4,5 as bits; a bad item is a 400 naming stars. */
static void
read_stars(const struct request *req, struct consumer_filters *f,
    struct api_error *err)
{
	const char	*v = request_query(req, "stars"), *p;

	f->stars = 0x3e;	/* 1 to 5 */
	if (v == NULL)
		return;
	f->stars = 0;
	for (p = v;; p += 2) {
		if (p[0] < '1' || p[0] > '5' || (p[1] != ',' && p[1] != '\0')) {
			api_error_set(err, 400, "stars", "must be 1 to 5, "
			    "comma-separated");
			return;
		}
		f->stars |= (int64_t)1 << (p[0] - '0');
		if (p[1] == '\0')
			return;
	}
}

/* language=en,da as a JSON array of ISO 639-1 codes (at most 8). */
static void
read_languages(const struct request *req, struct consumer_filters *f,
    struct api_error *err)
{
	const char	*v = request_query(req, "language"), *p;
	struct buf	 b;
	int		 r = 0;

	f->languages[0] = '\0';
	if (v == NULL)
		return;
	buf_init(&b, sizeof(f->languages));
	r = buf_puts(&b, "[");
	for (p = v; r == 0; p += 3) {
		if (p[0] < 'a' || p[0] > 'z' || p[1] < 'a' || p[1] > 'z' ||
		    (p[2] != ',' && p[2] != '\0')) {
			r = -1;
			break;
		}
		r = buf_printf(&b, "%s\"%.2s\"", p == v ? "" : ",", p);
		if (p[2] == '\0')
			break;
	}
	if (r == 0 && buf_puts(&b, "]") == 0)
		snprintf(f->languages, sizeof(f->languages), "%s", b.data);
	else
		api_error_set(err, 400, "language", "must be at most 8 ISO "
		    "639-1 codes, comma-separated");
	buf_release(&b);
}

/* Reads the query into f; each bad parameter adds a 400 naming it. */
static int
read_filters(const struct request *req, struct consumer_filters *f,
    struct api_error *err)
{
	const char	*v;

	memset(f, 0, sizeof(*f));
	f->p.page = 1;
	f->p.per_page = PER_PAGE;
	handler_page_args(req, PAGE_MAX, &f->p, err);
	read_stars(req, f, err);
	read_languages(req, f, err);
	f->bu = request_query(req, "businessUnitId");
	if (f->bu != NULL && !ids_valid(f->bu))
		api_error_set(err, 400, "businessUnitId", "must be a business "
		    "unit id");
	if ((v = request_query(req, "includeReportedReviews")) != NULL) {
		if (strcasecmp(v, "true") == 0)
			f->reported = true;
		else if (strcasecmp(v, "false") != 0)
			api_error_set(err, 400, "includeReportedReviews",
			    "must be true or false");
	}
	if ((v = request_query(req, "orderBy")) != NULL) {
		if (strcasecmp(v, "createdat.asc") == 0)
			f->asc = true;
		else if (strcasecmp(v, "createdat.desc") != 0)
			api_error_set(err, 400, "orderBy", "must be "
			    "createdat.desc or createdat.asc");
	}
	if (request_query(req, "internalLocationId") != NULL)
		api_error_set(err, 400, "internalLocationId", "is not offered: "
		    "reviewd has no locations");
	return err->status != 0 ? -1 : 0;
}

int
consumers_reviews(ROUTE_HANDLER_PARAMS)
{
	const char		*id = request_param(req, "consumerId");
	struct consumer_filters	 f;
	int			 rc;

	if (read_filters(req, &f, err) == -1)
		return -1;
	/* a consumer with no named review is not there, as an unknown id */
	if ((rc = db_exists(req->db, sql_exists, "s", id)) != DB_ROW) {
		if (rc == -1)
			db_fail(req->db, err);
		else
			api_error_set(err, 404, NULL, "Consumer not found");
		return -1;
	}
	return reviews_json_page_query(req, res, f.p.page, f.p.per_page,
	    INT64_MAX, f.asc ? sql_reviews_asc : sql_reviews_desc, err,
	    "siiss", id, (int64_t)f.reported, f.stars,
	    f.languages[0] != '\0' ? f.languages : NULL, f.bu);
}
