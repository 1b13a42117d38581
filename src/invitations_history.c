/*
 * invitations_history: an invitation as the API shows it (with its
 * events), the business's history of its invitations and the changes it
 * may make: reschedule one queued invitation, cancel all queued ones,
 * erase customer data (for erasure.c). HTTP worker threads.
 */
#include <stdio.h>
#include <string.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_history.h"
#include "reviewd/invitations_internal.h"
#include "reviewd/json.h"

#define PAGE_MAX	100

/* Reading. */

#define INV_COLUMNS							\
	"id, business_unit_id, consumer_email, consumer_name, "		\
	"reference_number, locale, status, skip_reason, send_at, sent_at, " \
	"cancelled_at, tags, service, products, origin, opened_at, "	\
	"reviewed_at, template_id, created_at, updated_at, erased_at, "	\
	"(SELECT json_group_array(json_object('kind', kind, 'at', at, "	\
	"  'detail', detail)) FROM (SELECT kind, at, detail FROM "	\
	"  invitation_events e WHERE e.invitation_id = invitations.id "	\
	"  ORDER BY e.id)) "

enum { I_ID, I_BU, I_EMAIL, I_NAME, I_REF, I_LOCALE, I_STATUS, I_SKIP,
    I_SEND, I_SENT, I_CANCELLED, I_TAGS, I_SERVICE, I_PRODUCTS, I_ORIGIN,
    I_OPENED, I_REVIEWED, I_TEMPLATE, I_CREATED, I_UPDATED, I_ERASED,
    I_EVENTS };

json_t *
inv_parsed(struct db_stmt *st, int col)
{
	json_error_t	 jerr;
	json_t		*v = json_loads(db_text(st, col), 0, &jerr);

	return v != NULL ? v : json_array();
}

/* Event times are stored in ms; the API shows ISO-8601. */
static json_t *
events_json(struct db_stmt *st)
{
	json_t	*events = inv_parsed(st, I_EVENTS), *e;	/* owned; borrowed */
	size_t	 i;

	json_array_foreach(events, i, e) {
		if (json_set_time(e, "at", json_integer_value(json_object_get(e,
		    "at"))) == -1) {
			json_decref(events);
			return NULL;
		}
	}
	return events;
}

static json_t *
invitation_json(struct db_stmt *st)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:o, "
	    "s:o, s:o, s:b, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", db_text(st, I_ID), "businessUnitId", db_text(st, I_BU),
	    "consumerEmail", db_json_text(st, I_EMAIL),
	    "consumerName", db_json_text(st, I_NAME),
	    "referenceNumber", db_json_text(st, I_REF),
	    "locale", db_text(st, I_LOCALE), "status", db_text(st, I_STATUS),
	    "skipReason", db_json_text(st, I_SKIP),
	    "preferredSendTime", db_json_time(st, I_SEND),
	    "sentAt", db_json_time(st, I_SENT),
	    "cancelledAt", db_json_time(st, I_CANCELLED),
	    "tags", inv_parsed(st, I_TAGS),
	    "serviceReviewInvitation", (int)db_int(st, I_SERVICE),
	    "products", inv_parsed(st, I_PRODUCTS),
	    "origin", db_text(st, I_ORIGIN),
	    "linkOpenedAt", db_json_time(st, I_OPENED),
	    "reviewedAt", db_json_time(st, I_REVIEWED),
	    "templateId", db_json_text(st, I_TEMPLATE),
	    "createdAt", db_json_time(st, I_CREATED),
	    "updatedAt", db_json_time(st, I_UPDATED),
	    "erasedAt", db_json_time(st, I_ERASED),
	    "events", events_json(st));
}

static const char sql_by_id[] =
    "SELECT " INV_COLUMNS " FROM invitations WHERE id = ?";

int
inv_load_json(struct db *db, const char *id, const char *bu, json_t **out,
    struct api_error *err)
{
	struct db_stmt	*st;
	int		 rc, ret = -1;

	if ((rc = db_row(db, sql_by_id, &st, "s", id)) == -1)
		db_fail(db, err);
	else if (rc == DB_DONE || (bu != NULL && strcmp(bu, db_text(st,
	    I_BU)) != 0))
		api_error_set(err, 404, NULL, "Invitation not found");
	else if ((*out = invitation_json(st)) == NULL)
		api_error_internal(err);
	else
		ret = 0;
	db_release(st);
	return ret;
}

/* History and changes. */

