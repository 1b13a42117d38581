/*
 * reviews: the reviews module's writes once a review exists: tags and
 * replies by its business, what other modules record on it (reports'
 * hiding, Find Reviewer's contact), and the scheduler's job (expiring
 * unconfirmed reviews, deferred reply e-mails). Called from HTTP worker
 * threads; reviews_job runs on the scheduler thread.
 *
 * The reviews module is these files: reviews.c, reviews_submit.c
 * (submission, confirmation, reviewers), reviews_edit.c (the reviewer's
 * own changes and deletion), reviews_list.c (listings) and
 * reviews_json.c (the row and its JSON). They alone write the tables
 * reviews, review_tags and consumers; other modules call reviews.h.
 *
 * A review is pending until its reviewer confirms (organic ones), then
 * published; a published review with a hidden_reason is out of every
 * public view. Score counts live in business_unit_counts, kept by
 * triggers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/reviews.h"
#include "reviewd/reviews_json.h"
#include "reviewd/scheduler.h"
#include "reviewd/utf8.h"

#define REPLY_MAX	5000

/* Tags. */

static const char sql_tags_clear[] =
    "DELETE FROM review_tags WHERE review_id = ?";
static const char sql_tag_add[] =
    "INSERT OR IGNORE INTO review_tags (review_id, tag_group, tag_value) "
    "VALUES (?, ?, ?)";
static const char sql_tag_delete[] =
    "DELETE FROM review_tags WHERE review_id = ? AND tag_group = ? AND "
    "(? IS NULL OR tag_value = ?)";
static const char sql_tag_count[] =
    "SELECT count(*) FROM review_tags WHERE review_id = ?";
static const char sql_tags_of[] =
    "SELECT tag_group, tag_value FROM review_tags WHERE review_id = ? "
    "ORDER BY tag_group, tag_value";

/* The business's own review (any status): 0, or -1 with a 404. */
static int
own_review(const struct request *req, char id[IDS_ID_LEN + 1],
    struct api_error *err)
{
	struct db_stmt	*st;

	if (reviews_json_load(req->db, req, request_param(req, "reviewId"),
	    false, &st, err) == -1)
		return -1;
	snprintf(id, IDS_ID_LEN + 1, "%s", db_text(st, REVIEW_C_ID));
	db_release(st);
	return 0;
}

static json_t *
tag_json(struct db_stmt *st)
{
	return json_pack("{s:s, s:s}", "group", db_text(st, 0), "value",
	    db_text(st, 1));
}

/* {"tags": [{"group", "value"}...]} of review id, or NULL with err set. */
static json_t *
tags_of(struct db *db, const char *id, struct api_error *err)
{
	json_t	*tags = json_array();	/* owned */

	if (tags == NULL ||
	    db_list(db, sql_tags_of, tag_json, tags, "s", id) == -1) {
		json_decref(tags);
		db_fail(db, err);
		return NULL;
	}
	if ((tags = json_pack("{s:o}", "tags", tags)) == NULL)
		api_error_internal(err);
	return tags;
}

int
reviews_tags_get(ROUTE_HANDLER_PARAMS)
{
	char	 id[IDS_ID_LEN + 1];
	json_t	*tags;	/* owned */

	if (own_review(req, id, err) == -1 ||
	    (tags = tags_of(req->db, id, err)) == NULL)
		return -1;
	return response_json(res, 200, tags, err);
}

/* Validates {"tags": [{"group", "value"}]}; returns the borrowed array. */
static json_t *
read_tags(json_t *body, struct api_error *err)
{
	json_t		*tags = json_object_get(body, "tags");	/* borrowed */
	json_t		*t;					/* borrowed */
	const char	*s;
	char		 field[48];
	size_t		 i;

	if (!json_is_array(tags) ||
	    json_array_size(tags) > REVIEWS_TAGS_MAX) {
		api_error_set(err, 400, "tags", "must be an array of at most "
		    "%d {group, value} objects", REVIEWS_TAGS_MAX);
		return NULL;
	}
	json_array_foreach(tags, i, t) {
		snprintf(field, sizeof(field), "tags[%zu].group", i);
		if (!json_is_object(t)) {
			api_error_set(err, 400, "tags", "item %zu must be an "
			    "object", i);
			continue;
		}
		s = json_string_value(json_object_get(t, "group"));
		if (s == NULL || utf8_length(s) == 0 ||
		    utf8_length(s) > REVIEWS_TAG_MAX)
			api_error_set(err, 400, field, "must be 1 to %d "
			    "characters", REVIEWS_TAG_MAX);
		snprintf(field, sizeof(field), "tags[%zu].value", i);
		s = json_string_value(json_object_get(t, "value"));
		if (s == NULL || utf8_length(s) == 0 ||
		    utf8_length(s) > REVIEWS_TAG_MAX)
			api_error_set(err, 400, field, "must be 1 to %d "
			    "characters", REVIEWS_TAG_MAX);
	}
	return err->status != 0 ? NULL : tags;
}

