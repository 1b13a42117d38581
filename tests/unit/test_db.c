/*
 * Unit tests of the storage interface's one-call helpers (db_bind, db_run,
 * db_exists, db_one_int, db_one_text, db_list) on a real SQLite file in a
 * temporary directory: the values they bind and read, their answers with
 * and without a row, and their failures (bad SQL, a bad format letter, a
 * constraint, a text too long for its buffer); and when a commit asks for
 * a checkpoint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "reviewd/api_error.h"
#include "reviewd/db.h"
#include "reviewd/db_sqlite_wal.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct fixture {
	char		 dir[64];
	char		 path[96];
	struct db	*db;
};

static const char sql_schema[] =
    "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, note TEXT)";
static const char sql_insert[] = "INSERT INTO t (id, n, note) VALUES (?, ?, ?)";
static const char sql_by_id[] = "SELECT 1 FROM t WHERE id = ?";
static const char sql_n[] = "SELECT n FROM t WHERE id = ?";
static const char sql_note[] = "SELECT note FROM t WHERE id = ?";
static const char sql_count[] = "SELECT count(*) FROM t WHERE n >= ?";
static const char sql_bump[] = "UPDATE t SET n = n + ? WHERE id = ?";
static const char sql_page[] =
    "SELECT id FROM t WHERE n >= ? ORDER BY id LIMIT ? OFFSET ?";
static const char sql_bad[] = "SELECT nothing FROM nowhere";
static const char sql_types[] =
    "SELECT typeof(?1) || ',' || typeof(?2) || ',' || typeof(?3)";

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	(void)umask(077);
	snprintf(f->dir, sizeof(f->dir), "/tmp/reviewd-test-db.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	f->db = db_open(f->path);
	if (f->db == NULL || db_exec(f->db, sql_schema) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 name[128];
	static const char *const suffix[] = { "", "-wal", "-shm" };
	size_t		 i;

	db_close(f->db);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s%s", f->path, suffix[i]);
		(void)unlink(name);
	}
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_run_and_read(void **state)
{
	struct fixture	*f = *state;
	int64_t		 n = -1;
	char		 note[16];

	assert_int_equal(db_run(f->db, sql_insert, "sis", "a", (int64_t)7,
	    "first"), 0);
	assert_int_equal(db_changes(f->db), 1);
	assert_int_equal(db_run(f->db, sql_insert, "sin", "b",
	    INT64_C(1) << 40), 0);
	/* An int64_t past 32 bits comes back whole. */
	assert_int_equal(db_one_int(f->db, sql_n, &n, "s", "b"), DB_ROW);
	assert_true(n == INT64_C(1) << 40);
	assert_int_equal(db_one_int(f->db, sql_n, &n, "s", "a"), DB_ROW);
	assert_int_equal(n, 7);
	assert_int_equal(db_one_text(f->db, sql_note, note, sizeof(note), "s",
	    "a"), DB_ROW);
	assert_string_equal(note, "first");
	/* NULL reads as "" (bound by 'n' above, and by a NULL 's'). */
	assert_int_equal(db_one_text(f->db, sql_note, note, sizeof(note), "s",
	    "b"), DB_ROW);
	assert_string_equal(note, "");
	assert_int_equal(db_run(f->db, sql_insert, "sis", "c", (int64_t)1,
	    NULL), 0);
	assert_int_equal(db_one_text(f->db, sql_note, note, sizeof(note), "s",
	    "c"), DB_ROW);
	assert_string_equal(note, "");
	/* An update changing one row, then none. */
	assert_int_equal(db_run(f->db, sql_bump, "is", (int64_t)3, "a"), 0);
	assert_int_equal(db_changes(f->db), 1);
	assert_int_equal(db_one_int(f->db, sql_n, &n, "s", "a"), DB_ROW);
	assert_int_equal(n, 10);
	assert_int_equal(db_run(f->db, sql_bump, "is", (int64_t)3, "zz"), 0);
	assert_int_equal(db_changes(f->db), 0);
	/* An aggregate always has its row. */
	assert_int_equal(db_one_int(f->db, sql_count, &n, "i", (int64_t)5),
	    DB_ROW);
	assert_int_equal(n, 2);
}

