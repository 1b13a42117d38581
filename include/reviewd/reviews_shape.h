#ifndef REVIEWD_REVIEWS_SHAPE_H
#define REVIEWD_REVIEWS_SHAPE_H

#include <stdbool.h>

/*
 * The SQL of the review lists (reviews_list.c), one statement per shape:
 * which reviews (scope), in which order, driven by which filter. The
 * shape names what the planner must see as literal SQL to walk the right
 * index of migration 0016 or 0023 in list order (never a sort, never a
 * scan of a unit's rows; the tag driver walks review_tags' index); the
 * other filters are bound parameters that are NULL when not asked for,
 * so a few dozen statements serve every combination and
 * the per-connection statement cache stays bounded whatever a client
 * asks. Not for other modules: they go through reviews.h.
 */

enum reviews_scope {
	REVIEWS_SCOPE_PUBLIC,		/* visible service reviews */
	REVIEWS_SCOPE_PUBLIC_SKU,	/* visible reviews of one product */
	REVIEWS_SCOPE_PUBLIC_PRODUCTS,	/* the same of several products */
	REVIEWS_SCOPE_PRIVATE,		/* service reviews ever published */
	REVIEWS_SCOPE_PRIVATE_SKU,	/* the same of one product */
	REVIEWS_SCOPE_PRIVATE_PRODUCTS,	/* the same of every product, or of
					 * those REVIEWS_P_SKUS names */
	REVIEWS_SCOPES
};

/* In the order of reviews_list.c's orderBy names. */
enum reviews_order {
	REVIEWS_ORDER_CREATED_DESC,
	REVIEWS_ORDER_CREATED_ASC,
	REVIEWS_ORDER_STARS_DESC,
	REVIEWS_ORDER_STARS_ASC,
	REVIEWS_ORDER_CURSOR,		/* pub_seq (public), seq (private) */
	REVIEWS_ORDERS
};

/* The filter whose equality leads the index walk (REVIEWS_P_DRIVER). */
enum reviews_driver {
	REVIEWS_DRIVER_NONE,
	REVIEWS_DRIVER_STARS,		/* one star value, an integer */
	REVIEWS_DRIVER_LANGUAGE,	/* one language */
	REVIEWS_DRIVER_RESPONDED,	/* 1 replied, 0 not */
	REVIEWS_DRIVER_REFERENCE,	/* a referenceId (private) */
	REVIEWS_DRIVER_SOURCE,		/* one source (private) */
	REVIEWS_DRIVER_TAG,		/* a tag's group and value, case
					 * and all (private): the walk is of
					 * review_tags (migration 0023) */
	REVIEWS_DRIVERS
};

/*
 * bare: no filter but the driver's (and the scope's, order's and
 * creation dates') is asked for, so the statement leaves out the
 * "?N IS NULL OR ..." checks of the others, which it would otherwise
 * evaluate for every index entry OFFSET steps over. One more statement
 * per shape at most, so the statement cache stays bounded.
 */
struct reviews_shape {
	enum reviews_scope	 scope;
	enum reviews_order	 order;
	enum reviews_driver	 driver;
	bool			 bare;
};

/*
 * The parameters of every shape's statement. Each statement ends with
 * LIMIT ?REVIEWS_P_LIMIT OFFSET ?REVIEWS_P_OFFSET, so every number below
 * can be bound whether the shape reads it or not. NULL = not asked for.
 */
#define REVIEWS_P_UNIT		1
#define REVIEWS_P_SKU		2	/* *_SKU scopes */
#define REVIEWS_P_STARS		3	/* JSON array of "1".."5" */
#define REVIEWS_P_LANGUAGES	4	/* JSON array of codes */
#define REVIEWS_P_RESPONDED	5	/* 0 or 1 */
#define REVIEWS_P_TAG_GROUP	6	/* private */
#define REVIEWS_P_TAG_VALUE	7	/* private */
#define REVIEWS_P_INCLUDE_REPORTED 8	/* public: 0 or 1, never NULL */
#define REVIEWS_P_REFERENCE	9	/* private */
#define REVIEWS_P_REFERRAL	10	/* private */
#define REVIEWS_P_REPORTED	11	/* private: 0 or 1 */
#define REVIEWS_P_SOURCE	12	/* private */
#define REVIEWS_P_CONTACTED	13	/* private: 0 or 1 */
#define REVIEWS_P_CREATED_FROM	14	/* private: never NULL (INT64_MIN) */
#define REVIEWS_P_CREATED_TO	15	/* private: never NULL (INT64_MAX) */
#define REVIEWS_P_UPDATED_FROM	16	/* private */
#define REVIEWS_P_UPDATED_TO	17	/* private */
#define REVIEWS_P_STATUS	18	/* private: JSON array of
					 * REVIEWS_STATE_* (reviews_json.h) */
#define REVIEWS_P_AFTER		19	/* cursor: the last seq shown */
#define REVIEWS_P_DRIVER	20	/* the driver's value (the tag's:
					 * REVIEWS_P_TAG_GROUP and _VALUE) */
#define REVIEWS_P_SKUS		21	/* *_PRODUCTS: JSON array of SKUs */
#define REVIEWS_P_USERNAME	22	/* private: a shown name */
#define REVIEWS_P_TAG_NOCASE	23	/* private: 0 or 1, never NULL */
#define REVIEWS_P_LIMIT		24
#define REVIEWS_P_OFFSET	25

/* Whether the shape is one reviews_shape_sql builds (a driver serves
 * only the orders its index holds). */
bool	reviews_shape_valid(const struct reviews_shape *s);

/*
 * The statement of shape s: REVIEW_COLUMNS (reviews_json.h) of one page,
 * in the shape's order, at most REVIEWS_P_LIMIT rows from
 * REVIEWS_P_OFFSET on. Built on first use and kept for the process, so
 * the same shape always gives the same address (db_prepare's cache key).
 * Borrowed; NULL for an invalid shape or when out of memory (logged).
 * Any thread.
 */
const char	*reviews_shape_sql(const struct reviews_shape *s);

#endif
