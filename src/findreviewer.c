/*
 * findreviewer: requests (HTTP worker threads), reviewer answers (pages),
 * deadlines (the scheduler thread). A request is open until the reviewer
 * answers or declines, or its deadline passes; that transition happens in
 * one UPDATE ... WHERE status = 'open', so the business is told exactly
 * once, also when the daemon was down across the deadline (the job
 * expires everything overdue when it starts). The reviewer's address is
 * read only to send them the request; consumerResponse holds only what
 * they typed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/audit.h"
#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/findreviewer.h"
#include "reviewd/findreviewer_json.h"
#include "reviewd/handler.h"
#include "reviewd/i18n.h"
#include "reviewd/ids.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/outbox.h"
#include "reviewd/reviews.h"
#include "reviewd/scheduler.h"
#include "reviewd/webhooks.h"

#define MESSAGE_MAX	5000
#define FIELD_MAX	500
#define REQUESTS_MAX	3	/* Find Reviewer requests per review, ever */
#define URL_LEN		(CONFIG_STR + 128)
/* stored (and shown to the business) in English when it asks without a
 * message; the reviewer reads it in their language, in the e-mail and on
 * the page */
#define DEFAULT_MESSAGE	i18n("en", "mail_fr_default_message")

const struct findreviewer_field findreviewer_fields[] = {
	{ "name", "mail_fr_field_name", "mail_field_name", "your_name",
	    "text" },
	{ "email", "mail_fr_field_email", "mail_field_email", "fr_email",
	    "email" },
	{ "phoneNumber", "mail_fr_field_phone", "mail_field_phone",
	    "fr_phone", "tel" },
	{ "address", "mail_fr_field_address", "mail_field_address",
	    "fr_address", "text" },
	{ "referenceId", "mail_fr_field_reference", "mail_field_reference",
	    "fr_reference", "text" },
	{ NULL, NULL, NULL, NULL, NULL }
};

static const char sql_requests_of[] =
    "SELECT json_group_array(json_object('id', id, 'status', status, "
    "  'message', message, 'response', response, 'respondedAt', "
    "  responded_at, 'created', created_at, 'deadline', deadline, "
    "  'requested', json(requested))) FROM (SELECT * FROM "
    "  find_reviewer_requests WHERE review_id = ? ORDER BY created_at)";
static const char sql_review_of[] =
    "SELECT r.title, coalesce(r.referral_email, c.email), r.display_name, "
    "  b.display_name, EXISTS (SELECT 1 FROM find_reviewer_requests f "
    "  WHERE f.review_id = r.id AND f.status = 'open'), "
    "  EXISTS (SELECT 1 FROM find_reviewer_requests f "
    "  WHERE f.review_id = r.id AND f.status = 'declined'), "
    "  (SELECT count(*) FROM find_reviewer_requests f "
    "  WHERE f.review_id = r.id), r.language, b.default_locale "
    "FROM reviews r JOIN consumers c ON c.id = r.consumer_id "
    "JOIN business_units b ON b.id = r.business_unit_id WHERE r.id = ?";

enum { R_TITLE, R_EMAIL, R_NAME, R_BU_NAME, R_OPEN, R_DECLINED, R_ASKED,
    R_LANGUAGE, R_LOCALE };

/* The review's Find Reviewer thread as the API answers it, or NULL with
 * err set. */
static json_t *
thread_json(struct db *db, const char *review, bool eligible,
    struct api_error *err)
{
	struct db_stmt	*st;
	json_t		*o;

	if (db_row(db, sql_requests_of, &st, "s", review) != DB_ROW) {
		db_fail(db, err);
		return NULL;
	}
	o = findreviewer_json(db_text(st, 0), eligible);
	db_release(st);
	if (o != NULL)
		json_object_set_new(o, "reviewId", json_string(review));
	else
		api_error_internal(err);
	return o;
}

int
findreviewer_get(ROUTE_HANDLER_PARAMS)
{
	const char		*review = request_param(req, "reviewId");
	struct review_facts	 facts;
	json_t			*thread;	/* owned */

	if (reviews_of_unit(req->db, review, req->principal.business_unit_id,
	    &facts, err) == -1 ||
	    (thread = thread_json(req->db, review, !facts.invited,
	    err)) == NULL)
		return -1;
	return response_json(res, 200, thread, err);
}