static void
test_no_row(void **state)
{
	struct fixture	*f = *state;
	int64_t		 n = 42;
	char		 note[8] = "kept";

	assert_int_equal(db_exists(f->db, sql_by_id, "s", "x"), DB_DONE);
	assert_int_equal(db_run(f->db, sql_insert, "sis", "x", (int64_t)1,
	    "y"), 0);
	assert_int_equal(db_exists(f->db, sql_by_id, "s", "x"), DB_ROW);
	assert_int_equal(db_exists(f->db, sql_by_id, "s", "X"), DB_DONE);
	/* No row: the output stays as it was. */
	assert_int_equal(db_one_int(f->db, sql_n, &n, "s", "none"), DB_DONE);
	assert_int_equal(n, 42);
	assert_int_equal(db_one_text(f->db, sql_note, note, sizeof(note), "s",
	    "none"), DB_DONE);
	assert_string_equal(note, "kept");
}

static void
test_types(void **state)
{
	struct fixture	*f = *state;
	char		 out[64];

	assert_int_equal(db_one_text(f->db, sql_types, out, sizeof(out),
	    "sin", "t", (int64_t)-5), DB_ROW);
	assert_string_equal(out, "text,integer,null");
	assert_int_equal(db_one_text(f->db, sql_types, out, sizeof(out),
	    "sis", NULL, INT64_MIN, ""), DB_ROW);
	assert_string_equal(out, "null,integer,text");
}

static void
test_failures(void **state)
{
	struct fixture		*f = *state;
	struct api_error	 err;
	int64_t			 n = 42;
	char			 small[4] = "abc";

	/* A statement that does not prepare. */
	assert_int_equal(db_run(f->db, sql_bad, ""), -1);
	assert_int_equal(db_exists(f->db, sql_bad, ""), -1);
	assert_int_equal(db_one_int(f->db, sql_bad, &n, ""), -1);
	assert_int_equal(n, 42);
	/* An unknown letter, and a parameter past the statement's. */
	assert_int_equal(db_run(f->db, sql_insert, "six", "a", (int64_t)1,
	    "z"), -1);
	assert_int_equal(db_exists(f->db, sql_by_id, "ss", "a", "b"), -1);
	/* Nothing was written by the refused insert. */
	assert_int_equal(db_exists(f->db, sql_by_id, "s", "a"), DB_DONE);
	/* A constraint: -1, and db_fail maps it to 409. */
	assert_int_equal(db_run(f->db, sql_insert, "sis", "a", (int64_t)1,
	    "z"), 0);
	assert_int_equal(db_run(f->db, sql_insert, "sis", "a", (int64_t)2,
	    "z"), -1);
	memset(&err, 0, sizeof(err));
	db_fail(f->db, &err);
	assert_int_equal(err.status, 409);
	/* A statement with rows is not a run to its end. */
	assert_int_equal(db_run(f->db, sql_by_id, "s", "a"), -1);
	/* The statement was released: it runs again at once. */
	assert_int_equal(db_exists(f->db, sql_by_id, "s", "a"), DB_ROW);
	/* A text longer than its buffer is refused, never cut. */
	assert_int_equal(db_run(f->db, sql_insert, "sis", "long", (int64_t)1,
	    "abcd"), 0);
	assert_int_equal(db_one_text(f->db, sql_note, small, sizeof(small),
	    "s", "long"), -1);
	assert_int_equal(db_run(f->db, sql_insert, "sis", "fits", (int64_t)1,
	    "xyz"), 0);
	assert_int_equal(db_one_text(f->db, sql_note, small, sizeof(small),
	    "s", "fits"), DB_ROW);
	assert_string_equal(small, "xyz");
}

static json_t *
id_row(struct db_stmt *st)
{
	return json_string(db_text(st, 0));
}

static json_t *
no_row(struct db_stmt *st)
{
	(void)st;
	return NULL;
}

