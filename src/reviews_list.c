/*
 * reviews_list: the public and private listings of a unit's reviews and
 * product reviews with Trustpilot's filters, page and cursor paging, one
 * review by id, and the page of reviews the profile page shows. Reads
 * only; HTTP worker threads.
 *
 * pub_seq is assigned at publication in the publishing transaction
 * (writers are serialized by BEGIN IMMEDIATE), so the public cursor, which
 * walks pub_seq upwards, sees every review exactly once however late it
 * was confirmed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/ids.h"
#include "reviewd/json.h"
#include "reviewd/reviews.h"
#include "reviewd/reviews_json.h"

#define SKU_MAX		100
#define PAGE_MAX	100

/* Listing. */

/*
 * Every filter is a bound parameter that is NULL when not asked for, so
 * one statement per order serves every combination.
 *   ?1 unit  ?2 public only  ?3 product mode (0 service, 1 product)
 *   ?4 sku  ?5 stars (JSON array)  ?6 languages (JSON array)
 *   ?7 responded  ?8 tag group  ?9 tag value  ?10 include reported
 *   ?11 referenceId  ?12 referralEmail  ?13 reported  ?14 source
 *   ?15 contacted  ?16 from  ?17 to  ?18 on updatedAt  ?19 status
 *   ?20 after (cursor)  ?21 limit  ?22 offset
 */
/* Every list holds only reviews published at some point (pub_seq): one
 * never published was written under an address nobody proved. */
#define LIST_WHERE							\
	"WHERE r.business_unit_id = ?1 AND r.pub_seq IS NOT NULL "	\
	"AND (?2 = 0 OR (r.status = 'published' AND "			\
	"  r.hidden_reason IS NULL)) "					\
	"AND ((?3 = 0 AND r.sku IS NULL) OR (?3 = 1 AND r.sku IS NOT NULL)) " \
	"AND (?4 IS NULL OR r.sku = ?4) "				\
	"AND (?5 IS NULL OR r.stars IN (SELECT value FROM json_each(?5))) " \
	"AND (?6 IS NULL OR r.language IN (SELECT value FROM json_each(?6))) " \
	"AND (?7 IS NULL OR (r.reply_text IS NOT NULL) = ?7) "		\
	"AND ((?8 IS NULL AND ?9 IS NULL) OR EXISTS (SELECT 1 FROM "	\
	"  review_tags t WHERE t.review_id = r.id AND (?8 IS NULL OR "	\
	"  t.tag_group = ?8) AND (?9 IS NULL OR t.tag_value = ?9))) "	\
	"AND (?10 = 1 OR r.reported = 0) "				\
	"AND (?11 IS NULL OR r.reference_id = ?11) "			\
	"AND (?12 IS NULL OR (r.source = 'invitation' AND "		\
	"  r.referral_email = ?12 COLLATE NOCASE)) "			\
	"AND (?13 IS NULL OR r.reported = ?13) "			\
	"AND (?14 IS NULL OR r.source = ?14) "				\
	"AND (?15 IS NULL OR r.reviewer_contacted = ?15) "		\
	"AND (?16 IS NULL OR (CASE WHEN ?18 THEN r.updated_at "		\
	"  ELSE r.created_at END) >= ?16) "				\
	"AND (?17 IS NULL OR (CASE WHEN ?18 THEN r.updated_at "		\
	"  ELSE r.created_at END) <= ?17) "				\
	"AND (?19 IS NULL OR (CASE WHEN r.status = 'published' AND "	\
	"  r.hidden_reason IS NOT NULL THEN 'hidden' WHEN r.status = "	\
	"  'published' THEN 'active' ELSE r.status END) = ?19) "	\
	"AND (?20 IS NULL OR (CASE WHEN ?2 THEN r.pub_seq ELSE r.seq END) " \
	"  > ?20) "
/* Public lists (?2) skip the subqueries of what only private JSON shows:
 * CASE evaluates them only when taken. */
#define LIST_SQL(order)							\
	"SELECT " REVIEW_BASE_COLUMNS ", "				\
	"CASE WHEN ?2 THEN '[]' ELSE " REVIEW_TAGS " END, "		\
	"CASE WHEN ?2 THEN '[]' ELSE " REVIEW_THREAD " END, "		\
	REVIEW_REPORT REVIEW_FROM LIST_WHERE "ORDER BY " order		\
	" LIMIT ?21 OFFSET ?22"

