/*
 * reviews_edit: a reviewer changes or deletes their own review from a
 * link mailed to them (see reviews_edit.h). Part of the reviews module,
 * which alone writes the reviews table. HTTP worker threads.
 *
 * The link's token is kept only as a hash (edit_hash), like every other
 * reviewer token; it is mailed only to an address the reviewer proved,
 * and no answer to a business carries it. Counts and the lists' generation
 * follow a change by themselves: the triggers of migrations 0003, 0017
 * and 0021 watch stars, status and hidden_reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/json.h"
#include "reviewd/mailer.h"
#include "reviewd/reviews_edit.h"
#include "reviewd/reviews_json.h"
#include "reviewd/webhooks.h"

#define TITLE_MAX	100	/* as a submission's */
#define TEXT_MAX	5000
#define REQUEST_GAP_MS	3600000	/* between two links mailed on request */
#define REQUEST_MAX	20	/* reviews of one unit mailed at once */

static const char sql_issue[] =
    "UPDATE reviews SET edit_hash = ?1, edit_expires_at = ?2 WHERE id = ?3";

int64_t
reviews_edit_token(char token[IDS_TOKEN_LEN + 1], char hash[IDS_HASH_LEN + 1])
{
	ids_token(token);
	ids_token_hash(token, hash);
	return clock_now_ms() + REVIEWS_EDIT_TTL_MS;
}

int
reviews_edit_issue(struct db *db, const char *id,
    char token[IDS_TOKEN_LEN + 1])
{
	char	 hash[IDS_HASH_LEN + 1];
	int64_t	 expires = reviews_edit_token(token, hash);

	return db_run(db, sql_issue, "sis", hash, expires, id);
}

static const char sql_by_token[] =
    "SELECT r.id, r.status, r.edit_expires_at, r.deleted_at, "
    "  (r.hidden_reason IS NOT NULL AND "
    "  r.hidden_reason LIKE 'removed after report:%'), "
    "  b.domain, b.display_name, r.sku IS NOT NULL, r.stars, r.title, "
    "  r.text "
    "FROM reviews r JOIN business_units b ON b.id = r.business_unit_id "
    "WHERE r.edit_hash = ?1";

static enum review_edit_state
state_of(struct db_stmt *st, int64_t now)
{
	if (!db_is_null(st, 3))
		return REVIEW_EDIT_DELETED;
	if (db_int(st, 2) <= now)
		return REVIEW_EDIT_EXPIRED;
	if (strcmp(db_text(st, 1), "pending") == 0)
		return REVIEW_EDIT_UNCONFIRMED;
	if (strcmp(db_text(st, 1), "published") != 0)
		return REVIEW_EDIT_EXPIRED;
	if ((int)db_int(st, 4) != 0)
		return REVIEW_EDIT_REMOVED;
	return REVIEW_EDIT_OPEN;
}

int
reviews_edit_find(struct db *db, const char *token, struct review_edit *e)
{
	struct db_stmt	*st = NULL;
	char		 hash[IDS_HASH_LEN + 1];
	int		 rc;

	memset(e, 0, sizeof(*e));
	e->state = REVIEW_EDIT_UNKNOWN;
	if (token == NULL || strlen(token) != IDS_TOKEN_LEN)
		return 0;
	ids_token_hash(token, hash);
	if ((rc = db_row(db, sql_by_token, &st, "s", hash)) != DB_ROW)
		return rc == DB_DONE ? 0 : -1;
	e->state = state_of(st, clock_now_ms());
	snprintf(e->id, sizeof(e->id), "%s", db_text(st, 0));
	snprintf(e->domain, sizeof(e->domain), "%s", db_text(st, 5));
	snprintf(e->business, sizeof(e->business), "%s", db_text(st, 6));
	e->product = (int)db_int(st, 7) != 0;
	e->stars = db_int(st, 8);
	e->title = strdup(db_text(st, 9));
	e->text = strdup(db_text(st, 10));
	db_release(st);
	if (e->title == NULL || e->text == NULL) {
		reviews_edit_release(e);
		return -1;
	}
	return 0;
}

void
reviews_edit_release(struct review_edit *e)
{
	if (e == NULL)
		return;
	free(e->title);
	free(e->text);
	e->title = e->text = NULL;
}

int
reviews_edit_input(json_t *obj, struct review_change *ch,
    struct api_error *err)
{
	json_read_int(obj, "stars", true, 1, 5, &ch->stars, err);
	json_read_string(obj, "title", true, 1, TITLE_MAX, &ch->title, err);
	json_read_string(obj, "text", true, 1, TEXT_MAX, &ch->text, err);
	return err->status != 0 ? -1 : 0;
}

