/*
 * db_sqlite_migrate: SQLite's schema migrations, the built-in ones or a
 * directory's, each applied once, in its own transaction, and recorded in
 * schema_migrations; and counting those not applied yet. (PostgreSQL's are
 * db_pg.c's: they also take an advisory lock and refuse a newer schema.)
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/db_sqlite_internal.h"

#define DB_MAX_MIGRATION	(4 * 1024 * 1024)

static const char sql_migrations_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at INTEGER NOT NULL)";
static const char sql_migration_applied[] =
    "SELECT 1 FROM schema_migrations WHERE version = ?";
static const char sql_migration_record[] =
    "INSERT INTO schema_migrations (version, name, applied_at) "
    "VALUES (?, ?, ?)";

/* What the last failure of db said ("" when it said nothing). */
static const char *
error_text(struct db *db)
{
	const char	*t = db_error_text(db);

	return t != NULL ? t : "";
}

static int
apply_one(struct db *db, const char *name, const char *sql, FILE *report,
    char *err, size_t errlen)
{
	long		 version = db_migration_version(name);
	int		 rc;

	rc = db_exists(db, sql_migration_applied, "i", (int64_t)version);
	if (rc == -1)
		goto dberr;
	if (rc == DB_ROW)
		return 0;
	if (db_tx_begin(db) == -1 || db_exec(db, sql) == -1 ||
	    db_run(db, sql_migration_record, "isi", (int64_t)version, name,
	    clock_now_ms()) == -1 || db_tx_commit(db) == -1)
		goto dberr;
	if (report != NULL)
		fprintf(report, "applied %s\n", name);
	return 0;
dberr:
	snprintf(err, errlen, "%s: %s", name, error_text(db));
	db_tx_rollback(db);
	return -1;
}

static int
read_file(const char *path, struct buf *out)
{
	FILE	*f = fopen(path, "r");
	char	 chunk[8192];
	size_t	 n;
	int	 ret = 0;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(out, chunk, n) == -1) {
			ret = -1;
			break;
		}
	}
	if (ferror(f))
		ret = -1;
	fclose(f);
	return ret;
}

static int
migration_filter(const struct dirent *d)
{
	return db_migration_version(d->d_name) >= 0;
}

/* Frees the n names scandir gave. */
static void
names_free(struct dirent **names, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
migrate_dir(struct db *db, const char *dir, FILE *report, char *err,
    size_t errlen)
{
	struct dirent	**names = NULL;
	struct buf	  sql;
	char		  path[PATH_MAX];
	int		  n, i, ret = -1;

	buf_init(&sql, DB_MAX_MIGRATION);
	n = scandir(dir, &names, migration_filter, alphasort);
	if (n == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && db_migration_version(names[i]->d_name) ==
		    db_migration_version(names[i - 1]->d_name)) {
			snprintf(err, errlen, "%s: version used twice",
			    names[i]->d_name);
			goto out;
		}
		buf_reset(&sql);
		if (snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name) >= (int)sizeof(path) ||
		    read_file(path, &sql) == -1) {
			snprintf(err, errlen, "%s: cannot read", path);
			goto out;
		}
		if (apply_one(db, names[i]->d_name, sql.data == NULL ? "" :
		    sql.data, report, err, errlen) == -1)
			goto out;
	}
	ret = 0;
out:
	names_free(names, n);
	buf_release(&sql);
	return ret;
}

int
db_sqlite_migrate(struct db *db, const char *dir, FILE *report, char *err,
    size_t errlen)
{
	size_t	 i;

	if (db_exec(db, sql_migrations_table) == -1) {
		snprintf(err, errlen, "schema_migrations: %s",
		    error_text(db));
		return -1;
	}
	if (dir != NULL && dir[0] != '\0')
		return migrate_dir(db, dir, report, err, errlen);
	for (i = 0; i < db_builtin_migrations_count; i++) {
		if (apply_one(db, db_builtin_migrations[i].name,
		    db_builtin_migrations[i].sql, report, err, errlen) == -1)
			return -1;
	}
	return 0;
}

static const char sql_migrations_exist[] =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
    "name = 'schema_migrations'";

/* One migration: counted in *due and named on report when not applied. */
static int
pending_one(struct db *db, bool table, const char *name, FILE *report,
    size_t *due)
{
	int	 rc = DB_DONE;

	if (table)
		rc = db_exists(db, sql_migration_applied, "i",
		    (int64_t)db_migration_version(name));
	if (rc == -1)
		return -1;
	if (rc == DB_DONE) {
		(*due)++;
		if (report != NULL)
			fprintf(report, "  due %s\n", name);
	}
	return 0;
}

int
db_sqlite_migrations_due(struct db *db, const char *dir, FILE *report,
    size_t *due)
{
	struct dirent	**names = NULL;
	bool		  table;
	int		  n = 0, i, rc, ret = -1;
	size_t		  k;

	*due = 0;
	rc = db_exists(db, sql_migrations_exist, "");
	if (rc == -1)
		return -1;
	table = rc == DB_ROW;
	if (dir == NULL || dir[0] == '\0') {
		for (k = 0; k < db_builtin_migrations_count; k++) {
			if (pending_one(db, table,
			    db_builtin_migrations[k].name, report, due) == -1)
				return -1;
		}
		return 0;
	}
	n = scandir(dir, &names, migration_filter, alphasort);
	if (n == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (pending_one(db, table, names[i]->d_name, report,
		    due) == -1)
			goto out;
	}
	ret = 0;
out:
	names_free(names, n);
	return ret;
}
