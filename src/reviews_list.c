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
 *
 * A list runs the statement of its shape (reviews_shape.h): the filter
 * that leads the index walk is the most selective single value asked for
 * that an index of migration 0016 or 0023 holds in the list's order (a
 * tag's group and value drive from review_tags); the others are bound,
 * NULL when not asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/ids.h"
#include "reviewd/json.h"
#include "reviewd/list_cache.h"
#include "reviewd/reviews.h"
#include "reviewd/reviews_filters.h"
#include "reviewd/reviews_json.h"
#include "reviewd/reviews_shape.h"

/* A next-page link: any query MHD accepts, every byte percent-encoded. */
#define NEXT_LINK_MAX	(3 * 64 * 1024 + 1024)

static int
bind_opt_int(struct db_stmt *st, int idx, int v)
{
	return v < 0 ? db_bind_null(st, idx) :
	    db_bind_int(st, idx, v);
}

static int
bind_opt_time(struct db_stmt *st, int idx, int64_t v)
{
	return v == INT64_MIN || v == INT64_MAX ? db_bind_null(st, idx) :
	    db_bind_int(st, idx, v);
}

/* Whether f asks for the single value that driver d drives by. */
static bool
drives(const struct reviews_filters *f, enum reviews_driver d)
{
	switch (d) {
	case REVIEWS_DRIVER_REFERENCE:
		return f->reference != NULL;
	case REVIEWS_DRIVER_STARS:
		return f->nstars == 1;
	case REVIEWS_DRIVER_LANGUAGE:
		return f->nlanguages == 1;
	case REVIEWS_DRIVER_RESPONDED:
		return f->responded >= 0;
	case REVIEWS_DRIVER_SOURCE:
		return f->source != NULL;
	case REVIEWS_DRIVER_TAG:
		/* its index holds the value as given */
		return f->tag_group != NULL && f->tag_value != NULL &&
		    !f->tag_nocase;
	default:
		return false;
	}
}

/* Whether f asks for a filter that the statement of driver d checks row
 * by row (reviews_shape.c's residual filters, each NULL when not asked
 * for: see bind_filters); when none, the shape is bare. */
static bool
asks_residual(const struct reviews_filters *f, enum reviews_driver d)
{
	return (f->stars[0] != '\0' && d != REVIEWS_DRIVER_STARS) ||
	    (f->languages[0] != '\0' && d != REVIEWS_DRIVER_LANGUAGE) ||
	    (f->responded >= 0 && d != REVIEWS_DRIVER_RESPONDED) ||
	    ((f->tag_group != NULL || f->tag_value != NULL) &&
	    d != REVIEWS_DRIVER_TAG) ||
	    f->username != NULL ||
	    (f->reference != NULL && d != REVIEWS_DRIVER_REFERENCE) ||
	    f->referral != NULL || f->reported >= 0 ||
	    (f->source != NULL && d != REVIEWS_DRIVER_SOURCE) ||
	    f->contacted >= 0 || f->on_updated || f->states[0] != '\0';
}

/* The statement shape of f: its scope and order, driven by the most
 * selective single-valued filter f asks for that has an index in that
 * order (reviews_shape.h). Source before stars and language: those two
 * are trailing columns of its index, while source is in no other. */
static void
shape_of(const struct reviews_filters *f, struct reviews_shape *s)
{
	static const enum reviews_driver by_selectivity[] = {
		REVIEWS_DRIVER_REFERENCE, REVIEWS_DRIVER_TAG,
		REVIEWS_DRIVER_SOURCE, REVIEWS_DRIVER_STARS,
		REVIEWS_DRIVER_LANGUAGE, REVIEWS_DRIVER_RESPONDED
	};
	size_t	 i;

	if (f->public_only && !f->product)
		s->scope = REVIEWS_SCOPE_PUBLIC;
	else if (f->public_only)
		s->scope = f->sku != NULL ? REVIEWS_SCOPE_PUBLIC_SKU :
		    REVIEWS_SCOPE_PUBLIC_PRODUCTS;
	else if (!f->product)
		s->scope = REVIEWS_SCOPE_PRIVATE;
	else
		s->scope = f->sku != NULL ? REVIEWS_SCOPE_PRIVATE_SKU :
		    REVIEWS_SCOPE_PRIVATE_PRODUCTS;
	s->order = f->order;
	for (i = 0; i < sizeof(by_selectivity) / sizeof(by_selectivity[0]);
	    i++) {
		s->driver = by_selectivity[i];
		s->bare = false;
		if (drives(f, s->driver) && reviews_shape_valid(s))
			break;
		s->driver = REVIEWS_DRIVER_NONE;
	}
	s->bare = !asks_residual(f, s->driver);
}