/* What a link in each state that is not open answers. */
static const struct {
	int		 status;
	const char	*reason;
} refusals[] = {
	[REVIEW_EDIT_UNKNOWN] = { 404, "Unknown link" },
	[REVIEW_EDIT_EXPIRED] = { 410, "This link has expired" },
	[REVIEW_EDIT_UNCONFIRMED] = { 409, "This review is not published "
	    "yet: confirm it from its e-mail first" },
	[REVIEW_EDIT_DELETED] = { 409, "This review was deleted" },
	[REVIEW_EDIT_REMOVED] = { 409, "This review was removed after a "
	    "report" },
};

/* Inside an open transaction: the review of token, which must be open to
 * its reviewer. 0, or -1 with err set. */
static int
open_review(struct db *db, const char *token, struct review_edit *e,
    struct api_error *err)
{
	if (reviews_edit_find(db, token, e) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (e->state == REVIEW_EDIT_OPEN)
		return 0;
	api_error_set(err, refusals[e->state].status, NULL, "%s",
	    refusals[e->state].reason);
	reviews_edit_release(e);
	return -1;
}

static const char sql_review[] =
    "SELECT " REVIEW_COLUMNS REVIEW_FROM "WHERE r.id = ?1";

/*
 * Emits service (product) event for review id as it reads now, its
 * eventData carrying "previous" (what e held before the change) and, for
 * a deletion, "deletedBy". Inside the caller's transaction. 0 or -1.
 */
static int
emit_change(struct db *db, const char *id, const struct review_edit *e,
    const char *service, const char *product, bool deleted)
{
	struct db_stmt	*st = NULL;
	json_t		*data = NULL;	/* owned */
	char		 bu[IDS_ID_LEN + 1];
	int		 ret = -1;

	if (db_row(db, sql_review, &st, "s", id) != DB_ROW ||
	    (data = reviews_json_event(st)) == NULL)
		goto out;
	snprintf(bu, sizeof(bu), "%s", db_text(st, REVIEW_C_BU));
	if (json_object_set_new(data, "previous", json_pack("{s:I, s:s, s:s}",
	    "stars", (json_int_t)e->stars, "title", e->title, "text",
	    e->text)) == -1 || (deleted && json_object_set_new(data,
	    "deletedBy", json_string("reviewer")) == -1))
		goto out;
	ret = webhooks_emit(db, bu, e->product ? product : service, data);
out:
	db_release(st);
	json_decref(data);
	return ret;
}

/* The event is made before the text goes (the review row then holds
 * none); a deferred reply e-mail has no review left to tell about. */
static const char sql_delete[] =
    "UPDATE reviews SET status = 'expired', hidden_reason = "
    "  'deleted by reviewer', title = '', text = '', deleted_at = ?1, "
    "  updated_at = ?1, reply_mail_due_at = NULL "
    "WHERE id = ?2 AND status = 'published'";
static const char sql_change[] =
    "UPDATE reviews SET stars = ?1, title = ?2, text = ?3, updated_at = ?4 "
    "WHERE id = ?5 AND status = 'published'";

/* Changes the review of token to ch, or deletes it when ch is NULL, with
 * its event, in one transaction. 0, or -1 with err set. */
static int
edit(struct db *db, const char *token, const struct review_change *ch,
    struct api_error *err)
{
	struct review_edit	 e;
	int64_t			 now = clock_now_ms();
	int			 ret = -1;
	bool			 failed;

