/*
 * upgrade: the loop the start-up conversions of older secrets share (see
 * upgrade.h). Main thread only.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "reviewd/upgrade.h"

static const char sql_migrated[] =
    "SELECT 1 FROM schema_migrations WHERE version = ?";

int
upgrade_migrated(struct db *db, int version, bool *applied)
{
	int	 rc = db_exists(db, sql_migrated, "i", (int64_t)version);

	if (rc == -1)
		return -1;
	*applied = rc == DB_ROW;
	return 0;
}

/* Frees a copy of a secret, zeroed first; accepts NULL. */
static void
wipe(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

int
upgrade_rows(struct db *db, const char *select, upgrade_row *convert,
    const void *arg, int *n)
{
	struct db_stmt	*st;
	char		*a = NULL, *b = NULL;
	int		 rc, ret = -1;

	*n = 0;
	if (db_scrub_freed(db) == -1 || db_tx_begin(db) == -1)
		goto out;
	for (;;) {
		if ((rc = db_row(db, select, &st, "")) == DB_ROW) {
			a = strdup(db_text(st, 0));
			b = strdup(db_text(st, 1));
		}
		db_release(st);
		if (rc != DB_ROW)
			break;
		if (a == NULL || b == NULL || convert(db, a, b, arg) == -1)
			goto out;
		wipe(a);
		wipe(b);
		a = b = NULL;
		(*n)++;
	}
	if (rc == DB_DONE)
		ret = db_tx_commit(db);
out:
	db_tx_rollback(db);	/* no-op after the commit */
	wipe(a);
	wipe(b);
	return ret;
}
