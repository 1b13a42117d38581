#ifndef REVIEWD_REVIEWS_JSON_H
#define REVIEWD_REVIEWS_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/json.h"
#include "reviewd/request.h"

/*
 * The review row that the reviews files share (reviews.c writes,
 * reviews_submit.c takes submissions, reviews_list.c lists): its columns,
 * loading one, and what is made of it: its JSON, its webhook event, mail
 * to its reviewer. Not for other modules: they go through reviews.h.
 */

/* A self link: the public URL and a path of an id. */
#define REVIEWS_URL_LEN		(CONFIG_STR + 128)
/* A page of at most 100 reviews: texts of 5000 characters (6 bytes each
 * escaped), a reply and the fixed fields take tens of kilobytes; what can
 * grow is a Find Reviewer thread, one request after another. */
#define REVIEWS_JSON_MAX	(256 * 1024 * 1024)

/* One row of a review with everything its JSON needs. A review never
 * published (pending, expired, refused as a duplicate) was written under
 * an address nobody proved: it shows its own id as the consumer's and no
 * review count, so typing an address reveals nothing of its owner. An
 * anonymous review shows its own id too and a count of one: the real id
 * would tie it to the reviewer's named reviews (and /v1/consumers); a
 * named one counts the reviewer's named reviews only (named_count). */
#define REVIEW_COLUMNS							\
	REVIEW_BASE_COLUMNS ", " REVIEW_TAGS ", " REVIEW_THREAD ", "	\
	REVIEW_REPORT
#define REVIEW_BASE_COLUMNS						\
	"r.id, r.business_unit_id, b.domain, b.display_name, "		\
	"CASE WHEN r.published_at IS NULL OR r.anonymous != 0 "	\
	"  THEN r.id ELSE r.consumer_id END, "				\
	"CASE WHEN r.published_at IS NULL THEN 0 "			\
	"  WHEN r.anonymous != 0 THEN 1 ELSE c.named_count END, "	\
	"r.sku, r.stars, r.title, r.text, r.language, "			\
	"r.experienced_at, r.display_name, r.anonymous, r.country, "	\
	"r.source, r.link_kind, r.reference_id, r.referral_email, "	\
	"CASE WHEN r.status = 'published' AND r.hidden_reason IS NOT NULL " \
	"  THEN 'hidden' WHEN r.status = 'published' THEN 'active' "	\
	"  ELSE r.status END, "						\
	"r.hidden_reason, r.reported, r.reviewer_contacted, r.reply_text, " \
	"r.reply_author, r.reply_created_at, r.reply_updated_at, "	\
	"r.created_at, r.updated_at, r.seq, r.pub_seq, p.id, p.name, "	\
	"p.link, p.image_link, p.gtin, p.mpn, p.brand, r.conversation_id"
/* Tags and the Find Reviewer thread show in private JSON only. */
#define REVIEW_TAGS							\
	"(SELECT json_group_array(json_object('group', tag_group, "	\
	"  'value', tag_value)) FROM review_tags WHERE review_id = r.id)"
#define REVIEW_THREAD							\
	"(SELECT json_group_array(json_object('id', id, 'status', status, " \
	"  'message', message, 'response', response, 'respondedAt', "	\
	"  responded_at, 'created', created_at, 'deadline', deadline, "	\
	"  'requested', json(requested))) FROM (SELECT * FROM "		\
	"  find_reviewer_requests WHERE review_id = r.id ORDER BY "	\
	"  created_at))"
#define REVIEW_REPORT							\
	"(SELECT json_object('reason', reason, 'status', status, "	\
	"  'createdAt', created_at, 'hides', hides) FROM reports "	\
	"  WHERE review_id = r.id ORDER BY created_at DESC LIMIT 1) "
#define REVIEW_FROM							\
	"FROM reviews r JOIN business_units b ON b.id = r.business_unit_id " \
	"JOIN consumers c ON c.id = r.consumer_id "			\
	"LEFT JOIN products p ON p.business_unit_id = r.business_unit_id " \
	"  AND p.sku = r.sku "

/*
 * The states of a review in its business's lists (REVIEWS_P_STATUS of
 * reviews_shape.h, a product review's state): Trustpilot's names for what
 * a review that was published is now: shown, hidden while a report of it
 * waits for a decision, hidden after a report was upheld. A review never
 * published is in no list of its business.
 */
#define REVIEWS_STATE_PUBLISHED		"published"
#define REVIEWS_STATE_MODERATION	"underModeration"
#define REVIEWS_STATE_UNPUBLISHED	"unpublished"

