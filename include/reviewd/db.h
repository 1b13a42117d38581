#ifndef REVIEWD_DB_H
#define REVIEWD_DB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "reviewd/api_error.h"

/*
 * The storage interface: one connection per thread, statements prepared
 * once per connection, transactions, migrations. Nothing here names the
 * engine: src/db_sqlite.c implements the primitives on SQLite (WAL,
 * synchronous=FULL, foreign keys, busy timeout); src/db.c builds the
 * one-call helpers at the end of this file on those primitives alone, so
 * a second engine re-implements the primitives only. A struct db is used
 * only by the thread that owns it; a struct db_stmt belongs to its
 * connection's cache.
 *
 * Behind named functions, not in any module's SQL: the write-ahead log
 * (db_checkpoint), zeroing freed space (db_scrub_freed), the pragmas and
 * the error mapping (db_fail). The SQL the modules hand to db_prepare is
 * mostly portable. PostgreSQL (src/db_pg.c, issue 17) takes it as it is
 * and rewrites what it can as it prepares (parameters, INSERT OR IGNORE,
 * CROSS JOIN ... ON, INDEXED BY, "IS ?", LIKE, instr, two-argument
 * max/min, json_object, unnamed FROM subqueries); json_each,
 * json_group_array, json_extract, json_remove, json_replace and COLLATE
 * NOCASE are functions, an aggregate and a collation of
 * migrations_pg/0001. New SQL: write integers as 0/1 comparisons, not
 * truth values ("x != 0", not "x"), qualify the target's columns in ON
 * CONFLICT ... DO UPDATE, and sum CASE WHEN, not comparisons. What it
 * does not rewrite yet, by module (as SQLite spells it):
 * - Upserts: INSERT OR REPLACE (idempotency) and UPDATE OR REPLACE
 *   (invitations_unsubscribe): ON CONFLICT ... DO UPDATE with the
 *   conflict target spelt out (DO UPDATE names it; PostgreSQL has no
 *   UPDATE OR REPLACE: a DELETE of the row it would replace, then the
 *   UPDATE).
 * - Truth values: a 0/1 column used as a condition ("WHERE x", "CASE
 *   WHEN x", "OR x") is an error on PostgreSQL; sum(a = b) too.
 * - Unqualified columns of the target in ON CONFLICT ... DO UPDATE SET
 *   ("n = n + 1" is ambiguous on PostgreSQL; "t.n + 1" works in both).
 * - A json_each value compared with a number works through the
 *   bigint = text operator of migrations_pg/0001; other numeric types
 *   (stars as a real) do not.
 * - COLLATE NOCASE on a column SQLite declared NOCASE is case-free on
 *   both; LIKE on a citext column too. The ICU collation does not take
 *   LIKE (PostgreSQL before 18): "x COLLATE NOCASE LIKE ?" fails there.
 * RETURNING, partial indexes, ON CONFLICT, coalesce, substr and LIMIT /
 * OFFSET are common to both.
 */

struct db;
struct db_stmt;

/* What db_step answers besides -1 (an error, logged). */
#define DB_ROW		1	/* a row is ready to read */
#define DB_DONE		2	/* the statement ran to its end */

/* A migration: "NNNN_name.sql" and its SQL. */
struct db_migration {
	const char	*name;
	const char	*sql;
};

/* The migrations/ directory compiled into the binary (generated file). */
extern const struct db_migration	db_builtin_migrations[];
extern const size_t			db_builtin_migrations_count;

/* Remembers path for the per-thread connections of db_thread(). Call once
 * at start-up, before threads use the database. */
void	db_configure(const char *path);

/* Opens path (creating it and its parent directory) with the pragmas set.
 * NULL on failure (logged). */
struct db	*db_open(const char *path);

/* Finalizes the cached statements and closes; accepts NULL. */
void	db_close(struct db *db);

/* This thread's connection, opened on first use and closed when the thread
 * exits. Borrowed. NULL on failure (logged). */
struct db	*db_thread(void);

/* Rolls back a transaction a handler left open on this thread's
 * connection (logged: it is a bug), so the next request starts clean. */
void	db_thread_check(void);