static const char sql_list[] =
    "SELECT " INV_COLUMNS " FROM invitations "
    "WHERE business_unit_id = ?1 AND (?2 IS NULL OR status = ?2) "
    "AND (?3 IS NULL OR created_at >= ?3) "
    "AND (?4 IS NULL OR created_at <= ?4) "
    "AND (?5 IS NULL OR sent_at >= ?5) AND (?6 IS NULL OR sent_at <= ?6) "
    "AND (?7 IS NULL OR reference_number = ?7) "
    "AND (?8 IS NULL OR consumer_email = ?8 COLLATE NOCASE) "
    "AND (?9 IS NULL OR EXISTS (SELECT 1 FROM json_each(tags) "
    "  WHERE value = ?9)) "
    "ORDER BY seq DESC LIMIT ?10 OFFSET ?11";

static int
bind_query_time(const struct request *req, struct db_stmt *st, int idx,
    const char *name, struct api_error *err)
{
	const char	*v = request_query(req, name);
	int64_t		 t;

	if (v == NULL)
		return db_bind_null(st, idx) == 0 ? 0 : -1;
	if (clock_parse(v, &t) == -1) {
		api_error_set(err, 400, name, "must be a time such as "
		    "2013-09-07T13:37:00");
		return db_bind_null(st, idx) == 0 ? 0 : -1;
	}
	return db_bind_int(st, idx, t) == 0 ? 0 : -1;
}

/* Binds the filters of the list on st (400s to err). 0 or -1. */
static int
bind_filters(const struct request *req, struct db_stmt *st, const char *bu,
    struct api_error *err)
{
	static const char *const statuses[] = { "queued", "sending", "sent",
	    "cancelled", "skipped", NULL };
	const char	*status;

	status = request_query_enum(req, "status", statuses, "must be "
	    "queued, sending, sent, cancelled or skipped", err);
	if (db_bind_text(st, 1, bu) == -1 ||
	    db_bind_text(st, 2, status) == -1 ||
	    bind_query_time(req, st, 3, "createdAfter", err) == -1 ||
	    bind_query_time(req, st, 4, "createdBefore", err) == -1 ||
	    bind_query_time(req, st, 5, "sentAfter", err) == -1 ||
	    bind_query_time(req, st, 6, "sentBefore", err) == -1 ||
	    db_bind_text(st, 7, request_query(req, "referenceNumber")) == -1 ||
	    db_bind_text(st, 8, request_query(req, "email")) == -1 ||
	    db_bind_text(st, 9, request_query(req, "tag")) == -1)
		return -1;
	return 0;
}

/* GET .../invitations: the history, newest first, with the unit's daily
 * quota (so the paged answer of handler.h does not fit). */
int
invitations_list(ROUTE_HANDLER_PARAMS)
{
	struct handler_page p = { 1, 20 };
	struct db_stmt	*st = NULL;
	json_t		*list = NULL, *links, *quota;	/* owned */
	const char	*bu;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	(void)handler_page_args(req, PAGE_MAX, &p, err);	/* in err */
	if ((st = db_prepare(req->db, sql_list)) == NULL ||
	    bind_filters(req, st, bu, err) == -1)
		goto fail;
	if (err->status != 0)
		goto out;
	if ((list = json_array()) == NULL ||
	    db_bind_int(st, 10, p.per_page + 1) == -1 ||
	    db_bind_int(st, 11, (p.page - 1) * p.per_page) == -1 ||
	    db_collect(req->db, st, invitation_json, list) == -1)
		goto fail;
	db_release(st);
	st = NULL;
	if ((links = request_page_links(req, list, p.page,
	    p.per_page)) == NULL)
		goto fail;
	if ((quota = inv_quota_json(req->db, bu)) == NULL) {
		json_decref(links);
		goto fail;
	}
	return response_json(res, 200, json_pack("{s:o, s:o, s:o}", "links",
	    links, "invitations", list, "dailyQuota", quota), err);
fail:
	db_fail(req->db, err);
out:
	db_release(st);
	json_decref(list);
	return -1;
}

/* An invitation of the caller's business unit (any of its units for a
 * business token); 404 otherwise. */
static int
own_invitation(struct db *db, const struct request *req, json_t **out,
    struct api_error *err)
{
	const char	*id = request_param(req, "invitationId");

	if (id == NULL || !ids_valid(id)) {
		api_error_set(err, 404, NULL, "Invitation not found");
		return -1;
	}
	return inv_load_json(db, id, req->principal.kind ==
	    PRINCIPAL_BUSINESS ? req->principal.business_unit_id : NULL, out,
	    err);
}

