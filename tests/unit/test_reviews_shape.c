/*
 * Unit tests of the review list statements (reviews_shape): which shapes
 * exist, that each is built once, and the plan SQLite makes of every one
 * on a database migrated with the built-in migrations: one index walk of
 * one unit in list order (migrations 0016 and 0023: a tag's list walks
 * review_tags), led by the shape's driver, and never a scan of the
 * reviews table nor a sort, also once the older indexes were made again
 * after those of 0016.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "reviewd/db.h"
#include "reviewd/reviews_shape.h"

/* Every valid shape: 13 for each public scope of service reviews or one
 * product, 19 for each private one (referenceId, source and tag drive
 * its date orders too), 9 for each scope of several or every product's
 * reviews. */
#define SHAPES_VALID	(2 * 13 + 2 * 19 + 2 * 9)

struct plan_state {
	char	 dir[64];
	char	 path[96];
	sqlite3	*conn;
};

/*
 * The index of migration 0003 on reviews that a list could use (the
 * others went in 0029) made again, after those of 0016, as a bulk load or
 * a restore leaves it: with no statistics the planner's choice between
 * equal costs goes by the order the indexes were made in, and must not
 * decide the plan.
 */
static const char rebuild_sql[] =
    "DROP INDEX reviews_bu_sku;"
    "CREATE INDEX reviews_bu_sku ON reviews(business_unit_id, sku,"
    "  created_at);";

static int
setup_db(void **state, bool rebuilt)
{
	struct plan_state	*ps = calloc(1, sizeof(*ps));
	struct db		*db;
	sqlite3			*rw;
	char			 err[512];

	assert_non_null(ps);
	snprintf(ps->dir, sizeof(ps->dir), "/tmp/reviewd-shape-XXXXXX");
	assert_non_null(mkdtemp(ps->dir));
	snprintf(ps->path, sizeof(ps->path), "%s/db.sqlite", ps->dir);
	db = db_open(ps->path);
	assert_non_null(db);
	if (db_migrate(db, "", NULL, err, sizeof(err)) == -1)
		fail_msg("migrate: %s", err);
	db_close(db);
	if (rebuilt) {
		assert_int_equal(sqlite3_open(ps->path, &rw), SQLITE_OK);
		assert_int_equal(sqlite3_exec(rw, rebuild_sql, NULL, NULL,
		    NULL), SQLITE_OK);
		assert_int_equal(sqlite3_close(rw), SQLITE_OK);
	}
	assert_int_equal(sqlite3_open_v2(ps->path, &ps->conn,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	*state = ps;
	return 0;
}

static int
setup(void **state)
{
	return setup_db(state, false);
}

static int
setup_rebuilt(void **state)
{
	return setup_db(state, true);
}

static int
teardown(void **state)
{
	struct plan_state	*ps = *state;
	char			 p[128];

	sqlite3_close(ps->conn);
	(void)unlink(ps->path);
	snprintf(p, sizeof(p), "%s-wal", ps->path);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s-shm", ps->path);
	(void)unlink(p);
	(void)rmdir(ps->dir);
	free(ps);
	return 0;
}

static void
test_valid(void **state)
{
	static const struct {
		struct reviews_shape	 s;
		bool			 valid;
	} cases[] = {
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDER_CREATED_DESC,
		    REVIEWS_DRIVER_NONE, false }, true },
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDER_CURSOR,
		    REVIEWS_DRIVER_NONE, false }, true },
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDER_CURSOR,
		    REVIEWS_DRIVER_STARS, false }, false },
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDER_STARS_ASC,
		    REVIEWS_DRIVER_STARS, false }, true },
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDER_STARS_ASC,
		    REVIEWS_DRIVER_LANGUAGE, false }, false },
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDER_CREATED_ASC,
		    REVIEWS_DRIVER_RESPONDED, false }, true },
		{ { REVIEWS_SCOPE_PUBLIC_SKU, REVIEWS_ORDER_CREATED_ASC,
		    REVIEWS_DRIVER_REFERENCE, false }, false },
		{ { REVIEWS_SCOPE_PRIVATE, REVIEWS_ORDER_CREATED_ASC,
		    REVIEWS_DRIVER_REFERENCE, false }, true },
		{ { REVIEWS_SCOPE_PRIVATE, REVIEWS_ORDER_STARS_DESC,
		    REVIEWS_DRIVER_REFERENCE, false }, false },
		{ { REVIEWS_SCOPE_PRIVATE, REVIEWS_ORDER_CREATED_DESC,
		    REVIEWS_DRIVER_SOURCE, false }, true },
		{ { REVIEWS_SCOPE_PRIVATE_SKU, REVIEWS_ORDER_CREATED_ASC,
		    REVIEWS_DRIVER_TAG, false }, true },
		{ { REVIEWS_SCOPE_PRIVATE, REVIEWS_ORDER_CURSOR,
		    REVIEWS_DRIVER_TAG, false }, false },
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDER_CREATED_DESC,
		    REVIEWS_DRIVER_SOURCE, false }, false },
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDER_CREATED_DESC,
		    REVIEWS_DRIVER_TAG, false }, false },
		{ { REVIEWS_SCOPE_PRIVATE_PRODUCTS, REVIEWS_ORDER_CREATED_DESC,
		    REVIEWS_DRIVER_TAG, false }, false },
		{ { REVIEWS_SCOPE_PRIVATE_PRODUCTS, REVIEWS_ORDER_CREATED_DESC,
		    REVIEWS_DRIVER_LANGUAGE, false }, false },
		{ { REVIEWS_SCOPE_PRIVATE_PRODUCTS, REVIEWS_ORDER_CREATED_DESC,
		    REVIEWS_DRIVER_STARS, false }, true },
		{ { REVIEWS_SCOPE_PUBLIC_PRODUCTS, REVIEWS_ORDER_CURSOR,
		    REVIEWS_DRIVER_NONE, false }, true },
		{ { REVIEWS_SCOPE_PUBLIC_PRODUCTS, REVIEWS_ORDER_CREATED_ASC,
		    REVIEWS_DRIVER_RESPONDED, false }, false },
		{ { REVIEWS_SCOPE_PUBLIC_PRODUCTS, REVIEWS_ORDER_CREATED_ASC,
		    REVIEWS_DRIVER_REFERENCE, false }, false },
		{ { REVIEWS_SCOPES, REVIEWS_ORDER_CREATED_DESC,
		    REVIEWS_DRIVER_NONE, false }, false },
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDERS,
		    REVIEWS_DRIVER_NONE, false }, false },
		{ { REVIEWS_SCOPE_PUBLIC, REVIEWS_ORDER_CREATED_DESC,
		    REVIEWS_DRIVERS, false }, false },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(reviews_shape_valid(&cases[i].s),
		    cases[i].valid);
		if (!cases[i].valid)
			assert_null(reviews_shape_sql(&cases[i].s));
	}
}