static const struct {
	const char	*name;
	const char	*sql;
} orders[] = {
	{ "createdat.desc", LIST_SQL("r.created_at DESC, r.seq DESC") },
	{ "createdat.asc", LIST_SQL("r.created_at ASC, r.seq ASC") },
	{ "stars.desc", LIST_SQL("r.stars DESC, r.created_at DESC, "
	    "r.seq DESC") },
	{ "stars.asc", LIST_SQL("r.stars ASC, r.created_at DESC, "
	    "r.seq DESC") },
	/* the cursor: publication order for public lists */
	{ NULL, LIST_SQL("CASE WHEN ?2 THEN r.pub_seq ELSE r.seq END ASC") },
};

#define CURSOR_ORDER	4

enum list_mode {
	LIST_PUBLIC,
	LIST_PRIVATE
};

struct filters {
	const char	*bu;
	bool		 public_only;
	bool		 product;
	const char	*sku;
	char		 stars[32];	/* JSON array or "" */
	char		 languages[256];
	int		 responded;	/* -1: any */
	const char	*tag_group, *tag_value;
	bool		 include_reported;
	const char	*reference, *referral, *source, *status;
	int		 reported, contacted;	/* -1: any */
	int64_t		 from, to;		/* INT64_MIN/MAX: open */
	bool		 on_updated;
	size_t		 order;
	bool		 cursor;
	int64_t		 after;
	struct handler_page p;
};

/* The filters of an unfiltered list: page 1 of 20. */
static void
filters_init(struct filters *f, const char *bu, bool public_only,
    bool product)
{
	memset(f, 0, sizeof(f[0]));
	f->bu = bu;
	f->public_only = public_only;
	f->product = product;
	f->responded = f->reported = f->contacted = -1;
	f->from = INT64_MIN;
	f->to = INT64_MAX;
	f->p.page = 1;
	f->p.per_page = 20;
}

static int
query_bool(const struct request *req, const char *name, int *out,
    struct api_error *err)
{
	const char	*v = request_query(req, name);

	if (v == NULL)
		return 0;
	if (strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "false") == 0)
		*out = 0;
	else {
		api_error_set(err, 400, name, "must be true or false");
		return -1;
	}
	return 0;
}

static int
query_time(const struct request *req, const char *name, int64_t *out,
    struct api_error *err)
{
	const char	*v = request_query(req, name);

	if (v != NULL && clock_parse(v, out) == -1) {
		api_error_set(err, 400, name, "must be a time such as "
		    "2013-09-07T13:37:00 or 09/07/2013 13:37:00");
		return -1;
	}
	return 0;
}

/* "4,5" -> "[4,5]" after checking each item with ok(). */
static int
query_list(const struct request *req, const char *name, char *out,
    size_t outlen, bool (*ok)(const char *, size_t), const char *what,
    struct api_error *err)
{
	const char	*v = request_query(req, name), *p, *comma;
	size_t		 used = 0, len;
	int		 n;

	out[0] = '\0';
	if (v == NULL)
		return 0;
	used = (size_t)snprintf(out, outlen, "[");
	for (p = v;; p = comma + 1) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (!ok(p, len)) {
			api_error_set(err, 400, name, "must be %s", what);
			return -1;
		}
		n = snprintf(out + used, outlen - used, "%s\"%.*s\"",
		    used > 1 ? "," : "", (int)len, p);
		if (n < 0 || (size_t)n >= outlen - used) {
			api_error_set(err, 400, name, "has too many values");
			return -1;
		}
		used += (size_t)n;
		if (comma == NULL)
			break;
	}
	if (used + 2 > outlen) {
		api_error_set(err, 400, name, "has too many values");
		return -1;
	}
	memcpy(out + used, "]", 2);
	return 0;
}

static bool
star_ok(const char *p, size_t len)
{
	return len == 1 && p[0] >= '1' && p[0] <= '5';
}

static bool
language_ok(const char *p, size_t len)
{
	return len == 2 && islower((unsigned char)p[0]) &&
	    islower((unsigned char)p[1]);
}

static void	read_private_filters(const struct request *,
		    struct filters *, struct api_error *);

/* Reads the query of a list of unit bu into f; 0, or -1 with every bad
 * parameter named in err. */