/* The driver's value: a JSON list of one from query_list, ["v"]. */
static int
bind_driver(struct db_stmt *st, const struct reviews_filters *f,
    enum reviews_driver driver)
{
	char	 language[3];

	switch (driver) {
	case REVIEWS_DRIVER_STARS:
		return db_bind_int(st, REVIEWS_P_DRIVER, f->stars[2] - '0');
	case REVIEWS_DRIVER_LANGUAGE:
		memcpy(language, f->languages + 2, 2);
		language[2] = '\0';
		return db_bind_text(st, REVIEWS_P_DRIVER, language);
	case REVIEWS_DRIVER_RESPONDED:
		return db_bind_int(st, REVIEWS_P_DRIVER, f->responded);
	case REVIEWS_DRIVER_REFERENCE:
		return db_bind_text(st, REVIEWS_P_DRIVER, f->reference);
	case REVIEWS_DRIVER_SOURCE:
		return db_bind_text(st, REVIEWS_P_DRIVER, f->source);
	default:	/* the tag's are REVIEWS_P_TAG_GROUP and _VALUE */
		return 0;
	}
}

static int
bind_filters(struct db_stmt *st, const struct reviews_filters *f,
    enum reviews_driver driver)
{
	/* the creation dates are a key of the date-ordered indexes: an open
	 * end is the widest bound, not NULL */
	int64_t	 from = f->on_updated ? INT64_MIN : f->from;
	int64_t	 to = f->on_updated ? INT64_MAX : f->to;

	return db_bind_text(st, REVIEWS_P_UNIT, f->bu) == -1 ||
	    db_bind_text(st, REVIEWS_P_SKU, f->sku) == -1 ||
	    db_bind_text(st, REVIEWS_P_STARS, f->stars[0] ? f->stars :
	    NULL) == -1 ||
	    db_bind_text(st, REVIEWS_P_LANGUAGES, f->languages[0] ?
	    f->languages : NULL) == -1 ||
	    bind_opt_int(st, REVIEWS_P_RESPONDED, f->responded) == -1 ||
	    db_bind_text(st, REVIEWS_P_TAG_GROUP, f->tag_group) == -1 ||
	    db_bind_text(st, REVIEWS_P_TAG_VALUE, f->tag_value) == -1 ||
	    db_bind_int(st, REVIEWS_P_INCLUDE_REPORTED,
	    f->include_reported) == -1 ||
	    db_bind_text(st, REVIEWS_P_REFERENCE, f->reference) == -1 ||
	    db_bind_text(st, REVIEWS_P_REFERRAL, f->referral) == -1 ||
	    bind_opt_int(st, REVIEWS_P_REPORTED, f->reported) == -1 ||
	    db_bind_text(st, REVIEWS_P_SOURCE, f->source) == -1 ||
	    bind_opt_int(st, REVIEWS_P_CONTACTED, f->contacted) == -1 ||
	    db_bind_int(st, REVIEWS_P_CREATED_FROM, from) == -1 ||
	    db_bind_int(st, REVIEWS_P_CREATED_TO, to) == -1 ||
	    bind_opt_time(st, REVIEWS_P_UPDATED_FROM, f->on_updated ?
	    f->from : INT64_MIN) == -1 ||
	    bind_opt_time(st, REVIEWS_P_UPDATED_TO, f->on_updated ?
	    f->to : INT64_MAX) == -1 ||
	    db_bind_text(st, REVIEWS_P_STATUS, f->states[0] ? f->states :
	    NULL) == -1 ||
	    db_bind_text(st, REVIEWS_P_SKUS, f->skus) == -1 ||
	    db_bind_text(st, REVIEWS_P_USERNAME, f->username) == -1 ||
	    db_bind_int(st, REVIEWS_P_TAG_NOCASE, f->tag_nocase) == -1 ||
	    db_bind_int(st, REVIEWS_P_AFTER, f->after) == -1 ||
	    bind_driver(st, f, driver) == -1 ||
	    db_bind_int(st, REVIEWS_P_LIMIT, f->p.per_page + 1) == -1 ||
	    db_bind_int(st, REVIEWS_P_OFFSET, f->cursor ? 0 :
	    (f->p.page - 1) * f->p.per_page) == -1 ? -1 : 0;
}

