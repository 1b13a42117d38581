/*
 * db on SQLite: connections, the statement cache, transactions, backups
 * and the integrity check; with db_sqlite_wal.c (checkpoints) the only
 * files that speak to SQLite (db_sqlite_migrate.c runs the migrations
 * through the storage interface). Its primitives are
 * db_sqlite_ops, which db.c calls when the backend is SQLite (each thread's
 * connection is db.c's). Statements are cached per connection by the
 * address of their SQL constant. struct db_stmt is never defined: a
 * pointer to one is a sqlite3_stmt handed out by db_prepare.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/db_sqlite_internal.h"
#include "reviewd/db_sqlite_wal.h"
#include "reviewd/log.h"

#define DB_CACHE_SLOTS		512	/* power of two */
#define DB_BUSY_TIMEOUT_MS	5000
#define LITE_WAL_PAGES		1000	/* SQLite's own default */
#define LITE_WAL_PAGES_BULK	8000	/* see lite_bulk */

struct db {
	sqlite3		*conn;
	bool		 gated;		/* holds the write gate */
	bool		 group;		/* db_group_begin: one transaction */
	bool		 job_tx;	/* group: a handler's savepoint */
	bool		 fault;		/* storage fault since db_fault_clear */
	sqlite3_int64	 changes_at_begin;	/* db_tx_begin */
	sqlite3_int64	 changes_at_group;	/* db_group_begin */
	size_t		 bulk_set;	/* lite_bulk: settings changed */
	sqlite3_int64	 bulk_saved[1];	/* lite_bulk: their own values */
	int		 wal_pages;	/* a checkpoint is due from here */
	struct {
		const char	*sql;
		sqlite3_stmt	*st;
	}		 cache[DB_CACHE_SLOTS];
};

/* The storage fault writes fail with now (SQLITE_FULL, SQLITE_IOERR), or
 * SQLITE_OK: set by the first failing write on any thread, cleared by
 * the next one that commits. */
static atomic_int	 write_fault;

static struct db	*lite_open(const char *);
static void	 lite_close(struct db *);
static int	 lite_exec(struct db *, const char *);
static struct db_stmt	*lite_prepare(struct db *, const char *);
static void	 lite_release(struct db_stmt *);
static int	 lite_step(struct db *, struct db_stmt *);
static int	 lite_tx_begin(struct db *);
static int	 lite_tx_commit(struct db *);
static void	 lite_tx_rollback(struct db *);
static void	 lite_fail(struct db *, struct api_error *);
static int	 lite_bind_text(struct db_stmt *, int, const char *);

static sqlite3_stmt *
lite(struct db_stmt *st)
{
	return (sqlite3_stmt *)(void *)st;
}

/* Creates the parent directory of path when it is missing (one level). */
static int
make_parent(const char *path)
{
	char	 dir[PATH_MAX];
	char	*slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		log_error_errno("db: cannot create directory dir=%s", dir);
		return -1;
	}
	return 0;
}

/*
 * The database holds tokens' hashes and personal data: no access for
 * others. New files get that from the umask main() sets; a file made
 * before (by an older version or another tool) loses its world bits here.
 * SQLite gives -wal and -shm the database file's mode.
 */
