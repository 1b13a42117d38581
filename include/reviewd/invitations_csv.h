#ifndef REVIEWD_INVITATIONS_CSV_H
#define REVIEWD_INVITATIONS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/db.h"
#include "reviewd/request.h"
#include "reviewd/ids.h"

/*
 * The record of CSV imports: one invitation_imports row per upload with
 * its counts, and the outcome of every line in invitation_import_rows,
 * written chunk by chunk in the upload's own transactions. The upload
 * itself is invitations_csv() (invitations_upload.c); the routes here
 * read the record back.
 */

/* At most this many problem rows (invalid or skipped) in an answer. */
#define IMPORT_PROBLEMS_MAX	100

/* Row outcomes stored together by one statement. */
#define IMPORT_ROWS_BATCH	16

/* A row outcome not stored yet (invitations_import_row). */
struct csv_import_pending {
	int64_t		 line;
	const char	*status, *reason;	/* static strings */
	char		 invitation_id[IDS_ID_LEN + 1];	/* "": none */
	char		*errors;		/* owned JSON text, or NULL */
};

/* An import in progress, held by the uploading request. */
struct csv_import {
	char		 id[IDS_ID_LEN + 1];	/* "" until begun */
	const char	*bu;			/* borrowed */
	size_t		 total;			/* data rows in the file */
	size_t		 created, skipped, merged, invalid;
	size_t		 problems_total;	/* invalid + skipped rows */
	json_t		*problems;		/* owned: the first ones */
	json_t		*ignored;		/* owned: unknown headers */
	struct csv_import_pending pending[IMPORT_ROWS_BATCH];
	size_t		 npending;
};

/* Fills imp for unit bu (borrowed). 0, or -1 when out of memory. */
int	invitations_import_init(struct csv_import *imp, const char *bu);

/* Frees imp's contents; accepts an imp that init failed on. */
void	invitations_import_release(struct csv_import *imp);

/* Forgets the counts and problem rows (between the checking pass and the
 * storing pass). */
void	invitations_import_reset(struct csv_import *imp);

/*
 * Counts one row's outcome in memory: status "queued", "skipped",
 * "merged" or "invalid"; invitation_id and reason may be NULL, errors
 * (borrowed, may be NULL) is the [{field, reason}] of an invalid row.
 * Invalid and skipped rows are kept in problems while there is room.
 * 0, or -1 when out of memory.
 */
int	invitations_import_count(struct csv_import *imp, size_t line,
	    const char *status, const char *invitation_id, const char *reason,
	    json_t *errors);

/*
 * Records the import as 'importing' in its own short transaction, under a
 * new id. With an Idempotency-Key (idem_key, may be NULL) an import of the
 * same key still running is a 409. 0, or -1 with err.
 */
int	invitations_import_begin(struct db *db, struct csv_import *imp,
	    const char *idem_key, struct api_error *err);

/*
 * Inside the caller's transaction: stores the outcome of one row and
 * counts it as invitations_import_count does. status and reason are
 * static strings (kept until stored). The row is stored with up to
 * IMPORT_ROWS_BATCH - 1 others in one statement: invitations_import_flush
 * (or _save) stores those still waiting, before the transaction commits
 * and before a read of the import's rows. 0, or -1 with err.
 */
int	invitations_import_row(struct db *db, struct csv_import *imp,
	    size_t line, const char *status, const char *invitation_id,
	    const char *reason, json_t *errors, struct api_error *err);

/* Inside the caller's transaction: stores the row outcomes still
 * waiting. 0, or -1 with err. */
int	invitations_import_flush(struct db *db, struct csv_import *imp,
	    struct api_error *err);

/* Inside the caller's transaction: stores the row outcomes still waiting,
 * writes the counts so far, and when done the status 'completed'. 0, or
 * -1 with err. */
int	invitations_import_save(struct db *db, struct csv_import *imp,
	    bool done, struct api_error *err);

/* Marks a begun import 'failed' in its own transaction (after a chunk
 * failed: the chunks before it stay, the row outcomes waiting are
 * dropped). Best effort, logged. */
void	invitations_import_fail(struct db *db, struct csv_import *imp);

/* The answer about imp: {"importId", "status", "total", "created",
 * "skipped", "merged", "invalid", "problems", "rows" (the first problem
 * rows), "ignoredColumns", "links"}. New reference, NULL on failure. */
json_t	*invitations_import_json(const struct request *req,
	    const struct csv_import *imp, const char *status);

/* GET .../invitation-imports/{importId}: the summary. */
route_handler	invitations_import_get;

/* GET .../invitation-imports/{importId}/rows: every row's outcome in line
 * order, paged (page, perPage, status). */
route_handler	invitations_import_rows;

#endif