/* Closes the calling thread's connection now (for the main thread, whose
 * exit is not a pthread exit). */
void	db_thread_close(void);

/*
 * Applies pending migrations in version order, each in its own transaction,
 * from dir ("" = the ones built into the binary). Prints "applied NAME" to
 * report (may be NULL) for each. 0, or -1 with "FILE: sqlite message" in
 * err; a failed migration leaves the database as it was before it.
 */
int	db_migrate(struct db *db, const char *dir, FILE *report, char *err,
	    size_t errlen);

/* The cached statement for sql (a string constant: the cache is keyed by
 * its address). Borrowed; release it with db_release. NULL on failure. */
struct db_stmt	*db_prepare(struct db *db, const char *sql);

/* Resets and clears bindings; accepts NULL. */
void	db_release(struct db_stmt *st);

/* Runs st to its next row: DB_ROW or DB_DONE, or -1 (logged). */
int	db_step(struct db *db, struct db_stmt *st);

/* Runs sql (no parameters, no rows) uncached. 0 or -1 (logged). */
int	db_exec(struct db *db, const char *sql);

/* BEGIN IMMEDIATE / COMMIT; 0 or -1. Rollback is a no-op without an open
 * transaction, so it can sit unconditionally on a failure path. */
int	db_tx_begin(struct db *db);
int	db_tx_commit(struct db *db);
void	db_tx_rollback(struct db *db);

/* Maps the connection's last error to a client-facing status in err:
 * busy 503, constraint 409, a storage fault (db_fault, full disk or I/O
 * error) 503 with Retry-After, else 500. Nothing when err holds an error
 * already (the first one wins). */
void	db_fail(struct db *db, struct api_error *err);

/*
 * Group commit (writer.h): one transaction on db holds the writes of many
 * requests, each handler's db_tx_begin/commit/rollback a savepoint in it,
 * and one commit (one fsync) makes them all durable. db_group_begin
 * begins it (0 or -1); db_group_job_end closes what a handler left open
 * and says whether the group's transaction still stands (an error such as
 * a full disk rolls all of it back); db_group_commit commits it (0), or
 * sets err as db_fail does and rolls it back (-1).
 */
int	db_group_begin(struct db *db);
bool	db_group_job_end(struct db *db);
int	db_group_commit(struct db *db, struct api_error *err);

/* Whether a call on db failed for want of disk space or an I/O error
 * since db_fault_clear(db) (the server clears it before each request):
 * then a failure of the caller is the disk's, not a bug. NULL: false. */
bool	db_fault(struct db *db);
void	db_fault_clear(struct db *db);

/* NULL while writes work; else why they fail ("disk full", "I/O
 * error"): from a write that failed so, on any connection, until one
 * commits again. Each change is logged once. Static string. */
const char	*db_writable(void);

/* Rows the last INSERT, UPDATE or DELETE of db changed. */
int64_t	db_changes(struct db *db);

/* The engine's text for the connection's last error, for a CLI message,
 * or NULL when the last call succeeded. Borrowed until the next call on
 * db. */
const char	*db_error_text(struct db *db);

/* From now on, data this connection deletes or overwrites is zeroed in the
 * file, not left in freed space (for secrets converted at start-up). 0 or
 * -1. */
int	db_scrub_freed(struct db *db);

/* Folds the write-ahead log back into the database file and truncates
 * it, so that erased data leaves no copy there. -1 when readers hold it
 * back (the next automatic checkpoint finishes then). */
int	db_checkpoint(struct db *db);

/* A connection that is about to store many rows in a row of
 * transactions (on), or has done so (off): each engine tunes what it has
 * for that (SQLite: a bigger page cache, fewer checkpoints) and puts its
 * own settings back at off. Only speed depends on it: 0 or -1 (logged),
 * and after -1 the connection works as before. */
int	db_bulk(struct db *db, bool on);

/*
 * The engine's own background work for a daemon, started before the
 * threads that write and stopped after them. SQLite: a thread that
 * folds the write-ahead log back into the database file, so that no
 * commit runs a checkpoint (db_sqlite_wal.c); without it (the commands
 * other than serve) commits run them as SQLite does by default.
 * PostgreSQL: nothing, the server checkpoints. Start: 0, or -1 (logged).
 */
