/*
 * db on PostgreSQL, for copy_data (issue 17): rows streamed into a table
 * with COPY ... FROM STDIN on a connection of db_pg.c (db.h:
 * db_pg_copy_begin, db_pg_copy_put, db_pg_copy_end). Called by
 * `reviewd copy-data` only, on its one thread.
 */
#include <stdint.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "reviewd/db.h"
#include "reviewd/db_pg_internal.h"

int
db_pg_copy_begin(struct db *db, const char *sql)
{
	struct pgdb	*d = pg(db);
	PGresult	*res;
	int		 ret = 0;

	if (!revive(d)) {
		note_error(d, NULL, "copy");
		return -1;
	}
	res = PQexec(d->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		note_error(d, res, "copy");
		ret = -1;
	} else
		note_ok(d);
	PQclear(res);
	return ret;
}

int
db_pg_copy_put(struct db *db, const char *data, size_t len)
{
	struct pgdb	*d = pg(db);

	if (len > INT32_MAX || PQputCopyData(d->conn, data, (int)len) != 1) {
		note_error(d, NULL, "copy");
		return -1;
	}
	return 0;
}

int
db_pg_copy_end(struct db *db, const char *failure, int64_t *rows)
{
	struct pgdb	*d = pg(db);
	PGresult	*res;
	int		 ret = 0;

	if (PQputCopyEnd(d->conn, failure) != 1) {
		note_error(d, NULL, "copy");
		ret = -1;
	}
	/* the COPY's result, then NULL; an error is its result's */
	while ((res = PQgetResult(d->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			if (ret == 0 && failure == NULL)
				note_error(d, res, "copy");
			ret = -1;
		} else if (rows != NULL)
			*rows = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	if (ret == 0 && failure == NULL)
		note_ok(d);
	return failure != NULL ? -1 : ret;
}