/* Adds tags (checked by read_tags) to review id, within REVIEWS_TAGS_MAX
 * in all. 0, or -1 with err set. */
static int
add_tags(struct db *db, const char *id, json_t *tags, struct api_error *err)
{
	json_t	*t;	/* borrowed */
	size_t	 i;
	int64_t	 n;

	json_array_foreach(tags, i, t) {
		if (db_run(db, sql_tag_add, "sss", id,
		    json_string_value(json_object_get(t, "group")),
		    json_string_value(json_object_get(t, "value"))) == -1)
			goto dberr;
	}
	if (db_one_int(db, sql_tag_count, &n, "s", id) != DB_ROW)
		goto dberr;
	if ((int)n > REVIEWS_TAGS_MAX) {
		api_error_set(err, 400, "tags", "a review may carry at most %d "
		    "tags", REVIEWS_TAGS_MAX);
		return -1;
	}
	return 0;
dberr:
	db_fail(db, err);
	return -1;
}

static int
write_tags(struct request *req, struct response *res, struct api_error *err,
    bool replace)
{
	json_t		*body, *tags;	/* borrowed */
	char		 id[IDS_ID_LEN + 1];
	int		 ret = -1;

	if (own_review(req, id, err) == -1 ||
	    (body = json_body(req, err)) == NULL ||
	    (tags = read_tags(body, err)) == NULL)
		return -1;
	if (db_tx_begin(req->db) == -1 || (replace &&
	    db_run(req->db, sql_tags_clear, "s", id) == -1)) {
		db_fail(req->db, err);
		goto out;
	}
	if (add_tags(req->db, id, tags, err) == -1 ||
	    (tags = tags_of(req->db, id, err)) == NULL)
		goto out;
	ret = handler_commit(req, res, 200, tags, false, err);
out:
	db_tx_rollback(req->db);
	return ret;
}

int
reviews_tags_replace(ROUTE_HANDLER_PARAMS)
{
	return write_tags(req, res, err, true);
}

int
reviews_tags_append(ROUTE_HANDLER_PARAMS)
{
	return write_tags(req, res, err, false);
}

int
reviews_tags_delete(ROUTE_HANDLER_PARAMS)
{
	const char	*group = request_query(req, "group");
	const char	*value = request_query(req, "value");
	json_t		*tags = NULL;	/* owned */
	char		 id[IDS_ID_LEN + 1];
	int		 ret = -1;

	if (own_review(req, id, err) == -1)
		return -1;
	if (group == NULL || group[0] == '\0') {
		api_error_set(err, 400, "group", "is required");
		return -1;
	}
	if (db_tx_begin(req->db) == -1 || db_run(req->db, sql_tag_delete,
	    "ssss", id, group, value, value) == -1)
		db_fail(req->db, err);
	else if ((tags = tags_of(req->db, id, err)) != NULL)
		ret = handler_commit(req, res, 200, tags, false, err);
	db_tx_rollback(req->db);
	return ret;
}

/* Replies. */

static const char sql_reply_set[] =
    "UPDATE reviews SET reply_text = ?1, reply_author = ?2, "
    "  reply_created_at = coalesce(reply_created_at, ?3), "
    "  reply_updated_at = ?3, updated_at = ?3 WHERE id = ?4";
static const char sql_reply_clear[] =
    "UPDATE reviews SET reply_text = NULL, reply_author = NULL, "
    "  reply_created_at = NULL, reply_updated_at = NULL, updated_at = ?1 "
    "WHERE id = ?2 AND reply_text IS NOT NULL";
