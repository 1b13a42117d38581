/*
 * reviews_json: the review row and what is made of it, for the reviews
 * files (reviews_json.h). Its JSON is written straight into a buffer:
 * lists write hundreds of reviews, and a jansson tree per review cost
 * more than the query. The reviewer's e-mail is never in it, except
 * referralEmail (and a private product review's consumer.email), which a
 * business gave us itself. Also the SKU lists of the product lists and
 * summaries. Any thread.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/findreviewer_json.h"
#include "reviewd/ids.h"
#include "reviewd/mailer.h"
#include "reviewd/outbox.h"
#include "reviewd/reviews_json.h"
#include "reviewd/webhooks.h"

#define SKU_MAX		100	/* characters */
#define SKUS_MAX	100	/* SKUs in one list or summary */
#define URL_MAX		2048

static const char *
display_name(struct db_stmt *st)
{
	return (int)db_int(st, REVIEW_C_ANONYMOUS) ? "Anonymous" :
	    db_text(st, REVIEW_C_NAME);
}

/* Written through one of our invitations. */
static bool
is_verified(struct db_stmt *st)
{
	return strcmp(db_text(st, REVIEW_C_SOURCE), "invitation") == 0;
}

/* Trustpilot's reportData from the review's latest report, or null. */
static json_t *
report_data(struct db_stmt *st)
{
	json_error_t	 jerr;
	json_t		*r, *o;
	char		 iso[CLOCK_ISO_LEN];
	bool		 hidden;

	if (db_is_null(st, REVIEW_C_REPORT))
		return json_null();
	r = json_loads(db_text(st, REVIEW_C_REPORT), 0, &jerr);
	if (r == NULL || clock_format(json_integer_value(json_object_get(r,
	    "createdAt")), iso) == -1) {
		json_decref(r);
		return json_null();
	}
	hidden = !db_is_null(st, REVIEW_C_HIDDEN);
	o = json_pack("{s:s, s:n, s:s, s:[O], s:O, s:s, s:O}", "source",
	    "business", "publicComment", "createdAt", iso, "reasons",
	    json_object_get(r, "reason"), "reason", json_object_get(r,
	    "reason"), "reviewVisibility", hidden ? "hidden" : "visible",
	    "status", json_object_get(r, "status"));
	json_decref(r);
	return o != NULL ? o : json_null();
}

static json_t *
tags_json(struct db_stmt *st)
{
	json_error_t	 jerr;
	json_t		*tags;

	tags = json_loads(db_text(st, REVIEW_C_TAGS), 0, &jerr);
	return tags != NULL ? tags : json_array();
}

/* The column as a string, or null when it is NULL. */
static void
put_text(struct json_writer *w, const char *key, struct db_stmt *st, int col)
{
	json_writer_string(w, key, db_is_null(st, col) ? NULL :
	    db_text(st, col));
}

static void
put_time(struct json_writer *w, const char *key, struct db_stmt *st, int col)
{
	if (db_is_null(st, col))
		json_writer_null(w, key);
	else
		json_writer_time(w, key, db_int(st, col));
}

/* "links": [{"href": PUBLIC_URL PATH ID, "method": "GET", "rel": "self"}] */
static void
put_self_link(struct json_writer *w, const char *public_url,
    const char *path, const char *id)
{
	const char	*part[3] = { public_url, path, id };
	char		 href[REVIEWS_URL_LEN];
	size_t		 len = 0, n, i;

	/* as snprintf("%s%s%s") would, cut to fit, without its format
	 * parsing: two of these a review */
	for (i = 0; i < 3; i++) {
		n = strlen(part[i]);
		if (n > sizeof(href) - 1 - len)
			n = sizeof(href) - 1 - len;
		memcpy(href + len, part[i], n);
		len += n;
	}
	href[len] = '\0';
	json_writer_array(w, "links");
	json_writer_object(w, NULL);
	json_writer_string(w, "href", href);
	json_writer_string(w, "method", "GET");
	json_writer_string(w, "rel", "self");
	json_writer_end(w);
	json_writer_end(w);
}