int
invitations_get(ROUTE_HANDLER_PARAMS)
{
	json_t	*o = NULL;	/* owned, taken by response_json */

	if (own_invitation(req->db, req, &o, err) == -1)
		return -1;
	return response_json(res, 200, o, err);
}

/* Why a non-queued invitation cannot change, for the 409. */
static void
refuse_change(const char *status, struct api_error *err)
{
	if (strcmp(status, "cancelled") == 0)
		api_error_set(err, 409, NULL, "This invitation was cancelled; "
		    "a cancelled invitation can never be re-activated. Create "
		    "a new invitation instead.");
	else if (strcmp(status, "skipped") == 0)
		api_error_set(err, 409, NULL, "This invitation was skipped at "
		    "creation (see skipReason) and is never sent.");
	else
		api_error_set(err, 409, NULL, "This invitation was already "
		    "sent; a sent invitation can never be retracted or "
		    "rescheduled.");
}

static const char sql_reschedule[] =
    "UPDATE invitations SET send_at = ?1, updated_at = ?2 "
    "WHERE id = ?3 AND status = 'queued'";

int
invitations_patch(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "preferredSendTime", NULL };
	struct db	*db = req->db;
	json_t		*body, *inv = NULL;	/* borrowed; owned */
	int64_t		 when = 0, now = clock_now_ms();
	char		 id[IDS_ID_LEN + 1], detail[CLOCK_ISO_LEN];
	int		 ret = -1;

	if ((body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	invitations_read_time(body, "preferredSendTime", &when, err);
	if (err->status == 0 && when == 0)
		api_error_set(err, 400, "preferredSendTime", "is required");
	if (err->status != 0)
		goto out;
	if (when < now)
		when = now;
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (own_invitation(db, req, &inv, err) == -1)
		goto out;
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(inv,
	    "id")));
	if (strcmp(json_string_value(json_object_get(inv, "status")),
	    "queued") != 0) {
		refuse_change(json_string_value(json_object_get(inv, "status")),
		    err);
		goto out;
	}
	json_decref(inv);
	inv = NULL;
	(void)clock_format(when, detail);
	if (db_run(db, sql_reschedule, "iis", when, now, id) == -1 ||
	    inv_event_add(db, id, "rescheduled", detail, now) == -1 ||
	    inv_load_json(db, id, NULL, &inv, err) == -1) {
		db_fail(db, err);
		goto out;
	}
	ret = handler_commit(req, res, 200, inv, true, err);
	inv = NULL;
out:
	db_tx_rollback(db);
	json_decref(inv);
	return ret;
}

/* There is deliberately no way to cancel one invitation. */
int
invitations_delete(ROUTE_HANDLER_PARAMS)
{
	json_t	*inv = NULL;	/* owned */

	(void)res;
	if (own_invitation(req->db, req, &inv, err) == -1)
		return -1;
	if (strcmp(json_string_value(json_object_get(inv, "status")),
	    "queued") == 0)
		api_error_set(err, 409, NULL, "Queued invitations cannot be "
		    "cancelled one by one: so that no business can choose "
		    "which customers stop being asked, they are cancelled "
		    "all together (POST /v1/private/business-units/{id}/"
		    "invitations/cancel-queued). To send this one later, "
		    "change its preferredSendTime (PATCH).");
	else
		refuse_change(json_string_value(json_object_get(inv, "status")),
		    err);
	json_decref(inv);
	return -1;
}

static const char sql_cancel_queued[] =
    "UPDATE invitations SET status = 'cancelled', cancelled_at = ?1, "
    "  updated_at = ?1 WHERE business_unit_id = ?2 AND status = 'queued' "
    "  RETURNING id";

/* The id a RETURNING id row holds, for db_list. */
static json_t *
returned_id(struct db_stmt *st)
{
	return json_string(db_text(st, 0));
}

/* Appends the event kind with detail to each invitation of ids. 0 or
 * -1. */
static int
events_add(struct db *db, json_t *ids, const char *kind, const char *detail,
    int64_t now)
{
	json_t	*id;	/* borrowed */
	size_t	 i;

	json_array_foreach(ids, i, id) {
		if (inv_event_add(db, json_string_value(id), kind, detail,
		    now) == -1)
			return -1;
	}
	return 0;
}