int	db_background_start(void);
void	db_background_stop(void);

/* The checkpoints run so far by that thread and by commits (0 and 0 on
 * PostgreSQL), for /metrics. */
void	db_checkpoint_counts(int64_t *background, int64_t *by_commit);

/*
 * A number that moves whenever a commit, of any connection in any
 * process, has changed the database: what was read at a version (read
 * after it was taken) still holds while the version is the same. Takes
 * no lock and reads no table. 0, or -1 when the engine cannot tell
 * without a read (PostgreSQL; SQLite without db_background_start): the
 * caller reads then.
 */
int	db_data_version(uint64_t *version);

/* Parameters, numbered from 1. Text is copied; NULL binds NULL. 0 or -1. */
int	db_bind_text(struct db_stmt *st, int idx, const char *s);
int	db_bind_int(struct db_stmt *st, int idx, int64_t v);
int	db_bind_null(struct db_stmt *st, int idx);

/* Columns of the current row, numbered from 0. Text is "" for NULL and
 * borrowed until the next step or release; db_int is 0 for NULL. */
const char	*db_text(struct db_stmt *st, int col);
int64_t	db_int(struct db_stmt *st, int col);
bool	db_is_null(struct db_stmt *st, int col);
/* The length in bytes of the column's text (0 for NULL). */
size_t	db_bytes(struct db_stmt *st, int col);

/* Steps st (bound, not yet stepped) to the end, appending row(st) for
 * each row to list. Does not release st. 0, or -1 on a database error or
 * when row returns NULL. */
int	db_collect(struct db *db, struct db_stmt *st,
	    json_t *(*row)(struct db_stmt *), json_t *list);

/* The column as a new JSON string, or JSON null for SQL NULL. */
json_t	*db_json_text(struct db_stmt *st, int col);

/* The column (ms since the epoch) as a new ISO-8601 JSON string, or JSON
 * null for SQL NULL. */
json_t	*db_json_time(struct db_stmt *st, int col);

/*
 * One-call helpers (src/db.c, portable: written on the primitives above).
 * Each prepares sql (a string constant, as for db_prepare), binds the
 * parameters fmt describes, runs it and releases it. fmt has one letter
 * per parameter, numbered from 1, each taking one argument:
 *   's'	const char *: text (copied; NULL binds NULL)
 *   'i'	int64_t: read as int64_t, so cast an int or long argument
 *   'n'	none: NULL
 * A database error, a parameter that cannot be bound or another letter
 * gives -1 (logged); db_fail then maps the connection's last error.
 */

/* Binds st's parameters 1.. as fmt describes. 0 or -1 (logged). */
int	db_bind(struct db_stmt *st, const char *fmt, ...);

/* Runs sql to its end (a write; db_changes tells the rows it changed).
 * 0, or -1 also when it gives a row. */
int	db_run(struct db *db, const char *sql, const char *fmt, ...);

/* Whether sql gives a row: DB_ROW, DB_DONE when it gives none, or -1. */
int	db_exists(struct db *db, const char *sql, const char *fmt, ...);

/* The first column of sql's first row: DB_ROW with *out set, DB_DONE
 * when there is no row (*out untouched), or -1. NULL reads as 0. */
int	db_one_int(struct db *db, const char *sql, int64_t *out,
	    const char *fmt, ...);

/* The same as text copied into out (outlen bytes with the NUL; NULL reads
 * as ""): DB_ROW, DB_DONE (out untouched), or -1, also when the text does
 * not fit (never truncated). */
int	db_one_text(struct db *db, const char *sql, char *out, size_t outlen,
	    const char *fmt, ...);

/* The time (ms) in the first column of sql's first row, such as a
 * min(deadline): INT64_MAX when there is none (no row, or NULL: nothing is
 * due), or -1. */
int64_t	db_one_time(struct db *db, const char *sql, const char *fmt, ...);

/* Runs sql to its first row: DB_ROW with *row on it (read it, then
 * db_release it), or DB_DONE or -1 with *row NULL. */