static void
put_empty_array(struct json_writer *w, const char *key)
{
	json_writer_array(w, key);
	json_writer_end(w);
}

/* A value built by jansson (the rare, nested parts); NULL fails w. */
static void
put_built(struct json_writer *w, const char *key, json_t *v)
{
	json_writer_value(w, key, v);
	json_decref(v);
}

/* The column as a string ("" for NULL). */
static void
put_str(struct json_writer *w, const char *key, struct db_stmt *st, int col)
{
	json_writer_string(w, key, db_text(st, col));
}

/* The consumer; a private product review adds what Trustpilot's invited
 * ones carry: the e-mail address and name the business gave with its
 * invitation (null when the reviewer came on their own). */
static void
put_consumer(struct json_writer *w, struct db_stmt *st, bool invited)
{
	json_writer_object(w, "consumer");
	put_str(w, "id", st, REVIEW_C_CONSUMER);
	json_writer_string(w, "displayName", display_name(st));
	json_writer_string(w, "displayLocation", db_bytes(st,
	    REVIEW_C_COUNTRY) > 0 ? db_text(st, REVIEW_C_COUNTRY) : NULL);
	json_writer_int(w, "numberOfReviews", db_int(st,
	    REVIEW_C_CONSUMER_COUNT));
	put_empty_array(w, "links");
	if (invited) {
		put_text(w, "email", st, REVIEW_C_REFERRAL);
		put_str(w, "name", st, REVIEW_C_NAME);
	}
	json_writer_end(w);
}

/* A product review's state in Trustpilot's words (reviews_shape.h):
 * what its hiding says of a review once published. */
static const char *
product_state(struct db_stmt *st)
{
	const char	*status = db_text(st, REVIEW_C_STATUS);

	if (strcmp(status, "active") == 0)
		return REVIEWS_STATE_PUBLISHED;
	if (strcmp(status, "hidden") != 0)
		return status;
	return strncmp(db_text(st, REVIEW_C_HIDDEN), "reported: ", 10) == 0 ?
	    REVIEWS_STATE_MODERATION : REVIEWS_STATE_UNPUBLISHED;
}

/* locale: the review's language, with the reviewer's country when known
 * (da-DK); a review here records no other locale. */
static void
put_locale(struct json_writer *w, struct db_stmt *st)
{
	const char	*country = db_text(st, REVIEW_C_COUNTRY);
	char		 locale[8];

	if (strlen(country) == 2)
		snprintf(locale, sizeof(locale), "%.2s-%c%c", db_text(st,
		    REVIEW_C_LANGUAGE), toupper((unsigned char)country[0]),
		    toupper((unsigned char)country[1]));
	else
		snprintf(locale, sizeof(locale), "%.2s", db_text(st,
		    REVIEW_C_LANGUAGE));
	json_writer_string(w, "locale", locale);
}

static void
put_unit(struct json_writer *w, struct db_stmt *st, const char *public_url)
{
	json_writer_object(w, "businessUnit");
	put_str(w, "id", st, REVIEW_C_BU);
	put_str(w, "identifyingName", st, REVIEW_C_DOMAIN);
	put_str(w, "displayName", st, REVIEW_C_BU_NAME);
	put_self_link(w, public_url, "/v1/business-units/", db_text(st,
	    REVIEW_C_BU));
	json_writer_end(w);
}

static void
put_reply(struct json_writer *w, struct db_stmt *st)
{
	if (db_is_null(st, REVIEW_C_REPLY)) {
		json_writer_null(w, "companyReply");
		return;
	}
	json_writer_object(w, "companyReply");
	put_str(w, "text", st, REVIEW_C_REPLY);
	put_text(w, "authorBusinessUserId", st, REVIEW_C_REPLY_AUTHOR);
	json_writer_null(w, "authorBusinessUserName");
	put_time(w, "createdAt", st, REVIEW_C_REPLY_CREATED);
	put_time(w, "updatedAt", st, REVIEW_C_REPLY_UPDATED);
	json_writer_end(w);
}