static int
read_filters(const struct request *req, const char *bu, enum list_mode mode,
    bool product, struct filters *f, struct api_error *err)
{
	const char	*v;
	size_t		 i;

	filters_init(f, bu, mode == LIST_PUBLIC, product);
	f->sku = request_query(req, "sku");
	if (f->sku != NULL && (f->sku[0] == '\0' || strlen(f->sku) > SKU_MAX))
		api_error_set(err, 400, "sku", "must be 1 to %d characters",
		    SKU_MAX);
	query_list(req, "stars", f->stars, sizeof(f->stars), star_ok,
	    "1 to 5, comma-separated", err);
	query_list(req, "language", f->languages, sizeof(f->languages),
	    language_ok, "ISO 639-1 codes, comma-separated", err);
	query_bool(req, "responded", &f->responded, err);
	if ((v = request_query(req, "includeReportedReviews")) != NULL) {
		int	 b = 0;

		query_bool(req, "includeReportedReviews", &b, err);
		f->include_reported = b == 1;
	}
	f->order = 0;
	if ((v = request_query(req, "orderBy")) != NULL) {
		for (i = 0; i < CURSOR_ORDER; i++) {
			size_t	 n = strlen(orders[i].name);

			if (strncmp(v, orders[i].name, n) == 0 &&
			    (v[n] == '\0' || v[n] == ','))
				break;
		}
		if (i == CURSOR_ORDER)
			api_error_set(err, 400, "orderBy", "must be "
			    "createdat.asc, createdat.desc, stars.asc or "
			    "stars.desc");
		f->order = i;
	}
	handler_page_args(req, PAGE_MAX, &f->p, err);
	if ((v = request_query(req, "pageToken")) != NULL) {
		char	*end;

		f->cursor = true;
		f->order = CURSOR_ORDER;
		f->after = 0;
		if (v[0] != '\0') {
			f->after = v[0] == 'c' ? strtoll(v + 1, &end, 10) : -1;
			if (v[0] != 'c' || *end != '\0' || f->after < 0)
				api_error_set(err, 400, "pageToken", "is not a "
				    "token this server gave out");
		}
	}
	/* Tags are the business's private notes: a public list accepts
	 * tagGroup and tagValue, as Trustpilot documents them, and ignores
	 * them, so nobody can probe which reviews carry which tag. */
	if (mode == LIST_PRIVATE)
		read_private_filters(req, f, err);
	return err->status != 0 ? -1 : 0;
}

/* The filters only a business has on its own reviews. */
static void
read_private_filters(const struct request *req, struct filters *f,
    struct api_error *err)
{
	static const char *const sources[] = { "organic", "invitation",
	    "third_party_invitation", NULL };
	static const char *const statuses[] = { "active", "hidden", NULL };
	const char	*v;

	f->tag_group = request_query(req, "tagGroup");
	f->tag_value = request_query(req, "tagValue");
	f->reference = request_query(req, "referenceId");
	f->referral = request_query(req, "referralEmail");
	query_bool(req, "reported", &f->reported, err);
	f->source = request_query_enum(req, "source", sources, "must be "
	    "organic, invitation or third_party_invitation", err);
	f->status = request_query_enum(req, "status", statuses, "must be "
	    "active or hidden (a review never published is not shown)", err);
	if ((v = request_query(req, "findReviewer")) != NULL) {
		if (strcmp(v, "contacted") == 0)
			f->contacted = 1;
		else if (strcmp(v, "notContacted") == 0)
			f->contacted = 0;
		else
			api_error_set(err, 400, "findReviewer", "must be "
			    "contacted or notContacted");
	}
	query_time(req, "startDateTime", &f->from, err);
	query_time(req, "endDateTime", &f->to, err);
	if ((v = request_query(req, "dateField")) != NULL) {
		if (strcmp(v, "updatedAt") == 0)
			f->on_updated = true;
		else if (strcmp(v, "createdAt") != 0)
			api_error_set(err, 400, "dateField", "must be "
			    "createdAt or updatedAt");
	}
	/* includeReportedReviews is meaningless privately:
	 * the business sees its reported reviews unless it filters them. */
	f->include_reported = true;
}

static int
bind_opt_int(struct db_stmt *st, int idx, int v)
{
	return v < 0 ? db_bind_null(st, idx) :
	    db_bind_int(st, idx, v);
}