/* Claims the reply e-mail of a review: the first reply is always mailed,
 * later edits at most once a day (deleting and replying again is an edit:
 * five edits must not be five e-mails). An edit inside the day is mailed
 * when the day is over, with the text of that moment. */
static const char sql_reply_mail_claim[] =
    "UPDATE reviews SET reply_mailed_at = ?1, reply_mail_due_at = NULL "
    "WHERE id = ?2 AND (reply_mailed_at IS NULL OR "
    "  reply_mailed_at <= ?1 - 86400000) RETURNING id";
static const char sql_reply_mail_defer[] =
    "UPDATE reviews SET reply_mail_due_at = reply_mailed_at + 86400000 "
    "WHERE id = ?1 AND reply_mail_due_at IS NULL";
static const char sql_reply_due[] =
    "SELECT id FROM reviews WHERE reply_mail_due_at IS NOT NULL AND "
    "  reply_mail_due_at <= ?1 ORDER BY reply_mail_due_at LIMIT 100";
static const char sql_reply_text[] =
    "SELECT reply_text FROM reviews WHERE id = ?1";
/* a claim: another daemon that read the same due row finds it taken */
static const char sql_reply_undue[] =
    "UPDATE reviews SET reply_mail_due_at = NULL WHERE id = ?1 AND "
    "  reply_mail_due_at IS NOT NULL";
static const char sql_reply_later[] =
    "UPDATE reviews SET reply_mail_due_at = ?2 WHERE id = ?1";
static const char sql_next_reply_due[] =
    "SELECT min(reply_mail_due_at) FROM reviews "
    "WHERE reply_mail_due_at IS NOT NULL";
static const char sql_reviewer_address[] =
    "SELECT coalesce(r.referral_email, c.email), r.display_name, "
    "  r.language, b.display_name, b.domain, r.business_unit_id "
    "FROM reviews r JOIN consumers c ON c.id = r.consumer_id "
    "JOIN business_units b ON b.id = r.business_unit_id WHERE r.id = ?";

/* Mails the reviewer (anonymous ones too: only the page hides names). */
static int
mail_reply(struct db *db, const char *id, const char *message,
    struct api_error *err)
{
	struct db_stmt	*st;
	char		 link[REVIEWS_URL_LEN * 2];
	char		 email[MAILER_ADDRESS_MAX + 1], name[512], language[8];
	char		 bu[IDS_ID_LEN + 1];
	json_t		*vars;	/* owned */
	int		 r;

	if ((r = db_row(db, sql_reply_mail_claim, &st, "is", clock_now_ms(),
	    id)) == -1) {
		db_fail(db, err);
		return -1;
	}
	db_release(st);
	if (r == DB_DONE) {
		/* mailed less than a day ago: when that day is over */
		if (db_run(db, sql_reply_mail_defer, "s", id) == -1) {
			db_fail(db, err);
			return -1;
		}
		return 0;
	}
	if (db_row(db, sql_reviewer_address, &st, "s", id) != DB_ROW) {
		db_fail(db, err);
		return -1;
	}
	snprintf(email, sizeof(email), "%s", db_text(st, 0));
	if (!mailer_address_valid(email)) {
		/* the reviewer's data was erased: nobody to tell */
		db_release(st);
		return 0;
	}
	snprintf(name, sizeof(name), "%s", db_text(st, 1));
	snprintf(language, sizeof(language), "%s", db_text(st, 2));
	snprintf(bu, sizeof(bu), "%s", db_text(st, 5));
	/* /r/ finds the profile page that holds it (pages_review_link) */
	snprintf(link, sizeof(link), "%s/r/%s", config_shared()->public_url,
	    id);
	vars = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "business",
	    db_text(st, 3), "reply", message, "link", link);
	db_release(st);
	if (vars == NULL) {
		api_error_internal(err);
		return -1;
	}
	r = reviews_json_mail(db, bu, email, name, "review-reply", language,
	    vars, err);
	json_decref(vars);
	return r;
}

