#ifndef REVIEWD_SETTINGS_H
#define REVIEWD_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "reviewd/db.h"

/*
 * The settings table: named server-wide values (the admin token's hash,
 * the unsubscribe key, the test clock's offset), written only here. Each
 * call runs inside the caller's transaction when one is open.
 */

/* Reads setting name into out (outlen bytes with the NUL): 0 with *found
 * true, or 0 with *found false (out "") when there is none; -1 on a
 * database error or when the stored value does not fit (logged). */
int	settings_get(struct db *db, const char *name, char *out,
	    size_t outlen, bool *found);

/* Sets name to value, replacing what it held. 0 or -1. */
int	settings_put(struct db *db, const char *name, const char *value);

/* Adds name = value unless name is set already; *added (may be NULL)
 * says which. 0 or -1. */
int	settings_add_if_absent(struct db *db, const char *name,
	    const char *value, bool *added);

/* The random secret kept as setting name, hexlen hex characters (even,
 * at most SETTINGS_SECRET_MAX), made on first use: the same for every
 * daemon on the database. 0 with out filled, or -1 (logged when the
 * stored value is damaged). */
#define SETTINGS_SECRET_MAX	128
int	settings_secret(struct db *db, const char *name, char *out,
	    size_t hexlen);

#endif