/*
 * The bound statement of f's page into *out, NULL when nothing can
 * match: a service review has no SKU, so a service list asked for one is
 * empty. 0, or -1 on a database error.
 */
static int
list_open(struct db *db, const struct reviews_filters *f, struct db_stmt **out)
{
	struct reviews_shape	 s;
	const char		*sql;
	struct db_stmt		*st;

	*out = NULL;
	if (f->none || (!f->product && (f->sku != NULL || f->skus != NULL)))
		return 0;
	shape_of(f, &s);
	if ((sql = reviews_shape_sql(&s)) == NULL ||
	    (st = db_prepare(db, sql)) == NULL)
		return -1;
	if (bind_filters(st, f, s.driver) == -1) {
		db_release(st);
		return -1;
	}
	*out = st;
	return 0;
}

/* Runs the listing for f and writes the whole answer into out:
 * {"links", key: [...], "nextPageToken" (cursor paging)}. */
static int
run_list(struct db *db, const struct request *req,
    const struct reviews_filters *f, const char *key, struct buf *out,
    struct api_error *err)
{
	struct db_stmt		*st = NULL;
	struct buf		 items;
	struct json_writer	 w, iw;
	json_t			*links = json_array();
	int64_t			 n = 0, last = f->after;
	char			 value[32];
	int			 rc = DB_DONE, ret = -1;
	bool			 more = false;

	buf_init(&items, REVIEWS_JSON_MAX);
	json_writer_init(&iw, &items);
	json_writer_array(&iw, NULL);
	if (links == NULL || list_open(db, f, &st) == -1)
		goto out;
	while (st != NULL && (rc = db_step(db, st)) == DB_ROW) {
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
		api_error_internal(err);
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
		api_error_internal(err);
out:
	db_release(st);
	json_decref(links);
	buf_release(&items);
	if (ret == -1)
		db_fail(db, err);	/* the first status set wins */
	return ret;
}

/* A private list shows all a public one does, and tags and threads,
 * which move private_generation alone (migration 0031); both only grow. */
static const char sql_unit_generation[] =
    "SELECT list_generation, list_generation + private_generation "
    "FROM business_units WHERE id = ?";

/*
 * The generations this thread read last, a unit a slot, with the data
 * version they were read after (db_data_version): while it has not
 * moved, no commit has changed them. A page served from the cache then
 * reads no table (the read transaction's locks were a fifth of its CPU:
 * bench/RESULTS.md, stop 29).
 */
#define GENERATION_MEMOS	64

struct generation_memo {
	char		 bu[IDS_ID_LEN + 1];
	int64_t		 gen[2];	/* by enum reviews_list_mode */
	uint64_t	 version;
};

static __thread struct generation_memo	 generation_memos[GENERATION_MEMOS];

static struct generation_memo *
generation_memo(const char *bu)
{
	unsigned int	 h = 0;

	while (*bu != '\0')
		h = h * 31 + (unsigned char)*bu++;
	return &generation_memos[h % GENERATION_MEMOS];
}

/* The generation of unit bu's public or private lists (migrations 0017
 * and 0031) into *gen; an unknown unit is a 404, not an empty list. */
static int
unit_generation(struct db *db, const char *bu, enum reviews_list_mode mode,
    int64_t *gen, struct api_error *err)
{
	struct generation_memo	*m = generation_memo(bu);
	struct db_stmt		*st;
	uint64_t		 version;
	bool			 known = db_data_version(&version) == 0;
	int			 rc;

	if (known && m->version == version && strcmp(m->bu, bu) == 0) {
		*gen = m->gen[mode];
		return 0;
	}
	st = db_prepare(db, sql_unit_generation);
	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_release(st);
		db_fail(db, err);
		return -1;
	}
	if (rc == DB_ROW) {
		*gen = db_int(st, mode == REVIEWS_LIST_PUBLIC ? 0 : 1);
		if (known) {
			snprintf(m->bu, sizeof(m->bu), "%s", bu);
			m->gen[REVIEWS_LIST_PUBLIC] = db_int(st, 0);
			m->gen[REVIEWS_LIST_PRIVATE] = db_int(st, 1);
			m->version = version;
		}
	}
	db_release(st);
	if (rc == DB_DONE) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	return 0;
}

