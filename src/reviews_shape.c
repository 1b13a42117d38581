/*
 * reviews_shape: the SQL text of each review list shape (reviews_shape.h),
 * built on first use and kept for the process in a table under a mutex;
 * any thread (the HTTP workers).
 *
 * A statement reads in two steps. The inner SELECT picks the page's seq
 * values from one index of migration 0016 alone: the unit, the kind
 * (service, one product, several or every product), pub_seq IS NOT
 * NULL, the
 * driver's equality and the creation dates are its key, the order is its
 * column order, and what else a list filters on by default (stars,
 * language, reported, visibility) are its trailing columns, so OFFSET
 * steps over index entries, never table rows. A filter the index does not
 * cover reads its review's row only when it is asked for: each stands as
 * "(?N IS NULL OR ...)", which SQLite leaves at ?N IS NULL otherwise. The
 * outer SELECT then joins what the JSON shows to those few rows.
 *
 * Invariant: the page's rows come out in the inner SELECT's order. CROSS
 * JOIN keeps the page the outer loop (SQLite never reorders it), and each
 * join after it finds at most one row, so no outer ORDER BY (and sort) is
 * needed. PostgreSQL may join in any order: there the statement ends with
 * the inner ORDER BY again, on the page's rows.
 */
#include <pthread.h>
#include <stdlib.h>

#include "reviewd/buf.h"
#include "reviewd/db.h"
#include "reviewd/log.h"
#include "reviewd/reviews_json.h"
#include "reviewd/reviews_shape.h"

#define SHAPE_SQL_MAX	(64 * 1024)

#define STR(x)		#x
#define P(n)		"?" STR(n)

#define SHAPES	(REVIEWS_SCOPES * REVIEWS_ORDERS * REVIEWS_DRIVERS * 2)

static pthread_mutex_t	 shapes_lock = PTHREAD_MUTEX_INITIALIZER;
static char		*shapes[SHAPES];	/* by key(), under the lock */

static const char *const scope_where[REVIEWS_SCOPES] = {
	[REVIEWS_SCOPE_PUBLIC] = "r.sku IS NULL ",
	[REVIEWS_SCOPE_PUBLIC_SKU] = "r.sku = " P(REVIEWS_P_SKU) " ",
	[REVIEWS_SCOPE_PUBLIC_PRODUCTS] = "r.sku IS NOT NULL ",
	[REVIEWS_SCOPE_PRIVATE] = "r.sku IS NULL ",
	[REVIEWS_SCOPE_PRIVATE_SKU] = "r.sku = " P(REVIEWS_P_SKU) " ",
	[REVIEWS_SCOPE_PRIVATE_PRODUCTS] = "r.sku IS NOT NULL ",
};

static const char *const order_by[REVIEWS_ORDERS] = {
	[REVIEWS_ORDER_CREATED_DESC] = "r.created_at DESC, r.seq DESC",
	[REVIEWS_ORDER_CREATED_ASC] = "r.created_at ASC, r.seq ASC",
	[REVIEWS_ORDER_STARS_DESC] = "r.stars DESC, r.created_at DESC, "
	    "r.seq DESC",
	[REVIEWS_ORDER_STARS_ASC] = "r.stars ASC, r.created_at DESC, "
	    "r.seq DESC",
	[REVIEWS_ORDER_CURSOR] = NULL,	/* public or private: see below */
};

/* The driver's term: it must read as the index of 0016 spells it. */
static const char *const driver_where[REVIEWS_DRIVERS] = {
	[REVIEWS_DRIVER_NONE] = "",
	[REVIEWS_DRIVER_STARS] = "AND r.stars = " P(REVIEWS_P_DRIVER) " ",
	[REVIEWS_DRIVER_LANGUAGE] = "AND r.language = " P(REVIEWS_P_DRIVER)
	    " ",
	[REVIEWS_DRIVER_RESPONDED] = "AND (r.reply_text IS NOT NULL) = "
	    P(REVIEWS_P_DRIVER) " ",
	[REVIEWS_DRIVER_REFERENCE] = "AND r.reference_id = "
	    P(REVIEWS_P_DRIVER) " ",
	[REVIEWS_DRIVER_SOURCE] = "AND r.source = " P(REVIEWS_P_DRIVER) " ",
	[REVIEWS_DRIVER_TAG] = "AND tl.tag_group = " P(REVIEWS_P_TAG_GROUP)
	    " AND tl.tag_value = " P(REVIEWS_P_TAG_VALUE) " ",
};

