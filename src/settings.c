/*
 * settings: the one writer of the settings table (name -> text value).
 * Any thread, on its own connection; the values are few and small.
 */
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
	/* A value longer than out is an error (logged), never cut. */
	int	 rc = db_one_text(db, sql_get, out, outlen, "s", name);

	if (rc == -1)
		return -1;
	if (rc == DB_DONE)
		out[0] = '\0';
	*found = rc == DB_ROW;
	return 0;
}

/* Runs sql with name and value; the rows it changed, or -1. */
static int64_t
store(struct db *db, const char *sql, const char *name, const char *value)
{
	if (db_run(db, sql, "ss", name, value) == -1)
		return -1;
	return db_changes(db);
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