/*
 * The cache key of a list: everything its body depends on. That is the
 * path (public or private, and the unit) and every query argument in
 * order (the next-page link repeats them, and the filters come from
 * them); the rest of the body is the unit's data at the generation the
 * entry holds. A private list's caller is not in it: the body does not
 * depend on who asks, and who may ask was checked before. One pass over the
 * arguments (the two next-page links it once spelt were 5 % of a cached
 * page's CPU).
 */
static int
cache_key(const struct request *req, struct buf *key)
{
	return request_query_key(req, key);
}

/* Whether the If-None-Match header value inm names etag ("*", or a
 * comma-separated list of tags, weak or strong). */
static bool
etag_matches(const char *inm, const char *etag)
{
	size_t		 n = strlen(etag);
	const char	*p = inm;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return false;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' ||
		    p[n] == ',' || p[n] == ' ' || p[n] == '\t'))
			return true;
		while (*p != '\0' && *p != ',')
			p++;
	}
}

/* 304 without a body. */
static int
not_modified(struct response *res, const char *etag, struct api_error *err)
{
	char	*empty = calloc(1, 1);

	if (empty == NULL || response_header(res, "ETag", etag) == -1) {
		free(empty);
		api_error_internal(err);
		return -1;
	}
	json_decref(res->json);
	res->json = NULL;
	free(res->body);
	res->status = 304;
	res->body = empty;
	res->body_len = 0;
	return 0;
}

/*
 * Answers a list from the cache when it holds the page at the unit's
 * generation gen (the public or the private one), else renders it and
 * keeps it there; 304 when If-None-Match names its ETag. Correct because
 * gen was read before the page: a page rendered after a change committed
 * is at least as new as gen, and a change after gen moves the
 * generation, so an entry's body is never older than the generation it
 * is served for.
 */
static int
answer_cached(struct request *req, struct response *res,
    const struct reviews_filters *f, const char *key_name, int64_t gen,
    struct api_error *err)
{
	struct buf	 key, body;
	const char	*inm = request_header(req, "If-None-Match");
	size_t		 max = (size_t)req->cfg->list_cache_bytes;
	char		 etag[LIST_CACHE_ETAG_LEN];
	int		 ret = -1;
	bool		 keyed;

	buf_init(&key, 2 * NEXT_LINK_MAX);
	buf_init(&body, REVIEWS_JSON_MAX + 4096);
	keyed = max > 0 && cache_key(req, &key) == 0;
	if (!keyed ||
	    list_cache_get(key.data, key.len, gen, etag, &body) == -1) {
		if (run_list(req->db, req, f, key_name, &body, err) == -1)
			goto out;
		list_cache_etag(body.data, body.len, etag);
		if (keyed)
			list_cache_put(key.data, key.len, gen, etag, body.data,
			    body.len, max);
	}
	if (inm != NULL && etag_matches(inm, etag))
		ret = not_modified(res, etag, err);
	else if (response_header(res, "ETag", etag) == -1)
		api_error_internal(err);
	else
		ret = response_json_text(res, 200, &body, err);
out:
	buf_release(&key);
	buf_release(&body);
	return ret;
}