/* The filters that stand as "?N IS NULL OR ...", and the driver that
 * replaces each (its equality then says the same). */
static const struct {
	enum reviews_driver	 driver;
	bool			 private_only;
	const char		*sql;
} residual[] = {
	{ REVIEWS_DRIVER_STARS, false,
	    "AND (" P(REVIEWS_P_STARS) " IS NULL OR r.stars IN (SELECT value "
	    "FROM json_each(" P(REVIEWS_P_STARS) "))) " },
	{ REVIEWS_DRIVER_LANGUAGE, false,
	    "AND (" P(REVIEWS_P_LANGUAGES) " IS NULL OR r.language IN (SELECT "
	    "value FROM json_each(" P(REVIEWS_P_LANGUAGES) "))) " },
	{ REVIEWS_DRIVER_RESPONDED, false,
	    "AND (" P(REVIEWS_P_RESPONDED) " IS NULL OR (r.reply_text IS NOT "
	    "NULL) = " P(REVIEWS_P_RESPONDED) ") " },
	/* by seq, which every index holds: review_tags_seq (0023) answers
	 * without the review's row */
	{ REVIEWS_DRIVER_TAG, true,
	    "AND ((" P(REVIEWS_P_TAG_GROUP) " IS NULL AND "
	    P(REVIEWS_P_TAG_VALUE) " IS NULL) OR EXISTS (SELECT 1 FROM "
	    "review_tags t WHERE t.review_seq = r.seq AND ("
	    P(REVIEWS_P_TAG_GROUP) " IS NULL OR t.tag_group = "
	    P(REVIEWS_P_TAG_GROUP) ") AND (" P(REVIEWS_P_TAG_VALUE) " IS NULL "
	    "OR t.tag_value = " P(REVIEWS_P_TAG_VALUE) " OR ("
	    P(REVIEWS_P_TAG_NOCASE) " = 1 AND t.tag_value = "
	    P(REVIEWS_P_TAG_VALUE) " COLLATE NOCASE)))) " },
	/* the name the review shows, so an anonymous reviewer's own name
	 * finds nothing */
	{ REVIEWS_DRIVERS, true,
	    "AND (" P(REVIEWS_P_USERNAME) " IS NULL OR (CASE WHEN "
	    "r.anonymous != 0 THEN 'Anonymous' ELSE r.display_name END) = "
	    P(REVIEWS_P_USERNAME) " COLLATE NOCASE) " },
	{ REVIEWS_DRIVER_REFERENCE, true,
	    "AND (" P(REVIEWS_P_REFERENCE) " IS NULL OR r.reference_id = "
	    P(REVIEWS_P_REFERENCE) ") " },
	{ REVIEWS_DRIVERS, true,
	    "AND (" P(REVIEWS_P_REFERRAL) " IS NULL OR (r.source = "
	    "'invitation' AND r.referral_email = " P(REVIEWS_P_REFERRAL)
	    " COLLATE NOCASE)) " },
	{ REVIEWS_DRIVERS, true,
	    "AND (" P(REVIEWS_P_REPORTED) " IS NULL OR r.reported = "
	    P(REVIEWS_P_REPORTED) ") " },
	{ REVIEWS_DRIVER_SOURCE, true,
	    "AND (" P(REVIEWS_P_SOURCE) " IS NULL OR r.source = "
	    P(REVIEWS_P_SOURCE) ") " },
	{ REVIEWS_DRIVERS, true,
	    "AND (" P(REVIEWS_P_CONTACTED) " IS NULL OR r.reviewer_contacted = "
	    P(REVIEWS_P_CONTACTED) ") " },
	{ REVIEWS_DRIVERS, true,
	    "AND (" P(REVIEWS_P_UPDATED_FROM) " IS NULL OR r.updated_at >= "
	    P(REVIEWS_P_UPDATED_FROM) ") AND (" P(REVIEWS_P_UPDATED_TO) " IS "
	    "NULL OR r.updated_at <= " P(REVIEWS_P_UPDATED_TO) ") " },
	/* every review here was published (pub_seq): its state is what its
	 * hiding says (reviews.c, reviews_set_hidden) */
	{ REVIEWS_DRIVERS, true,
	    "AND (" P(REVIEWS_P_STATUS) " IS NULL OR (CASE WHEN "
	    "r.hidden_reason IS NULL THEN '" REVIEWS_STATE_PUBLISHED "' WHEN "
	    "r.hidden_reason LIKE 'reported: %' THEN '"
	    REVIEWS_STATE_MODERATION "' ELSE '" REVIEWS_STATE_UNPUBLISHED
	    "' END) IN (SELECT value FROM json_each(" P(REVIEWS_P_STATUS)
	    "))) " },
};

