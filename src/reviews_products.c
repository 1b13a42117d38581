/*
 * reviews_products: the reviews module's part of Trustpilot's product
 * reviews API beyond the lists (reviews_products.h): product review
 * summaries, read from product_review_summaries, which the triggers of
 * migration 0019 keep in the transaction of every change of a review; and
 * conversations, the business's comments on a product review, whose
 * latest is the review's reply (reviews_reply_record). Owns conversations
 * and conversation_comments. HTTP worker threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/ids.h"
#include "reviewd/json.h"
#include "reviewd/reviews.h"
#include "reviewd/reviews_json.h"
#include "reviewd/reviews_products.h"

#define SKU_MAX		100
#define SKUS_MAX	100
#define COMMENT_MAX	5000
#define SUMMARIES_PAGE_MAX 1000

/* Summaries. */

/*
 * {"starsAverage", "numberOfReviews": {"total", "oneStar"...}} of the
 * counts in columns 0 to 4 of st, with "sku" from column sku_col when it
 * is not -1; the names of the unit's own numberOfReviews. The average has
 * one decimal, rounded half up; 0 without reviews. NULL when out of
 * memory.
 */
static json_t *
summary_json(struct db_stmt *st, int sku_col)
{
	int64_t	 n[5], total = 0, sum = 0, tenths = 0;
	json_t	*o;
	int	 i;

	for (i = 0; i < 5; i++) {
		n[i] = db_int(st, i);
		total += n[i];
		sum += (i + 1) * n[i];
	}
	if (total > 0)
		tenths = (sum * 20 + total) / (2 * total);
	o = json_pack("{s:f, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
	    "starsAverage", (double)tenths / 10.0, "numberOfReviews",
	    "total", (json_int_t)total, "oneStar", (json_int_t)n[0],
	    "twoStars", (json_int_t)n[1], "threeStars", (json_int_t)n[2],
	    "fourStars", (json_int_t)n[3], "fiveStars", (json_int_t)n[4]);
	if (o != NULL && sku_col >= 0 && json_object_set_new(o, "sku",
	    json_string(db_text(st, sku_col))) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
summary_row(struct db_stmt *st)
{
	return summary_json(st, 5);
}

static const char sql_unit_exists[] =
    "SELECT 1 FROM business_units WHERE id = ?";

/* The unit of a public summary: a 404 when there is none. */
static int
unit_of(struct request *req, const char **bu, struct api_error *err)
{
	int	 rc;

	*bu = request_param(req, "businessUnitId");
	if (*bu == NULL || !ids_valid(*bu)) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	if ((rc = db_exists(req->db, sql_unit_exists, "s", *bu)) == -1) {
		db_fail(req->db, err);
		return -1;
	}
	if (rc != DB_ROW) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	return 0;
}

static const char sql_summary_of[] =
    "SELECT coalesce(sum(stars1), 0), coalesce(sum(stars2), 0), "
    "  coalesce(sum(stars3), 0), coalesce(sum(stars4), 0), "
    "  coalesce(sum(stars5), 0) FROM product_review_summaries "
    "WHERE business_unit_id = ?1 AND sku IN (SELECT value FROM "
    "  json_each(?2))";

/* The summary of the SKUs in the JSON array skus (NULL: none) into *out:
 * {"skus": [...], "starsAverage", "numberOfReviews"}. 0, or -1 with err
 * set. */
static int
summary_of(struct db *db, const char *bu, const char *skus, json_t **out,
    struct api_error *err)
{
	struct db_stmt	*st;
	json_error_t	 jerr;
	json_t		*o = NULL;	/* owned */

	*out = NULL;
	if (db_row(db, sql_summary_of, &st, "ss", bu, skus != NULL ? skus :
	    "[]") != DB_ROW) {
		db_fail(db, err);
		return -1;
	}
	o = summary_json(st, -1);
	db_release(st);
	if (o == NULL || json_object_set_new(o, "skus", skus != NULL ?
	    json_loads(skus, 0, &jerr) : json_array()) == -1) {
		json_decref(o);
		api_error_internal(err);
		return -1;
	}
	*out = o;
	return 0;
}

int
reviews_products_summary(ROUTE_HANDLER_PARAMS)
{
	const char	*bu, *sku = request_query(req, "sku");
	const char	*url = request_query(req, "productUrl");
	char		*skus = NULL;
	json_t		*body = NULL;	/* owned */
	int		 ret = -1;

	if (unit_of(req, &bu, err) == -1)
		return -1;
	/* a sku wins over a productUrl, as at Trustpilot */
	if (sku != NULL)
		reviews_json_sku_list(sku, &skus, err);
	else if (url != NULL)
		reviews_json_skus_of_url(req->db, bu, url, &skus, err);
	else
		api_error_set(err, 400, "sku", "is required (or productUrl)");
	if (err->status == 0 && summary_of(req->db, bu, skus, &body,
	    err) == 0)
		ret = response_json(res, 200, body, err);
	free(skus);
	return ret;
}

int
reviews_products_batch_summaries(ROUTE_HANDLER_PARAMS)
{
	static const char *const keys[] = { "skus", NULL };
	json_t		*list = NULL, *one, *items = NULL;	/* owned */
	json_t		*body, *skus, *v;			/* borrowed */
	char		*text = NULL;
	const char	*bu;
	size_t		 i;
	int		 ret = -1;

	if (unit_of(req, &bu, err) == -1 || (body = json_body(req,
	    err)) == NULL)
		return -1;
	skus = json_object_get(body, "skus");	/* borrowed */
	if (json_only_keys(body, keys, err) == -1)
		goto out;
	if (!json_is_array(skus) || json_array_size(skus) == 0 ||
	    json_array_size(skus) > SKUS_MAX) {
		api_error_set(err, 400, "skus", "must be an array of 1 to %d "
		    "SKUs", SKUS_MAX);
		goto out;
	}
	json_array_foreach(skus, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > SKU_MAX) {
			api_error_set(err, 400, "skus", "must hold strings of "
			    "1 to %d characters", SKU_MAX);
			goto out;
		}
	}
	if ((items = json_array()) == NULL)
		goto oom;
	json_array_foreach(skus, i, v) {
		if ((list = json_pack("[O]", v)) == NULL ||
		    (text = json_dumps(list, JSON_COMPACT)) == NULL)
			goto oom;
		if (summary_of(req->db, bu, text, &one, err) == -1)
			goto out;
		if (json_object_del(one, "skus") == -1 ||
		    json_object_set(one, "sku", v) == -1 ||
		    json_array_append_new(items, one) == -1)
			goto oom;
		json_decref(list);
		list = NULL;
		free(text);
		text = NULL;
	}
	ret = response_json(res, 200, json_pack("{s:O}", "summaries", items),
	    err);
	goto out;
oom:
	api_error_internal(err);
out:
	json_decref(items);
	json_decref(list);
	free(text);
	return ret;
}

static const char sql_summaries[] =
    "SELECT stars1, stars2, stars3, stars4, stars5, sku "
    "FROM product_review_summaries WHERE business_unit_id = ?1 AND "
    "  stars1 + stars2 + stars3 + stars4 + stars5 > 0 "
    "ORDER BY sku LIMIT ?2 OFFSET ?3";

int
reviews_products_summaries_private(ROUTE_HANDLER_PARAMS)
{
	struct handler_page	 p = { 1, 100 };
	struct db_stmt		*st;
	const char		*bu = request_param(req, "businessUnitId");
	int			 ret;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    handler_page_args(req, SUMMARIES_PAGE_MAX, &p, err) == -1)
		return -1;
	if ((st = db_prepare(req->db, sql_summaries)) == NULL ||
	    db_bind_text(st, 1, bu) == -1) {
		db_release(st);
		db_fail(req->db, err);
		return -1;
	}
	ret = handler_page_answer(req, res, st, 2, &p, summary_row,
	    "summaries", err);
	db_release(st);
	return ret;
}