/* Mails the reply of review id as it reads now, if it still has one. */
static int
mail_due_reply(struct db *db, const char *id)
{
	struct db_stmt		*st = NULL;
	struct api_error	 err;
	char			*text = NULL;
	int			 rc, ret = -1;

	memset(&err, 0, sizeof(err));
	if ((rc = db_row(db, sql_reply_text, &st, "s", id)) == -1)
		goto out;
	if (rc == DB_ROW && !db_is_null(st, 0) &&
	    (text = strdup(db_text(st, 0))) == NULL)
		goto out;
	db_release(st);
	st = NULL;
	if (db_run(db, sql_reply_undue, "s", id) == -1 ||
	    (text != NULL && db_changes(db) > 0 &&
	    mail_reply(db, id, text, &err) == -1))
		goto out;
	ret = 0;
out:
	db_release(st);
	free(text);
	return ret;
}

/* The scheduler's part of replies: the edits that waited for the
 * reviewer's day to pass. The next due time, INT64_MAX for none. */
static int64_t
reply_mail_job(struct db *db, int64_t now)
{
	struct db_stmt	*st;
	char		 ids[100][IDS_ID_LEN + 1];
	size_t		 i, n = 0;
	int64_t		 next;

	/* a read first: the scheduler calls this every tick, and a write
	 * transaction each time would take the lock from everyone */
	if ((next = db_one_time(db, sql_next_reply_due, "")) == -1)
		return now + 1000;
	if (next > now)
		return next;
	st = db_prepare(db, sql_reply_due);
	if (st == NULL || db_bind_int(st, 1, now) == -1) {
		db_release(st);
		return now + 1000;
	}
	while (n < 100 && db_step(db, st) == DB_ROW)
		snprintf(ids[n++], IDS_ID_LEN + 1, "%s", db_text(st, 0));
	db_release(st);
	/* one transaction a review: one that cannot be mailed now is tried
	 * again in an hour and holds none of the others back */
	for (i = 0; i < n; i++) {
		if (db_tx_begin(db) == 0 && mail_due_reply(db, ids[i]) == 0 &&
		    db_tx_commit(db) == 0)
			continue;
		db_tx_rollback(db);
		log_warn("reviews: a deferred reply e-mail failed review=%s; "
		    "retried in an hour", ids[i]);
		if (db_run(db, sql_reply_later, "si", ids[i],
		    now + 3600000) == -1)
			log_warn("reviews: review=%s keeps its due time",
			    ids[i]);
	}
	if (n > 0)
		scheduler_wake();
	/* a failed read is tried again in a second, as a failed write is */
	next = db_one_time(db, sql_next_reply_due, "");
	return next == -1 ? now + 1000 : next;
}

/* A form-encoded reply as the JSON object the API takes. */
static json_t *
reply_form(const struct request *req, struct api_error *err)
{
	static const char *const names[] = { "message",
	    "authorBusinessUserId", NULL };
	json_t	*o = json_object();	/* owned */
	size_t	 cap = REPLY_MAX * 4 + 2, i;
	char	*v = malloc(cap);
	int	 r;

	for (i = 0; o != NULL && v != NULL && names[i] != NULL; i++) {
		r = request_form_value(req->body, req->body_len, names[i], v,
		    cap);
		if (r == -2)
			api_error_set(err, 400, names[i], "is not UTF-8 text "
			    "or is too long");
		else if (r == 0 && json_object_set_new(o, names[i],
		    json_string(v)) == -1) {
			json_decref(o);
			o = NULL;
		}
	}
	if (v == NULL) {
		json_decref(o);
		o = NULL;
	}
	free(v);
	if (o == NULL)
		api_error_internal(err);
	return o;
}

/* The message and author of the reply req carries (a form, as
 * Trustpilot's own Slack app posts, or JSON, as the docs show: both go
 * through the same checks). The body, owned, which message and author
 * borrow from, or NULL with err set. */
static json_t *
reply_input(struct request *req, const char **message, const char **author,
    struct api_error *err)
{
	const char	*ctype = request_header(req, "Content-Type");
	json_t		*body;	/* owned */

	if (ctype != NULL && strncasecmp(ctype,
	    "application/x-www-form-urlencoded", 33) == 0)
		body = reply_form(req, err);
	else
		body = json_incref(json_body(req, err));
	if (body != NULL && err->status == 0) {
		json_read_string(body, "message", true, 1, REPLY_MAX, message,
		    err);
		json_read_string(body, "authorBusinessUserId", false, 1, 64,
		    author, err);
	}
	if (err->status != 0) {
		json_decref(body);
		return NULL;
	}
	if (*author == NULL && req->principal.user_id[0] != '\0')
		*author = req->principal.user_id;
	return body;
}

