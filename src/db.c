/*
 * db: the storage interface's dispatch to the engine chosen at start-up
 * (db_sqlite_ops or db_pg_ops), each thread's connection, and the
 * one-call helpers (see db.h), written on the primitives only (prepare,
 * bind, step, column, release), so that every engine has them once its
 * primitives exist. The engine and its target are set once at start-up
 * and only read afterwards; any thread, on the thread's own connection.
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/log.h"

/* The engine: SQLite unless db_configure_backend said otherwise. */
static const struct db_ops	*ops = &db_sqlite_ops;
static enum db_backend		 backend = DB_SQLITE;
static char			 target[PATH_MAX];
static pthread_key_t		 thread_key;
static pthread_once_t		 thread_key_once = PTHREAD_ONCE_INIT;

void
db_configure_backend(enum db_backend b, const char *where)
{
	backend = b;
	ops = b == DB_POSTGRESQL ? &db_pg_ops : &db_sqlite_ops;
	snprintf(target, sizeof(target), "%s", where);
}

void
db_configure(const char *path)
{
	db_configure_backend(DB_SQLITE, path);
}

enum db_backend
db_backend(void)
{
	return backend;
}

static void
thread_db_free(void *p)
{
	ops->close(p);
}

static void
make_thread_key(void)
{
	if (pthread_key_create(&thread_key, thread_db_free) != 0)
		abort();
}

struct db *
db_thread(void)
{
	struct db	*db;

	if (pthread_once(&thread_key_once, make_thread_key) != 0)
		return NULL;
	db = pthread_getspecific(thread_key);
	if (db != NULL)
		return db;
	db = ops->open(target);
	if (db == NULL)
		return NULL;
	if (pthread_setspecific(thread_key, db) != 0) {
		ops->close(db);
		return NULL;
	}
	return db;
}

void
db_thread_check(void)
{
	struct db	*db;

	if (pthread_once(&thread_key_once, make_thread_key) != 0)
		return;
	db = pthread_getspecific(thread_key);
	if (db == NULL || !ops->in_tx(db))
		return;
	log_error("db: a transaction was left open; rolled back");
	ops->tx_rollback(db);
}

void
db_thread_close(void)
{
	if (pthread_once(&thread_key_once, make_thread_key) != 0)
		return;
	ops->close(pthread_getspecific(thread_key));
	(void)pthread_setspecific(thread_key, NULL);
}

/* The primitives: the engine's. */

struct db *
db_open(const char *where)
{
	return ops->open(where);
}

void
db_close(struct db *db)
{
	ops->close(db);
}

int64_t
db_changes(struct db *db)
{
	return ops->changes(db);
}

const char *
db_error_text(struct db *db)
{
	return ops->error_text(db);
}

int
db_scrub_freed(struct db *db)
{
	return ops->scrub_freed(db);
}

int
db_checkpoint(struct db *db)
{
	return ops->checkpoint(db);
}

int
db_bulk(struct db *db, bool on)
{
	return ops->bulk(db, on);
}

bool
db_fault(struct db *db)
{
	return ops->fault(db);
}

void
db_fault_clear(struct db *db)
{
	ops->fault_clear(db);
}

const char *
db_writable(void)
{
	return ops->writable();
}

int
db_exec(struct db *db, const char *sql)
{
	return ops->exec(db, sql);
}

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	return ops->prepare(db, sql);
}

void
db_release(struct db_stmt *st)
{
	ops->release(st);
}

int
db_step(struct db *db, struct db_stmt *st)
{
	return ops->step(db, st);
}

int
db_tx_begin(struct db *db)
{
	return ops->tx_begin(db);
}

int
db_tx_commit(struct db *db)
{
	return ops->tx_commit(db);
}

void
db_tx_rollback(struct db *db)
{
	ops->tx_rollback(db);
}

int
db_group_begin(struct db *db)
{
	return ops->group_begin(db);
}

bool
db_group_job_end(struct db *db)
{
	return ops->group_job_end(db);
}

int
db_group_commit(struct db *db, struct api_error *err)
{
	return ops->group_commit(db, err);
}

void
db_fail(struct db *db, struct api_error *err)
{
	/* the first error wins, as in api_error_set: a request refused for
	 * its input says so, whatever failed after */
	if (err->status == 0)
		ops->fail(db, err);
}

const char *
db_text(struct db_stmt *st, int col)
{
	return ops->text(st, col);
}

int64_t
db_int(struct db_stmt *st, int col)
{
	return ops->integer(st, col);
}

bool
db_is_null(struct db_stmt *st, int col)
{
	return ops->is_null(st, col);
}

size_t
db_bytes(struct db_stmt *st, int col)
{
	return ops->bytes(st, col);
}

int
db_bind_text(struct db_stmt *st, int idx, const char *s)
{
	return ops->bind_text(st, idx, s);
}

