#ifndef REVIEWD_HANDLER_H
#define REVIEWD_HANDLER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/db.h"
#include "reviewd/request.h"

/*
 * What route handlers share around storage: the end of a write and the
 * page of a list. A handler reads req->db (the worker's connection; the
 * server answers 503 before calling a handler without one).
 *
 * One rollback convention: a handler that begins a transaction ends at
 * its `out:` label with db_tx_rollback(req->db) unconditionally; after a
 * commit it is a no-op.
 */

/*
 * Ends a write whose transaction is open on req->db: commits, wakes the
 * scheduler when wake (the change queued work for it), then answers
 * status with body (taken, also on failure; NULL is a 500). 0, or -1 with
 * err set (db_fail when the commit fails).
 */
int	handler_commit(struct request *req, struct response *res,
	    int status, json_t *body, bool wake, struct api_error *err);

/* After a handler returned -1 on db: a failure it did not describe, or
 * described as its own 5xx, is the disk's when a statement on db failed
 * for want of space or an I/O error meanwhile (503, db_fail), else a 500.
 * The caller clears db_fault before the handler. */
void	handler_failed(struct db *db, struct api_error *err);

/* The page of a list a request asks for: page (from 1) and perPage (from
 * 1 to max, per_page when absent). */
struct handler_page {
	int64_t	 page;
	int64_t	 per_page;
};

/* Reads page and perPage into p; a bad one adds a 400 naming it to err
 * (so other parameters can be checked before returning). 0 or -1. */
int	handler_page_args(const struct request *req, int64_t max,
	    struct handler_page *p, struct api_error *err);

/*
 * Answers 200 {"links": [next-page], key: [row(st)...]} for page p of a
 * list: binds LIMIT per_page + 1 and OFFSET to parameters limit_idx and
 * limit_idx + 1 of st (bound otherwise, not stepped), collects the rows
 * and links the next page when the extra row came. Does not release st.
 * 0, or -1 with err set.
 */
int	handler_page_answer(struct request *req, struct response *res,
	    struct db_stmt *st, int limit_idx, const struct handler_page *p,
	    json_t *(*row)(struct db_stmt *), const char *key,
	    struct api_error *err);

/* for issue 12: a list answered in one call. */

/*
 * handler_page_answer for page p of sql, whose parameters 1.. fmt
 * describes (as db_bind) and whose last two, after them, are its LIMIT
 * and OFFSET: prepares, binds, answers and releases. 0, or -1 with err
 * set.
 */
int	handler_page_query(struct request *req, struct response *res,
	    const struct handler_page *p, const char *sql,
	    json_t *(*row)(struct db_stmt *), const char *key,
	    struct api_error *err, const char *fmt, ...);

/*
 * Answers 200 {key: list} after appending row(st) for every row of sql,
 * whose parameters fmt describes (as db_list). Takes list (a JSON array,
 * also on failure; NULL fails as a database error does). 0, or -1 with
 * err set.
 */
int	handler_list_answer(struct request *req, struct response *res,
	    json_t *list, const char *sql, json_t *(*row)(struct db_stmt *),
	    const char *key, struct api_error *err, const char *fmt, ...);

/* What a read on db found, by its result rc (DB_ROW, DB_DONE or -1, as
 * db_row and db_exists give): 0 for a row; else -1 with err set, to a
 * 404 naming field (NULL: none) with the reason what when there is no
 * row, or as db_fail when the read failed. */
int	handler_found(struct db *db, int rc, const char *field,
	    const char *what, struct api_error *err);

/* Commits the transaction open on db and wakes the scheduler when wake,
 * for a write that answered before it commits or that is a step of a
 * caller's request. 0, or -1 with err set as db_fail does (the
 * transaction rolled back). */
int	handler_tx_commit(struct db *db, bool wake, struct api_error *err);

#endif