int
invitations_cancel_queued(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { NULL };
	struct db	*db = req->db;
	json_t		*body, *ids = NULL;	/* borrowed; owned */
	const char	*bu;
	int64_t		 now = clock_now_ms();
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	/* Nothing chooses which queued invitations stop: a client still
	 * sending the old createdBefore learns why it is refused. */
	if (req->body_len > 0) {
		if ((body = json_body(req, err)) == NULL)
			return -1;
		if (json_object_get(body, "createdBefore") != NULL)
			api_error_set(err, 400, "createdBefore", "is no longer "
			    "accepted: queued invitations are cancelled all "
			    "together, so that no business chooses which "
			    "customers stop being asked; send no body");
		else
			json_only_keys(body, allowed, err);
		if (err->status != 0)
			goto out;
	}
	ids = json_array();
	if (ids == NULL || db_tx_begin(db) == -1 ||
	    db_list(db, sql_cancel_queued, returned_id, ids, "is", now,
	    bu) == -1 ||
	    events_add(db, ids, "cancelled", "cancel-queued", now) == -1)
		db_fail(db, err);
	else
		ret = handler_commit(req, res, 200, json_pack("{s:I}",
		    "cancelled", (json_int_t)json_array_size(ids)), false, err);
out:
	db_tx_rollback(db);
	json_decref(ids);
	return ret;
}

/* Erasing customer data (Trustpilot's invitation-data/delete). */

/* A queued invitation is cancelled; one whose e-mail is in the outbox is
 * skipped (its e-mail is killed with the data). RETURNING sees the new
 * row: the second column is the event of that change, if any. */
static const char sql_erase_invitations[] =
    "UPDATE invitations SET consumer_email = NULL, consumer_name = NULL, "
    "  token_hash = NULL, keyed_token_hash = NULL, erased_at = ?1, "
    "  updated_at = ?1, "
    "  cancelled_at = CASE status WHEN 'queued' THEN ?1 "
    "  ELSE cancelled_at END, "
    "  skip_reason = CASE status WHEN 'sending' THEN 'erased before "
    "  delivery' ELSE skip_reason END, "
    "  status = CASE status WHEN 'queued' THEN 'cancelled' "
    "  WHEN 'sending' THEN 'skipped' ELSE status END "
    "WHERE business_unit_id = ?2 AND erased_at IS NULL AND ("
    "  (?3 IS NOT NULL AND lower(consumer_email) IN (SELECT lower(value) "
    "  FROM json_each(?3))) OR (?4 IS NOT NULL AND created_at < ?4)) "
    "RETURNING id, CASE WHEN status = 'cancelled' AND cancelled_at = ?1 "
    "  THEN 'cancelled' WHEN status = 'skipped' AND skip_reason = "
    "  'erased before delivery' THEN 'skipped' END";

int
invitations_erase(struct db *db, const char *bu, json_t *emails,
    int64_t older, int64_t now, json_t **ids)
{
	struct db_stmt	*st = NULL;
	json_t		*changes = json_array(), *out = json_array();
	json_t		*v;	/* borrowed */
	char		*emails_text = emails != NULL ? json_dumps(emails,
			    JSON_COMPACT) : NULL;
	const char	*id, *change;
	size_t		 i;
	int		 rc, ret = -1;

	if (changes == NULL || out == NULL || (emails != NULL &&
	    emails_text == NULL) ||
	    (st = db_prepare(db, sql_erase_invitations)) == NULL ||
	    db_bind_int(st, 1, now) == -1 ||
	    db_bind_text(st, 2, bu) == -1 ||
	    db_bind_text(st, 3, emails_text) == -1 ||
	    (older != 0 ? db_bind_int(st, 4, older) :
	    db_bind_null(st, 4)) == -1)
		goto out;
	while ((rc = db_step(db, st)) == DB_ROW) {
		if (json_array_append_new(changes, json_pack("[s, s?]",
		    db_text(st, 0), db_is_null(st, 1) ? NULL :
		    db_text(st, 1))) == -1)
			goto out;
	}
	if (rc == -1)
		goto out;
	db_release(st);
	st = NULL;
	json_array_foreach(changes, i, v) {
		id = json_string_value(json_array_get(v, 0));
		change = json_string_value(json_array_get(v, 1));
		/* the status change the erasure made, if any */
		if (id == NULL || (change != NULL && inv_event_add(db, id,
		    change, strcmp(change, "cancelled") == 0 ? "erased" :
		    "erased before delivery", now) == -1) ||
		    inv_event_add(db, id, "erased", NULL, now) == -1 ||
		    json_array_append_new(out, json_string(id)) == -1)
			goto out;
	}
	*ids = out;
	out = NULL;
	ret = 0;
out:
	db_release(st);
	free(emails_text);
	json_decref(changes);
	json_decref(out);
	return ret;
}
