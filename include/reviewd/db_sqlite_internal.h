#ifndef REVIEWD_DB_SQLITE_INTERNAL_H
#define REVIEWD_DB_SQLITE_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

/*
 * Inside the db module's SQLite side: db_sqlite_migrate.c's functions,
 * which are db_sqlite_ops' migrate and migrations_due (db.h says what
 * they do). They need nothing of SQLite's beyond the storage interface.
 */

struct db;

int	db_sqlite_migrate(struct db *db, const char *dir, FILE *report,
	    char *err, size_t errlen);
int	db_sqlite_migrations_due(struct db *db, const char *dir, FILE *report,
	    size_t *due);

#endif