/* "your name, your order number" in the reviewer's language lang. */
static void
requested_text(json_t *requested, const char *lang, char *out, size_t len)
{
	const struct findreviewer_field	*f;
	json_t				*v;
	size_t				 i, used = 0;

	out[0] = '\0';
	json_array_foreach(requested, i, v) {
		for (f = findreviewer_fields; f->name != NULL; f++) {
			if (strcmp(json_string_value(v), f->name) != 0)
				continue;
			used += (size_t)snprintf(out + used, used < len ?
			    len - used : 0, "%s%s", used > 0 ? ", " : "",
			    i18n(lang, f->asked));
		}
	}
	if (out[0] == '\0')
		snprintf(out, len, "%s", i18n(lang, "mail_fr_anything"));
}

/* A business's request: its message (NULL when absent), whether to
 * skip its own e-mail, and the fields asked for, appended to requested.
 * 0, or -1 with every bad field named in err. */
static int
read_request(json_t *body, const char **message, bool *skip,
    json_t *requested, struct api_error *err)
{
	static const char *const allowed[] = { "message",
	    "skipNotificationEmailToBusinessUser", "requestedInformation",
	    NULL };
	const struct findreviewer_field	*f;
	json_t				*v, *item;	/* borrowed */
	size_t				 i;

	json_only_keys(body, allowed, err);
	json_read_string(body, "message", false, 1, MESSAGE_MAX, message,
	    err);
	json_read_bool(body, "skipNotificationEmailToBusinessUser", false,
	    skip, err);
	v = json_object_get(body, "requestedInformation");
	if (v != NULL && !json_is_array(v))
		api_error_set(err, 400, "requestedInformation", "must be an "
		    "array");
	json_array_foreach(v, i, item) {
		for (f = findreviewer_fields; f->name != NULL; f++) {
			if (json_is_string(item) && strcmp(json_string_value(
			    item), f->name) == 0)
				break;
		}
		if (f->name == NULL)
			api_error_set(err, 400, "requestedInformation", "item "
			    "%zu must be name, email, phoneNumber, address or "
			    "referenceId", i);
		else if (requested != NULL)
			json_array_append(requested, item);
	}
	return err->status != 0 ? -1 : 0;
}

/*
 * Whether the reviewer of review (a published review of the business,
 * invited or not) may be asked now; when so, loads sql_review_of into
 * *out, a stepped statement the caller releases. 0, or -1 with err set
 * (409, or see db_fail).
 */
static int
askable(struct db *db, const char *review, bool invited,
    struct db_stmt **out, struct api_error *err)
{
	struct db_stmt	*st;

	*out = NULL;
	if (invited) {
		api_error_set(err, 409, NULL, "Find Reviewer is only for "
		    "reviews not written through one of our invitations: this "
		    "one is a verified review of a customer you invited, whose "
		    "reference you already have");
		return -1;
	}
	if (db_row(db, sql_review_of, &st, "s", review) != DB_ROW) {
		db_fail(db, err);
		return -1;
	}
	/* The reviewer is asked once at a time, never again after saying
	 * no, and at most REQUESTS_MAX times in all. */
	if ((int)db_int(st, R_OPEN))
		api_error_set(err, 409, NULL, "This review already has an open "
		    "Find Reviewer request");
	else if ((int)db_int(st, R_DECLINED))
		api_error_set(err, 409, NULL, "The reviewer declined to share "
		    "details: they are not asked again");
	else if (db_int(st, R_ASKED) >= REQUESTS_MAX)
		api_error_set(err, 409, NULL, "The reviewer was already asked "
		    "%d times about this review: that is the most",
		    REQUESTS_MAX);
	else if (!mailer_address_valid(db_text(st, R_EMAIL)))
		api_error_set(err, 409, NULL, "The reviewer's data was erased: "
		    "there is nobody to ask");
	if (err->status != 0) {
		db_release(st);
		return -1;
	}
	*out = st;
	return 0;
}

/* The e-mail asking the reviewer of the review under st (sql_review_of),
 * in their language, with the link of token; message NULL for the
 * default question. NULL when out of memory or the template fails. */