/* What only the review's business sees. */
static void
put_private(struct json_writer *w, struct db_stmt *st, bool verified)
{
	const char	*requests;

	put_text(w, "referenceId", st, REVIEW_C_REFERENCE);
	if (verified)
		put_text(w, "referralEmail", st, REVIEW_C_REFERRAL);
	else
		json_writer_null(w, "referralEmail");
	json_writer_raw(w, "tags", db_text(st, REVIEW_C_TAGS));
	put_text(w, "linkKind", st, REVIEW_C_LINK_KIND);
	put_text(w, "hiddenReason", st, REVIEW_C_HIDDEN);
	json_writer_bool(w, "reported", (int)db_int(st,
	    REVIEW_C_REPORTED) != 0);
	requests = db_text(st, REVIEW_C_FIND_REVIEWER);
	if (strcmp(requests, "[]") == 0) {
		json_writer_object(w, "findReviewer");
		json_writer_bool(w, "isEligible", !verified);
		put_empty_array(w, "requests");
		json_writer_end(w);
	} else
		put_built(w, "findReviewer", findreviewer_json(requests,
		    !verified));
}

/* What Trustpilot's product reviews add; private: what their business
 * sees of them. */
static void
put_product(struct json_writer *w, struct db_stmt *st, bool private)
{
	put_str(w, "content", st, REVIEW_C_TEXT);
	put_str(w, "businessUnitId", st, REVIEW_C_BU);
	json_writer_string(w, "state", product_state(st));
	if (private) {
		put_locale(w, st);
		put_text(w, "conversationId", st, REVIEW_C_CONVERSATION);
		put_empty_array(w, "attributeRatings");
		put_empty_array(w, "attachments");
		/* a report was made, whatever became of it */
		json_writer_bool(w, "hasModerationHistory", !db_is_null(st,
		    REVIEW_C_REPORT));
	}
	json_writer_object(w, "product");
	put_text(w, "id", st, REVIEW_C_PRODUCT);
	put_str(w, "sku", st, REVIEW_C_SKU);
	put_str(w, "name", st, REVIEW_C_PRODUCT_NAME);
	put_str(w, "productUrl", st, REVIEW_C_PRODUCT_LINK);
	json_writer_array(w, "productImages");
	if (db_bytes(st, REVIEW_C_PRODUCT_IMAGE) > 0)
		put_str(w, NULL, st, REVIEW_C_PRODUCT_IMAGE);
	json_writer_end(w);
	put_str(w, "gtin", st, REVIEW_C_GTIN);
	put_str(w, "mpn", st, REVIEW_C_MPN);
	put_str(w, "brand", st, REVIEW_C_BRAND);
	json_writer_end(w);
}

/*
 * The review under st (REVIEW_COLUMNS) in Trustpilot's shape (reference
 * sections 4 and 12), written straight into w: lists write hundreds of
 * these, and a jansson tree per review cost more than the query.
 */
void
reviews_json_write(struct json_writer *w, struct db_stmt *st,
    const char *public_url, bool private)
{
	bool	 verified = is_verified(st);
	bool	 product = !db_is_null(st, REVIEW_C_SKU);
	bool	 contacted = (int)db_int(st, REVIEW_C_CONTACTED) != 0;

	json_writer_object(w, NULL);
	put_self_link(w, public_url, "/v1/reviews/", db_text(st, REVIEW_C_ID));
	put_str(w, "id", st, REVIEW_C_ID);
	put_consumer(w, st, private && product && verified);
	put_unit(w, st, public_url);
	json_writer_null(w, "location");
	json_writer_int(w, "stars", db_int(st, REVIEW_C_STARS));
	put_str(w, "title", st, REVIEW_C_TITLE);
	put_str(w, "text", st, REVIEW_C_TEXT);
	put_str(w, "language", st, REVIEW_C_LANGUAGE);
	put_time(w, "createdAt", st, REVIEW_C_CREATED);
	put_time(w, "updatedAt", st, REVIEW_C_UPDATED);
	put_time(w, "experiencedAt", st, REVIEW_C_EXPERIENCED);
	put_reply(w, st);
	json_writer_bool(w, "isVerified", verified);
	put_str(w, "source", st, REVIEW_C_SOURCE);
	json_writer_int(w, "numberOfLikes", 0);
	put_str(w, "status", st, REVIEW_C_STATUS);
	if (db_is_null(st, REVIEW_C_REPORT))
		json_writer_null(w, "reportData");
	else
		put_built(w, "reportData", report_data(st));
	put_empty_array(w, "complianceLabels");
	json_writer_bool(w, "countsTowardsTrustScore", !product &&
	    strcmp(db_text(st, REVIEW_C_STATUS), "active") == 0);
	json_writer_null(w, "countsTowardsLocationTrustScore");
	if (verified) {
		json_writer_object(w, "invitation");
		put_str(w, "businessUnitId", st, REVIEW_C_BU);
		json_writer_end(w);
	} else
		json_writer_null(w, "invitation");
	put_empty_array(w, "businessUnitHistory");
	json_writer_string(w, "reviewVerificationLevel", verified ?
	    "verified" : "not-verified");
	json_writer_bool(w, "reviewerContacted", contacted);
	json_writer_array(w, "labels");
	if (verified)
		json_writer_string(w, NULL, "verified");
	if (contacted)
		json_writer_string(w, NULL, "reviewerContacted");
	json_writer_end(w);
	if (private)
		put_private(w, st, verified);
	if (product)
		put_product(w, st, private);
	json_writer_end(w);
}

