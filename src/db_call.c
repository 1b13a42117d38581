/*
 * db_call: one-call statements (see db_call.h), built on db.h alone so
 * that they serve any engine. Any thread, on its own connection.
 */
#include <stdarg.h>

#include "reviewd/db_call.h"
#include "reviewd/log.h"

/*
 * Prepares sql, binds the parameters of types from ap and steps it once
 * into *out: DB_ROW (the caller reads the row and releases *out), DB_DONE
 * or -1 (*out released, NULL).
 */
static int
step_bound(struct db *db, const char *sql, const char *types, va_list ap,
    struct db_stmt **out)
{
	struct db_stmt	*st = db_prepare(db, sql);
	int		 i, rc = st != NULL ? 0 : -1;

	for (i = 0; rc == 0 && types[i] != '\0'; i++) {
		if (types[i] == 't')
			rc = db_bind_text(st, i + 1, va_arg(ap, const char *));
		else if (types[i] == 'i')
			rc = db_bind_int(st, i + 1, va_arg(ap, int64_t));
		else {
			log_error("db_call: parameter type '%c'", types[i]);
			rc = -1;
		}
	}
	if (rc == 0)
		rc = db_step(db, st);
	if (rc != DB_ROW) {
		db_release(st);
		st = NULL;
	}
	*out = st;
	return rc;
}

/* step_bound, the row released: DB_ROW, DB_DONE or -1. */
static int
step_once(struct db *db, const char *sql, const char *types, va_list ap)
{
	struct db_stmt	*st;
	int		 rc = step_bound(db, sql, types, ap, &st);

	db_release(st);
	return rc;
}

int
db_call(struct db *db, const char *sql, const char *types, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, types);
	rc = step_once(db, sql, types, ap);
	va_end(ap);
	return rc == DB_DONE ? 0 : -1;
}

int
db_call_row(struct db *db, const char *sql, struct db_stmt **row,
    const char *types, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, types);
	rc = step_bound(db, sql, types, ap, row);
	va_end(ap);
	return rc;
}

int
db_call_exists(struct db *db, const char *sql, bool *found,
    const char *types, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, types);
	rc = step_once(db, sql, types, ap);
	va_end(ap);
	*found = rc == DB_ROW;
	return rc == -1 ? -1 : 0;
}

int
db_call_int(struct db *db, const char *sql, int64_t *out,
    const char *types, ...)
{
	struct db_stmt	*st;
	va_list		 ap;
	int		 rc;

	va_start(ap, types);
	rc = step_bound(db, sql, types, ap, &st);
	va_end(ap);
	if (rc == DB_ROW)
		*out = db_int(st, 0);
	db_release(st);
	return rc == DB_ROW ? 0 : -1;
}