/* Conversations. */

static const char sql_conversation_insert[] =
    "INSERT INTO conversations (id, business_unit_id, review_id, "
    "  created_at) VALUES (?1, ?2, ?3, ?4)";
static const char sql_review_conversation[] =
    "UPDATE reviews SET conversation_id = ?1 WHERE id = ?2";

int
reviews_products_conversation_create(ROUTE_HANDLER_PARAMS)
{
	struct db	*db = req->db;
	struct db_stmt	*st = NULL;
	char		 id[IDS_ID_LEN + 1], review[IDS_ID_LEN + 1];
	char		 bu[IDS_ID_LEN + 1];
	int		 ret = -1;

	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		return -1;
	}
	/* the business's own, published at some point */
	if (reviews_json_load(db, req, request_param(req, "reviewId"), false,
	    &st, err) == -1)
		goto out;
	if (db_is_null(st, REVIEW_C_SKU)) {
		api_error_set(err, 404, NULL, "Product review not found");
		goto out;
	}
	if (!db_is_null(st, REVIEW_C_CONVERSATION)) {
		ret = response_json(res, 200, json_pack("{s:s}",
		    "conversationId", db_text(st, REVIEW_C_CONVERSATION)),
		    err);
		goto out;
	}
	snprintf(review, sizeof(review), "%s", db_text(st, REVIEW_C_ID));
	snprintf(bu, sizeof(bu), "%s", db_text(st, REVIEW_C_BU));
	db_release(st);
	st = NULL;
	ids_new(id);
	if (db_run(db, sql_conversation_insert, "sssi", id, bu, review,
	    clock_now_ms()) == -1 ||
	    db_run(db, sql_review_conversation, "ss", id, review) == -1) {
		db_fail(db, err);
		goto out;
	}
	ret = handler_commit(req, res, 201, json_pack("{s:s}",
	    "conversationId", id), false, err);
out:
	db_release(st);
	db_tx_rollback(db);
	return ret;
}