static void
test_list(void **state)
{
	struct fixture	*f = *state;
	static const char *const ids[] = { "e", "a", "d", "b", "c" };
	static const struct {
		int64_t		 offset;
		const char	*want;
	} pages[] = {
		{ 0, "[\"a\",\"b\"]" },
		{ 2, "[\"c\",\"d\"]" },
		{ 4, "[]" },
	};
	json_t		*list;
	char		*text;
	size_t		 i;

	for (i = 0; i < 5; i++)
		assert_int_equal(db_run(f->db, sql_insert, "sis", ids[i],
		    (int64_t)i, "x"), 0);
	/* Pages of two over the ids with n >= 1 (a, b, c, d). */
	for (i = 0; i < NELEM(pages); i++) {
		list = json_array();
		assert_int_equal(db_list(f->db, sql_page, id_row, list, "iii",
		    (int64_t)1, (int64_t)2, pages[i].offset), 0);
		text = json_dumps(list, JSON_COMPACT);
		assert_string_equal(text, pages[i].want);
		free(text);
		json_decref(list);
	}
	list = json_array();
	/* A row that cannot be built fails the list. */
	assert_int_equal(db_list(f->db, sql_page, no_row, list, "iii",
	    (int64_t)1, (int64_t)2, (int64_t)0), -1);
	/* ... and leaves the statement released. */
	json_array_clear(list);
	assert_int_equal(db_list(f->db, sql_page, id_row, list, "iii",
	    (int64_t)0, (int64_t)10, (int64_t)0), 0);
	assert_int_equal(json_array_size(list), 5);
	json_decref(list);
}

/* db_row leaves the statement on its first row for the caller to read. */
static void
test_row(void **state)
{
	struct fixture	*f = *state;
	struct db_stmt	*row = (struct db_stmt *)1;

	assert_int_equal(db_run(f->db, sql_insert, "sis", "r", (int64_t)7,
	    "seven"), 0);
	assert_int_equal(db_row(f->db, sql_note, &row, "s", "r"), DB_ROW);
	assert_non_null(row);
	assert_string_equal(db_text(row, 0), "seven");
	db_release(row);
	assert_int_equal(db_row(f->db, sql_note, &row, "s", "none"),
	    DB_DONE);
	assert_null(row);
	assert_int_equal(db_row(f->db, sql_bad, &row, ""), -1);
	assert_null(row);
}

static void
test_bind(void **state)
{
	struct fixture	*f = *state;
	struct db_stmt	*st = db_prepare(f->db, sql_types);
	char		 out[64];

	assert_non_null(st);
	assert_int_equal(db_bind(st, "nsi", "u", (int64_t)3), 0);
	assert_int_equal(db_step(f->db, st), DB_ROW);
	snprintf(out, sizeof(out), "%s", db_text(st, 0));
	db_release(st);
	assert_string_equal(out, "null,text,integer");
	assert_int_equal(db_bind(st, "q"), -1);
	db_release(st);
}

/* An insert of another process (a forked child with its own connection);
 * exits 0 when it was stored. */