/*
 * productUrl on a product list: the reviews of the products at that link.
 * A sku, when given too, wins (as in Trustpilot's summaries). A link of
 * no product matches nothing, which is not an error: the catalogue may
 * lag the shop. 0, or -1 with err set.
 */
static int
read_product_url(struct request *req, struct reviews_filters *f,
    struct api_error *err)
{
	const char	*url = request_query(req, "productUrl");

	if (url == NULL || f->sku != NULL || f->skus != NULL)
		return 0;
	if (reviews_json_skus_of_url(req->db, f->bu, url, &f->skus,
	    err) == -1)
		return -1;
	if (f->skus == NULL)
		f->none = true;
	return 0;
}

static int
list(struct request *req, struct response *res, struct api_error *err,
    enum reviews_list_mode mode, bool product)
{
	struct db	*db = req->db;
	struct reviews_filters	 f;
	const char	*bu = request_param(req, "businessUnitId");
	const char	*key = product ? "productReviews" : "reviews";
	int64_t		 gen = 0;
	int		 ret = -1;

	if (mode == REVIEWS_LIST_PRIVATE &&
	    auth_business_unit(req, &bu, err) == -1)
		return -1;
	if (bu == NULL || !ids_valid(bu)) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	/* fills f (reviews_filters_init) whatever it finds */
	if (reviews_filters_read(req, bu, mode, product, &f, err) == -1)
		goto out;
	if (product && mode == REVIEWS_LIST_PUBLIC && f.sku == NULL &&
	    f.skus == NULL && request_query(req, "productUrl") == NULL) {
		api_error_set(err, 400, "sku", "is required (or productUrl)");
		goto out;
	}
	/* the generation first: see answer_cached */
	if (unit_generation(db, bu, mode, &gen, err) == -1 ||
	    (product && read_product_url(req, &f, err) == -1))
		goto out;
	ret = answer_cached(req, res, &f, key, gen, err);
out:
	reviews_filters_release(&f);
	return ret;
}

int
reviews_list_public(ROUTE_HANDLER_PARAMS)
{
	return list(req, res, err, REVIEWS_LIST_PUBLIC, false);
}

int
reviews_list_product_public(ROUTE_HANDLER_PARAMS)
{
	return list(req, res, err, REVIEWS_LIST_PUBLIC, true);
}

int
reviews_list_private(ROUTE_HANDLER_PARAMS)
{
	return list(req, res, err, REVIEWS_LIST_PRIVATE, false);
}

int
reviews_list_product_private(ROUTE_HANDLER_PARAMS)
{
	return list(req, res, err, REVIEWS_LIST_PRIVATE, true);
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
reviews_get_public(ROUTE_HANDLER_PARAMS)
{
	return get_one(req, res, err, false, -1);
}

int
reviews_get_private(ROUTE_HANDLER_PARAMS)
{
	return get_one(req, res, err, true, -1);
}

int
reviews_get_product_private(ROUTE_HANDLER_PARAMS)
{
	return get_one(req, res, err, true, 1);
}

/* Pages. */

static const char sql_unit_by_domain[] =
    "SELECT id FROM business_units WHERE domain = ?";

int
reviews_page_data(struct db *db, const char *domain, int64_t page,
    int64_t per_page, const struct reviews_page_filter *pf, json_t **out,
    struct api_error *err)
{
	struct reviews_filters	 f;
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
	reviews_filters_init(&f, bu, true, false);
	/* a report that does not hide the review leaves it on the page */
	f.include_reported = true;
	f.p.page = page;
	f.p.per_page = per_page;
	if (pf->stars >= 1 && pf->stars <= 5) {
		snprintf(f.stars, sizeof(f.stars), "[\"%d\"]", pf->stars);
		f.nstars = 1;
	}
	if (pf->language != NULL) {
		snprintf(f.languages, sizeof(f.languages), "[\"%.8s\"]",
		    pf->language);
		f.nlanguages = 1;
	}
	f.responded = pf->responded;
	f.order = (enum reviews_order)pf->order;
	if (list_open(db, &f, &st) == -1)
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