/* The same shape is the same text at the same address: db_prepare's
 * cache key. */
static void
test_interned(void **state)
{
	struct reviews_shape	 a = { REVIEWS_SCOPE_PRIVATE,
	    REVIEWS_ORDER_STARS_ASC, REVIEWS_DRIVER_STARS, false };
	struct reviews_shape	 b = a;
	const char		*sa = reviews_shape_sql(&a), *sb;

	(void)state;
	assert_non_null(sa);
	sb = reviews_shape_sql(&b);
	assert_ptr_equal(sa, sb);
	b.order = REVIEWS_ORDER_STARS_DESC;
	sb = reviews_shape_sql(&b);
	assert_non_null(sb);
	assert_ptr_not_equal(sa, sb);
	/* bare is a statement of its own */
	b = a;
	b.bare = true;
	sb = reviews_shape_sql(&b);
	assert_non_null(sb);
	assert_ptr_not_equal(sa, sb);
	assert_ptr_equal(sb, reviews_shape_sql(&b));
}

/* What the index walk of s must be constrained by, beyond the unit. */
static const char *
driver_key(const struct reviews_shape *s)
{
	switch (s->driver) {
	case REVIEWS_DRIVER_STARS:
		return "stars=?";
	case REVIEWS_DRIVER_LANGUAGE:
		return "language=?";
	case REVIEWS_DRIVER_RESPONDED:
		return "<expr>=?";
	case REVIEWS_DRIVER_REFERENCE:
		return "reference_id=?";
	case REVIEWS_DRIVER_SOURCE:
		return "source=?";
	case REVIEWS_DRIVER_TAG:
		return "tag_group=? AND tag_value=?";
	default:
		return NULL;
	}
}

/* Whether sql checks a parameter for NULL ("?N IS NULL"): a filter
 * checked row by row, which a bare shape leaves out (but the SKUs of a
 * products scope, which are the scope's). */
static bool
checks_residual(const char *sql)
{
	const char	*p = sql, *q;

	while ((p = strstr(p, " IS NULL")) != NULL) {
		for (q = p; q > sql && q[-1] >= '0' && q[-1] <= '9'; q--)
			;
		if (q < p && q > sql && q[-1] == '?' &&
		    strtol(q, NULL, 10) != REVIEWS_P_SKUS)
			return true;
		p++;
	}
	return false;
}

/*
 * Checks the plan of s; the walk's line (of reviews, or of review_tags
 * for a tag's list: each then finds its review by seq) goes to walk.
 */
