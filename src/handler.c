/*
 * handler: the endings route handlers share (see handler.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "reviewd/handler.h"
#include "reviewd/scheduler.h"

int
handler_commit(struct request *req, struct response *res, int status,
    json_t *body, bool wake, struct api_error *err)
{
	if (body == NULL) {
		db_tx_rollback(req->db);
		api_error_internal(err);
		return -1;
	}
	if (db_tx_commit(req->db) == -1) {
		db_fail(req->db, err);
		db_tx_rollback(req->db);
		json_decref(body);
		return -1;
	}
	if (wake)
		scheduler_wake();
	return response_json(res, status, body, err);
}

int
handler_page_args(const struct request *req, int64_t max,
    struct handler_page *p, struct api_error *err)
{
	int	 ret = 0;

	if (request_query_int(req, "page", 1, INT32_MAX, &p->page,
	    err) == -1)
		ret = -1;
	if (request_query_int(req, "perPage", 1, max, &p->per_page,
	    err) == -1)
		ret = -1;
	return ret;
}

int
handler_page_answer(struct request *req, struct response *res,
    struct db_stmt *st, int limit_idx, const struct handler_page *p,
    json_t *(*row)(struct db_stmt *), const char *key,
    struct api_error *err)
{
	json_t	*items = json_array(), *links;	/* owned */

	if (items == NULL ||
	    db_bind_int(st, limit_idx, p->per_page + 1) == -1 ||
	    db_bind_int(st, limit_idx + 1, (p->page - 1) * p->per_page) == -1 ||
	    db_collect(req->db, st, row, items) == -1) {
		json_decref(items);
		db_fail(req->db, err);
		return -1;
	}
	links = request_page_links(req, items, p->page, p->per_page);
	return response_json(res, 200, json_pack("{s:o, s:o}", "links",
	    links, key, items), err);
}

void
handler_failed(struct db *db, struct api_error *err)
{
	if ((err->status == 0 || err->status >= 500) && db_fault(db)) {
		memset(err, 0, sizeof(*err));
		db_fail(db, err);
	} else if (err->status == 0)
		api_error_internal(err);
}

/* for issue 12: a list answered in one call. */

int
handler_page_query(struct request *req, struct response *res,
    const struct handler_page *p, const char *sql,
    json_t *(*row)(struct db_stmt *), const char *key,
    struct api_error *err, const char *fmt, ...)
{
	struct db_stmt	*st;
	va_list		 ap;
	int		 ret = -1;

	va_start(ap, fmt);
	st = db_vquery(req->db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		db_fail(req->db, err);
	else
		ret = handler_page_answer(req, res, st, (int)strlen(fmt) + 1,
		    p, row, key, err);
	db_release(st);
	return ret;
}

int
handler_list_answer(struct request *req, struct response *res, json_t *list,
    const char *sql, json_t *(*row)(struct db_stmt *), const char *key,
    struct api_error *err, const char *fmt, ...)
{
	struct db_stmt	*st = NULL;
	va_list		 ap;

	va_start(ap, fmt);
	if (list != NULL)
		st = db_vquery(req->db, sql, fmt, ap);
	va_end(ap);
	if (st == NULL || db_collect(req->db, st, row, list) == -1) {
		db_release(st);
		json_decref(list);
		db_fail(req->db, err);
		return -1;
	}
	db_release(st);
	return response_json(res, 200, json_pack("{s:o}", key, list), err);
}

int
handler_found(struct db *db, int rc, const char *field, const char *what,
    struct api_error *err)
{
	if (rc == DB_ROW)
		return 0;
	if (rc == -1)
		db_fail(db, err);
	else
		api_error_set(err, 404, field, "%s", what);
	return -1;
}

int
handler_tx_commit(struct db *db, bool wake, struct api_error *err)
{
	if (db_tx_commit(db) == -1) {
		db_fail(db, err);
		db_tx_rollback(db);
		return -1;
	}
	if (wake)
		scheduler_wake();
	return 0;
}
