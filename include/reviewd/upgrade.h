#ifndef REVIEWD_UPGRADE_H
#define REVIEWD_UPGRADE_H

#include <stdbool.h>

#include "reviewd/db.h"

/*
 * What the start-up conversions of data older versions stored share
 * (afs_upgrade, webhooks_upgrade): main thread, start-up connection,
 * before any other thread runs. Each module converts its own table.
 */

/* Whether migration version (NNNN of its file name) is applied: 0 with
 * *applied set, or -1. */
int	upgrade_migrated(struct db *db, int version, bool *applied);

/* Converts one row: a and b are copies of the first two columns the
 * select found (wiped afterwards); the row must change so that the select
 * no longer finds it. 0 or -1. */
typedef int upgrade_row(struct db *db, const char *a, const char *b,
    const void *arg);

/*
 * Converts every row select (no parameters, LIMIT 1: one row still to
 * convert) finds, one at a time with convert(db, a, b, arg), in one
 * transaction. The old values are secrets: the connection first zeroes
 * what it frees (db_scrub_freed, which stays on). *n gets the rows
 * converted. 0, or -1 (rolled back; the caller logs).
 */
int	upgrade_rows(struct db *db, const char *select, upgrade_row *convert,
	    const void *arg, int *n);

#endif