/* A comment in Trustpilot's shape; NULL when out of memory. */
static json_t *
comment_json(struct db_stmt *st)
{
	return json_pack("{s:s, s:o, s:{s:s, s:s}, s:s}",
	    "commentId", db_text(st, 0),
	    "createdAt", db_json_time(st, 1),
	    "author", "id", db_text(st, 2), "type", "businessUser",
	    "content", db_text(st, 3));
}

static const char sql_conversation[] =
    "SELECT c.id, c.business_unit_id, "
    /* as REVIEW_BASE_COLUMNS: an anonymous or unpublished review's
     * consumer is the review itself, never the person behind it */
    "  CASE WHEN r.published_at IS NULL OR r.anonymous != 0 THEN r.id "
    "  ELSE r.consumer_id END, c.review_id, "
    "  r.reply_text IS NULL "
    "FROM conversations c JOIN reviews r ON r.id = c.review_id "
    "WHERE c.id = ?1 AND c.business_unit_id = ?2";

/* Loads the caller's conversation named in the path into *out. 0, or -1
 * with err set (404 for another unit's). */
static int
own_conversation(struct request *req, struct db_stmt **out,
    struct api_error *err)
{
	int		 rc;

	*out = NULL;
	/* the path names no unit: the token's (bearer routes only) */
	rc = db_row(req->db, sql_conversation, out, "ss", request_param(req,
	    "conversationId"), req->principal.business_unit_id);
	return handler_found(req->db, rc, NULL, "Conversation not found", err);
}

static const char sql_comments[] =
    "SELECT id, created_at, author_id, content FROM conversation_comments "
    "WHERE conversation_id = ?1 ORDER BY rowid";

int
reviews_products_conversation_get(ROUTE_HANDLER_PARAMS)
{
	struct db_stmt	*st = NULL;
	json_t		*o = NULL, *comments = json_array();	/* owned */
	int		 ret = -1;

	if (comments == NULL) {
		api_error_internal(err);
		return -1;
	}
	if (own_conversation(req, &st, err) == -1)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", db_text(st, 0),
	    "businessUnitId", db_text(st, 1), "consumerId", db_text(st, 2),
	    "source", "Product reviews", "sourceId", db_text(st, 3), "state",
	    "public");
	if (o == NULL || db_list(req->db, sql_comments, comment_json,
	    comments, "s", db_text(st, 0)) == -1) {
		db_fail(req->db, err);
		goto out;
	}
	if (json_object_set(o, "comments", comments) == -1) {
		api_error_internal(err);
		goto out;
	}
	ret = response_json(res, 200, o, err);
	o = NULL;
out:
	db_release(st);
	json_decref(o);
	json_decref(comments);
	return ret;
}

static const char sql_comment_insert[] =
    "INSERT INTO conversation_comments (id, conversation_id, author_id, "
    "  content, integration_id, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_comment[] =
    "SELECT id, created_at, author_id, content FROM conversation_comments "
    "WHERE id = ?1";

int
reviews_products_comment_create(ROUTE_HANDLER_PARAMS)
{
	static const char *const keys[] = { "content", "integrationId",
	    NULL };
	struct db	*db = req->db;
	struct db_stmt	*st = NULL;
	json_t		*body;	/* borrowed */
	const char	*content = NULL, *integration = NULL, *author;
	char		 id[IDS_ID_LEN + 1], conversation[IDS_ID_LEN + 1];
	char		 review[IDS_ID_LEN + 1];
	int		 ret = -1;
	bool		 first;

	if ((body = json_body(req, err)) == NULL)
		return -1;
	if (json_only_keys(body, keys, err) == 0) {
		json_read_string(body, "content", true, 1, COMMENT_MAX,
		    &content, err);
		json_read_string(body, "integrationId", false, 1, 100,
		    &integration, err);
	}
	if (err->status != 0)
		goto out;
	/* the business user who wrote it, else the application */
	author = req->principal.user_id[0] != '\0' ?
	    req->principal.user_id : req->principal.app_id;
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (own_conversation(req, &st, err) == -1)
		goto out;
	snprintf(conversation, sizeof(conversation), "%s", db_text(st, 0));
	snprintf(review, sizeof(review), "%s", db_text(st, 3));
	first = (int)db_int(st, 4) != 0;
	db_release(st);
	st = NULL;
	ids_new(id);
	if (db_run(db, sql_comment_insert, "sssssi", id, conversation,
	    author, content, integration, clock_now_ms()) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (reviews_reply_record(db, review, content, author, err) == -1)
		goto out;
	/* the events of a reply to a product review (reviews_reply) */
	if (reviews_json_emit_id(db, review, "service-review-reply-created",
	    first ? "product-review-reply-created" :
	    "product-review-reply-updated") == -1 ||
	    db_row(db, sql_comment, &st, "s", id) != DB_ROW) {
		db_fail(db, err);
		goto out;
	}
	ret = handler_commit(req, res, 201, comment_json(st), true, err);
out:
	db_release(st);
	db_tx_rollback(db);
	return ret;
}