static void
check_plan(sqlite3 *conn, const struct reviews_shape *s)
{
	sqlite3_stmt	*st = NULL;
	char		*eqp;
	const char	*sql = reviews_shape_sql(s), *key;
	int		 walks = 0, tagged = 0, rc;
	char		 walk[512] = "";

	assert_non_null(sql);
	eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
	assert_non_null(eqp);
	if (sqlite3_prepare_v2(conn, eqp, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare: %s: %s", sqlite3_errmsg(conn), sql);
	/* every parameter number is there to bind */
	assert_int_equal(sqlite3_bind_parameter_count(st), REVIEWS_P_OFFSET);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char	*d = (const char *)sqlite3_column_text(st, 3);

		assert_non_null(d);
		if (strstr(d, "TEMP B-TREE") != NULL)
			fail_msg("shape %d/%d/%d sorts: %s", s->scope,
			    s->order, s->driver, d);
		/* the page, a filter's list, a review's thread: all short */
		if (strncmp(d, "SCAN ", 5) == 0 &&
		    strcmp(d, "SCAN page") != 0 &&
		    strncmp(d, "SCAN json_each ", 15) != 0 &&
		    strncmp(d, "SCAN (subquery-", 15) != 0)
			fail_msg("shape %d/%d/%d scans: %s", s->scope,
			    s->order, s->driver, d);
		/* a tag filter beside another driver: by the review's
		 * seq, from the index alone */
		if (strncmp(d, "SEARCH t ", 9) == 0) {
			if (strcmp(d, "SEARCH t USING COVERING INDEX "
			    "review_tags_seq (review_seq=?)") != 0)
				fail_msg("shape %d/%d/%d tags: %s", s->scope,
				    s->order, s->driver, d);
			tagged++;
		}
		if ((strncmp(d, "SEARCH r USING ", 15) == 0 ||
		    strncmp(d, "SEARCH tl USING ", 16) == 0) &&
		    strstr(d, "(rowid=?)") == NULL) {
			walks++;
			snprintf(walk, sizeof(walk), "%s", d);
		}
	}
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_free(eqp);
	/* private lists filter by tag, unless the tag drives */
	assert_int_equal(tagged, s->scope >= REVIEWS_SCOPE_PRIVATE &&
	    s->driver != REVIEWS_DRIVER_TAG && !s->bare ? 1 : 0);
	/* a bare shape checks no filter row by row */
	if (s->bare == checks_residual(sql))
		fail_msg("shape %d/%d/%d bare %d: %s", s->scope, s->order,
		    s->driver, s->bare, sql);
	/* one walk of an index of 0016 (or 0023), from the unit on */
	if (walks != 1 || (strstr(walk, "INDEX reviews_list_") == NULL &&
	    (s->driver != REVIEWS_DRIVER_TAG ||
	    strstr(walk, "INDEX review_tags_list ") == NULL)) ||
	    strstr(walk, "(business_unit_id=?") == NULL)
		fail_msg("shape %d/%d/%d walks %d: %s", s->scope, s->order,
		    s->driver, walks, walk);
	if (s->scope != REVIEWS_SCOPE_PRIVATE_PRODUCTS &&
	    s->scope != REVIEWS_SCOPE_PUBLIC_PRODUCTS &&
	    strstr(walk, "sku=?") == NULL)
		fail_msg("shape %d/%d/%d not by kind: %s", s->scope, s->order,
		    s->driver, walk);
	if ((key = driver_key(s)) != NULL && strstr(walk, key) == NULL)
		fail_msg("shape %d/%d/%d not driven by %s: %s", s->scope,
		    s->order, s->driver, key, walk);
	if (s->order == REVIEWS_ORDER_CURSOR && strstr(walk, "seq>?") == NULL)
		fail_msg("cursor shape %d not from its key: %s", s->scope,
		    walk);
	/* private lists by date start at the from date, not the newest */
	if (s->scope >= REVIEWS_SCOPE_PRIVATE &&
	    (s->order == REVIEWS_ORDER_CREATED_DESC ||
	    s->order == REVIEWS_ORDER_CREATED_ASC) &&
	    strstr(walk, "created_at>?") == NULL)
		fail_msg("shape %d/%d/%d not from its dates: %s", s->scope,
		    s->order, s->driver, walk);
}

static void
test_plans(void **state)
{
	struct plan_state	*ps = *state;
	struct reviews_shape	 s;
	int			 n = 0;

	memset(&s, 0, sizeof(s));
	for (s.scope = 0; s.scope < REVIEWS_SCOPES; s.scope++)
		for (s.order = 0; s.order < REVIEWS_ORDERS; s.order++)
			for (s.driver = 0; s.driver < REVIEWS_DRIVERS;
			    s.driver++) {
				if (!reviews_shape_valid(&s))
					continue;
				s.bare = false;
				check_plan(ps->conn, &s);
				s.bare = true;
				check_plan(ps->conn, &s);
				s.bare = false;
				n++;
			}
	assert_int_equal(n, SHAPES_VALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_interned),
		cmocka_unit_test_setup_teardown(test_plans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plans, setup_rebuilt,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