int	db_row(struct db *db, const char *sql, struct db_stmt **row,
	    const char *fmt, ...);

/* Appends row(st) to list for each row of sql, as db_collect. For a page
 * of a list, LIMIT and OFFSET are its last two 'i' parameters. 0 or -1
 * (rows appended before a failure stay in list). */
int	db_list(struct db *db, const char *sql,
	    json_t *(*row)(struct db_stmt *), json_t *list,
	    const char *fmt, ...);

/* for cli_ops: online backups, their check and the self-check. */

/* Opens path read-only (never creating it, setting nothing). NULL on
 * failure (logged). Close with db_close. */
struct db	*db_open_readonly(const char *path);

/* Writes a consistent copy of db, as of one moment, to path (which must
 * not exist), while other connections go on writing; the copy is one
 * file (no -wal). Not synced: the caller fsyncs. 0 or -1 (logged). */
int	db_backup_into(struct db *db, const char *path);

/* Checks the whole database file: 0 sound (out "ok"), 1 not (out its
 * first problem), -1 the check could not run (out why). */
int	db_integrity(struct db *db, char *out, size_t outlen);

/* Counts the migrations of dir ("" = built in) not applied to db, and
 * names each on report ("  due NAME" lines; report may be NULL). Changes
 * nothing. 0 with *due set, or -1. */
int	db_migrations_due(struct db *db, const char *dir, FILE *report,
	    size_t *due);

/* for handler, business_units, reviews_json (issue 12). */

/* The cached statement for sql with parameters 1.. bound as fmt
 * describes, not yet stepped: read it with db_step, then db_release it.
 * NULL on failure (logged; db_fail maps it). db_vquery takes the
 * parameters as a va_list (a variadic caller's own). */
struct db_stmt	*db_query(struct db *db, const char *sql, const char *fmt,
		    ...);
struct db_stmt	*db_vquery(struct db *db, const char *sql, const char *fmt,
		    va_list ap);

/*
 * for the engines and main (issue 17): the backend is chosen once at
 * start-up (db_configure_backend, before threads use the database); every
 * function above then calls that engine's primitive through its table of
 * operations (db.c), and target is what db_thread() opens: a file path for
 * SQLite, a libpq connection string or URL (postgresql://...) for
 * PostgreSQL. db_configure(path) is db_configure_backend(DB_SQLITE, path).
 */
enum db_backend {
	DB_SQLITE,
	DB_POSTGRESQL
};

void	db_configure_backend(enum db_backend backend, const char *target);
enum db_backend	db_backend(void);

/* An engine: the primitives of this header that are not written on the
 * others (db.c). in_tx: whether the connection is in a transaction. */
struct db_ops {
	struct db	*(*open)(const char *);
	void		 (*close)(struct db *);
	bool		 (*in_tx)(struct db *);
	int64_t		 (*changes)(struct db *);
	const char	*(*error_text)(struct db *);
	int		 (*scrub_freed)(struct db *);
	int		 (*checkpoint)(struct db *);
	int		 (*bulk)(struct db *, bool);
	bool		 (*fault)(struct db *);
	void		 (*fault_clear)(struct db *);
	const char	*(*writable)(void);
	int		 (*exec)(struct db *, const char *);
	struct db_stmt	*(*prepare)(struct db *, const char *);
	void		 (*release)(struct db_stmt *);
	int		 (*step)(struct db *, struct db_stmt *);
	int		 (*tx_begin)(struct db *);
	int		 (*tx_commit)(struct db *);
	void		 (*tx_rollback)(struct db *);
	int		 (*group_begin)(struct db *);
	bool		 (*group_job_end)(struct db *);
	int		 (*group_commit)(struct db *, struct api_error *);
	void		 (*fail)(struct db *, struct api_error *);
	const char	*(*text)(struct db_stmt *, int);
	int64_t		 (*integer)(struct db_stmt *, int);
	bool		 (*is_null)(struct db_stmt *, int);
	size_t		 (*bytes)(struct db_stmt *, int);
	int		 (*bind_text)(struct db_stmt *, int, const char *);
	int		 (*bind_int)(struct db_stmt *, int, int64_t);
	int		 (*bind_null)(struct db_stmt *, int);
	int		 (*migrate)(struct db *, const char *, FILE *, char *,
			    size_t);
	struct db	*(*open_readonly)(const char *);
	int		 (*backup_into)(struct db *, const char *);
	int		 (*integrity)(struct db *, char *, size_t);
	int		 (*migrations_due)(struct db *, const char *, FILE *,
			    size_t *);
	/* issue 17, several daemons (NULL: one daemon, see below) */
	int		 (*tx_begin_claim)(struct db *);
	int		 (*listen_start)(const char *, void (*)(void));
	void		 (*listen_stop)(void);
	void		 (*notify_wake)(void);
	/* engine background work (NULL: none) */
	int		 (*background_start)(const char *);
	void		 (*background_stop)(void);
	void		 (*checkpoint_counts)(int64_t *, int64_t *);
	int		 (*data_version)(uint64_t *);	/* NULL: -1 */
};

