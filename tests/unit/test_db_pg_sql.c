/*
 * Unit tests of the PostgreSQL dialect (issue 17): SQLite's SQL as the
 * modules write it, rewritten by db_pg_translate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reviewd/db.h"

/* sql rewrites to want, with nparams parameters. */
static void
check(const char *sql, const char *want, int nparams)
{
	int	 n = -1;
	char	*out = db_pg_translate(sql, &n);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(n, nparams);
	free(out);
}

static void
test_parameters(void **state)
{
	(void)state;
	check("SELECT ?, ?3, ?", "SELECT $1, $3, $4", 4);
	check("SELECT 1", "SELECT 1", 0);
	/* not in quoted text, identifiers or comments */
	check("SELECT '?', \"a?\" -- ?\n, ?", "SELECT '?', \"a?\" -- ?\n, $1",
	    1);
	check("WHERE a = ?1 OR b = ?1", "WHERE a = $1 OR b = $1", 1);
}

static void
test_parameter_beyond_limit(void **state)
{
	int	 n;

	(void)state;
	assert_null(db_pg_translate("SELECT ?101", &n));
	assert_null(db_pg_translate("SELECT ?0", &n));
}

static void
test_upserts(void **state)
{
	(void)state;
	check("INSERT OR IGNORE INTO t (a) VALUES (?)",
	    "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING ", 1);
	check("INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING a",
	    "INSERT INTO t (a) VALUES ($1)  ON CONFLICT DO NOTHING RETURNING a",
	    1);
	check("INSERT OR REPLACE INTO k (a, b) VALUES (?, ?)",
	    "INSERT INTO k (a, b) VALUES ($1, $2) ON CONFLICT ON CONSTRAINT "
	    "k_pkey DO UPDATE SET a = excluded.a, b = excluded.b", 2);
}

static void
test_words(void **state)
{
	(void)state;
	check("SELECT max(a, b), min(c), max(x)",
	    "SELECT greatest(a, b), min(c), max(x)", 0);
	check("WHERE sku IS ?2 AND x IS NOT ?1 AND y IS NULL",
	    "WHERE sku IS NOT DISTINCT FROM $2 AND x IS DISTINCT FROM $1 AND "
	    "y IS NULL", 2);
	check("WHERE name LIKE ? AND instr(a, b) > 0",
	    "WHERE name ILIKE $1 AND strpos(a, b) > 0", 1);
	check("SELECT json_object('k', v)", "SELECT json_build_object('k', v)",
	    0);
	/* words inside others stay */
	check("SELECT maxed, likely, json_objects",
	    "SELECT maxed, likely, json_objects", 0);
	check("FROM t INDEXED BY t_idx CROSS JOIN u ON u.a = t.a",
	    "FROM t  JOIN u ON u.a = t.a", 0);
	check("WHERE e = ? COLLATE NOCASE", "WHERE e = $1 COLLATE NOCASE", 1);
	/* a claim's row locks, a comment to SQLite */
	check("SELECT id FROM t WHERE a = ? LIMIT ? /*FOR UPDATE OF t SKIP "
	    "LOCKED*/)", "SELECT id FROM t WHERE a = $1 LIMIT $2 FOR UPDATE "
	    "OF t SKIP LOCKED)", 2);
	check("SELECT 1 /* other */", "SELECT 1 /* other */", 0);
}

static void
test_subquery_names(void **state)
{
	(void)state;
	check("SELECT min(t) FROM (SELECT 1 AS t)",
	    "SELECT min(t) FROM (SELECT 1 AS t) AS sq1", 0);
	check("SELECT k FROM (SELECT 1 AS k) AS page JOIN x ON x.k = page.k",
	    "SELECT k FROM (SELECT 1 AS k) AS page JOIN x ON x.k = page.k", 0);
	check("SELECT * FROM (SELECT 1) WHERE 1 ORDER BY 1",
	    "SELECT * FROM (SELECT 1) AS sq1 WHERE 1 ORDER BY 1", 0);
	/* IN (subquery) and function calls are not FROM subqueries */
	check("WHERE a IN (SELECT b FROM c)", "WHERE a IN (SELECT b FROM c)",
	    0);
	check("SELECT value FROM json_each(?)",
	    "SELECT value FROM json_each($1)", 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_parameter_beyond_limit),
		cmocka_unit_test(test_upserts),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_subquery_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