int
db_bind_int(struct db_stmt *st, int idx, int64_t v)
{
	return ops->bind_int(st, idx, v);
}

int
db_bind_null(struct db_stmt *st, int idx)
{
	return ops->bind_null(st, idx);
}

int
db_migrate(struct db *db, const char *dir, FILE *report, char *err,
    size_t errlen)
{
	return ops->migrate(db, dir, report, err, errlen);
}

struct db *
db_open_readonly(const char *where)
{
	return ops->open_readonly(where);
}

int
db_backup_into(struct db *db, const char *path)
{
	return ops->backup_into(db, path);
}

int
db_integrity(struct db *db, char *out, size_t outlen)
{
	return ops->integrity(db, out, outlen);
}

int
db_migrations_due(struct db *db, const char *dir, FILE *report,
    size_t *due)
{
	return ops->migrations_due(db, dir, report, due);
}

/* Written on the primitives, for every engine. */

long
db_migration_version(const char *name)
{
	size_t	 len = strlen(name), i;
	long	 v = 0;

	for (i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	if (name[4] != '_' || len < 10 || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	return v;
}

int
db_collect(struct db *db, struct db_stmt *st,
    json_t *(*row)(struct db_stmt *), json_t *list)
{
	int	 rc;

	while ((rc = db_step(db, st)) == DB_ROW) {
		if (json_array_append_new(list, row(st)) == -1)
			return -1;
	}
	return rc == DB_DONE ? 0 : -1;
}

json_t *
db_json_text(struct db_stmt *st, int col)
{
	return db_is_null(st, col) ? json_null() :
	    json_string(db_text(st, col));
}

json_t *
db_json_time(struct db_stmt *st, int col)
{
	char	 iso[CLOCK_ISO_LEN];

	if (db_is_null(st, col) || clock_format(db_int(st, col), iso) == -1)
		return json_null();
	return json_string(iso);
}

/* Binds st's parameters 1.. as fmt describes (see db.h). 0 or -1. */
static int
vbind(struct db_stmt *st, const char *fmt, va_list ap)
{
	const char	*s;
	int		 i, rc;

	for (i = 0; fmt[i] != '\0'; i++) {
		switch (fmt[i]) {
		case 's':
			s = va_arg(ap, const char *);
			rc = db_bind_text(st, i + 1, s);
			break;
		case 'i':
			rc = db_bind_int(st, i + 1, va_arg(ap, int64_t));
			break;
		case 'n':
			rc = db_bind_null(st, i + 1);
			break;
		default:
			log_error("db: bind: unknown parameter type '%c'",
			    fmt[i]);
			return -1;
		}
		if (rc == -1) {
			log_error("db: bind: parameter %d cannot be bound",
			    i + 1);
			return -1;
		}
	}
	return 0;
}

int
db_bind(struct db_stmt *st, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = vbind(st, fmt, ap);
	va_end(ap);
	return rc;
}

/* What a one-call helper wants from its statement. */
struct want {
	enum {
		WANT_DONE,	/* no row */
		WANT_ROW,	/* whether there is a row */
		WANT_INT,	/* the first column of the first row */
		WANT_TEXT,	/* the same as text */
		WANT_LIST,	/* every row */
		WANT_STMT	/* the statement, on its first row */
	}		 kind;
	int64_t		*i;
	char		*text;
	size_t		 len;
	json_t		*(*row)(struct db_stmt *);
	json_t		*list;
	struct db_stmt	**stmt;
};

/* Copies column 0 of st's row into w->text. 0 or -1 (logged) when it
 * does not fit. */
static int
read_text(struct db_stmt *st, const struct want *w)
{
	/* The text first: the length is the converted text's. */
	const char	*text = db_text(st, 0);
	size_t		 len = db_bytes(st, 0);

	if (len >= w->len) {
		log_error("db: a value of %zu bytes does not fit in %zu", len,
		    w->len);
		return -1;
	}
	memcpy(w->text, text, len + 1);
	return 0;
}

/*
 * Prepares sql, binds fmt's parameters from ap, runs it as w wants and
 * releases it: for WANT_DONE 0 or -1, for WANT_LIST db_collect's answer,
 * else DB_ROW (the value read), DB_DONE or -1.
 */
static int
vquery(struct db *db, const char *sql, const struct want *w,
    const char *fmt, va_list ap)
{
	struct db_stmt	*st = db_prepare(db, sql);
	int		 rc = -1;

	if (st == NULL || vbind(st, fmt, ap) == -1)
		goto out;
	if (w->kind == WANT_LIST) {
		rc = db_collect(db, st, w->row, w->list);
		goto out;
	}
	rc = db_step(db, st);
	if (w->kind == WANT_STMT && rc == DB_ROW) {
		*w->stmt = st;
		return rc;
	}
	if (w->kind == WANT_DONE)
		rc = rc == DB_DONE ? 0 : -1;
	else if (rc == DB_ROW && w->kind == WANT_INT)
		*w->i = db_int(st, 0);
	else if (rc == DB_ROW && w->kind == WANT_TEXT && read_text(st, w) == -1)
		rc = -1;
out:
	db_release(st);
	return rc;
}

/* The body of a one-call helper, which differs from the others in its
 * want only: rc = vquery on the helper's own arguments. */
#define VQUERY(rc, db, sql, w, fmt) do {				\
	va_list	 ap_;							\
									\
	va_start(ap_, fmt);						\
	(rc) = vquery((db), (sql), (w), (fmt), ap_);			\
	va_end(ap_);							\
} while (0)

int
db_run(struct db *db, const char *sql, const char *fmt, ...)
{
	const struct want	 w = { .kind = WANT_DONE };
	int			 rc;

	VQUERY(rc, db, sql, &w, fmt);
	return rc;
}

int
db_exists(struct db *db, const char *sql, const char *fmt, ...)
{
	const struct want	 w = { .kind = WANT_ROW };
	int			 rc;

	VQUERY(rc, db, sql, &w, fmt);
	return rc;
}

int
db_one_int(struct db *db, const char *sql, int64_t *out, const char *fmt,
    ...)
{
	const struct want	 w = { .kind = WANT_INT, .i = out };
	int			 rc;

	VQUERY(rc, db, sql, &w, fmt);
	return rc;
}

int
db_one_text(struct db *db, const char *sql, char *out, size_t outlen,
    const char *fmt, ...)
{
	const struct want	 w = { .kind = WANT_TEXT, .text = out,
				     .len = outlen };
	int			 rc;

	VQUERY(rc, db, sql, &w, fmt);
	return rc;
}

int
db_list(struct db *db, const char *sql, json_t *(*row)(struct db_stmt *),
    json_t *list, const char *fmt, ...)
{
	const struct want	 w = { .kind = WANT_LIST, .row = row,
				     .list = list };
	int			 rc;

	VQUERY(rc, db, sql, &w, fmt);
	return rc;
}

int64_t
db_one_time(struct db *db, const char *sql, const char *fmt, ...)
{
	struct db_stmt		*st = NULL;
	const struct want	 w = { .kind = WANT_STMT, .stmt = &st };
	int64_t			 t = INT64_MAX;
	int			 rc;

	VQUERY(rc, db, sql, &w, fmt);
	if (rc == DB_ROW && !db_is_null(st, 0))
		t = db_int(st, 0);
	db_release(st);
	return rc == -1 ? -1 : t;
}

int
db_row(struct db *db, const char *sql, struct db_stmt **row,
    const char *fmt, ...)
{
	const struct want	 w = { .kind = WANT_STMT, .stmt = row };
	int			 rc;

	*row = NULL;
	VQUERY(rc, db, sql, &w, fmt);
	return rc;
}

/* for handler, business_units, reviews_json (issue 12): a statement
 * prepared and bound in one call. */

struct db_stmt *
db_vquery(struct db *db, const char *sql, const char *fmt, va_list ap)
{
	struct db_stmt	*st = db_prepare(db, sql);

	if (st != NULL && vbind(st, fmt, ap) == -1) {
		db_release(st);
		return NULL;
	}
	return st;
}

struct db_stmt *
db_query(struct db *db, const char *sql, const char *fmt, ...)
{
	struct db_stmt	*st;
	va_list		 ap;

	va_start(ap, fmt);
	st = db_vquery(db, sql, fmt, ap);
	va_end(ap);
	return st;
}

/* for the scheduler, outbox and dispatch (issue 17): several daemons. */

int
db_tx_begin_claim(struct db *db)
{
	return ops->tx_begin_claim != NULL ? ops->tx_begin_claim(db) :
	    ops->tx_begin(db);
}

bool
db_claims_lock_rows(void)
{
	return ops->tx_begin_claim != NULL;
}

int
db_background_start(void)
{
	return ops->background_start != NULL ?
	    ops->background_start(target) : 0;
}

void
db_background_stop(void)
{
	if (ops->background_stop != NULL)
		ops->background_stop();
}

int
db_data_version(uint64_t *version)
{
	return ops->data_version != NULL ? ops->data_version(version) : -1;
}

void
db_checkpoint_counts(int64_t *background, int64_t *by_commit)
{
	*background = *by_commit = 0;
	if (ops->checkpoint_counts != NULL)
		ops->checkpoint_counts(background, by_commit);
}

int
db_listen_start(void (*on_wake)(void))
{
	return ops->listen_start != NULL ? ops->listen_start(target,
	    on_wake) : 0;
}

void
db_listen_stop(void)
{
	if (ops->listen_stop != NULL)
		ops->listen_stop();
}

void
db_notify_wake(void)
{
	if (ops->notify_wake != NULL)
		ops->notify_wake();
}
