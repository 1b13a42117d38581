#ifndef REVIEWD_DB_H
#define REVIEWD_DB_H

#include <stdio.h>

#include <sqlite3.h>

#include "reviewd/http.h"

/*
 * SQLite access: one connection per thread (WAL, synchronous=FULL, foreign
 * keys, busy timeout), statements prepared once per connection, migrations.
 * A struct db is used only by the thread that owns it.
 */

struct db;

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
sqlite3_stmt	*db_prepare(struct db *db, const char *sql);

/* Resets and clears bindings; accepts NULL. */
void	db_release(sqlite3_stmt *st);

/* sqlite3_step: SQLITE_ROW or SQLITE_DONE, or -1 (logged). */
int	db_step(struct db *db, sqlite3_stmt *st);

/* Runs sql (no parameters, no rows) uncached. 0 or -1 (logged). */
int	db_exec(struct db *db, const char *sql);

/* BEGIN IMMEDIATE / COMMIT; 0 or -1. Rollback is a no-op without an open
 * transaction, so it can sit unconditionally on a failure path. */
int	db_tx_begin(struct db *db);
int	db_tx_commit(struct db *db);
void	db_tx_rollback(struct db *db);

/* Maps the connection's last error to a client-facing status in err:
 * busy/locked 503, constraint 409, else 500. */
void	db_fail(struct db *db, struct api_error *err);

/* Column text or "" for NULL; borrowed until the next step/reset. */
const char	*db_text(sqlite3_stmt *st, int col);

/* Steps st (bound, not yet stepped) to the end, appending row(st) for
 * each row to list. Does not release st. 0, or -1 on a database error or
 * when row returns NULL. */
int	db_collect(struct db *db, sqlite3_stmt *st,
	    json_t *(*row)(sqlite3_stmt *), json_t *list);

/* The column as a new JSON string, or JSON null for SQL NULL. */
json_t	*db_json_text(sqlite3_stmt *st, int col);

/* The column (ms since the epoch) as a new ISO-8601 JSON string, or JSON
 * null for SQL NULL. */
json_t	*db_json_time(sqlite3_stmt *st, int col);

/* Binds text (SQLITE_TRANSIENT) or NULL when s is NULL. 0 or -1. */
int	db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* The underlying handle, for sqlite3_changes and the like. Borrowed. */
sqlite3	*db_handle(struct db *db);

#endif