static json_t *
request_mail(struct db_stmt *st, const char *message, json_t *requested,
    const char *token, int64_t deadline)
{
	const char	*lang = mailer_lang(db_text(st, R_LANGUAGE),
			    db_text(st, R_LOCALE));
	json_t		*vars, *msg;	/* owned */
	char		 link[URL_LEN + IDS_TOKEN_LEN], when[CLOCK_ISO_LEN];
	char		 what[512];

	(void)clock_format(deadline, when);
	when[16] = '\0';
	memcpy(when + 10, " ", 1);
	snprintf(link, sizeof(link), "%s/find-reviewer/%s",
	    config_shared()->public_url, token);
	requested_text(requested, lang, what, sizeof(what));
	vars = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
	    db_text(st, R_NAME), "business", db_text(st, R_BU_NAME), "title",
	    db_text(st, R_TITLE), "message", message != NULL ? message :
	    i18n(lang, "mail_fr_default_message"), "requested", what,
	    "deadline", when, "link", link);
	msg = json_pack("{s:s, s:s}", "to", db_text(st, R_EMAIL), "toName",
	    db_text(st, R_NAME));
	if (vars == NULL || msg == NULL ||
	    mailer_render("find-reviewer", lang, vars, msg) == -1) {
		json_decref(msg);
		msg = NULL;
	}
	json_decref(vars);
	return msg;
}

static const char sql_request_insert[] =
    "INSERT INTO find_reviewer_requests (id, review_id, business_unit_id, "
    "  message, requested, notify_business, status, token_hash, deadline, "
    "  created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)";

int
findreviewer_create(ROUTE_HANDLER_PARAMS)
{
	struct db		*db = req->db;
	json_t			*requested = json_array();	/* owned */
	json_t			*msg = NULL, *thread;		/* owned */
	json_t			*body;				/* borrowed */
	struct db_stmt		*st = NULL;
	struct review_facts	 facts;
	const char		*review = request_param(req, "reviewId");
	const char		*message = NULL;
	const char		*bu = req->principal.business_unit_id;
	char			 id[IDS_ID_LEN + 1], token[IDS_TOKEN_LEN + 1];
	char			 hash[IDS_HASH_LEN + 1];
	char			 subject[IDS_ID_LEN + 16];
	char			 actor[IDS_ID_LEN + 16];
	char			*requested_json = NULL;
	bool			 skip = false;
	int64_t			 now = clock_now_ms(), deadline;
	int			 ret = -1;

	if ((body = json_body(req, err)) == NULL) {
		json_decref(requested);
		return -1;
	}
	if (read_request(body, &message, &skip, requested, err) == -1)
		goto out;
	if (db_tx_begin(db) == -1)
		goto dberr;
	if (reviews_of_unit(db, review, bu, &facts, err) == -1 ||
	    askable(db, review, facts.invited, &st, err) == -1)
		goto out;
	deadline = now + config_shared()->findreviewer_reply_days * 86400000;
	ids_new(id);
	ids_token(token);
	ids_token_hash(token, hash);
	msg = request_mail(st, message, requested, token, deadline);
	db_release(st);
	st = NULL;
	requested_json = json_dumps(requested, JSON_COMPACT);
	if (msg == NULL || requested_json == NULL)
		goto dberr;
	snprintf(subject, sizeof(subject), "review:%s", review);
	snprintf(actor, sizeof(actor), "business:%s", bu);
	if (db_run(db, sql_request_insert, "sssssisii", id, review, bu,
	    message != NULL ? message : DEFAULT_MESSAGE, requested_json,
	    (int64_t)!skip, hash, deadline,
	    now) == -1 || reviews_set_contacted(db, review) == -1 ||
	    audit_add(db, actor, "find-reviewer-requested", subject,
	    id) == -1 || outbox_add_email(db, bu, msg, NULL, err) == -1)
		goto dberr;
	if ((thread = thread_json(db, review, true, err)) != NULL)
		ret = handler_commit(req, res, 201, thread, true, err);
	goto out;
dberr:
	db_fail(db, err);
out:
	/* st is released where it was read: askable leaves it NULL on
	 * failure */
	db_tx_rollback(db);
	free(requested_json);
	json_decref(requested);
	json_decref(msg);
	return ret;
}

/* Telling the business (webhook, and e-mail unless it asked not to). */

#define REQUEST_SELECT							\
	"SELECT f.id, f.review_id, f.business_unit_id, f.status, "	\
	"  f.message, f.response, f.responded_at, f.notify_business, "	\
	"  r.title, b.notification_email, b.display_name, f.deadline, "	\
	"  f.requested, f.created_at, b.default_locale "		\
	"FROM find_reviewer_requests f "				\
	"JOIN reviews r ON r.id = f.review_id "				\
	"JOIN business_units b ON b.id = f.business_unit_id "