/* The SKUs a list of several products asks for (covered by the
 * products' indexes, migration 0019). */
static const char skus_where[] =
    "AND (" P(REVIEWS_P_SKUS) " IS NULL OR r.sku IN (SELECT value FROM "
    "json_each(" P(REVIEWS_P_SKUS) "))) ";

/* Only what a public list may show: published, not hidden, and not
 * reported unless asked for. */
static const char public_where[] =
    "AND r.status = 'published' AND r.hidden_reason IS NULL "
    "AND (" P(REVIEWS_P_INCLUDE_REPORTED) " = 1 OR r.reported = 0) ";

/* The creation dates bound the walk of the date-ordered indexes; in
 * other orders the unary + keeps them from choosing an index. */
static const char created_key[] =
    "AND r.created_at >= " P(REVIEWS_P_CREATED_FROM) " "
    "AND r.created_at <= " P(REVIEWS_P_CREATED_TO) " ";
static const char created_residual[] =
    "AND +r.created_at >= " P(REVIEWS_P_CREATED_FROM) " "
    "AND +r.created_at <= " P(REVIEWS_P_CREATED_TO) " ";

/* Tags and the Find Reviewer thread show in private JSON only. */
static const char columns_public[] =
    "SELECT " REVIEW_BASE_COLUMNS ", '[]', '[]', " REVIEW_REPORT;
static const char columns_private[] =
    "SELECT " REVIEW_BASE_COLUMNS ", " REVIEW_TAGS ", " REVIEW_THREAD ", "
    REVIEW_REPORT;

/* The tag driver's walk: the tag rows of the unit and kind (0023), each
 * with its review, which the other filters read. */
static const char tag_walk[] =
    "FROM (SELECT r.seq AS k FROM review_tags tl INDEXED BY "
    "review_tags_list CROSS JOIN reviews r ON r.seq = tl.review_seq "
    "WHERE tl.business_unit_id = " P(REVIEWS_P_UNIT) " "
    "AND r.pub_seq IS NOT NULL AND tl.sku ";
/* ... bounded by the creation dates and in their order (its valid orders
 * are by creation date: the direction twice). */
static const char tag_order[] =
    "AND tl.created_at >= " P(REVIEWS_P_CREATED_FROM) " "
    "AND tl.created_at <= " P(REVIEWS_P_CREATED_TO) " "
    "ORDER BY tl.created_at %s, tl.review_seq %s";

static const char page_joins[] =
    "AS page CROSS JOIN reviews r ON r.seq = page.k "
    "CROSS JOIN business_units b ON b.id = r.business_unit_id "
    "CROSS JOIN consumers c ON c.id = r.consumer_id "
    "LEFT JOIN products p ON p.business_unit_id = r.business_unit_id "
    "AND p.sku = r.sku";