/* Answers with the review under st, written straight into the body. */
int
reviews_json_respond(struct response *res, int status, struct db_stmt *st,
    const char *public_url, bool private, struct api_error *err)
{
	struct buf		 b;
	struct json_writer	 w;
	int			 r = -1;

	buf_init(&b, REVIEWS_JSON_MAX);
	json_writer_init(&w, &b);
	reviews_json_write(&w, st, public_url, private);
	if (json_writer_finish(&w) == 0)
		r = response_json_text(res, status, &b, err);
	else
		api_error_internal(err);
	buf_release(&b);
	return r;
}

/* What the profile page shows of a review: the fields of its JSON that
 * review_article reads, and nothing it does not. */
json_t *
reviews_json_page(struct db_stmt *st)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:{s:s}, s:o, s:o, s:b, "
	    "s:b, s:o}",
	    "id", db_text(st, REVIEW_C_ID),
	    "stars", (int)db_int(st, REVIEW_C_STARS),
	    "title", db_text(st, REVIEW_C_TITLE),
	    "text", db_text(st, REVIEW_C_TEXT),
	    "language", db_text(st, REVIEW_C_LANGUAGE),
	    "consumer", "displayName", display_name(st),
	    "createdAt", db_json_time(st, REVIEW_C_CREATED),
	    "experiencedAt", db_json_time(st, REVIEW_C_EXPERIENCED),
	    "isVerified", is_verified(st),
	    "reviewerContacted", (int)db_int(st, REVIEW_C_CONTACTED) != 0,
	    "companyReply", db_is_null(st, REVIEW_C_REPLY) ?
	    json_null() : json_pack("{s:s, s:o}", "text", db_text(st,
	    REVIEW_C_REPLY), "createdAt", db_json_time(st,
	    REVIEW_C_REPLY_CREATED)));
}