extern const struct db_ops	db_sqlite_ops;	/* db_sqlite.c */
extern const struct db_ops	db_pg_ops;	/* db_pg.c */

/* The migrations_pg/ directory compiled into the binary (generated). */
extern const struct db_migration	db_builtin_migrations_pg[];
extern const size_t			db_builtin_migrations_pg_count;

/* for db_pg.c (db_pg_sql.c): sql rewritten for PostgreSQL (malloc'd;
 * NULL for no memory or a parameter beyond ?100), *nparams the largest
 * parameter number. */
#define DB_PG_MAX_PARAMS	100
char	*db_pg_translate(const char *sql, int *nparams);

/* "NNNN_name.sql" -> NNNN; -1 when the name is not a migration's. */
long	db_migration_version(const char *name);

/*
 * for copy_data (issue 17), PostgreSQL connections only: rows streamed
 * into a table with COPY, in the connection's transaction. begin runs
 * sql ("COPY t (a, b) FROM STDIN", text format); put sends data, whole
 * or partial lines of that format, buffered by libpq; end finishes it,
 * or aborts it with failure (not NULL: the reason, then -1), and sets
 * *rows (may be NULL) to the rows the server took. 0 or -1 (logged;
 * db_error_text says why). After a begin that succeeded, end is due
 * whatever put answered.
 */
int	db_pg_copy_begin(struct db *db, const char *sql);
int	db_pg_copy_put(struct db *db, const char *data, size_t len);
int	db_pg_copy_end(struct db *db, const char *failure, int64_t *rows);

/*
 * for the scheduler, outbox and dispatch (issue 17): several daemons on
 * one database. On SQLite (one daemon) these are the plain transaction
 * and nothing.
 *
 * db_tx_begin_claim: begins a transaction that claims due rows for this
 * daemon. It locks only the rows it claims, with a comment after the
 * SELECT's LIMIT holding "FOR UPDATE [OF t] SKIP LOCKED" (no space after
 * its opening mark: PostgreSQL's row locks, a comment to SQLite; see
 * db_pg_sql.c), and writes only those rows and rows it inserts: so
 * on PostgreSQL it skips the write gate every other write transaction
 * takes, and daemons claim in parallel, each skipping what another
 * holds. On SQLite it is db_tx_begin. 0 or -1, as db_tx_begin.
 * db_claims_lock_rows: whether claims hold row locks until their commit
 * (PostgreSQL): a claim may then stay open while its rows are worked on
 * outside the write gate; on SQLite such work must not sit inside the
 * write transaction.
 *
 * db_listen_start: a thread on its own connection calls on_wake (which
 * must only wake, quickly) whenever another daemon calls
 * db_notify_wake, and after its connection came back (wake-ups may have
 * been missed). db_notify_wake: any thread, after a commit that made
 * work due; never blocks (the listener's thread sends it). 0 or -1
 * (logged) for start; stop joins the thread.
 */
int	db_tx_begin_claim(struct db *db);
bool	db_claims_lock_rows(void);
int	db_listen_start(void (*on_wake)(void));
void	db_listen_stop(void);
void	db_notify_wake(void);

#endif