static const char sql_request_by_id[] = REQUEST_SELECT "WHERE f.id = ?";

enum { F_ID, F_REVIEW, F_BU, F_STATUS, F_MESSAGE, F_RESPONSE, F_RESPONDED,
    F_NOTIFY, F_TITLE, F_NOTIFY_EMAIL, F_BU_NAME, F_DEADLINE, F_REQUESTED,
    F_CREATED, F_LOCALE };

/* What the reviewer shared, one "Label: value" a line in lang, into out
 * (empty when nothing). */
static int
shared_lines(json_t *response, const char *lang, struct buf *out)
{
	const struct findreviewer_field	*f;
	const char			*v;
	int				 r = 0;

	for (f = findreviewer_fields; r == 0 && f->name != NULL; f++) {
		v = json_string_value(json_object_get(response, f->name));
		if (v != NULL && v[0] != '\0')
			r = buf_printf(out, "%s: %s\n", i18n(lang, f->label),
			    v);
	}
	v = json_string_value(json_object_get(response, "message"));
	if (r == 0 && v != NULL && v[0] != '\0')
		r = buf_printf(out, "%s: %s\n", i18n(lang,
		    "mail_field_message"), v);
	return r;
}

/*
 * The business's e-mail about request st (sql_request_by_id) whose API
 * JSON is data: in the unit's language, the answer in words, a link to
 * the review on its public page (the API's URL needs a token a browser
 * does not have). NULL when out of memory or the template fails.
 */
static json_t *
business_mail(struct db_stmt *st, json_t *data)
{
	const char	*lang = mailer_lang(NULL, db_text(st, F_LOCALE));
	const char	*status = db_text(st, F_STATUS);
	json_t		*vars = NULL, *msg = NULL;	/* owned */
	char		 link[URL_LEN], *details = NULL;
	struct buf	 b;

	buf_init(&b, 64 * 1024);
	snprintf(link, sizeof(link), "%s/r/%s", config_shared()->public_url,
	    db_text(st, F_REVIEW));
	if (strcmp(status, "replied") == 0 && shared_lines(json_object_get(data,
	    "consumerResponse"), lang, &b) == -1)
		goto out;
	if ((details = buf_detach(&b, NULL)) == NULL)
		goto out;
	vars = json_pack("{s:s, s:s, s:s, s:s, s:s}", "title",
	    db_text(st, F_TITLE), "business", db_text(st, F_BU_NAME), "link",
	    link, "reviewId", db_text(st, F_REVIEW), "details", details);
	msg = json_pack("{s:s}", "to", db_text(st, F_NOTIFY_EMAIL));
	if (vars == NULL || msg == NULL || mailer_render(
	    strcmp(status, "expired") == 0 ? "find-reviewer-expired" :
	    strcmp(status, "declined") == 0 ? "find-reviewer-declined" :
	    "find-reviewer-replied", lang, vars, msg) == -1) {
		json_decref(msg);
		msg = NULL;
	}
out:
	buf_release(&b);
	free(details);
	json_decref(vars);
	return msg;
}

static int
tell_business(struct db *db, const char *request_id)
{
	struct db_stmt	*st = NULL;
	json_t		*data = NULL, *stored = NULL, *msg = NULL;
	json_error_t	 jerr;
	char		 bu[IDS_ID_LEN + 1];
	const char	*status, *event;
	int		 ret = -1;

	if (db_row(db, sql_request_by_id, &st, "s", request_id) != DB_ROW)
		goto out;
	snprintf(bu, sizeof(bu), "%s", db_text(st, F_BU));
	status = db_text(st, F_STATUS);
	event = strcmp(status, "expired") == 0 ? "find-reviewer-expired" :
	    "find-reviewer-replied";
	stored = json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:o}", "id",
	    db_text(st, F_ID), "status", status, "message",
	    db_text(st, F_MESSAGE), "response", db_json_text(st, F_RESPONSE),
	    "respondedAt", (json_int_t)db_int(st, F_RESPONDED),
	    "created", (json_int_t)db_int(st, F_CREATED),
	    "deadline", (json_int_t)db_int(st, F_DEADLINE),
	    "requested", json_loads(db_text(st, F_REQUESTED), 0, &jerr));
	data = findreviewer_json_request(stored);
	if (data == NULL || json_object_set_new(data, "reviewId",
	    json_string(db_text(st, F_REVIEW))) == -1 ||
	    webhooks_emit(db, bu, event, data) == -1)
		goto out;
	if ((int)db_int(st, F_NOTIFY) &&
	    db_bytes(st, F_NOTIFY_EMAIL) > 0) {
		struct api_error err;

		memset(&err, 0, sizeof(err));
		if ((msg = business_mail(st, data)) == NULL ||
		    outbox_add_email(db, bu, msg, NULL, &err) == -1)
			goto out;
	}
	ret = 0;
