/*
 * db: the one-call helpers of the storage interface (see db.h), written
 * on its primitives only (prepare, bind, step, column, release), so that
 * every engine has them once its primitives exist. Stateless; any thread,
 * on the thread's own connection.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "reviewd/db.h"
#include "reviewd/log.h"

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