static int
private_mode(const char *path, const char *suffix)
{
	char		 name[PATH_MAX];
	struct stat	 st;

	if (snprintf(name, sizeof(name), "%s%s", path, suffix) >=
	    (int)sizeof(name))
		return -1;
	if (stat(name, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((st.st_mode & S_IRWXO) == 0)
		return 0;
	if (chmod(name, st.st_mode & 07770) == -1) {
		log_error_errno("db: cannot remove world access path=%s",
		    name);
		return -1;
	}
	log_warn("db: removed world access path=%s", name);
	return 0;
}

/* After every commit on a connection (in place of SQLite's automatic
 * checkpoint): the checkpointer folds the log (db_sqlite_wal.c), or the
 * commit itself when that says so. */
static int
lite_wal_hook(void *arg, sqlite3 *conn, const char *name, int pages)
{
	const struct db	*db = arg;

	if (lite_wal_committed(pages, db->wal_pages))
		(void)sqlite3_wal_checkpoint_v2(conn, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/*
 * Process-wide, so before SQLite initialises (the first open). Memory
 * statistics take a global mutex on every allocation (5-7% of a CSV
 * import's inserts); reviewd never reads them. Each job of the writer's
 * group is a savepoint (db_group_job_end), so every page a job changes
 * is first copied into a statement journal, which by default goes to a
 * temporary file past 64 KiB: a group of organic submissions wrote about
 * 20 pages a review there, more than into the WAL (bench/RESULTS.md,
 * "2026-12-01, organic submit"). Up to LITE_STMT_JOURNAL bytes it stays
 * in memory, which also leaves no copy of erased data in a file.
 */
#define LITE_STMT_JOURNAL	(8 * 1024 * 1024)

static void
lite_settings(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	(void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, LITE_STMT_JOURNAL);
}

static void
lite_init(void)
{
	static pthread_once_t	 once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, lite_settings);
}

static struct db *
lite_open(const char *path)
{
	struct db	*db = NULL;
	static const char pragmas[] =
	    "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON;"
	    /* Erased personal data must not linger in free pages. */
	    "PRAGMA secure_delete=ON;";

	lite_init();
	if (make_parent(path) == -1)
		return NULL;
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return NULL;
	if (sqlite3_open_v2(path, &db->conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("db: cannot open path=%s: %s", path,
		    db->conn != NULL ? sqlite3_errmsg(db->conn) : "no memory");
		goto fail;
	}
	if (sqlite3_busy_timeout(db->conn, DB_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_extended_result_codes(db->conn, 1) != SQLITE_OK ||
	    lite_exec(db, pragmas) == -1 || private_mode(path, "") == -1 ||
	    private_mode(path, "-wal") == -1 ||
	    private_mode(path, "-shm") == -1)
		goto fail;
	db->wal_pages = LITE_WAL_PAGES;
	(void)sqlite3_wal_hook(db->conn, lite_wal_hook, db);
	return db;
fail:
	lite_close(db);
	return NULL;
}

static void
lite_close(struct db *db)
{
	size_t	 i;

	if (db == NULL)
		return;
	for (i = 0; i < DB_CACHE_SLOTS; i++)
		sqlite3_finalize(db->cache[i].st);
	if (sqlite3_close(db->conn) != SQLITE_OK)
		log_error("db: close: %s", sqlite3_errmsg(db->conn));
	free(db);
}

/* Whether db is inside a transaction (db_thread_check). */
static bool
lite_in_tx(struct db *db)
{
	return !sqlite3_get_autocommit(db->conn);
}

static int64_t
lite_changes(struct db *db)
{
	return sqlite3_changes64(db->conn);
}

static const char *
lite_error_text(struct db *db)
{
	return sqlite3_errcode(db->conn) == SQLITE_OK ? NULL :
	    sqlite3_errmsg(db->conn);
}

static int
lite_scrub_freed(struct db *db)
{
	return lite_exec(db, "PRAGMA secure_delete = ON");
}

static int
lite_checkpoint(struct db *db)
{
	return sqlite3_wal_checkpoint_v2(db->conn, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/*
 * A connection storing many rows in a row of transactions (a CSV import):
 * each transaction writes into the indexes of the invitations and their
 * events; with the default 2 MiB page cache it spilled mid-chunk. New
 * invitation ids begin with their second, so those inserts append, and
 * 4 MiB holds a chunk's pages (measured with bench/csv_import.py 100000
 * 0 later: 16 MiB took the same time and 15 MiB more peak memory). A
 * checkpoint every 8,000 pages (32 MiB of WAL, db->wal_pages) copies a
 * page once for several transactions, not once each. The connection's
 * own values are put back at off.
 */
static const struct {
	const char	*get, *set;
	sqlite3_int64	 value;
} lite_bulk_settings[] = {
	{ "PRAGMA cache_size", "PRAGMA cache_size = %lld", -4096 }, /* KiB */
};
#define LITE_NBULK	(sizeof(lite_bulk_settings) / \
			    sizeof(lite_bulk_settings[0]))
_Static_assert(LITE_NBULK == sizeof(((struct db *)0)->bulk_saved) /
    sizeof(sqlite3_int64), "a saved value for each bulk setting");

/* Runs a setting of lite_bulk_settings[i] with value. 0 or -1. */
static int
bulk_set(struct db *db, size_t i, sqlite3_int64 value)
{
	char	 sql[64];

	/* our own name and number, not input */
	snprintf(sql, sizeof(sql), lite_bulk_settings[i].set,
	    (long long)value);
	return lite_exec(db, sql);
}

static int
lite_bulk(struct db *db, bool on)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 ret = 0;

	db->wal_pages = on ? LITE_WAL_PAGES_BULK : LITE_WAL_PAGES;
	if (!on) {
		for (i = 0; i < db->bulk_set; i++) {
			if (bulk_set(db, i, db->bulk_saved[i]) == -1)
				ret = -1;
		}
		db->bulk_set = 0;
		return ret;
	}
	for (; db->bulk_set < LITE_NBULK; db->bulk_set++) {
		i = db->bulk_set;
		if (sqlite3_prepare_v2(db->conn, lite_bulk_settings[i].get,
		    -1, &st, NULL) != SQLITE_OK)
			return -1;
		ret = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
		db->bulk_saved[i] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (ret == -1 || bulk_set(db, i,
		    lite_bulk_settings[i].value) == -1)
			return -1;
	}
	return 0;
}

/*
 * Storage faults. A full disk or failing I/O makes every write fail
 * until an operator acts: said once in the log, on the change, not on
 * every statement; the requests answer 503 (db_fail) and /readyz says
 * why (db_writable).
 */
static bool
storage_fault(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_FULL || rc == SQLITE_IOERR;
}

/* rc, the result of a call on db, failed: true when it is a storage
 * fault, noted (and the caller logs nothing more). */
static bool
note_fault(struct db *db, int rc)
{
	int	 was = SQLITE_OK;

	if (!storage_fault(rc))
		return false;
	db->fault = true;
	if (atomic_compare_exchange_strong(&write_fault, &was, rc & 0xff)) {
		if ((rc & 0xff) == SQLITE_FULL)
			log_error("db: disk full: writes answer 503 until "
			    "there is room again; reads are served");
		else
			log_error("db: I/O error (%s): writes answer 503 "
			    "until they succeed again; reads are served",
			    sqlite3_errstr(rc));
	}
	return true;
}

/* A write committed: the disk takes writes again. */
static void
note_written(void)
{
	if (atomic_load(&write_fault) != SQLITE_OK &&
	    atomic_exchange(&write_fault, SQLITE_OK) != SQLITE_OK)
		log_info("db: writes succeed again");
}

static bool
lite_fault(struct db *db)
{
	return db != NULL && db->fault;
}

static void
lite_fault_clear(struct db *db)
{
	if (db != NULL)
		db->fault = false;
}

static const char *
lite_writable(void)
{
	int	 rc = atomic_load(&write_fault);

	if (rc == SQLITE_OK)
		return NULL;
	return rc == SQLITE_FULL ? "disk full" : "I/O error";
}

static int
lite_exec(struct db *db, const char *sql)
{
	char	*msg = NULL;
	int	 rc;

	rc = sqlite3_exec(db->conn, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		if (!note_fault(db, rc))
			log_error("db: exec: %s", msg != NULL ? msg :
			    sqlite3_errmsg(db->conn));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static struct db_stmt *
lite_prepare(struct db *db, const char *sql)
{
	size_t		 i, h = ((uintptr_t)sql >> 3) & (DB_CACHE_SLOTS - 1);
	sqlite3_stmt	*st = NULL;
	int		 rc;

	for (i = 0; i < DB_CACHE_SLOTS; i++) {
		size_t	 slot = (h + i) & (DB_CACHE_SLOTS - 1);

		if (db->cache[slot].sql == sql)
			return (struct db_stmt *)(void *)db->cache[slot].st;
		if (db->cache[slot].sql != NULL)
			continue;
		rc = sqlite3_prepare_v3(db->conn, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK) {
			if (!note_fault(db, rc))
				log_error("db: prepare: %s",
				    sqlite3_errmsg(db->conn));
			return NULL;
		}
		db->cache[slot].sql = sql;
		db->cache[slot].st = st;
		return (struct db_stmt *)(void *)st;
	}
	log_error("db: statement cache full");
	return NULL;
}

static void
lite_release(struct db_stmt *st)
{
	if (st == NULL)
		return;
	/* reset repeats the last step's error, already handled by db_step. */
	(void)sqlite3_reset(lite(st));
	(void)sqlite3_clear_bindings(lite(st));
}

static int
lite_step(struct db *db, struct db_stmt *st)
{
	int	 rc = sqlite3_step(lite(st));

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		/* A write outside a transaction, or COMMIT: on disk. */
		if (!sqlite3_stmt_readonly(lite(st)) &&
		    sqlite3_get_autocommit(db->conn))
			note_written();
		return DB_DONE;
	}
	if (!note_fault(db, rc))
		log_error("db: step: %s", sqlite3_errmsg(db->conn));
	return -1;
}

static int
exec_cached(struct db *db, const char *sql)
{
	struct db_stmt	*st = lite_prepare(db, sql);
	int		 rc;

	if (st == NULL)
		return -1;
	rc = lite_step(db, st);
	lite_release(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * The write gate: the daemon's connections take turns to write in the
 * order they ask (a ticket lock), so that a writer waits in a queue, not
 * in SQLite's busy handler, which sleeps and retries and lets a busy
 * writer (the group commit) take the lock again and again before a
 * waiting one (a CSV chunk) wakes. Held from BEGIN IMMEDIATE to the end
 * of the transaction; other processes (the CLI) still meet the busy
 * handler.
 */
static pthread_mutex_t	 gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 gate_turn = PTHREAD_COND_INITIALIZER;
static uint64_t		 gate_next, gate_serving;

static void
gate_enter(struct db *db)
{
	uint64_t	 mine;

	if (db->gated)
		return;
	pthread_mutex_lock(&gate_lock);
	mine = gate_next++;
	while (mine != gate_serving)
		pthread_cond_wait(&gate_turn, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	db->gated = true;
}

static void
gate_leave(struct db *db)
{
	if (!db->gated)
		return;
	db->gated = false;
	pthread_mutex_lock(&gate_lock);
	gate_serving++;
	pthread_cond_broadcast(&gate_turn);
	pthread_mutex_unlock(&gate_lock);
}

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_savepoint[] = "SAVEPOINT job";
static const char sql_release[] = "RELEASE job";
static const char sql_rollback_to[] = "ROLLBACK TO job";

/*
 * In a group (db_group_begin) a handler's transaction is a savepoint of
 * the group's one: it ends as before for the handler, and is made
 * durable by the group's commit. Nested transactions stay an error, as
 * SQLite's BEGIN inside a transaction is.
 */
static int
lite_tx_begin(struct db *db)
{
	db->changes_at_begin = sqlite3_total_changes64(db->conn);
	if (!db->group) {
		/* a transaction already open stays an error, as before */
		if (!sqlite3_get_autocommit(db->conn))
			return exec_cached(db, sql_begin);
		gate_enter(db);
		if (exec_cached(db, sql_begin) == 0)
			return 0;
		gate_leave(db);
		return -1;
	}
	if (db->job_tx || exec_cached(db, sql_savepoint) == -1)
		return -1;
	db->job_tx = true;
	return 0;
}

static int
lite_tx_commit(struct db *db)
{
	bool	 wrote = sqlite3_total_changes64(db->conn) !=
		    db->changes_at_begin;

	if (db->group) {
		if (!db->job_tx || exec_cached(db, sql_release) == -1)
			return -1;
		db->job_tx = false;
		return 0;
	}
	if (exec_cached(db, sql_commit) == -1)
		return -1;
	gate_leave(db);
	if (wrote)
		note_written();
	return 0;
}

static void
lite_tx_rollback(struct db *db)
{
	if (db == NULL)
		return;
	if (db->group) {
		if (!db->job_tx)
			return;
		db->job_tx = false;
		if (exec_cached(db, sql_rollback_to) == -1 ||
		    exec_cached(db, sql_release) == -1)
			log_error("db: rollback to a savepoint failed");
		return;
	}
	if (!sqlite3_get_autocommit(db->conn) &&
	    exec_cached(db, sql_rollback) == -1)
		log_error("db: rollback failed");
	/* also when SQLite rolled it back itself (a full disk) */
	if (sqlite3_get_autocommit(db->conn))
		gate_leave(db);
}

static int
lite_group_begin(struct db *db)
{
	db->changes_at_group = sqlite3_total_changes64(db->conn);
	gate_enter(db);
	if (exec_cached(db, sql_begin) == -1) {
		db->group = false;
		gate_leave(db);
		return -1;
	}
	db->group = true;
	db->job_tx = false;
	return 0;
}

static bool
lite_group_job_end(struct db *db)
{
	if (db->job_tx) {
		log_error("db: a handler left its transaction open; rolled "
		    "back");
		lite_tx_rollback(db);
	}
	return !sqlite3_get_autocommit(db->conn);
}

static int
lite_group_commit(struct db *db, struct api_error *err)
{
	bool	 wrote = sqlite3_total_changes64(db->conn) !=
		    db->changes_at_group;
	bool	 committing = !sqlite3_get_autocommit(db->conn);
	int	 r = 0;

	/* A job's error may have rolled it all back: nothing to commit,
	 * and nothing that says writes work again. */
	if (committing)
		r = exec_cached(db, sql_commit);
	db->group = false;
	if (r == 0) {
		gate_leave(db);
		if (wrote && committing)
			note_written();
		return 0;
	}
	lite_fail(db, err);
	if (!sqlite3_get_autocommit(db->conn) &&
	    exec_cached(db, sql_rollback) == -1)
		log_error("db: rollback of a group failed");
	if (sqlite3_get_autocommit(db->conn))
		gate_leave(db);
	return -1;
}

static void
lite_fail(struct db *db, struct api_error *err)
{
	int	 code = db == NULL ? SQLITE_CANTOPEN :
		    sqlite3_errcode(db->conn) & 0xff;

	if (lite_fault(db) || storage_fault(code)) {
		api_error_set(err, 503, NULL, "The server cannot store "
		    "changes now (%s); reads are served. Retry later",
		    storage_fault(code) ? (code == SQLITE_FULL ? "disk full" :
		    "I/O error") : lite_writable() != NULL ? lite_writable() :
		    "storage error");
		api_error_header(err, "Retry-After", "60");
	} else if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
		api_error_set(err, 503, NULL, "The database is busy; retry "
		    "shortly");
		api_error_header(err, "Retry-After", "1");
	} else if (code == SQLITE_CONSTRAINT)
		api_error_set(err, 409, NULL, "The change conflicts with "
		    "existing data");
	else
		api_error_internal(err);
}

static const char *
lite_text(struct db_stmt *st, int col)
{
	const unsigned char	*s = sqlite3_column_text(lite(st), col);

	return s == NULL ? "" : (const char *)s;
}

static int64_t
lite_int(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(lite(st), col);
}

static bool
lite_is_null(struct db_stmt *st, int col)
{
	return sqlite3_column_type(lite(st), col) == SQLITE_NULL;
}

static size_t
lite_bytes(struct db_stmt *st, int col)
{
	return (size_t)sqlite3_column_bytes(lite(st), col);
}




static int
lite_bind_text(struct db_stmt *st, int idx, const char *s)
{
	int	 rc;

	if (s == NULL)
		rc = sqlite3_bind_null(lite(st), idx);
	else
		rc = sqlite3_bind_text(lite(st), idx, s, -1,
		    SQLITE_TRANSIENT);
	return rc == SQLITE_OK ? 0 : -1;
}

static int
lite_bind_int(struct db_stmt *st, int idx, int64_t v)
{
	return sqlite3_bind_int64(lite(st), idx, v) == SQLITE_OK ? 0 : -1;
}

static int
lite_bind_null(struct db_stmt *st, int idx)
{
	return sqlite3_bind_null(lite(st), idx) == SQLITE_OK ? 0 : -1;
}

/* for cli_ops: online backups, their check and the self-check. */

static struct db *
lite_open_readonly(const char *path)
{
	struct db	*db;

	lite_init();
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return NULL;
	if (sqlite3_open_v2(path, &db->conn, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db->conn, DB_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_extended_result_codes(db->conn, 1) != SQLITE_OK) {
		log_error("db: cannot open path=%s: %s", path,
		    db->conn != NULL ? sqlite3_errmsg(db->conn) : "no memory");
		lite_close(db);
		return NULL;
	}
	return db;
}

static const char sql_vacuum_into[] = "VACUUM INTO ?";

/*
 * VACUUM INTO copies the database as one read transaction sees it: every
 * transaction committed before it began, none after; writers go on
 * meanwhile (WAL). The copy is then switched to a rollback journal so
 * that it is one self-contained file.
 */
static int
lite_backup_into(struct db *db, const char *path)
{
	struct db_stmt	*st;
	sqlite3		*copy = NULL;
	int		 rc, ret = -1;

	st = lite_prepare(db, sql_vacuum_into);
	if (st == NULL || lite_bind_text(st, 1, path) == -1)
		goto out;
	rc = lite_step(db, st);
	lite_release(st);
	if (rc != DB_DONE)
		goto out;
	if (sqlite3_open_v2(path, &copy, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK || sqlite3_exec(copy, "PRAGMA journal_mode=DELETE",
	    NULL, NULL, NULL) != SQLITE_OK) {
		log_error("db: backup copy path=%s: %s", path, copy != NULL ?
		    sqlite3_errmsg(copy) : "no memory");
		goto out;
	}
	ret = 0;
out:
	if (copy != NULL && sqlite3_close(copy) != SQLITE_OK)
		ret = -1;
	return ret;
}

/*
 * PRAGMA integrity_check: 0 when the database is sound (out "ok"), 1
 * when it is not (out its first problem), -1 when it cannot be run.
 */
static int
lite_integrity(struct db *db, char *out, size_t outlen)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, ret = -1;

	if (sqlite3_prepare_v2(db->conn, "PRAGMA integrity_check", -1, &st,
	    NULL) != SQLITE_OK) {
		snprintf(out, outlen, "%s", sqlite3_errmsg(db->conn));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		snprintf(out, outlen, "%s", sqlite3_errmsg(db->conn));
		goto out;
	}
	snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st,
	    0) != NULL ? (const char *)sqlite3_column_text(st, 0) : "");
	ret = strcmp(out, "ok") == 0 ? 0 : 1;
out:
	sqlite3_finalize(st);
	return ret;
}

const struct db_ops db_sqlite_ops = {
	.open = lite_open,
	.close = lite_close,
	.in_tx = lite_in_tx,
	.changes = lite_changes,
	.error_text = lite_error_text,
	.scrub_freed = lite_scrub_freed,
	.checkpoint = lite_checkpoint,
	.background_start = lite_wal_start,
	.background_stop = lite_wal_stop,
	.checkpoint_counts = lite_wal_counts,
	.data_version = lite_wal_version,
	.bulk = lite_bulk,
	.fault = lite_fault,
	.fault_clear = lite_fault_clear,
	.writable = lite_writable,
	.exec = lite_exec,
	.prepare = lite_prepare,
	.release = lite_release,
	.step = lite_step,
	.tx_begin = lite_tx_begin,
	.tx_commit = lite_tx_commit,
	.tx_rollback = lite_tx_rollback,
	.group_begin = lite_group_begin,
	.group_job_end = lite_group_job_end,
	.group_commit = lite_group_commit,
	.fail = lite_fail,
	.text = lite_text,
	.integer = lite_int,
	.is_null = lite_is_null,
	.bytes = lite_bytes,
	.bind_text = lite_bind_text,
	.bind_int = lite_bind_int,
	.bind_null = lite_bind_null,
	.migrate = db_sqlite_migrate,
	.open_readonly = lite_open_readonly,
	.backup_into = lite_backup_into,
	.integrity = lite_integrity,
	.migrations_due = db_sqlite_migrations_due,
};