static void
insert_elsewhere(const char *path, const char *id)
{
	struct db	*other;
	pid_t		 pid = fork();
	int		 status;

	assert_true(pid != -1);
	if (pid == 0) {
		other = db_open(path);
		_exit(other != NULL && db_run(other, sql_insert, "sis", id,
		    (int64_t)1, "elsewhere") == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* db_data_version: the same while nothing commits, whatever is read;
 * another after each commit, of this process or of another. */
static void
test_data_version(void **state)
{
	struct fixture	*f = *state;
	struct db	*second;
	uint64_t	 v1, v2, v3, v4;

	assert_int_equal(db_data_version(&v1), -1);	/* not started */
	db_configure(f->path);
	assert_int_equal(db_background_start(), 0);
	assert_int_equal(db_data_version(&v1), 0);
	assert_int_equal(db_exists(f->db, sql_by_id, "s", "a"), DB_DONE);
	assert_int_equal(db_data_version(&v2), 0);
	assert_true(v1 == v2);
	second = db_open(f->path);
	assert_non_null(second);
	assert_int_equal(db_run(second, sql_insert, "sis", "a", (int64_t)1,
	    NULL), 0);
	assert_int_equal(db_data_version(&v2), 0);
	assert_true(v2 != v1);
	assert_int_equal(db_run(f->db, sql_bump, "is", (int64_t)1, "a"), 0);
	assert_int_equal(db_data_version(&v3), 0);
	assert_true(v3 != v2 && v3 != v1);
	insert_elsewhere(f->path, "b");
	assert_int_equal(db_data_version(&v4), 0);
	assert_true(v4 != v3 && v4 != v2 && v4 != v1);
	/* a transaction rolled back changed nothing */
	assert_int_equal(db_tx_begin(second), 0);
	assert_int_equal(db_run(second, sql_insert, "sis", "c", (int64_t)1,
	    NULL), 0);
	db_tx_rollback(second);
	assert_int_equal(db_data_version(&v1), 0);
	assert_true(v1 == v4);
	db_close(second);
	db_background_stop();
	assert_int_equal(db_data_version(&v1), -1);
}

/* The checkpoint rule (db_sqlite_wal.c) with no checkpointer: a commit
 * folds the log itself from threshold pages on, as SQLite does, and
 * always past 16,000 pages. */
static void
test_checkpoint_due(void **state)
{
	int64_t	 background, by_commit, before;

	(void)state;
	lite_wal_counts(&background, &before);
	assert_false(lite_wal_committed(1, 1000));
	assert_false(lite_wal_committed(999, 1000));
	assert_true(lite_wal_committed(1000, 1000));
	assert_false(lite_wal_committed(7999, 8000));
	assert_true(lite_wal_committed(16000, 20000));
	lite_wal_counts(&background, &by_commit);
	assert_int_equal(by_commit - before, 2);
}

/* Waits up to 5 s for the checkpointer's count to reach n. */
static int64_t
checkpoints_reach(int64_t n)
{
	int64_t	 background, by_commit;
	int	 i;

	for (i = 0; i < 500; i++) {
		lite_wal_counts(&background, &by_commit);
		if (background >= n)
			break;
		(void)usleep(10000);
	}
	return background;
}

/*
 * With the checkpointer: a reader that began before the log was folded
 * keeps SQLite from rewinding it, so it stays past 1,000 pages while
 * commits go on; they wake no checkpoint until 1,000 new pages are
 * there (each woke one before, with an fsync of the database file).
 */
static void
test_steady_commits_wake_no_checkpoint_each(void **state)
{
	struct fixture	*f = *state;
	struct db	*reader;
	char		 id[16], note[3000];
	int64_t		 background, by_commit, start;
	int		 i;

	memset(note, 'x', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	/* 1,200 pages in one transaction, not folded (a bulk connection's
	 * threshold is 8,000) */
	assert_int_equal(db_bulk(f->db, true), 0);
	assert_int_equal(db_tx_begin(f->db), 0);
	for (i = 0; i < 1200; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		assert_int_equal(db_run(f->db, sql_insert, "sis", id,
		    (int64_t)i, note), 0);
	}
	assert_int_equal(db_tx_commit(f->db), 0);
	assert_int_equal(db_bulk(f->db, false), 0);
	reader = db_open(f->path);
	assert_non_null(reader);
	/* a read transaction (db_tx_begin takes the write lock) */
	assert_int_equal(db_exec(reader, "BEGIN"), 0);
	assert_int_equal(db_exists(reader, sql_by_id, "s", "r1"), DB_ROW);
	db_configure(f->path);
	assert_int_equal(db_background_start(), 0);
	lite_wal_counts(&start, &by_commit);
	/* the first commit past 1,000 unfolded pages wakes one, which folds
	 * what the reader sees */
	assert_int_equal(db_run(f->db, sql_bump, "is", (int64_t)1, "r1"), 0);
	assert_int_equal(checkpoints_reach(start + 1), start + 1);
	for (i = 0; i < 50; i++)
		assert_int_equal(db_run(f->db, sql_bump, "is", (int64_t)1,
		    "r2"), 0);
	(void)usleep(300000);
	lite_wal_counts(&background, &by_commit);
	assert_int_equal(background, start + 1);
	assert_int_equal(db_exec(reader, "COMMIT"), 0);
	db_close(reader);
	db_background_stop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_and_read, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_version, setup,
		    teardown),
		cmocka_unit_test(test_checkpoint_due),
		cmocka_unit_test_setup_teardown(
		    test_steady_commits_wake_no_checkpoint_each, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
