/*
 * settings: the one writer of the settings table (name -> text value).
 * Any thread, on its own connection; the values are few and small.
 */
#include <stdio.h>
#include <string.h>

#include "reviewd/log.h"
#include "reviewd/settings.h"

static const char sql_get[] =
    "SELECT value FROM settings WHERE name = ?";
static const char sql_put[] =
    "INSERT INTO settings (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";
static const char sql_add[] =
    "INSERT INTO settings (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO NOTHING";

int
settings_get(struct db *db, const char *name, char *out, size_t outlen,
    bool *found)
{
	struct db_stmt	*st = db_prepare(db, sql_get);
	int		 rc, ret = -1;

	if (st == NULL || db_bind_text(st, 1, name) == -1 ||
	    (rc = db_step(db, st)) == -1)
		goto out;
	if (rc == DB_DONE)
		out[0] = '\0';
	else {
		if (db_bytes(st, 0) >= outlen) {
			log_error("settings: the value of %s is longer than "
			    "%zu bytes", name, outlen - 1);
			goto out;
		}
		memcpy(out, db_text(st, 0), db_bytes(st, 0) + 1);
	}
	*found = rc == DB_ROW;
	ret = 0;
out:
	db_release(st);
	return ret;
}

/* Runs sql with name and value; the rows it changed, or -1. */
static int64_t
store(struct db *db, const char *sql, const char *name, const char *value)
{
	struct db_stmt	*st = db_prepare(db, sql);
	int		 rc = -1;

	if (st != NULL && db_bind_text(st, 1, name) == 0 &&
	    db_bind_text(st, 2, value) == 0)
		rc = db_step(db, st);
	db_release(st);
	return rc == DB_DONE ? db_changes(db) : -1;
}

int
settings_put(struct db *db, const char *name, const char *value)
{
	return store(db, sql_put, name, value) == -1 ? -1 : 0;
}

int
settings_add_if_absent(struct db *db, const char *name, const char *value,
    bool *added)
{
	int64_t	 n = store(db, sql_add, name, value);

	if (n == -1)
		return -1;
	if (added != NULL)
		*added = n > 0;
	return 0;
}
