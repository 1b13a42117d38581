/*
 * settings: the one writer of the settings table (name -> text value).
 * Any thread, on its own connection; the values are few and small.
 */
#include <string.h>

#include <sodium.h>

#include "reviewd/ids.h"
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

int
settings_secret(struct db *db, const char *name, char *out, size_t hexlen)
{
	char	 fresh[SETTINGS_SECRET_MAX + 1];
	bool	 found;
	int	 attempt, ret = -1;

	if (hexlen == 0 || hexlen % 2 != 0 || hexlen > SETTINGS_SECRET_MAX)
		return -1;
	/* a second look after adding: another daemon may have won */
	for (attempt = 0; attempt < 2; attempt++) {
		if (settings_get(db, name, out, hexlen + 1, &found) == -1)
			break;
		if (found && strlen(out) == hexlen) {
			ret = 0;
			break;
		}
		if (found) {
			log_error("settings: the setting %s is damaged", name);
			break;
		}
		ids_random_hex(fresh, hexlen / 2);
		if (settings_add_if_absent(db, name, fresh, NULL) == -1)
			break;
	}
	sodium_memzero(fresh, sizeof(fresh));
	return ret;
}
