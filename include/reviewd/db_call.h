#ifndef REVIEWD_DB_CALL_H
#define REVIEWD_DB_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "reviewd/db.h"

/*
 * One-call statements over the storage interface: prepare (cached),
 * bind, step, release. The parameters follow types, one character each,
 * numbered from 1: 't' a const char * (NULL binds NULL), 'i' an int64_t
 * (cast narrower integers: they are read as int64_t). Errors are logged
 * by db_step; map them with db_fail.
 */

/* Runs sql to its end (an INSERT, UPDATE or DELETE). 0 or -1. */
int	db_call(struct db *db, const char *sql, const char *types, ...);

/* Runs sql to its first row: DB_ROW with *row on it (read it, then
 * db_release it), or DB_DONE or -1 with *row NULL. */
int	db_call_row(struct db *db, const char *sql, struct db_stmt **row,
	    const char *types, ...);

/* Whether sql gives a row, into *found. 0 or -1. */
int	db_call_exists(struct db *db, const char *sql, bool *found,
	    const char *types, ...);

/* The integer in the first column of the first row sql gives, into *out
 * (0 for NULL). 0, or -1 (also when there is no row). */
int	db_call_int(struct db *db, const char *sql, int64_t *out,
	    const char *types, ...);

#endif