/* Trustpilot's webhook eventData (reference section 9). */
static json_t *
event_data(struct db_stmt *st, const char *public_url)
{
	char	 review[REVIEWS_URL_LEN], consumer[REVIEWS_URL_LEN];
	char	 created[CLOCK_ISO_LEN];
	json_t	*o;

	snprintf(review, sizeof(review), "%s/v1/reviews/%s", public_url,
	    db_text(st, REVIEW_C_ID));
	snprintf(consumer, sizeof(consumer), "%s/v1/consumers/%s", public_url,
	    db_text(st, REVIEW_C_CONSUMER));
	if (clock_format(db_int(st, REVIEW_C_CREATED), created) == -1)
		return NULL;
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:o, s:n, s:s, s:b, s:s, "
	    "s:{s:s, s:s, s:s}, s:o}",
	    "id", db_text(st, REVIEW_C_ID),
	    "language", db_text(st, REVIEW_C_LANGUAGE),
	    "stars", (int)db_int(st, REVIEW_C_STARS),
	    "title", db_text(st, REVIEW_C_TITLE),
	    "text", db_text(st, REVIEW_C_TEXT),
	    "referenceId", db_json_text(st, REVIEW_C_REFERENCE), "locationId",
	    "createdAt", created,
	    "isVerified", is_verified(st),
	    "link", review,
	    "consumer", "id", db_text(st, REVIEW_C_CONSUMER), "name",
	    display_name(st), "link", consumer,
	    "tags", tags_json(st));
	if (o != NULL && !db_is_null(st, REVIEW_C_SKU) &&
	    json_object_set_new(o, "sku", json_string(db_text(st,
	    REVIEW_C_SKU))) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char sql_review_by_id[] =
    "SELECT " REVIEW_COLUMNS REVIEW_FROM "WHERE r.id = ?";

/* A review never published was written under an address nobody proved:
 * not the business's to see. */
int
reviews_json_load(struct db *db, const struct request *req,
    const char *id, bool public_only, struct db_stmt **out,
    struct api_error *err)
{
	struct db_stmt	*st;
	int		 rc;

	*out = NULL;
	if ((rc = db_row(db, sql_review_by_id, &st, "s", id)) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (rc == DB_DONE || (req != NULL &&
	    req->principal.kind == PRINCIPAL_BUSINESS && !public_only &&
	    (strcmp(db_text(st, REVIEW_C_BU),
	    req->principal.business_unit_id) != 0 ||
	    db_is_null(st, REVIEW_C_PUB_SEQ))) || (public_only &&
	    strcmp(db_text(st, REVIEW_C_STATUS), "active") != 0)) {
		db_release(st);
		api_error_set(err, 404, NULL, "Review not found");
		return -1;
	}
	*out = st;
	return 0;
}

int
reviews_json_emit(struct db *db, struct db_stmt *st,
    const char *service_event, const char *product_event)
{
	json_t	*data;	/* owned */
	char	 bu[IDS_ID_LEN + 1];
	int	 r;

	if ((data = event_data(st, config_shared()->public_url)) == NULL)
		return -1;
	snprintf(bu, sizeof(bu), "%s", db_text(st, REVIEW_C_BU));
	r = webhooks_emit(db, bu, db_is_null(st, REVIEW_C_SKU) ?
	    service_event : product_event, data);
	json_decref(data);
	return r;
}

int
reviews_json_emit_id(struct db *db, const char *id,
    const char *service_event, const char *product_event)
{
	struct db_stmt	*st;
	int		 r = -1;

	if (db_row(db, sql_review_by_id, &st, "s", id) == DB_ROW)
		r = reviews_json_emit(db, st, service_event, product_event);
	db_release(st);
	return r;
}

static const char sql_unit_locale[] =
    "SELECT default_locale FROM business_units WHERE id = ?";

/*
 * The reviewer's e-mails: in the review's language (the invitation's
 * locale, or the reviewer's on the form) when the catalogue has it, else
 * the unit's default locale, else English; each says how long its links
 * work (vars gets "hours", the confirmation's; the edit link's "days"
 * come from the caller, reviews_edit.h).
 */
int
reviews_json_mail(struct db *db, const char *bu, const char *to,
    const char *name, const char *template, const char *language, json_t *vars,
    struct api_error *err)
{
	json_t	*msg = json_pack("{s:s, s:s}", "to", to, "toName", name);
	char	 hours[24], unit[32] = "";
	int	 r = -1;

	snprintf(hours, sizeof(hours), "%lld",
	    (long long)config_shared()->review_confirm_ttl_h);
	if (db_one_text(db, sql_unit_locale, unit, sizeof(unit), "s",
	    bu) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (msg == NULL || json_object_set_new(vars, "hours",
	    json_string(hours)) == -1 || mailer_render(template,
	    mailer_lang(language, unit), vars, msg) == -1)
		api_error_internal(err);
	else
		r = outbox_add_email(db, bu, msg, NULL, err);
out:
	json_decref(msg);
	return r;
}

/* SKUs, for the product lists and summaries. */

int
reviews_json_sku_list(const char *v, char **out, struct api_error *err)
{
	const char	*p, *comma;
	json_t		*list = json_array();	/* owned */
	size_t		 len;
	int		 ret = -1;

	*out = NULL;
	if (list == NULL)
		goto oom;
	for (p = v;; p = comma + 1) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len > SKU_MAX) {
			api_error_set(err, 400, "sku", "must be SKUs of 1 to "
			    "%d characters, comma-separated", SKU_MAX);
			goto out;
		}
		if (json_array_size(list) == SKUS_MAX) {
			api_error_set(err, 400, "sku", "has more than %d SKUs",
			    SKUS_MAX);
			goto out;
		}
		if (json_array_append_new(list, json_stringn(p, len)) == -1)
			goto oom;
		if (comma == NULL)
			break;
	}
	if ((*out = json_dumps(list, JSON_COMPACT)) == NULL)
		goto oom;
	ret = 0;
	goto out;
oom:
	api_error_internal(err);
out:
	json_decref(list);
	return ret;
}

/* The SKUs of the unit's products at one link (variants share one). */
static const char sql_skus_by_link[] =
    "SELECT json_group_array(sku), count(*) FROM products "
    "WHERE business_unit_id = ?1 AND link = ?2";

int
reviews_json_skus_of_url(struct db *db, const char *bu, const char *url,
    char **out, struct api_error *err)
{
	struct db_stmt	*st;

	*out = NULL;
	if (url[0] == '\0' || strlen(url) > URL_MAX) {
		api_error_set(err, 400, "productUrl", "must be 1 to %d "
		    "characters", URL_MAX);
		return -1;
	}
	if (db_row(db, sql_skus_by_link, &st, "ss", bu, url) != DB_ROW) {
		db_fail(db, err);
		return -1;
	}
	if (db_int(st, 1) > 0 && (*out = strdup(db_text(st, 0))) == NULL)
		api_error_internal(err);
	db_release(st);
	return err->status != 0 ? -1 : 0;
}

/* for reviews_edit: the event data, to which it adds what changed. */
json_t *
reviews_json_event(struct db_stmt *st)
{
	return event_data(st, config_shared()->public_url);
}

/* for consumers, business_units (issue 12): a page of reviews answered
 * as text. */

int
reviews_json_page_query(struct request *req, struct response *res,
    int64_t page, int64_t per_page, int64_t max_page, const char *sql,
    struct api_error *err, const char *fmt, ...)
{
	struct db_stmt		*st;
	struct json_writer	 w;
	struct buf		 body;
	json_t			*links = json_array();	/* owned */
	int			 limit_idx = (int)strlen(fmt) + 1;
	char			 next[24];
	int64_t			 n = 0;
	int			 rc, ret = -1;
	va_list			 ap;

	va_start(ap, fmt);
	st = db_vquery(req->db, sql, fmt, ap);
	va_end(ap);
	buf_init(&body, REVIEWS_JSON_MAX);
	json_writer_init(&w, &body);
	json_writer_object(&w, NULL);
	json_writer_array(&w, "reviews");
	if (st == NULL || links == NULL ||
	    db_bind_int(st, limit_idx, per_page + 1) == -1 ||
	    db_bind_int(st, limit_idx + 1, (page - 1) * per_page) == -1)
		goto dberr;
	/* one row more than the page says whether a next one exists */
	while ((rc = db_step(req->db, st)) == DB_ROW && n++ < per_page)
		reviews_json_write(&w, st, req->cfg->public_url, false);
	if (rc == -1)
		goto dberr;
	json_writer_end(&w);
	snprintf(next, sizeof(next), "%lld", (long long)page + 1);
	if (rc == DB_ROW && page + 1 <= max_page &&
	    json_array_append_new(links, request_next_page_link(req, "page",
	    next)) == -1)
		goto dberr;
	json_writer_value(&w, "links", links);
	json_writer_end(&w);
	if (json_writer_finish(&w) == -1)
		api_error_internal(err);
	else
		ret = response_json_text(res, 200, &body, err);
	goto out;
dberr:
	db_fail(req->db, err);
out:
	db_release(st);
	json_decref(links);
	buf_release(&body);
	return ret;
}