/* The columns of REVIEW_COLUMNS, in order. */
enum review_col {
	REVIEW_C_ID, REVIEW_C_BU, REVIEW_C_DOMAIN, REVIEW_C_BU_NAME,
	REVIEW_C_CONSUMER, REVIEW_C_CONSUMER_COUNT, REVIEW_C_SKU,
	REVIEW_C_STARS, REVIEW_C_TITLE, REVIEW_C_TEXT, REVIEW_C_LANGUAGE,
	REVIEW_C_EXPERIENCED, REVIEW_C_NAME, REVIEW_C_ANONYMOUS,
	REVIEW_C_COUNTRY, REVIEW_C_SOURCE, REVIEW_C_LINK_KIND,
	REVIEW_C_REFERENCE, REVIEW_C_REFERRAL, REVIEW_C_STATUS,
	REVIEW_C_HIDDEN, REVIEW_C_REPORTED, REVIEW_C_CONTACTED,
	REVIEW_C_REPLY, REVIEW_C_REPLY_AUTHOR, REVIEW_C_REPLY_CREATED,
	REVIEW_C_REPLY_UPDATED, REVIEW_C_CREATED, REVIEW_C_UPDATED,
	REVIEW_C_SEQ, REVIEW_C_PUB_SEQ, REVIEW_C_PRODUCT,
	REVIEW_C_PRODUCT_NAME, REVIEW_C_PRODUCT_LINK, REVIEW_C_PRODUCT_IMAGE,
	REVIEW_C_GTIN, REVIEW_C_MPN, REVIEW_C_BRAND, REVIEW_C_CONVERSATION,
	REVIEW_C_TAGS,
	REVIEW_C_FIND_REVIEWER, REVIEW_C_REPORT
};

/*
 * Writes the review under st (REVIEW_COLUMNS) into w in Trustpilot's
 * shape; private adds what only its business sees (tags, referenceId,
 * hiddenReason, the Find Reviewer thread...). Failures are w's, reported
 * by json_writer_finish.
 */
void	reviews_json_write(struct json_writer *w, struct db_stmt *st,
	    const char *public_url, bool private);

/* Answers status with the review under st as reviews_json_write shapes
 * it. 0, or -1 with err set. */
int	reviews_json_respond(struct response *res, int status,
	    struct db_stmt *st, const char *public_url, bool private,
	    struct api_error *err);

/* What the profile page shows of the review under st (see
 * reviews_page_data); a new reference, NULL when out of memory. */
json_t	*reviews_json_page(struct db_stmt *st);

/*
 * Loads review id into *out (a stepped statement the caller must
 * db_release). For a business principal only its own reviews that were
 * published at some point exist; with public_only, only visible published
 * ones. 0, or -1 with err set (404, or see db_fail); *out is NULL then.
 */
int	reviews_json_load(struct db *db, const struct request *req,
	    const char *id, bool public_only, struct db_stmt **out,
	    struct api_error *err);

/* Emits service_event (product_event for a product review) with the
 * review under st as its data, inside the caller's transaction. 0 or
 * -1. */
int	reviews_json_emit(struct db *db, struct db_stmt *st,
	    const char *service_event, const char *product_event);

/* The same for review id, loaded here. 0 or -1 (also when unknown). */
int	reviews_json_emit_id(struct db *db, const char *id,
	    const char *service_event, const char *product_event);

/* Renders template in language with vars into an e-mail to (to, name)
 * and queues it for unit bu, inside the caller's transaction. 0, or -1
 * with err set. */
int	reviews_json_mail(struct db *db, const char *bu, const char *to,
	    const char *name, const char *template, const char *language,
	    json_t *vars, struct api_error *err);

/* The comma-separated SKUs v (at most 100, each of 1 to 100 characters)
 * as a JSON array into *out (the caller's, free()). 0, or -1 with err
 * set (400 naming sku). */
int	reviews_json_sku_list(const char *v, char **out,
	    struct api_error *err);

/* The SKUs of unit bu's products whose link is url as a JSON array into
 * *out (the caller's, free()), NULL when there are none. 0, or -1 with
 * err set (400 naming productUrl, or see db_fail). */
int	reviews_json_skus_of_url(struct db *db, const char *bu,
	    const char *url, char **out, struct api_error *err);

/* for reviews_edit: the webhook eventData of the review under st
 * (Trustpilot's shape, as reviews_json_emit sends it). New reference,
 * NULL when out of memory. */
json_t	*reviews_json_event(struct db_stmt *st);

/* for consumers, business_units (issue 12): a page of reviews answered
 * as text. */

/*
 * Answers 200 {"reviews": [...], "links": [next-page]} with page page
 * (from 1, per_page reviews) of the reviews sql (REVIEW_COLUMNS) finds,
 * in their public shape: fmt describes its parameters (as db_bind), its
 * LIMIT and OFFSET come after them. The next page is linked when it has
 * reviews and is at most max_page. 0, or -1 with err set.
 */
int	reviews_json_page_query(struct request *req, struct response *res,
	    int64_t page, int64_t per_page, int64_t max_page, const char *sql,
	    struct api_error *err, const char *fmt, ...);

#endif