/* Sets the reply of review id, tells the reviewer and the webhooks, and
 * answers with the review, in one transaction. 0, or -1 with err set. */
static int
write_reply(struct request *req, struct response *res, const char *id,
    const char *message, const char *author, struct api_error *err)
{
	struct db	*db = req->db;
	struct db_stmt	*st = NULL;
	bool		 created;
	int		 ret = -1;

	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (reviews_json_load(db, req, id, false, &st, err) == -1)
		goto out;
	if (strcmp(db_text(st, REVIEW_C_STATUS), "active") != 0 &&
	    strcmp(db_text(st, REVIEW_C_STATUS), "hidden") != 0) {
		api_error_set(err, 409, NULL, "Only published reviews can be "
		    "replied to; this one is %s", db_text(st, REVIEW_C_STATUS));
		goto out;
	}
	created = db_is_null(st, REVIEW_C_REPLY);
	db_release(st);
	st = NULL;
	if (db_run(db, sql_reply_set, "ssis", message, author, clock_now_ms(),
	    id) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (mail_reply(db, id, message, err) == -1 ||
	    reviews_json_load(db, req, id, false, &st, err) == -1)
		goto out;
	/* A reply is the business's own change: never a review update,
	 * which means the reviewer changed the review. */
	if (reviews_json_emit(db, st, created ?
	    "service-review-reply-created" : "service-review-reply-updated",
	    created ? "product-review-reply-created" :
	    "product-review-reply-updated") == -1) {
		db_fail(db, err);
		goto out;
	}
	/* The answer is the review written as text (handler_commit takes a
	 * json_t); an error set after this (the commit) replaces it. */
	if (reviews_json_respond(res, created ? 201 : 200, st,
	    req->cfg->public_url, true, err) == 0)
		ret = handler_tx_commit(db, true, err);
out:
	db_release(st);
	db_tx_rollback(db);
	return ret;
}

int
reviews_reply(ROUTE_HANDLER_PARAMS)
{
	json_t		*body;	/* owned */
	const char	*message = NULL, *author = NULL;
	char		 id[IDS_ID_LEN + 1];
	int		 ret;

	if (own_review(req, id, err) == -1 ||
	    (body = reply_input(req, &message, &author, err)) == NULL)
		return -1;
	ret = write_reply(req, res, id, message, author, err);
	json_decref(body);
	return ret;
}

int
reviews_reply_delete(ROUTE_HANDLER_PARAMS)
{
	struct db	*db = req->db;
	struct db_stmt	*st = NULL;
	char		 id[IDS_ID_LEN + 1];
	int		 ret = -1;

	if (own_review(req, id, err) == -1)
		return -1;
	if (db_tx_begin(db) == -1 ||
	    db_run(db, sql_reply_clear, "is", clock_now_ms(), id) == -1)
		db_fail(db, err);
	else if (db_changes(db) == 0)
		api_error_set(err, 404, NULL, "This review has no reply");
	else if (reviews_json_load(db, req, id, false, &st, err) == 0) {
		if (reviews_json_emit(db, st, "service-review-reply-deleted",
		    "product-review-reply-deleted") == -1)
			db_fail(db, err);
		else
			ret = handler_commit(req, res, 200, json_pack(
			    "{s:s, s:n}", "id", id, "companyReply"), true, err);
	}
	db_release(st);
	db_tx_rollback(db);
	return ret;
}

/* What other modules record on a review. */

static const char sql_report_visible[] =
    "UPDATE reviews SET reported = 1, updated_at = ?1 WHERE id = ?2";
static const char sql_report_hiding[] =
    "UPDATE reviews SET reported = 1, updated_at = ?1, "
    "  hidden_reason = 'reported: ' || ?3 WHERE id = ?2";
static const char sql_report_upheld[] =
    "UPDATE reviews SET reported = 0, updated_at = ?1, "
    "  hidden_reason = 'removed after report: ' || ?3 WHERE id = ?2";
static const char sql_report_rejected[] =
    "UPDATE reviews SET reported = 0, updated_at = ?1, hidden_reason = "
    "  CASE WHEN hidden_reason LIKE 'reported: %' THEN NULL "
    "  ELSE hidden_reason END WHERE id = ?2";
static const char sql_of_unit[] =
    "SELECT source = 'invitation', "
    "  (hidden_reason IS NOT NULL AND "
    "  hidden_reason LIKE 'removed after report:%') "
    "FROM reviews WHERE id = ?1 AND business_unit_id = ?2 AND "
    "  status = 'published'";
static const char sql_contacted[] =
    "UPDATE reviews SET reviewer_contacted = 1 WHERE id = ?";

/* The statement of each enum review_hide, and whether it takes the
 * reason (?3). */
static const struct {
	const char	*sql;
	bool		 reason;
} hides[] = {
	[REVIEW_HIDE_NO] = { sql_report_visible, false },
	[REVIEW_HIDE_PENDING] = { sql_report_hiding, true },
	[REVIEW_HIDE_REMOVED] = { sql_report_upheld, true },
	[REVIEW_HIDE_LIFTED] = { sql_report_rejected, false },
};

int
reviews_set_hidden(struct db *db, const char *review_id,
    enum review_hide hide, const char *reason)
{
	/* a statement without ?3 takes no reason: fmt stops before it */
	return db_run(db, hides[hide].sql, hides[hide].reason ? "iss" : "is",
	    clock_now_ms(), review_id, reason);
}

int
reviews_of_unit(struct db *db, const char *review_id, const char *bu,
    struct review_facts *facts, struct api_error *err)
{
	struct db_stmt	*st;
	int		 rc;

	rc = db_row(db, sql_of_unit, &st, "ss", review_id, bu);
	if (rc == DB_ROW) {
		facts->invited = (int)db_int(st, 0) != 0;
		facts->removed = (int)db_int(st, 1) != 0;
	}
	db_release(st);
	if (rc == -1)
		db_fail(db, err);
	else if (rc == DB_DONE)
		api_error_set(err, 404, NULL, "Review not found");
	return rc == DB_ROW ? 0 : -1;
}

int
reviews_set_contacted(struct db *db, const char *review_id)
{
	return db_run(db, sql_contacted, "s", review_id);
}

/* Expiry, and the job. */

static const char sql_expire[] =
    "UPDATE reviews SET status = 'expired', updated_at = ?1 "
    "WHERE status = 'pending' AND confirm_expires_at <= ?1";
/* A submitter's hash is kept only while the form's limit counts it. */
static const char sql_forget_submitters[] =
    "UPDATE reviews SET submitter = NULL "
    "WHERE submitter IS NOT NULL AND created_at <= ?1 - 86400000";
static const char sql_next_expiry[] =
    "SELECT min(confirm_expires_at) FROM reviews WHERE status = 'pending'";
static const char sql_next_forget[] =
    "SELECT min(created_at) + 86400000 FROM reviews "
    "WHERE submitter IS NOT NULL";

/* Reads before it writes, as findreviewer_job does (a write transaction
 * at every wake of the scheduler would hold up the requests' writes). */
int64_t
reviews_job(struct db *db, int64_t now)
{
	int64_t	 next = reply_mail_job(db, now), expiry, forget;

	expiry = db_one_time(db, sql_next_expiry, "");
	forget = db_one_time(db, sql_next_forget, "");
	if (expiry == -1 || forget == -1)
		return now + 1000;
	if (expiry <= now || forget <= now) {
		if (db_tx_begin(db) == -1)
			return now + 1000;
		if (db_run(db, sql_expire, "i", now) == -1 ||
		    db_run(db, sql_forget_submitters, "i", now) == -1 ||
		    db_tx_commit(db) == -1) {
			db_tx_rollback(db);
			return now + 1000;
		}
		expiry = db_one_time(db, sql_next_expiry, "");
		forget = db_one_time(db, sql_next_forget, "");
		if (expiry == -1 || forget == -1)
			return now + 1000;
	}
	if (expiry < next)
		next = expiry;
	if (forget < next)
		next = forget;
	return next;
}

/* for reviews_products: a product review's comment is its reply, mailed
 * to its reviewer as a service review's reply is (the same daily limit
 * and deferral). */
int
reviews_reply_record(struct db *db, const char *id, const char *message,
    const char *author, struct api_error *err)
{
	if (db_run(db, sql_reply_set, "ssis", message, author, clock_now_ms(),
	    id) == -1) {
		db_fail(db, err);
		return -1;
	}
	return mail_reply(db, id, message, err);
}