static int
bind_filters(struct db_stmt *st, const struct filters *f)
{
	return db_bind_text(st, 1, f->bu) == -1 ||
	    db_bind_int(st, 2, f->public_only) == -1 ||
	    db_bind_int(st, 3, f->product) == -1 ||
	    db_bind_text(st, 4, f->sku) == -1 ||
	    db_bind_text(st, 5, f->stars[0] ? f->stars : NULL) == -1 ||
	    db_bind_text(st, 6, f->languages[0] ? f->languages : NULL) == -1 ||
	    bind_opt_int(st, 7, f->responded) == -1 ||
	    db_bind_text(st, 8, f->tag_group) == -1 ||
	    db_bind_text(st, 9, f->tag_value) == -1 ||
	    db_bind_int(st, 10, f->include_reported) == -1 ||
	    db_bind_text(st, 11, f->reference) == -1 ||
	    db_bind_text(st, 12, f->referral) == -1 ||
	    bind_opt_int(st, 13, f->reported) == -1 ||
	    db_bind_text(st, 14, f->source) == -1 ||
	    bind_opt_int(st, 15, f->contacted) == -1 ||
	    (f->from == INT64_MIN ? db_bind_null(st, 16) :
	    db_bind_int(st, 16, f->from)) == -1 ||
	    (f->to == INT64_MAX ? db_bind_null(st, 17) :
	    db_bind_int(st, 17, f->to)) == -1 ||
	    db_bind_int(st, 18, f->on_updated) == -1 ||
	    db_bind_text(st, 19, f->status) == -1 ||
	    (f->cursor ? db_bind_int(st, 20, f->after) :
	    db_bind_null(st, 20)) == -1 ||
	    db_bind_int(st, 21, f->p.per_page + 1) == -1 ||
	    db_bind_int(st, 22, f->cursor ? 0 :
	    (f->p.page - 1) * f->p.per_page) == -1 ? -1 : 0;
}

/* Runs the listing for f and writes the whole answer into out:
 * {"links", key: [...], "nextPageToken" (cursor paging)}. */
static int
run_list(struct db *db, const struct request *req, const struct filters *f,
    const char *key, struct buf *out, struct api_error *err)
{
	struct db_stmt		*st = db_prepare(db, orders[f->order].sql);
	struct buf		 items;
	struct json_writer	 w, iw;
	json_t			*links = json_array();
	int64_t			 n = 0, last = f->after;
	char			 value[32];
	int			 rc, ret = -1;
	bool			 more = false;

	buf_init(&items, REVIEWS_JSON_MAX);
	json_writer_init(&iw, &items);
	json_writer_array(&iw, NULL);
	if (st == NULL || links == NULL || bind_filters(st, f) == -1)
		goto out;
	while ((rc = db_step(db, st)) == DB_ROW) {
		if (n++ == f->p.per_page) {
			more = true;
			break;
		}
		last = db_int(st, f->public_only ? REVIEW_C_PUB_SEQ :
		    REVIEW_C_SEQ);
		reviews_json_write(&iw, st, req->cfg->public_url,
		    !f->public_only);
	}
	json_writer_end(&iw);
	if (rc != -1 && json_writer_finish(&iw) == -1)
		api_error_set(err, 500, NULL, "Internal error");
	if (rc == -1 || err->status != 0)
		goto out;
	db_release(st);
	st = NULL;
	if (f->cursor)
		snprintf(value, sizeof(value), "c%lld", (long long)last);
	else
		snprintf(value, sizeof(value), "%lld",
		    (long long)f->p.page + 1);
	if (more && json_array_append_new(links, request_next_page_link(req,
	    f->cursor ? "pageToken" : "page", value)) == -1)
		goto out;
	json_writer_init(&w, out);
	json_writer_object(&w, NULL);
	json_writer_value(&w, "links", links);
	json_writer_raw(&w, key, items.data);
	if (f->cursor)
		json_writer_string(&w, "nextPageToken", value);
	json_writer_end(&w);
	if ((ret = json_writer_finish(&w)) == -1)
		api_error_set(err, 500, NULL, "Internal error");
out:
	db_release(st);
	json_decref(links);
	buf_release(&items);
	if (ret == -1)
		db_fail(db, err);	/* the first status set wins */
	return ret;
}

static const char sql_unit_known[] =
    "SELECT 1 FROM business_units WHERE id = ?";

/* An unknown unit is a 404, not an empty list. */
static int
unit_known(struct db *db, const char *bu, struct api_error *err)
{
	struct db_stmt	*st = db_prepare(db, sql_unit_known);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_release(st);
		db_fail(db, err);
		return -1;
	}
	db_release(st);
	if (rc == DB_DONE) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	return 0;
}

static int
list(struct request *req, struct response *res, struct api_error *err,
    enum list_mode mode, bool product)
{
	struct db	*db = req->db;
	struct filters	 f;
	struct buf	 body;
	const char	*bu = request_param(req, "businessUnitId");
	int		 ret;