static bool
is_public(enum reviews_scope scope)
{
	return scope == REVIEWS_SCOPE_PUBLIC ||
	    scope == REVIEWS_SCOPE_PUBLIC_SKU ||
	    scope == REVIEWS_SCOPE_PUBLIC_PRODUCTS;
}

static bool
is_products(enum reviews_scope scope)
{
	return scope == REVIEWS_SCOPE_PUBLIC_PRODUCTS ||
	    scope == REVIEWS_SCOPE_PRIVATE_PRODUCTS;
}

static bool
by_created(enum reviews_order order)
{
	return order == REVIEWS_ORDER_CREATED_DESC ||
	    order == REVIEWS_ORDER_CREATED_ASC;
}

bool
reviews_shape_valid(const struct reviews_shape *s)
{
	if ((unsigned)s->scope >= REVIEWS_SCOPES ||
	    (unsigned)s->order >= REVIEWS_ORDERS ||
	    (unsigned)s->driver >= REVIEWS_DRIVERS)
		return false;
	switch (s->driver) {
	case REVIEWS_DRIVER_NONE:
		return true;
	case REVIEWS_DRIVER_STARS:
		/* (unit, kind, stars, created_at): every order but the
		 * cursor, stars being one value */
		return s->order != REVIEWS_ORDER_CURSOR;
	case REVIEWS_DRIVER_REFERENCE:
	case REVIEWS_DRIVER_SOURCE:
	case REVIEWS_DRIVER_TAG:
		if (is_public(s->scope))
			return false;
		/* FALLTHROUGH */
	case REVIEWS_DRIVER_LANGUAGE:
	case REVIEWS_DRIVER_RESPONDED:
		/* every product's reviews have the date and stars orders'
		 * indexes only */
		return by_created(s->order) && !is_products(s->scope);
	default:
		return false;
	}
}

/*
 * The index of migration 0016 (or 0023) that s walks, named in the
 * statement: with no statistics (the daemon runs no ANALYZE) the
 * planner's costs of it and of 0003's narrower reviews_bu_sku tie, and
 * the tie goes by the order the indexes were made in, so a database
 * whose indexes were rebuilt (a bulk load, a VACUUM INTO, a restore)
 * walked reviews_bu_sku and read a table row for each entry OFFSET
 * skipped: 50 times slower at page 200 of a 10k-review unit.
 */
static const char *
index_of(const struct reviews_shape *s)
{
	bool	 products = is_products(s->scope);

	switch (s->driver) {
	case REVIEWS_DRIVER_STARS:
		return products ? "reviews_list_products_stars" :
		    "reviews_list_stars";
	case REVIEWS_DRIVER_LANGUAGE:
		return "reviews_list_language";
	case REVIEWS_DRIVER_RESPONDED:
		return "reviews_list_responded";
	case REVIEWS_DRIVER_REFERENCE:
		return "reviews_list_reference";
	case REVIEWS_DRIVER_SOURCE:
		return "reviews_list_source";
	default:	/* the tag's walk is tag_walk */
		break;
	}
	switch (s->order) {
	case REVIEWS_ORDER_STARS_DESC:
		return products ? "reviews_list_products_stars" :
		    "reviews_list_stars";
	case REVIEWS_ORDER_STARS_ASC:
		return products ? "reviews_list_products_stars_asc" :
		    "reviews_list_stars_asc";
	case REVIEWS_ORDER_CURSOR:
		if (products)
			return is_public(s->scope) ?
			    "reviews_list_products_pub_seq" :
			    "reviews_list_products_seq";
		return is_public(s->scope) ? "reviews_list_pub_seq" :
		    "reviews_list_seq";
	default:
		return products ? "reviews_list_products_created" :
		    "reviews_list_created";
	}
}

static size_t
key(const struct reviews_shape *s)
{
	return (((size_t)s->scope * REVIEWS_ORDERS + (size_t)s->order) *
	    REVIEWS_DRIVERS + (size_t)s->driver) * 2 + (s->bare ? 1 : 0);
}