out:
	db_release(st);
	json_decref(stored);
	json_decref(data);
	json_decref(msg);
	return ret;
}

/* Deadlines. Several daemons (PostgreSQL): sql_expire claims in the
 * write transaction (it writes the audit trail and webhooks too, which
 * take the write gate), so the next daemon's UPDATE finds the requests
 * expired already: one notification each. */

/* An expired request as [id, review id]. */
static json_t *
expired_json(struct db_stmt *st)
{
	return json_pack("[s, s]", db_text(st, 0), db_text(st, 1));
}

static const char sql_next_deadline[] =
    "SELECT min(deadline) FROM find_reviewer_requests WHERE status = 'open'";
static const char sql_expire[] =
    "UPDATE find_reviewer_requests SET status = 'expired', closed_at = ?1 "
    "WHERE status = 'open' AND deadline <= ?1 RETURNING id, review_id";

/* Reads before it writes: the scheduler runs every job at each wake (an
 * invitation made wakes it), and a write transaction for nothing would
 * queue behind, and hold up, the requests' writes. */
int64_t
findreviewer_job(struct db *db, int64_t now)
{
	json_t		*ids, *pair;	/* owned; borrowed */
	int64_t		 next = db_one_time(db, sql_next_deadline, "");
	char		 subject[IDS_ID_LEN + 16];
	size_t		 i;

	if (next > now)
		return next;
	if (next == -1 || (ids = json_array()) == NULL)
		return now + 1000;
	if (db_tx_begin(db) == -1 ||
	    db_list(db, sql_expire, expired_json, ids, "i", now) == -1)
		goto fail;
	json_array_foreach(ids, i, pair) {
		snprintf(subject, sizeof(subject), "review:%s",
		    json_string_value(json_array_get(pair, 1)));
		if (tell_business(db, json_string_value(json_array_get(pair,
		    0))) == -1 || audit_add(db, "system",
		    "find-reviewer-expired", subject, json_string_value(
		    json_array_get(pair, 0))) == -1)
			goto fail;
	}
	if (db_tx_commit(db) == -1)
		goto fail;
	if (json_array_size(ids) > 0)
		scheduler_wake();
	json_decref(ids);
	next = db_one_time(db, sql_next_deadline, "");
	return next == -1 ? now + 1000 : next;
fail:
	db_tx_rollback(db);
	json_decref(ids);
	log_error("findreviewer: expiring requests failed; retrying");
	return now + 1000;
}

/* The reviewer's side. */

static const char sql_by_token[] = REQUEST_SELECT "WHERE f.token_hash = ?";

static struct db_stmt *
by_token(struct db *db, const char *token, int *rc)
{
	struct db_stmt	*st;
	char		 hash[IDS_HASH_LEN + 1];

	*rc = DB_DONE;
	if (strlen(token) != IDS_TOKEN_LEN)
		return NULL;
	ids_token_hash(token, hash);
	*rc = db_row(db, sql_by_token, &st, "s", hash);
	return st;
}

/* The id and the review of the request of token, which must be open,
 * inside the caller's transaction: 0, or -1 with err set (404; 409 when
 * it is closed). */
static int
open_by_token(struct db *db, const char *token, char id[IDS_ID_LEN + 1],
    char review[IDS_ID_LEN + 1], struct api_error *err)
{
	struct db_stmt	*st;
	bool		 closed;
	int		 rc;

	st = by_token(db, token, &rc);
	if (handler_found(db, rc, NULL, "This link is not valid", err) == -1)
		return -1;
	closed = strcmp(db_text(st, F_STATUS), "open") != 0 ||
	    db_int(st, F_DEADLINE) <= clock_now_ms();
	snprintf(id, IDS_ID_LEN + 1, "%s", db_text(st, F_ID));
	snprintf(review, IDS_ID_LEN + 1, "%s", db_text(st, F_REVIEW));
	db_release(st);
	if (closed) {
		api_error_set(err, 409, NULL, "This request is closed");
		return -1;
	}
	return 0;
}