	memset(&e, 0, sizeof(e));
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (open_review(db, token, &e, err) == -1)
		goto out;
	if (ch == NULL)
		failed = emit_change(db, e.id, &e, "service-review-deleted",
		    "product-review-deleted", true) == -1 ||
		    db_run(db, sql_delete, "is", now, e.id) == -1;
	else if (e.stars == ch->stars && strcmp(e.title, ch->title) == 0 &&
	    strcmp(e.text, ch->text) == 0) {
		ret = 0;	/* nothing changed: nothing to tell */
		goto out;
	} else
		failed = db_run(db, sql_change, "issis", ch->stars, ch->title,
		    ch->text, now, e.id) == -1 || emit_change(db, e.id, &e,
		    "service-review-updated", "product-review-updated",
		    false) == -1;
	if (failed) {
		db_fail(db, err);
		goto out;
	}
	ret = handler_tx_commit(db, true, err);
out:
	db_tx_rollback(db);	/* no-op after the commit */
	reviews_edit_release(&e);
	return ret;
}

int
reviews_edit_apply(struct db *db, const char *token,
    const struct review_change *ch, struct api_error *err)
{
	return edit(db, token, ch, err);
}

int
reviews_edit_delete(struct db *db, const char *token, struct api_error *err)
{
	return edit(db, token, NULL, err);
}

/*
 * The reviews of the unit of domain ?1 that address ?2 proved it wrote:
 * organic ones (and third-party invited ones) confirmed from its mailbox,
 * and ones written through our invitation e-mail to it. Not a link the
 * business handed out itself (BGL, Unique Link): the address in it was
 * the business's word, and its owner may not be the writer.
 */
static const char sql_requested[] =
    "SELECT r.id, coalesce(r.referral_email, c.email), r.display_name, "
    "  r.language, b.display_name, b.id "
    "FROM reviews r JOIN business_units b ON b.id = r.business_unit_id "
    "JOIN consumers c ON c.id = r.consumer_id "
    "WHERE b.domain = ?1 AND r.status = 'published' AND "
    "  r.deleted_at IS NULL AND "
    "  (r.hidden_reason IS NULL OR "
    "  r.hidden_reason NOT LIKE 'removed after report:%') AND "
    "  ((r.source != 'invitation' AND c.email = ?2 COLLATE NOCASE) OR "
    "  (r.source = 'invitation' AND r.link_kind = 'email_invitation' AND "
    "  r.referral_email = ?2 COLLATE NOCASE)) AND "
    "  (r.edit_mailed_at IS NULL OR r.edit_mailed_at + ?4 <= ?3) "
    "ORDER BY r.seq LIMIT ?5";
static const char sql_unit_exists[] =
    "SELECT 1 FROM business_units WHERE domain = ?1";
static const char sql_mailed[] =
    "UPDATE reviews SET edit_mailed_at = ?1 WHERE id = ?2";

static json_t *
requested_row(struct db_stmt *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
	    "id", db_text(st, 0), "to", db_text(st, 1), "name",
	    db_text(st, 2), "language", db_text(st, 3), "business",
	    db_text(st, 4), "bu", db_text(st, 5));
}

/* The text at key of a requested_row (borrowed). */
static const char *
str(json_t *r, const char *key)
{
	return json_string_value(json_object_get(r, key));
}

/* Mails review r (a requested_row) a new edit link. 0, or -1 with err. */
static int
mail_link(struct db *db, const struct config *cfg, json_t *r, int64_t now,
    struct api_error *err)
{
	char	 token[IDS_TOKEN_LEN + 1];
	char	 link[CONFIG_STR + 64 + IDS_TOKEN_LEN];
	json_t	*vars;	/* owned */
	int	 ret;

	if (reviews_edit_issue(db, str(r, "id"), token) == -1 ||
	    db_run(db, sql_mailed, "is", now, str(r, "id")) == -1) {
		db_fail(db, err);
		return -1;
	}
	snprintf(link, sizeof(link), "%s/review/edit/%s", cfg->public_url,
	    token);
	vars = json_pack("{s:s, s:s, s:s, s:I}", "name", str(r, "name"),
	    "business", str(r, "business"), "link", link, "days",
	    (json_int_t)(REVIEWS_EDIT_TTL_MS / 86400000));
	if (vars == NULL) {
		api_error_internal(err);
		return -1;
	}
	ret = reviews_json_mail(db, str(r, "bu"), str(r, "to"), str(r, "name"),
	    "review-edit", str(r, "language"), vars, err);
	json_decref(vars);
	return ret;
}

int
reviews_edit_request(struct db *db, const struct config *cfg,
    const char *domain, const char *email, struct api_error *err)
{
	json_t		*rows = json_array();	/* owned */
	json_t		*r;			/* borrowed */
	int64_t		 now = clock_now_ms();
	size_t		 i;
	int		 rc, ret = -1;

	if (rows == NULL || db_tx_begin(db) == -1)
		goto dberr;
	rc = db_exists(db, sql_unit_exists, "s", domain);
	if (handler_found(db, rc, NULL, "No business with this domain",
	    err) == -1)
		goto out;
	if (!mailer_address_valid(email)) {
		ret = 0;	/* nobody wrote under it: the same answer */
		goto out;
	}
	if (db_list(db, sql_requested, requested_row, rows, "ssiii", domain,
	    email, now, (int64_t)REQUEST_GAP_MS, (int64_t)REQUEST_MAX) == -1)
		goto dberr;
	json_array_foreach(rows, i, r) {
		if (mail_link(db, cfg, r, now, err) == -1)
			goto out;
	}
	ret = handler_tx_commit(db, json_array_size(rows) > 0, err);
	goto out;
dberr:
	db_fail(db, err);
out:
	db_tx_rollback(db);
	json_decref(rows);
	return ret;
}