/* The text of s into b. 0, or -1 when over b's cap or out of memory. */
static int
build(const struct reviews_shape *s, struct buf *b)
{
	bool		 pub = is_public(s->scope);
	bool		 tag = s->driver == REVIEWS_DRIVER_TAG;
	const char	*dir = s->order == REVIEWS_ORDER_CREATED_ASC ? "ASC" :
			    "DESC";
	size_t		 i;
	int		 rc;

	rc = buf_puts(b, pub ? columns_public : columns_private);
	if (tag)
		rc |= buf_printf(b, "%s%s ", tag_walk, s->scope ==
		    REVIEWS_SCOPE_PRIVATE_SKU ? "= " P(REVIEWS_P_SKU) :
		    "IS NULL");
	else {
		rc |= buf_printf(b, "FROM (SELECT r.seq AS k FROM reviews r "
		    "INDEXED BY %s WHERE r.business_unit_id = "
		    P(REVIEWS_P_UNIT) " AND r.pub_seq IS NOT NULL AND ",
		    index_of(s));
		rc |= buf_puts(b, scope_where[s->scope]);
	}
	if (is_products(s->scope))
		rc |= buf_puts(b, skus_where);
	if (pub)
		rc |= buf_puts(b, public_where);
	rc |= buf_puts(b, driver_where[s->driver]);
	for (i = 0; !s->bare && i < sizeof(residual) / sizeof(residual[0]);
	    i++) {
		if (residual[i].driver != s->driver &&
		    (!pub || !residual[i].private_only))
			rc |= buf_puts(b, residual[i].sql);
	}
	if (!pub && !tag)
		rc |= buf_puts(b, by_created(s->order) ? created_key :
		    created_residual);
	if (tag)
		rc |= buf_printf(b, tag_order, dir, dir);
	else if (s->order == REVIEWS_ORDER_CURSOR && pub)
		rc |= buf_puts(b, "AND r.pub_seq > " P(REVIEWS_P_AFTER) " "
		    "ORDER BY r.pub_seq");
	else if (s->order == REVIEWS_ORDER_CURSOR)
		rc |= buf_puts(b, "AND r.seq > " P(REVIEWS_P_AFTER) " "
		    "ORDER BY r.seq");
	else
		rc |= buf_printf(b, "ORDER BY %s", order_by[s->order]);
	rc |= buf_puts(b, " LIMIT " P(REVIEWS_P_LIMIT) " OFFSET "
	    P(REVIEWS_P_OFFSET) ") ");
	rc |= buf_puts(b, page_joins);
	/* PostgreSQL keeps no join order: the page's few rows are sorted
	 * again, by the same key (a tag's rows copy their review's) */
	if (db_backend() == DB_POSTGRESQL && s->order == REVIEWS_ORDER_CURSOR)
		rc |= buf_puts(b, pub ? " ORDER BY r.pub_seq" :
		    " ORDER BY r.seq");
	else if (db_backend() == DB_POSTGRESQL)
		rc |= buf_printf(b, " ORDER BY %s", order_by[s->order]);
	return rc == 0 ? 0 : -1;
}

const char *
reviews_shape_sql(const struct reviews_shape *s)
{
	struct buf	 b;
	char		*sql = NULL;

	if (!reviews_shape_valid(s))
		return NULL;
	if (pthread_mutex_lock(&shapes_lock) != 0) {
		log_error("reviews: shapes lock failed");
		return NULL;
	}
	sql = shapes[key(s)];
	if (sql == NULL) {
		buf_init(&b, SHAPE_SQL_MAX);
		if (build(s, &b) == 0)
			sql = buf_detach(&b, NULL);
		buf_release(&b);
		if (sql == NULL)
			log_error("reviews: out of memory building a list");
		shapes[key(s)] = sql;
	}
	(void)pthread_mutex_unlock(&shapes_lock);	/* ours, locked */
	return sql;
}