	if (mode == LIST_PRIVATE && auth_business_unit(req, &bu, err) == -1)
		return -1;
	if (bu == NULL || !ids_valid(bu)) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	if (read_filters(req, bu, mode, product, &f, err) == -1)
		return -1;
	if (product && mode == LIST_PUBLIC && f.sku == NULL) {
		api_error_set(err, 400, "sku", "is required");
		return -1;
	}
	if (unit_known(db, bu, err) == -1)
		return -1;
	buf_init(&body, REVIEWS_JSON_MAX + 4096);
	ret = run_list(db, req, &f, product ? "productReviews" : "reviews",
	    &body, err);
	if (ret == 0)
		ret = response_json_text(res, 200, &body, err);
	buf_release(&body);
	return ret;
}

int
reviews_list_public(struct request *req, struct response *res,
    struct api_error *err)
{
	return list(req, res, err, LIST_PUBLIC, false);
}

int
reviews_list_product_public(struct request *req, struct response *res,
    struct api_error *err)
{
	return list(req, res, err, LIST_PUBLIC, true);
}

int
reviews_list_private(struct request *req, struct response *res,
    struct api_error *err)
{
	return list(req, res, err, LIST_PRIVATE, false);
}

int
reviews_list_product_private(struct request *req, struct response *res,
    struct api_error *err)
{
	return list(req, res, err, LIST_PRIVATE, true);
}

static int
get_one(struct request *req, struct response *res, struct api_error *err,
    bool private, int product)
{
	struct db_stmt	*st;
	const char	*id = request_param(req, "reviewId");
	int		 r;

	if (reviews_json_load(req->db, req, id, !private, &st, err) == -1)
		return -1;
	if (product >= 0 && (!db_is_null(st, REVIEW_C_SKU)) !=
	    (product == 1)) {
		db_release(st);
		api_error_set(err, 404, NULL, "Review not found");
		return -1;
	}
	r = reviews_json_respond(res, 200, st, req->cfg->public_url, private,
	    err);
	db_release(st);
	return r;
}

int
reviews_get_public(struct request *req, struct response *res,
    struct api_error *err)
{
	return get_one(req, res, err, false, -1);
}

int
reviews_get_private(struct request *req, struct response *res,
    struct api_error *err)
{
	return get_one(req, res, err, true, -1);
}

int
reviews_get_product_private(struct request *req, struct response *res,
    struct api_error *err)
{
	return get_one(req, res, err, true, 1);
}

/* Pages. */

static const char sql_unit_by_domain[] =
    "SELECT id FROM business_units WHERE domain = ?";

int
reviews_page_data(struct db *db, const char *domain, int64_t page,
    int64_t per_page, json_t **out, struct api_error *err)
{
	struct filters	 f;
	struct db_stmt	*st = NULL;
	json_t		*items = json_array();	/* owned */
	char		 bu[IDS_ID_LEN + 1];
	int64_t		 n = 0;
	bool		 more = false;
	int		 rc;

	st = db_prepare(db, sql_unit_by_domain);
	if (items == NULL || st == NULL || db_bind_text(st, 1, domain) == -1 ||
	    (rc = db_step(db, st)) == -1)
		goto fail;
	if (rc == DB_DONE) {
		db_release(st);
		json_decref(items);
		api_error_set(err, 404, NULL, "No business with this domain");
		return -1;
	}
	snprintf(bu, sizeof(bu), "%s", db_text(st, 0));
	db_release(st);
	filters_init(&f, bu, true, false);
	/* a report that does not hide the review leaves it on the page */
	f.include_reported = true;
	f.p.page = page;
	f.p.per_page = per_page;
	st = db_prepare(db, orders[0].sql);
	if (st == NULL || bind_filters(st, &f) == -1)
		goto fail;
	while ((rc = db_step(db, st)) == DB_ROW) {
		if (n++ == per_page) {
			more = true;
			break;
		}
		if (json_array_append_new(items, reviews_json_page(st)) == -1)
			goto fail;
	}
	if (rc == -1)
		goto fail;
	db_release(st);
	*out = json_pack("{s:s, s:o, s:b}", "businessUnitId", bu, "reviews",
	    items, "hasMore", more);
	return *out == NULL ? -1 : 0;
fail:
	db_release(st);
	json_decref(items);
	db_fail(db, err);
	return -1;
}