int
findreviewer_page(struct db *db, const char *token,
    enum findreviewer_state *state, json_t **out)
{
	struct db_stmt	*st;
	json_error_t	 jerr;
	int		 rc;
	bool		 open;

	*out = NULL;
	*state = FINDREVIEWER_UNKNOWN;
	st = by_token(db, token, &rc);
	if (rc == -1)
		return -1;
	if (rc == DB_DONE)
		return 0;
	open = strcmp(db_text(st, F_STATUS), "open") == 0 &&
	    db_int(st, F_DEADLINE) > clock_now_ms();
	*state = open ? FINDREVIEWER_OPEN : FINDREVIEWER_CLOSED;
	*out = json_pack("{s:s, s:s, s:s, s:o, s:s}", "business",
	    db_text(st, F_BU_NAME), "message", db_text(st, F_MESSAGE), "title",
	    db_text(st, F_TITLE), "requested", json_loads(db_text(st,
	    F_REQUESTED), 0, &jerr), "status", strcmp(db_text(st, F_STATUS),
	    "open") == 0 && !open ? "expired" : db_text(st, F_STATUS));
	if (*out != NULL && json_set_time(*out, "deadline",
	    db_int(st, F_DEADLINE)) == -1) {
		json_decref(*out);
		*out = NULL;
	}
	db_release(st);
	return *out == NULL ? -1 : 0;
}

/* The reviewer's answer (a message and the fields asked, at least one)
 * as the JSON text stored (malloc'd), or NULL with err set. */
static char *
answer_text(json_t *answer, struct api_error *err)
{
	json_t		*response = json_object();	/* owned */
	const char	*s, *field;
	char		*text = NULL;
	size_t		 i;

	if (response == NULL) {
		api_error_internal(err);
		return NULL;
	}
	json_read_string(answer, "message", false, 0, MESSAGE_MAX, &s, err);
	if (s != NULL && s[0] != '\0')
		json_object_set_new(response, "message", json_string(s));
	for (i = 0; (field = findreviewer_fields[i].name) != NULL; i++) {
		if (json_read_string(answer, field, false, 0, FIELD_MAX, &s,
		    err) == 0 && s != NULL && s[0] != '\0')
			json_object_set_new(response, field, json_string(s));
	}
	s = json_string_value(json_object_get(response, "email"));
	if (s != NULL && !mailer_address_valid(s))
		api_error_set(err, 400, "email", "must be an e-mail address");
	if (err->status == 0 && json_object_size(response) == 0)
		api_error_set(err, 400, "message", "or another field is "
		    "required: share at least one thing, or decline");
	if (err->status == 0 &&
	    (text = json_dumps(response, JSON_COMPACT)) == NULL)
		api_error_internal(err);
	json_decref(response);
	return text;
}

static const char sql_answer[] =
    "UPDATE find_reviewer_requests SET status = ?1, response = ?2, "
    "  responded_at = ?3, closed_at = ?3 WHERE id = ?4 AND status = 'open' "
    "  AND deadline > ?3";

int
findreviewer_answer(struct db *db, const char *token, json_t *answer,
    bool decline, struct api_error *err)
{
	char	 id[IDS_ID_LEN + 1], review[IDS_ID_LEN + 1];
	char	 subject[IDS_ID_LEN + 16];
	char	*text = NULL;
	int	 ret = -1;

	if (!decline && (text = answer_text(answer, err)) == NULL)
		return -1;
	if (db_tx_begin(db) == -1)
		db_fail(db, err);
	else if (open_by_token(db, token, id, review, err) == 0) {
		snprintf(subject, sizeof(subject), "review:%s", review);
		if (db_run(db, sql_answer, "ssis", decline ? "declined" :
		    "replied", text, clock_now_ms(), id) == -1 ||
		    tell_business(db, id) == -1 || audit_add(db, "reviewer",
		    decline ? "find-reviewer-declined" :
		    "find-reviewer-replied", subject, id) == -1)
			db_fail(db, err);
		else
			ret = handler_tx_commit(db, true, err);
	}
	db_tx_rollback(db);
	free(text);
	return ret;
}
