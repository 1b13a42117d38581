/*
 * reviews: writing, confirming, listing and annotating reviews. Called
 * from HTTP worker threads; reviews_job runs on the scheduler thread.
 *
 * A review is pending until its reviewer confirms (organic ones), then
 * published; a published review with a hidden_reason is out of every public
 * view. pub_seq is assigned at publication in the publishing transaction
 * (writers are serialized by BEGIN IMMEDIATE), so the public cursor, which
 * walks pub_seq upwards, sees every review exactly once however late it was
 * confirmed. Score counts live in business_unit_counts, kept by triggers.
 * The reviewer's e-mail is read only to send them mail: no JSON we build
 * contains it, except referralEmail, which a business gave us itself.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/findreviewer.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/outbox.h"
#include "reviewd/reviews.h"
#include "reviewd/scheduler.h"
#include "reviewd/utf8.h"
#include "reviewd/webhooks.h"

#define TITLE_MAX	100
#define TEXT_MAX	5000
#define NAME_MAX_CHARS	100
#define REPLY_MAX	5000
#define TAG_MAX		100
#define TAGS_MAX	50
#define SKU_MAX		100
#define PAGE_MAX	100
#define URL_LEN		(CONFIG_STR + 128)
/* A page of at most 100 reviews: texts of 5000 characters (6 bytes each
 * escaped), a reply and the fixed fields take tens of kilobytes; what can
 * grow is a Find Reviewer thread, one request after another. */
#define LIST_JSON_MAX	(256 * 1024 * 1024)

static const struct config	*reviews_cfg;

static const char *const source_names[] = {
	[REVIEW_SOURCE_ORGANIC] = "organic",
	[REVIEW_SOURCE_INVITATION] = "invitation",
	[REVIEW_SOURCE_THIRD_PARTY] = "third_party_invitation",
};

void
reviews_configure(const struct config *cfg)
{
	reviews_cfg = cfg;
}

/* One row of a review with everything its JSON needs. A review never
 * published (pending, expired, refused as a duplicate) was written under
 * an address nobody proved: it shows its own id as the consumer's and no
 * review count, so typing an address reveals nothing of its owner. */
#define REVIEW_COLUMNS							\
	REVIEW_BASE_COLUMNS ", " REVIEW_TAGS ", " REVIEW_THREAD ", "	\
	REVIEW_REPORT
#define REVIEW_BASE_COLUMNS						\
	"r.id, r.business_unit_id, b.domain, b.display_name, "		\
	"CASE WHEN r.published_at IS NULL THEN r.id ELSE r.consumer_id END, " \
	"CASE WHEN r.published_at IS NULL THEN 0 ELSE c.review_count END, " \
	"r.sku, r.stars, r.title, r.text, r.language, "			\
	"r.experienced_at, r.display_name, r.anonymous, r.country, "	\
	"r.source, r.link_kind, r.reference_id, r.referral_email, "	\
	"CASE WHEN r.status = 'published' AND r.hidden_reason IS NOT NULL " \
	"  THEN 'hidden' WHEN r.status = 'published' THEN 'active' "	\
	"  ELSE r.status END, "						\
	"r.hidden_reason, r.reported, r.reviewer_contacted, r.reply_text, " \
	"r.reply_author, r.reply_created_at, r.reply_updated_at, "	\
	"r.created_at, r.updated_at, r.seq, r.pub_seq, p.id, p.name, "	\
	"p.link, p.image_link, p.gtin, p.mpn, p.brand"
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
	"  'createdAt', created_at, 'hides', hides) FROM reports WHERE "	\
	"  review_id = r.id ORDER BY created_at DESC LIMIT 1) "
#define REVIEW_FROM							\
	"FROM reviews r JOIN business_units b ON b.id = r.business_unit_id " \
	"JOIN consumers c ON c.id = r.consumer_id "			\
	"LEFT JOIN products p ON p.business_unit_id = r.business_unit_id " \
	"  AND p.sku = r.sku "

enum {
	C_ID, C_BU, C_DOMAIN, C_BU_NAME, C_CONSUMER, C_CONSUMER_COUNT, C_SKU,
	C_STARS, C_TITLE, C_TEXT, C_LANGUAGE, C_EXPERIENCED, C_NAME,
	C_ANONYMOUS, C_COUNTRY, C_SOURCE, C_LINK_KIND, C_REFERENCE,
	C_REFERRAL, C_STATUS, C_HIDDEN, C_REPORTED, C_CONTACTED, C_REPLY,
	C_REPLY_AUTHOR, C_REPLY_CREATED, C_REPLY_UPDATED, C_CREATED,
	C_UPDATED, C_SEQ, C_PUB_SEQ, C_PRODUCT, C_PRODUCT_NAME,
	C_PRODUCT_LINK, C_PRODUCT_IMAGE, C_GTIN, C_MPN, C_BRAND, C_TAGS,
	C_FIND_REVIEWER, C_REPORT
};

static const char *
display_name(struct db_stmt *st)
{
	return (int)db_int(st, C_ANONYMOUS) ? "Anonymous" :
	    db_text(st, C_NAME);
}

/* Trustpilot's reportData from the review's latest report, or null. */
static json_t *
report_data(struct db_stmt *st)
{
	json_error_t	 jerr;
	json_t		*r, *o;
	char		 iso[CLOCK_ISO_LEN];
	bool		 hidden;

	if (db_is_null(st, C_REPORT))
		return json_null();
	r = json_loads(db_text(st, C_REPORT), 0, &jerr);
	if (r == NULL || clock_format(json_integer_value(json_object_get(r,
	    "createdAt")), iso) == -1) {
		json_decref(r);
		return json_null();
	}
	hidden = !db_is_null(st, C_HIDDEN);
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
	json_t		*tags = json_loads(db_text(st, C_TAGS), 0, &jerr);

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
	char	 href[URL_LEN];

	snprintf(href, sizeof(href), "%s%s%s", public_url, path, id);
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

/*
 * The review under st (REVIEW_COLUMNS) in Trustpilot's shape (reference
 * sections 4 and 12), written straight into w: lists write hundreds of
 * these, and a jansson tree per review cost more than the query.
 */
static void
review_write(struct json_writer *w, struct db_stmt *st, const char *public_url,
    bool private)
{
	bool	 verified = strcmp(db_text(st, C_SOURCE), "invitation") == 0;
	bool	 product = !db_is_null(st, C_SKU);
	bool	 contacted = (int)db_int(st, C_CONTACTED) != 0;
	const char *requests;

	json_writer_object(w, NULL);
	put_self_link(w, public_url, "/v1/reviews/", db_text(st, C_ID));
	json_writer_string(w, "id", db_text(st, C_ID));
	json_writer_object(w, "consumer");
	json_writer_string(w, "id", db_text(st, C_CONSUMER));
	json_writer_string(w, "displayName", display_name(st));
	json_writer_string(w, "displayLocation", db_bytes(st,
	    C_COUNTRY) > 0 ? db_text(st, C_COUNTRY) : NULL);
	json_writer_int(w, "numberOfReviews", db_int(st,
	    C_CONSUMER_COUNT));
	put_empty_array(w, "links");
	json_writer_end(w);
	json_writer_object(w, "businessUnit");
	json_writer_string(w, "id", db_text(st, C_BU));
	json_writer_string(w, "identifyingName", db_text(st, C_DOMAIN));
	json_writer_string(w, "displayName", db_text(st, C_BU_NAME));
	put_self_link(w, public_url, "/v1/business-units/", db_text(st, C_BU));
	json_writer_end(w);
	json_writer_null(w, "location");
	json_writer_int(w, "stars", db_int(st, C_STARS));
	json_writer_string(w, "title", db_text(st, C_TITLE));
	json_writer_string(w, "text", db_text(st, C_TEXT));
	json_writer_string(w, "language", db_text(st, C_LANGUAGE));
	put_time(w, "createdAt", st, C_CREATED);
	put_time(w, "updatedAt", st, C_UPDATED);
	put_time(w, "experiencedAt", st, C_EXPERIENCED);
	if (db_is_null(st, C_REPLY))
		json_writer_null(w, "companyReply");
	else {
		json_writer_object(w, "companyReply");
		json_writer_string(w, "text", db_text(st, C_REPLY));
		put_text(w, "authorBusinessUserId", st, C_REPLY_AUTHOR);
		json_writer_null(w, "authorBusinessUserName");
		put_time(w, "createdAt", st, C_REPLY_CREATED);
		put_time(w, "updatedAt", st, C_REPLY_UPDATED);
		json_writer_end(w);
	}
	json_writer_bool(w, "isVerified", verified);
	json_writer_string(w, "source", db_text(st, C_SOURCE));
	json_writer_int(w, "numberOfLikes", 0);
	json_writer_string(w, "status", db_text(st, C_STATUS));
	if (db_is_null(st, C_REPORT))
		json_writer_null(w, "reportData");
	else
		put_built(w, "reportData", report_data(st));
	put_empty_array(w, "complianceLabels");
	json_writer_bool(w, "countsTowardsTrustScore", !product &&
	    strcmp(db_text(st, C_STATUS), "active") == 0);
	json_writer_null(w, "countsTowardsLocationTrustScore");
	if (verified) {
		json_writer_object(w, "invitation");
		json_writer_string(w, "businessUnitId", db_text(st, C_BU));
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
	if (private) {
		put_text(w, "referenceId", st, C_REFERENCE);
		if (verified)
			put_text(w, "referralEmail", st, C_REFERRAL);
		else
			json_writer_null(w, "referralEmail");
		json_writer_raw(w, "tags", db_text(st, C_TAGS));
		put_text(w, "linkKind", st, C_LINK_KIND);
		put_text(w, "hiddenReason", st, C_HIDDEN);
		json_writer_bool(w, "reported", (int)db_int(st,
		    C_REPORTED) != 0);
		requests = db_text(st, C_FIND_REVIEWER);
		if (strcmp(requests, "[]") == 0) {
			json_writer_object(w, "findReviewer");
			json_writer_bool(w, "isEligible", !verified);
			put_empty_array(w, "requests");
			json_writer_end(w);
		} else
			put_built(w, "findReviewer", findreviewer_json(requests,
			    !verified));
	}
	if (product) {
		/* Trustpilot's product reviews add these */
		json_writer_string(w, "content", db_text(st, C_TEXT));
		json_writer_string(w, "businessUnitId", db_text(st, C_BU));
		json_writer_string(w, "state", db_text(st, C_STATUS));
		json_writer_object(w, "product");
		put_text(w, "id", st, C_PRODUCT);
		json_writer_string(w, "sku", db_text(st, C_SKU));
		json_writer_string(w, "name", db_text(st, C_PRODUCT_NAME));
		json_writer_string(w, "productUrl", db_text(st,
		    C_PRODUCT_LINK));
		json_writer_array(w, "productImages");
		if (db_bytes(st, C_PRODUCT_IMAGE) > 0)
			json_writer_string(w, NULL, db_text(st,
			    C_PRODUCT_IMAGE));
		json_writer_end(w);
		json_writer_string(w, "gtin", db_text(st, C_GTIN));
		json_writer_string(w, "mpn", db_text(st, C_MPN));
		json_writer_string(w, "brand", db_text(st, C_BRAND));
		json_writer_end(w);
	}
	json_writer_end(w);
}

/* Answers with the review under st, written straight into the body. */
static int
respond_review(struct response *res, int status, struct db_stmt *st,
    const char *public_url, bool private, struct api_error *err)
{
	struct buf		 b;
	struct json_writer	 w;
	int			 r = -1;

	buf_init(&b, LIST_JSON_MAX);
	json_writer_init(&w, &b);
	review_write(&w, st, public_url, private);
	if (json_writer_finish(&w) == 0)
		r = response_json_text(res, status, &b, err);
	else
		api_error_set(err, 500, NULL, "Internal error");
	buf_release(&b);
	return r;
}

/* What the profile page shows of a review: the fields of its JSON that
 * review_article reads, and nothing it does not. */
static json_t *
page_review_json(struct db_stmt *st)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:{s:s}, s:o, s:b, s:b, s:o}",
	    "id", db_text(st, C_ID), "stars", (int)db_int(st, C_STARS),
	    "title", db_text(st, C_TITLE), "text", db_text(st, C_TEXT),
	    "consumer", "displayName", display_name(st),
	    "createdAt", db_json_time(st, C_CREATED),
	    "isVerified", strcmp(db_text(st, C_SOURCE), "invitation") == 0,
	    "reviewerContacted", (int)db_int(st, C_CONTACTED) != 0,
	    "companyReply", db_is_null(st, C_REPLY) ?
	    json_null() : json_pack("{s:s}", "text", db_text(st, C_REPLY)));
}

/* Trustpilot's webhook eventData (reference section 9). */
static json_t *
event_data(struct db_stmt *st, const char *public_url)
{
	char	 review[URL_LEN], consumer[URL_LEN];
	char	 created[CLOCK_ISO_LEN];
	json_t	*o;

	snprintf(review, sizeof(review), "%s/v1/reviews/%s", public_url,
	    db_text(st, C_ID));
	snprintf(consumer, sizeof(consumer), "%s/v1/consumers/%s", public_url,
	    db_text(st, C_CONSUMER));
	if (clock_format(db_int(st, C_CREATED), created) == -1)
		return NULL;
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:o, s:n, s:s, s:b, s:s, "
	    "s:{s:s, s:s, s:s}, s:o}",
	    "id", db_text(st, C_ID), "language", db_text(st, C_LANGUAGE),
	    "stars", (int)db_int(st, C_STARS),
	    "title", db_text(st, C_TITLE), "text", db_text(st, C_TEXT),
	    "referenceId", db_json_text(st, C_REFERENCE), "locationId",
	    "createdAt", created,
	    "isVerified", strcmp(db_text(st, C_SOURCE), "invitation") == 0,
	    "link", review,
	    "consumer", "id", db_text(st, C_CONSUMER), "name",
	    display_name(st), "link", consumer,
	    "tags", tags_json(st));
	if (o != NULL && !db_is_null(st, C_SKU) &&
	    json_object_set_new(o, "sku", json_string(db_text(st,
	    C_SKU))) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char sql_review_by_id[] =
    "SELECT " REVIEW_COLUMNS REVIEW_FROM "WHERE r.id = ?";

/*
 * Loads review id into *st (a borrowed, stepped statement the caller must
 * db_release). For a business principal only its own reviews that were
 * published at some point exist (one never published was written under
 * an address nobody proved: not the business's to see); public callers
 * see only visible published ones. 0, or -1 with a 404 in err.
 */
static int
load(struct db *db, const struct request *req, const char *id,
    bool public_only, struct db_stmt **out, struct api_error *err)
{
	struct db_stmt	*st = db_prepare(db, sql_review_by_id);
	int		 rc;

	*out = NULL;
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_release(st);
		db_fail(db, err);
		return -1;
	}
	if (rc == DB_DONE || (req != NULL &&
	    req->principal.kind == PRINCIPAL_BUSINESS && !public_only &&
	    (strcmp(db_text(st, C_BU), req->principal.business_unit_id) != 0 ||
	    db_is_null(st, C_PUB_SEQ))) ||
	    (public_only && strcmp(db_text(st, C_STATUS), "active") != 0)) {
		db_release(st);
		api_error_set(err, 404, NULL, "Review not found");
		return -1;
	}
	*out = st;
	return 0;
}

/* Emits event for the review under st (inside the caller's transaction). */
static int
emit(struct db *db, struct db_stmt *st, const char *service_event,
    const char *product_event)
{
	json_t	*data = event_data(st, reviews_cfg->public_url);	/* owned */
	char	 bu[IDS_ID_LEN + 1];
	int	 r;

	if (data == NULL)
		return -1;
	snprintf(bu, sizeof(bu), "%s", db_text(st, C_BU));
	r = webhooks_emit(db, bu, db_is_null(st, C_SKU) ? service_event :
	    product_event, data);
	json_decref(data);
	return r;
}

/* Submission. */

static bool
is_language(const char *s)
{
	return s != NULL && islower((unsigned char)s[0]) &&
	    islower((unsigned char)s[1]) && s[2] == '\0';
}

/* The language of a page locale such as "da-DK" or an Accept-Language
 * header such as "de-DE,de;q=0.9"; "" when there is none. */
static void
language_of(const char *locale, char out[3])
{
	out[0] = '\0';
	if (locale != NULL && isalpha((unsigned char)locale[0]) &&
	    isalpha((unsigned char)locale[1]) && (locale[2] == '\0' ||
	    locale[2] == '-' || locale[2] == '_' || locale[2] == ',' ||
	    locale[2] == ';')) {
		out[0] = (char)tolower((unsigned char)locale[0]);
		out[1] = (char)tolower((unsigned char)locale[1]);
		out[2] = '\0';
	}
}

int
reviews_input_json(json_t *obj, struct review_input *in,
    struct api_error *err)
{
	const char	*experienced = NULL;
	const char	*source = NULL;

	json_read_int(obj, "stars", true, 1, 5, &in->stars, err);
	json_read_string(obj, "title", true, 1, TITLE_MAX, &in->title, err);
	json_read_string(obj, "text", true, 1, TEXT_MAX, &in->text, err);
	json_read_string(obj, "name", true, 1, NAME_MAX_CHARS, &in->name, err);
	if (json_read_string(obj, "email", true, 3, MAILER_ADDRESS_MAX,
	    &in->email, err) == 0 && !mailer_address_valid(in->email))
		api_error_set(err, 400, "email", "must be an e-mail address");
	json_read_string(obj, "sku", false, 1, SKU_MAX, &in->sku, err);
	if (json_read_string(obj, "language", false, 2, 2, &in->language,
	    err) == 0 && in->language != NULL && !is_language(in->language))
		api_error_set(err, 400, "language", "must be an ISO 639-1 code "
		    "such as en");
	if (json_read_string(obj, "country", false, 0, 2, &in->country,
	    err) == 0 && in->country != NULL && in->country[0] != '\0' &&
	    !(isupper((unsigned char)in->country[0]) &&
	    isupper((unsigned char)in->country[1])))
		api_error_set(err, 400, "country", "must be an ISO 3166-1 "
		    "alpha-2 code such as DK");
	if (json_read_string(obj, "experiencedAt", false, 1, 40,
	    &experienced, err) == 0 && experienced != NULL &&
	    (clock_parse(experienced, &in->experienced_at) == -1 ||
	    in->experienced_at > clock_now_ms()))
		api_error_set(err, 400, "experiencedAt", "must be a date, not "
		    "in the future");
	json_read_bool(obj, "anonymous", false, &in->anonymous, err);
	if (json_read_string(obj, "source", false, 1, 32, &source, err) == 0 &&
	    source != NULL) {
		if (strcmp(source, "invitation") == 0 ||
		    strcmp(source, "third_party_invitation") == 0)
			in->source = REVIEW_SOURCE_THIRD_PARTY;
		else if (strcmp(source, "organic") != 0)
			api_error_set(err, 400, "source", "must be organic or "
			    "invitation");
	}
	return err->status != 0 ? -1 : 0;
}

static const char sql_unit_by_domain[] =
    "SELECT id, display_name, default_locale FROM business_units "
    "WHERE domain = ?";
static const char sql_product_exists[] =
    "SELECT 1 FROM products WHERE business_unit_id = ? AND sku = ?";
static const char sql_consumer_by_email[] =
    "SELECT id FROM consumers WHERE email = ?";
static const char sql_consumer_insert[] =
    "INSERT INTO consumers (id, email, display_name, country, created_at) "
    "VALUES (?, ?, ?, ?, ?)";
/* Unconfirmed submissions of an address from the last 24 hours, in all
 * and from one client. Only unconfirmed ones: what the owner of the
 * address did is not for whoever types it to learn. */
static const char sql_recent_submissions[] =
    "SELECT count(*), coalesce(sum(submitter IS ?3), 0) FROM reviews "
    "WHERE consumer_id = ?1 AND status = 'pending' AND created_at > ?2";
static const char sql_set_submitter[] =
    "UPDATE reviews SET submitter = ?1 WHERE id = ?2";
/*
 * One review per person counts only what the person proved: reviews
 * confirmed from this mailbox, and reviews written through an invitation
 * e-mail we delivered to it. A link the business hands out itself (BGL,
 * Unique Link, invitation-links) proves nothing about the address it names:
 * counting it would let a business silence, and so unmask, anyone.
 */
static const char sql_duplicate[] =
    "SELECT 1 FROM reviews WHERE business_unit_id = ?2 AND sku IS ?3 "
    "AND status = 'published' AND created_at > ?4 AND id != ?5 "
    "AND (consumer_id = ?1 OR (source = 'invitation' AND "
    "  link_kind = 'email_invitation' AND referral_email = "
    "  (SELECT email FROM consumers WHERE id = ?1) COLLATE NOCASE))";
static const char sql_review_insert[] =
    "INSERT INTO reviews (id, business_unit_id, consumer_id, sku, stars, "
    "  title, text, language, experienced_at, display_name, anonymous, "
    "  country, source, status, confirm_hash, confirm_expires_at, "
    "  created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)";

static int
consumer_insert(struct db *db, const char *email, const char *name,
    const char *country, char id[IDS_ID_LEN + 1])
{
	struct db_stmt	*st;

	ids_new(id);
	st = db_prepare(db, sql_consumer_insert);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, email) == -1 ||
	    db_bind_text(st, 3, name) == -1 ||
	    db_bind_text(st, 4, country != NULL ? country : "") == -1 ||
	    db_bind_int(st, 5, clock_now_ms()) == -1 ||
	    db_step(db, st) != DB_DONE) {
		db_release(st);
		return -1;
	}
	db_release(st);
	return 0;
}

/* Finds or creates the consumer of an e-mail address. Only for addresses
 * the reviewer proves by opening our mail (organic reviews publish on
 * confirmation): a consumer joins the reviews of one person, so joining on
 * an address someone else typed would tell them who wrote what. */
static int
consumer_for(struct db *db, const char *email, const char *name,
    const char *country, char id[IDS_ID_LEN + 1])
{
	struct db_stmt	*st = db_prepare(db, sql_consumer_by_email);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, email) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_release(st);
		return -1;
	}
	if (rc == DB_ROW)
		snprintf(id, IDS_ID_LEN + 1, "%s", db_text(st, 0));
	db_release(st);
	if (rc == DB_ROW)
		return 0;
	return consumer_insert(db, email, name, country, id);
}

static int
exists(struct db *db, const char *sql, const char *a, const char *b,
    int *found)
{
	struct db_stmt	*st = db_prepare(db, sql);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, a) == -1 ||
	    db_bind_text(st, 2, b) == -1 || (rc = db_step(db, st)) == -1) {
		db_release(st);
		return -1;
	}
	*found = rc == DB_ROW;
	db_release(st);
	return 0;
}

static int
queue_mail(struct db *db, const char *bu, const char *to, const char *name,
    const char *template, const char *language, json_t *vars,
    struct api_error *err)
{
	json_t	*msg = json_pack("{s:s, s:s}", "to", to, "toName", name);
	int	 r = -1;

	if (msg == NULL || mailer_render(template, language, vars, msg) == -1)
		api_error_set(err, 500, NULL, "Internal error");
	else
		r = outbox_add_email(db, bu, msg, NULL, err);
	json_decref(msg);
	return r;
}

int
reviews_submit(struct db *db, const struct config *cfg,
    const struct review_input *in, char id_out[IDS_ID_LEN + 1],
    struct api_error *err)
{
	struct db_stmt	*st = NULL;
	char		 bu[IDS_ID_LEN + 1], consumer[IDS_ID_LEN + 1];
	char		 id[IDS_ID_LEN + 1], token[IDS_TOKEN_LEN + 1];
	char		 hash[IDS_HASH_LEN + 1], bu_name[256], language[3];
	char		 link[URL_LEN + IDS_TOKEN_LEN];
	char		 submitter[IDS_HASH_LEN + 1];
	json_t		*vars = NULL;	/* owned */
	int64_t		 now = clock_now_ms();
	int		 rc, found, ret = -1;

	if (db_tx_begin(db) == -1)
		goto dberr;
	st = db_prepare(db, sql_unit_by_domain);
	if (st == NULL || db_bind_text(st, 1, in->domain) == -1 ||
	    (rc = db_step(db, st)) == -1)
		goto dberr;
	if (rc == DB_DONE) {
		api_error_set(err, 404, NULL, "No business with this domain");
		goto out;
	}
	snprintf(bu, sizeof(bu), "%s", db_text(st, 0));
	snprintf(bu_name, sizeof(bu_name), "%s", db_text(st, 1));
	if (in->language != NULL)
		snprintf(language, sizeof(language), "%s", in->language);
	else {
		language_of(in->locale, language);
		if (language[0] == '\0')
			language_of(db_text(st, 2), language);
		if (language[0] == '\0')
			snprintf(language, sizeof(language), "en");
	}
	db_release(st);
	st = NULL;
	if (in->sku != NULL) {
		if (exists(db, sql_product_exists, bu, in->sku, &found) == -1)
			goto dberr;
		if (!found) {
			api_error_set(err, 400, "sku", "is not in this "
			    "business's product catalogue");
			goto out;
		}
	}
	/* Duplicates are found at confirmation (reviews_confirm): an answer
	 * here would tell whoever typed an address whether its owner
	 * reviewed this business. */
	if (consumer_for(db, in->email, in->name, in->country, consumer) == -1)
		goto dberr;
	/*
	 * Each submission mails the address: the form must not become a
	 * way to flood someone's inbox. The limit is per client first, so
	 * that whoever types someone's address cannot use it up and so
	 * stop its owner's own review; a larger one for the address in all
	 * bounds what many clients together can send.
	 */
	if (in->client != NULL)
		ids_token_hash(in->client, submitter);
	st = db_prepare(db, sql_recent_submissions);
	if (st == NULL || db_bind_text(st, 1, consumer) == -1 ||
	    db_bind_int(st, 2, now - 86400000) == -1 ||
	    db_bind_text(st, 3, in->client != NULL ? submitter : NULL) == -1 ||
	    db_step(db, st) != DB_ROW)
		goto dberr;
	if (db_int(st, 1) >= cfg->review_submissions_per_day ||
	    db_int(st, 0) >= cfg->review_submissions_per_day_all) {
		api_error_set(err, 429, "email", "has too many unconfirmed "
		    "reviews from the last 24 hours; confirm one from its "
		    "e-mail or try again tomorrow");
		api_error_header(err, "Retry-After", "86400");
		goto out;
	}
	db_release(st);
	st = NULL;
	ids_new(id);
	ids_token(token);
	ids_token_hash(token, hash);
	st = db_prepare(db, sql_review_insert);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, bu) == -1 || db_bind_text(st, 3, consumer) == -1 ||
	    db_bind_text(st, 4, in->sku) == -1 ||
	    db_bind_int(st, 5, in->stars) == -1 ||
	    db_bind_text(st, 6, in->title) == -1 ||
	    db_bind_text(st, 7, in->text) == -1 ||
	    db_bind_text(st, 8, language) == -1 ||
	    (in->experienced_at != 0 ? db_bind_int(st, 9,
	    in->experienced_at) : db_bind_null(st, 9)) == -1 ||
	    db_bind_text(st, 10, in->name) == -1 ||
	    db_bind_int(st, 11, in->anonymous) == -1 ||
	    db_bind_text(st, 12, in->country != NULL ? in->country : "") == -1 ||
	    db_bind_text(st, 13, source_names[in->source]) == -1 ||
	    db_bind_text(st, 14, hash) == -1 ||
	    db_bind_int(st, 15, now + cfg->review_confirm_ttl_h *
	    3600000) == -1 ||
	    db_bind_int(st, 16, now) == -1 ||
	    db_bind_int(st, 17, now) == -1 ||
	    db_step(db, st) != DB_DONE)
		goto dberr;
	db_release(st);
	st = NULL;
	if (in->client != NULL) {
		st = db_prepare(db, sql_set_submitter);
		if (st == NULL || db_bind_text(st, 1, submitter) == -1 ||
		    db_bind_text(st, 2, id) == -1 ||
		    db_step(db, st) != DB_DONE)
			goto dberr;
		db_release(st);
		st = NULL;
	}
	snprintf(link, sizeof(link), "%s/review/confirm/%s", cfg->public_url,
	    token);
	vars = json_pack("{s:s, s:s, s:s, s:s}", "name", in->name, "business",
	    bu_name, "link", link, "title", in->title);
	if (vars == NULL || queue_mail(db, bu, in->email, in->name,
	    "review-confirm", language, vars, err) == -1)
		goto out;
	if (db_tx_commit(db) == -1)
		goto dberr;
	scheduler_wake();
	memcpy(id_out, id, sizeof(id));
	ret = 0;
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	if (ret == -1)
		db_tx_rollback(db);
	json_decref(vars);
	return ret;
}

int
reviews_submit_json(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db		*db = db_thread();
	struct review_input	 in;
	json_t			*body;	/* owned */
	char			 id[IDS_ID_LEN + 1];
	char			 client[REQUEST_CLIENT_LEN];
	int			 ret = -1;

	memset(&in, 0, sizeof(in));
	if ((body = json_body(req, err)) == NULL)
		return -1;
	in.domain = request_param(req, "businessDomain");
	in.locale = request_header(req, "Accept-Language");
	if (request_client(req, client) == 0)
		in.client = client;
	if (strcmp(request_query(req, "source") != NULL ?
	    request_query(req, "source") : "", "invitation") == 0)
		in.source = REVIEW_SOURCE_THIRD_PARTY;
	if (reviews_input_json(body, &in, err) == 0) {
		if (db == NULL)
			db_fail(db, err);
		else if (reviews_submit(db, req->cfg, &in, id, err) == 0)
			ret = response_json(res, 202, json_pack("{s:s, s:s, "
			    "s:s}", "id", id, "status", "pending", "message",
			    "Check your e-mail to confirm your review"), err);
	}
	json_decref(body);
	return ret;
}

static const char sql_invited_insert[] =
    "INSERT INTO reviews (id, business_unit_id, consumer_id, sku, stars, "
    "  title, text, language, display_name, source, link_kind, "
    "  reference_id, referral_email, status, pub_seq, created_at, "
    "  updated_at, published_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'invitation', ?10, ?11, "
    "  ?12, 'published', (SELECT coalesce(max(pub_seq), 0) + 1 FROM "
    "  reviews), ?13, ?13, ?13)";
static const char sql_tag_generic[] =
    "INSERT OR IGNORE INTO review_tags (review_id, tag_group, tag_value) "
    "VALUES (?, 'generic', ?)";

int
reviews_create_invited(struct db *db, const struct invited_review *in,
    char id_out[IDS_ID_LEN + 1])
{
	struct db_stmt	*st = NULL;
	char		 consumer[IDS_ID_LEN + 1], id[IDS_ID_LEN + 1];
	char		 key[IDS_ID_LEN + 16];
	json_t		*tag;	/* borrowed */
	size_t		 i;
	int		 ret = -1;

	/* The business gave this address: the review gets a consumer of
	 * its own, never one a reviewer already has (see consumer_for), and
	 * mail to it goes to referral_email. */
	ids_new(id);
	snprintf(key, sizeof(key), "invited:%s", id);
	if (consumer_insert(db, key, in->name, NULL, consumer) == -1)
		return -1;
	st = db_prepare(db, sql_invited_insert);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, in->bu) == -1 ||
	    db_bind_text(st, 3, consumer) == -1 ||
	    db_bind_text(st, 4, in->sku) == -1 ||
	    db_bind_int(st, 5, in->stars) == -1 ||
	    db_bind_text(st, 6, in->title) == -1 ||
	    db_bind_text(st, 7, in->text) == -1 ||
	    db_bind_text(st, 8, in->language) == -1 ||
	    db_bind_text(st, 9, in->name) == -1 ||
	    db_bind_text(st, 10, in->link_kind) == -1 ||
	    db_bind_text(st, 11, in->reference) == -1 ||
	    db_bind_text(st, 12, in->email) == -1 ||
	    db_bind_int(st, 13, clock_now_ms()) == -1 ||
	    db_step(db, st) != DB_DONE)
		goto out;
	json_array_foreach(in->tags, i, tag) {
		db_release(st);
		st = db_prepare(db, sql_tag_generic);
		if (st == NULL || db_bind_text(st, 1, id) == -1 ||
		    db_bind_text(st, 2, json_string_value(tag)) == -1 ||
		    db_step(db, st) != DB_DONE)
			goto out;
	}
	db_release(st);
	st = db_prepare(db, sql_review_by_id);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_step(db, st) != DB_ROW ||
	    emit(db, st, "service-review-created",
	    "product-review-created") == -1)
		goto out;
	memcpy(id_out, id, sizeof(id));
	ret = 0;
out:
	db_release(st);
	return ret;
}

/* Confirmation and expiry. */

static const char sql_pending_by_hash[] =
    "SELECT r.id, r.status, r.confirm_expires_at, b.domain, "
    "  r.consumer_id, r.business_unit_id, r.sku, "
    "  r.status = 'expired' AND r.hidden_reason = 'duplicate' "
    "FROM reviews r JOIN business_units b ON b.id = r.business_unit_id "
    "WHERE r.confirm_hash = ?";
static const char sql_refuse_duplicate[] =
    "UPDATE reviews SET status = 'expired', hidden_reason = 'duplicate', "
    "  updated_at = ?1 WHERE id = ?2 AND status = 'pending'";

/* Whether the consumer already has a published review of this unit (or
 * SKU) inside the configured window: 1, 0, or -1 on a database error. */
static int
has_duplicate(struct db *db, const struct config *cfg, struct db_stmt *review)
{
	struct db_stmt	*st = db_prepare(db, sql_duplicate);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, db_text(review, 4)) == -1 ||
	    db_bind_text(st, 2, db_text(review, 5)) == -1 ||
	    db_bind_text(st, 3, db_is_null(review, 6) ? NULL :
	    db_text(review, 6)) == -1 ||
	    db_bind_int(st, 4, cfg->review_duplicate_days == 0 ?
	    INT64_MAX : clock_now_ms() - cfg->review_duplicate_days *
	    86400000) == -1 ||
	    db_bind_text(st, 5, db_text(review, 0)) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_release(st);
		return -1;
	}
	db_release(st);
	return rc == DB_ROW;
}
static const char sql_publish[] =
    "UPDATE reviews SET status = 'published', published_at = ?1, "
    "  updated_at = ?1, pub_seq = (SELECT coalesce(max(pub_seq), 0) + 1 "
    "  FROM reviews) WHERE id = ?2 AND status = 'pending'";

int
reviews_confirm(struct db *db, const struct config *cfg, const char *token,
    bool apply, enum review_confirm *result, char *domain_out,
    size_t domain_len)
{
	struct db_stmt	*st = NULL;
	char		 hash[IDS_HASH_LEN + 1], id[IDS_ID_LEN + 1];
	char		 status[16];
	int64_t		 now = clock_now_ms(), expires;
	int		 rc, ret = -1;

	*result = REVIEW_CONFIRM_UNKNOWN;
	if (strlen(token) != IDS_TOKEN_LEN)
		return 0;
	ids_token_hash(token, hash);
	if (apply && db_tx_begin(db) == -1)
		goto out;
	st = db_prepare(db, sql_pending_by_hash);
	if (st == NULL || db_bind_text(st, 1, hash) == -1 ||
	    (rc = db_step(db, st)) == -1)
		goto out;
	if (rc == DB_DONE) {
		ret = 0;
		goto out;
	}
	snprintf(id, sizeof(id), "%s", db_text(st, 0));
	snprintf(status, sizeof(status), "%s", db_text(st, 1));
	expires = db_int(st, 2);
	snprintf(domain_out, domain_len, "%s", db_text(st, 3));
	if ((int)db_int(st, 7) != 0) {
		*result = REVIEW_CONFIRM_DUPLICATE;
		ret = 0;
		goto out;
	}
	if (strcmp(status, "published") == 0) {
		*result = REVIEW_CONFIRMED;
		ret = 0;
		goto out;
	}
	if (strcmp(status, "expired") == 0 || expires <= now) {
		*result = REVIEW_CONFIRM_EXPIRED;
		ret = 0;
		goto out;
	}
	if (!apply) {
		*result = REVIEW_CONFIRM_PENDING;
		ret = 0;
		goto out;
	}
	if ((rc = has_duplicate(db, cfg, st)) == -1)
		goto out;
	db_release(st);
	st = NULL;
	if (rc == 1) {
		st = db_prepare(db, sql_refuse_duplicate);
		if (st == NULL || db_bind_int(st, 1, now) == -1 ||
		    db_bind_text(st, 2, id) == -1 ||
		    db_step(db, st) != DB_DONE || db_tx_commit(db) == -1)
			goto out;
		*result = REVIEW_CONFIRM_DUPLICATE;
		ret = 0;
		goto out;
	}
	st = db_prepare(db, sql_publish);
	if (st == NULL || db_bind_int(st, 1, now) == -1 ||
	    db_bind_text(st, 2, id) == -1 || db_step(db, st) != DB_DONE)
		goto out;
	db_release(st);
	st = db_prepare(db, sql_review_by_id);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_step(db, st) != DB_ROW ||
	    emit(db, st, "service-review-created",
	    "product-review-created") == -1)
		goto out;
	db_release(st);
	st = NULL;
	if (db_tx_commit(db) == -1)
		goto out;
	scheduler_wake();
	*result = REVIEW_CONFIRMED;
	ret = 0;
out:
	db_release(st);
	db_tx_rollback(db);	/* no-op after the commit */
	return ret;
}

static const char sql_expire[] =
    "UPDATE reviews SET status = 'expired', updated_at = ?1 "
    "WHERE status = 'pending' AND confirm_expires_at <= ?1";
/* A submitter's hash is kept only while the form's limit counts it. */
static const char sql_forget_submitters[] =
    "UPDATE reviews SET submitter = NULL "
    "WHERE submitter IS NOT NULL AND created_at <= ?1 - 86400000";
static const char sql_next_expiry[] =
    "SELECT min(confirm_expires_at) FROM reviews WHERE status = 'pending'";

/* Runs sql with now bound as ?1. 0 or -1. */
static int
run_at(struct db *db, const char *sql, int64_t now)
{
	struct db_stmt	*st = db_prepare(db, sql);
	int		 rc = -1;

	if (st != NULL && db_bind_int(st, 1, now) == 0)
		rc = db_step(db, st);
	db_release(st);
	return rc == DB_DONE ? 0 : -1;
}

static int64_t	reply_mail_job(struct db *db, int64_t now);

int64_t
reviews_job(struct db *db, int64_t now)
{
	struct db_stmt	*st;
	int64_t		 next = reply_mail_job(db, now), expiry;

	if (db_tx_begin(db) == 0) {
		if (run_at(db, sql_expire, now) == -1 ||
		    run_at(db, sql_forget_submitters, now) == -1 ||
		    db_tx_commit(db) == -1)
			db_tx_rollback(db);
	}
	st = db_prepare(db, sql_next_expiry);
	if (st != NULL && db_step(db, st) == DB_ROW &&
	    !db_is_null(st, 0) && (expiry = db_int(st, 0)) < next)
		next = expiry;
	db_release(st);
	return next;
}

/* Listing. */

/*
 * Every filter is a bound parameter that is NULL when not asked for, so
 * one statement per order serves every combination.
 *   ?1 unit  ?2 public only  ?3 product mode (0 service, 1 product)
 *   ?4 sku  ?5 stars (JSON array)  ?6 languages (JSON array)
 *   ?7 responded  ?8 tag group  ?9 tag value  ?10 include reported
 *   ?11 referenceId  ?12 referralEmail  ?13 reported  ?14 source
 *   ?15 contacted  ?16 from  ?17 to  ?18 on updatedAt  ?19 status
 *   ?20 after (cursor)  ?21 limit  ?22 offset
 */
/* Every list holds only reviews published at some point (pub_seq): one
 * never published was written under an address nobody proved. */
#define LIST_WHERE							\
	"WHERE r.business_unit_id = ?1 AND r.pub_seq IS NOT NULL "	\
	"AND (?2 = 0 OR (r.status = 'published' AND "			\
	"  r.hidden_reason IS NULL)) "					\
	"AND ((?3 = 0 AND r.sku IS NULL) OR (?3 = 1 AND r.sku IS NOT NULL)) " \
	"AND (?4 IS NULL OR r.sku = ?4) "				\
	"AND (?5 IS NULL OR r.stars IN (SELECT value FROM json_each(?5))) " \
	"AND (?6 IS NULL OR r.language IN (SELECT value FROM json_each(?6))) " \
	"AND (?7 IS NULL OR (r.reply_text IS NOT NULL) = ?7) "		\
	"AND ((?8 IS NULL AND ?9 IS NULL) OR EXISTS (SELECT 1 FROM "	\
	"  review_tags t WHERE t.review_id = r.id AND (?8 IS NULL OR "	\
	"  t.tag_group = ?8) AND (?9 IS NULL OR t.tag_value = ?9))) "	\
	"AND (?10 = 1 OR r.reported = 0) "				\
	"AND (?11 IS NULL OR r.reference_id = ?11) "			\
	"AND (?12 IS NULL OR (r.source = 'invitation' AND "		\
	"  r.referral_email = ?12 COLLATE NOCASE)) "			\
	"AND (?13 IS NULL OR r.reported = ?13) "			\
	"AND (?14 IS NULL OR r.source = ?14) "				\
	"AND (?15 IS NULL OR r.reviewer_contacted = ?15) "		\
	"AND (?16 IS NULL OR (CASE WHEN ?18 THEN r.updated_at "		\
	"  ELSE r.created_at END) >= ?16) "				\
	"AND (?17 IS NULL OR (CASE WHEN ?18 THEN r.updated_at "		\
	"  ELSE r.created_at END) <= ?17) "				\
	"AND (?19 IS NULL OR (CASE WHEN r.status = 'published' AND "	\
	"  r.hidden_reason IS NOT NULL THEN 'hidden' WHEN r.status = "	\
	"  'published' THEN 'active' ELSE r.status END) = ?19) "	\
	"AND (?20 IS NULL OR (CASE WHEN ?2 THEN r.pub_seq ELSE r.seq END) " \
	"  > ?20) "
/* Public lists (?2) skip the subqueries of what only private JSON shows:
 * CASE evaluates them only when taken. */
#define LIST_SQL(order)							\
	"SELECT " REVIEW_BASE_COLUMNS ", "				\
	"CASE WHEN ?2 THEN '[]' ELSE " REVIEW_TAGS " END, "		\
	"CASE WHEN ?2 THEN '[]' ELSE " REVIEW_THREAD " END, "		\
	REVIEW_REPORT REVIEW_FROM LIST_WHERE "ORDER BY " order		\
	" LIMIT ?21 OFFSET ?22"

static const struct {
	const char	*name;
	const char	*sql;
} orders[] = {
	{ "createdat.desc", LIST_SQL("r.created_at DESC, r.seq DESC") },
	{ "createdat.asc", LIST_SQL("r.created_at ASC, r.seq ASC") },
	{ "stars.desc", LIST_SQL("r.stars DESC, r.created_at DESC, "
	    "r.seq DESC") },
	{ "stars.asc", LIST_SQL("r.stars ASC, r.created_at DESC, "
	    "r.seq DESC") },
	/* the cursor: publication order for public lists */
	{ NULL, LIST_SQL("CASE WHEN ?2 THEN r.pub_seq ELSE r.seq END ASC") },
};

#define CURSOR_ORDER	4

enum list_mode {
	LIST_PUBLIC,
	LIST_PRIVATE
};

struct filters {
	const char	*bu;
	bool		 public_only;
	bool		 product;
	const char	*sku;
	char		 stars[32];	/* JSON array or "" */
	char		 languages[256];
	int		 responded;	/* -1: any */
	const char	*tag_group, *tag_value;
	bool		 include_reported;
	const char	*reference, *referral, *source, *status;
	int		 reported, contacted;	/* -1: any */
	int64_t		 from, to;		/* INT64_MIN/MAX: open */
	bool		 on_updated;
	size_t		 order;
	bool		 cursor;
	int64_t		 after;
	int64_t		 page, per_page;
};

static int
query_bool(const struct request *req, const char *name, int *out,
    struct api_error *err)
{
	const char	*v = request_query(req, name);

	if (v == NULL)
		return 0;
	if (strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "false") == 0)
		*out = 0;
	else {
		api_error_set(err, 400, name, "must be true or false");
		return -1;
	}
	return 0;
}

static int
query_time(const struct request *req, const char *name, int64_t *out,
    struct api_error *err)
{
	const char	*v = request_query(req, name);

	if (v != NULL && clock_parse(v, out) == -1) {
		api_error_set(err, 400, name, "must be a time such as "
		    "2013-09-07T13:37:00 or 09/07/2013 13:37:00");
		return -1;
	}
	return 0;
}

/* "4,5" -> "[4,5]" after checking each item with ok(). */
static int
query_list(const struct request *req, const char *name, char *out,
    size_t outlen, bool (*ok)(const char *, size_t), const char *what,
    struct api_error *err)
{
	const char	*v = request_query(req, name), *p, *comma;
	size_t		 used = 0, len;
	int		 n;

	out[0] = '\0';
	if (v == NULL)
		return 0;
	used = (size_t)snprintf(out, outlen, "[");
	for (p = v;; p = comma + 1) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (!ok(p, len)) {
			api_error_set(err, 400, name, "must be %s", what);
			return -1;
		}
		n = snprintf(out + used, outlen - used, "%s\"%.*s\"",
		    used > 1 ? "," : "", (int)len, p);
		if (n < 0 || (size_t)n >= outlen - used) {
			api_error_set(err, 400, name, "has too many values");
			return -1;
		}
		used += (size_t)n;
		if (comma == NULL)
			break;
	}
	if (used + 2 > outlen) {
		api_error_set(err, 400, name, "has too many values");
		return -1;
	}
	memcpy(out + used, "]", 2);
	return 0;
}

static bool
star_ok(const char *p, size_t len)
{
	return len == 1 && p[0] >= '1' && p[0] <= '5';
}

static bool
language_ok(const char *p, size_t len)
{
	return len == 2 && islower((unsigned char)p[0]) &&
	    islower((unsigned char)p[1]);
}

static int
one_of(const char *v, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++) {
		if (strcmp(v, *allowed) == 0)
			return 0;
	}
	return -1;
}

static int
read_filters(const struct request *req, enum list_mode mode, bool product,
    struct filters *f, struct api_error *err)
{
	static const char *const sources[] = { "organic", "invitation",
	    "third_party_invitation", NULL };
	static const char *const statuses[] = { "active", "hidden", NULL };
	const char	*v;
	size_t		 i;

	memset(f, 0, sizeof(f[0]));
	f->public_only = mode == LIST_PUBLIC;
	f->product = product;
	f->responded = f->reported = f->contacted = -1;
	f->from = INT64_MIN;
	f->to = INT64_MAX;
	f->page = 1;
	f->per_page = 20;
	f->sku = request_query(req, "sku");
	if (f->sku != NULL && (f->sku[0] == '\0' || strlen(f->sku) > SKU_MAX))
		api_error_set(err, 400, "sku", "must be 1 to %d characters",
		    SKU_MAX);
	query_list(req, "stars", f->stars, sizeof(f->stars), star_ok,
	    "1 to 5, comma-separated", err);
	query_list(req, "language", f->languages, sizeof(f->languages),
	    language_ok, "ISO 639-1 codes, comma-separated", err);
	query_bool(req, "responded", &f->responded, err);
	if ((v = request_query(req, "includeReportedReviews")) != NULL) {
		int	 b = 0;

		query_bool(req, "includeReportedReviews", &b, err);
		f->include_reported = b == 1;
	}
	f->order = 0;
	if ((v = request_query(req, "orderBy")) != NULL) {
		for (i = 0; i < CURSOR_ORDER; i++) {
			size_t	 n = strlen(orders[i].name);

			if (strncmp(v, orders[i].name, n) == 0 &&
			    (v[n] == '\0' || v[n] == ','))
				break;
		}
		if (i == CURSOR_ORDER)
			api_error_set(err, 400, "orderBy", "must be "
			    "createdat.asc, createdat.desc, stars.asc or "
			    "stars.desc");
		f->order = i;
	}
	request_query_int(req, "page", 1, INT32_MAX, &f->page, err);
	request_query_int(req, "perPage", 1, PAGE_MAX, &f->per_page, err);
	if ((v = request_query(req, "pageToken")) != NULL) {
		char	*end;

		f->cursor = true;
		f->order = CURSOR_ORDER;
		f->after = 0;
		if (v[0] != '\0') {
			f->after = v[0] == 'c' ? strtoll(v + 1, &end, 10) : -1;
			if (v[0] != 'c' || *end != '\0' || f->after < 0)
				api_error_set(err, 400, "pageToken", "is not a "
				    "token this server gave out");
		}
	}
	/* Tags are the business's private notes: a public list accepts
	 * tagGroup and tagValue, as Trustpilot documents them, and ignores
	 * them, so nobody can probe which reviews carry which tag. */
	if (mode == LIST_PUBLIC)
		return err->status != 0 ? -1 : 0;
	f->tag_group = request_query(req, "tagGroup");
	f->tag_value = request_query(req, "tagValue");
	f->reference = request_query(req, "referenceId");
	f->referral = request_query(req, "referralEmail");
	query_bool(req, "reported", &f->reported, err);
	if ((f->source = request_query(req, "source")) != NULL &&
	    one_of(f->source, sources) == -1)
		api_error_set(err, 400, "source", "must be organic, invitation "
		    "or third_party_invitation");
	if ((f->status = request_query(req, "status")) != NULL &&
	    one_of(f->status, statuses) == -1)
		api_error_set(err, 400, "status", "must be active or hidden "
		    "(a review never published is not shown)");
	if ((v = request_query(req, "findReviewer")) != NULL) {
		if (strcmp(v, "contacted") == 0)
			f->contacted = 1;
		else if (strcmp(v, "notContacted") == 0)
			f->contacted = 0;
		else
			api_error_set(err, 400, "findReviewer", "must be "
			    "contacted or notContacted");
	}
	query_time(req, "startDateTime", &f->from, err);
	query_time(req, "endDateTime", &f->to, err);
	if ((v = request_query(req, "dateField")) != NULL) {
		if (strcmp(v, "updatedAt") == 0)
			f->on_updated = true;
		else if (strcmp(v, "createdAt") != 0)
			api_error_set(err, 400, "dateField", "must be "
			    "createdAt or updatedAt");
	}
	/* includeReportedReviews is meaningless privately:
	 * the business sees its reported reviews unless it filters them. */
	f->include_reported = true;
	return err->status != 0 ? -1 : 0;
}

static int
bind_opt_int(struct db_stmt *st, int idx, int v)
{
	return v < 0 ? db_bind_null(st, idx) :
	    db_bind_int(st, idx, v);
}

static int
bind_filters(struct db_stmt *st, const struct filters *f)
{
	return db_bind_text(st, 1, f->bu) == -1 ||
	    db_bind_int(st, 2, f->public_only) == -1 ||
	    db_bind_int(st, 3, f->product) == -1 ||
	    db_bind_text(st, 4, f->sku) == -1 ||
	    db_bind_text(st, 5, f->stars[0] ? f->stars : NULL) == -1 ||
	    db_bind_text(st, 6, f->languages[0] ? f->languages : NULL) == -1 ||
	    bind_opt_int(st, 7, f->responded) == -1 ||
	    db_bind_text(st, 8, f->tag_group) == -1 ||
	    db_bind_text(st, 9, f->tag_value) == -1 ||
	    db_bind_int(st, 10, f->include_reported) == -1 ||
	    db_bind_text(st, 11, f->reference) == -1 ||
	    db_bind_text(st, 12, f->referral) == -1 ||
	    bind_opt_int(st, 13, f->reported) == -1 ||
	    db_bind_text(st, 14, f->source) == -1 ||
	    bind_opt_int(st, 15, f->contacted) == -1 ||
	    (f->from == INT64_MIN ? db_bind_null(st, 16) :
	    db_bind_int(st, 16, f->from)) == -1 ||
	    (f->to == INT64_MAX ? db_bind_null(st, 17) :
	    db_bind_int(st, 17, f->to)) == -1 ||
	    db_bind_int(st, 18, f->on_updated) == -1 ||
	    db_bind_text(st, 19, f->status) == -1 ||
	    (f->cursor ? db_bind_int(st, 20, f->after) :
	    db_bind_null(st, 20)) == -1 ||
	    db_bind_int(st, 21, f->per_page + 1) == -1 ||
	    db_bind_int(st, 22, f->cursor ? 0 :
	    (f->page - 1) * f->per_page) == -1 ? -1 : 0;
}

/* Runs the listing for f and writes the whole answer into out:
 * {"links", key: [...], "nextPageToken" (cursor paging)}. */
static int
run_list(struct db *db, const struct request *req, const struct filters *f,
    const char *key, struct buf *out, struct api_error *err)
{
	struct db_stmt		*st = db_prepare(db, orders[f->order].sql);
	struct buf		 items;
	struct json_writer	 w, iw;
	json_t			*links = json_array();
	int64_t			 n = 0, last = f->after;
	char			 value[32];
	int			 rc, ret = -1;
	bool			 more = false;

	buf_init(&items, LIST_JSON_MAX);
	json_writer_init(&iw, &items);
	json_writer_array(&iw, NULL);
	if (st == NULL || links == NULL || bind_filters(st, f) == -1)
		goto out;
	while ((rc = db_step(db, st)) == DB_ROW) {
		if (n++ == f->per_page) {
			more = true;
			break;
		}
		last = db_int(st, f->public_only ? C_PUB_SEQ :
		    C_SEQ);
		review_write(&iw, st, req->cfg->public_url, !f->public_only);
	}
	json_writer_end(&iw);
	if (rc != -1 && json_writer_finish(&iw) == -1)
		api_error_set(err, 500, NULL, "Internal error");
	if (rc == -1 || err->status != 0)
		goto out;
	db_release(st);
	st = NULL;
	if (f->cursor)
		snprintf(value, sizeof(value), "c%lld", (long long)last);
	else
		snprintf(value, sizeof(value), "%lld", (long long)f->page + 1);
	if (more && json_array_append_new(links, request_next_page_link(req,
	    f->cursor ? "pageToken" : "page", value)) == -1)
		goto out;
	json_writer_init(&w, out);
	json_writer_object(&w, NULL);
	json_writer_value(&w, "links", links);
	json_writer_raw(&w, key, items.data);
	if (f->cursor)
		json_writer_string(&w, "nextPageToken", value);
	json_writer_end(&w);
	if ((ret = json_writer_finish(&w)) == -1)
		api_error_set(err, 500, NULL, "Internal error");
out:
	db_release(st);
	json_decref(links);
	buf_release(&items);
	if (ret == -1)
		db_fail(db, err);	/* the first status set wins */
	return ret;
}

static const char sql_unit_known[] =
    "SELECT 1 FROM business_units WHERE id = ?";

/* An unknown unit is a 404, not an empty list. */
static int
unit_known(struct db *db, const char *bu, struct api_error *err)
{
	struct db_stmt	*st = db_prepare(db, sql_unit_known);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_release(st);
		db_fail(db, err);
		return -1;
	}
	db_release(st);
	if (rc == DB_DONE) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	return 0;
}

static int
list(struct request *req, struct response *res, struct api_error *err,
    enum list_mode mode, bool product)
{
	struct db	*db = db_thread();
	struct filters	 f;
	struct buf	 body;
	const char	*bu = request_param(req, "businessUnitId");
	int		 ret;

	if (mode == LIST_PRIVATE && auth_business_unit(req, &bu, err) == -1)
		return -1;
	if (bu == NULL || !ids_valid(bu)) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	if (read_filters(req, mode, product, &f, err) == -1)
		return -1;
	if (product && mode == LIST_PUBLIC && f.sku == NULL) {
		api_error_set(err, 400, "sku", "is required");
		return -1;
	}
	f.bu = bu;
	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (unit_known(db, bu, err) == -1)
		return -1;
	buf_init(&body, LIST_JSON_MAX + 4096);
	ret = run_list(db, req, &f, product ? "productReviews" : "reviews",
	    &body, err);
	if (ret == 0)
		ret = response_json_text(res, 200, &body, err);
	buf_release(&body);
	return ret;
}

int
reviews_list_public(struct request *req, struct response *res,
    struct api_error *err)
{
	return list(req, res, err, LIST_PUBLIC, false);
}

int
reviews_list_product_public(struct request *req, struct response *res,
    struct api_error *err)
{
	return list(req, res, err, LIST_PUBLIC, true);
}

int
reviews_list_private(struct request *req, struct response *res,
    struct api_error *err)
{
	return list(req, res, err, LIST_PRIVATE, false);
}

int
reviews_list_product_private(struct request *req, struct response *res,
    struct api_error *err)
{
	return list(req, res, err, LIST_PRIVATE, true);
}

static int
get_one(struct request *req, struct response *res, struct api_error *err,
    bool private, int product)
{
	struct db	*db = db_thread();
	struct db_stmt	*st;
	const char	*id = request_param(req, "reviewId");
	int		 r;

	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (load(db, req, id, !private, &st, err) == -1)
		return -1;
	if (product >= 0 && (!db_is_null(st, C_SKU)) !=
	    (product == 1)) {
		db_release(st);
		api_error_set(err, 404, NULL, "Review not found");
		return -1;
	}
	r = respond_review(res, 200, st, req->cfg->public_url, private, err);
	db_release(st);
	return r;
}

int
reviews_get_public(struct request *req, struct response *res,
    struct api_error *err)
{
	return get_one(req, res, err, false, -1);
}

int
reviews_get_private(struct request *req, struct response *res,
    struct api_error *err)
{
	return get_one(req, res, err, true, -1);
}

int
reviews_get_product_private(struct request *req, struct response *res,
    struct api_error *err)
{
	return get_one(req, res, err, true, 1);
}

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
own_review(struct db *db, const struct request *req, char id[IDS_ID_LEN + 1],
    struct api_error *err)
{
	struct db_stmt	*st;

	if (load(db, req, request_param(req, "reviewId"), false, &st,
	    err) == -1)
		return -1;
	snprintf(id, IDS_ID_LEN + 1, "%s", db_text(st, C_ID));
	db_release(st);
	return 0;
}

static int
reply_tags(struct db *db, const char *id, struct response *res,
    struct api_error *err)
{
	struct db_stmt	*st = db_prepare(db, sql_tags_of);
	json_t		*tags = json_array();	/* owned */
	int		 rc;

	if (st == NULL || tags == NULL || db_bind_text(st, 1, id) == -1)
		goto fail;
	while ((rc = db_step(db, st)) == DB_ROW) {
		if (json_array_append_new(tags, json_pack("{s:s, s:s}",
		    "group", db_text(st, 0), "value", db_text(st, 1))) == -1)
			goto fail;
	}
	if (rc == -1)
		goto fail;
	db_release(st);
	return response_json(res, 200, json_pack("{s:o}", "tags", tags), err);
fail:
	db_release(st);
	json_decref(tags);
	db_fail(db, err);
	return -1;
}

int
reviews_tags_get(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	char		 id[IDS_ID_LEN + 1];

	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (own_review(db, req, id, err) == -1)
		return -1;
	return reply_tags(db, id, res, err);
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

	if (!json_is_array(tags) || json_array_size(tags) > TAGS_MAX) {
		api_error_set(err, 400, "tags", "must be an array of at most "
		    "%d {group, value} objects", TAGS_MAX);
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
		    utf8_length(s) > TAG_MAX)
			api_error_set(err, 400, field, "must be 1 to %d "
			    "characters", TAG_MAX);
		snprintf(field, sizeof(field), "tags[%zu].value", i);
		s = json_string_value(json_object_get(t, "value"));
		if (s == NULL || utf8_length(s) == 0 ||
		    utf8_length(s) > TAG_MAX)
			api_error_set(err, 400, field, "must be 1 to %d "
			    "characters", TAG_MAX);
	}
	return err->status != 0 ? NULL : tags;
}

static int
write_tags(struct request *req, struct response *res, struct api_error *err,
    bool replace)
{
	struct db	*db = db_thread();
	json_t		*body = NULL, *tags, *t;	/* owned; borrowed */
	struct db_stmt	*st = NULL;
	char		 id[IDS_ID_LEN + 1];
	size_t		 i;
	int		 ret = -1;

	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (own_review(db, req, id, err) == -1 ||
	    (body = json_body(req, err)) == NULL ||
	    (tags = read_tags(body, err)) == NULL)
		goto out;
	if (db_tx_begin(db) == -1)
		goto dberr;
	if (replace) {
		st = db_prepare(db, sql_tags_clear);
		if (st == NULL || db_bind_text(st, 1, id) == -1 ||
		    db_step(db, st) != DB_DONE)
			goto dberr;
		db_release(st);
	}
	json_array_foreach(tags, i, t) {
		st = db_prepare(db, sql_tag_add);
		if (st == NULL || db_bind_text(st, 1, id) == -1 ||
		    db_bind_text(st, 2, json_string_value(json_object_get(t,
		    "group"))) == -1 || db_bind_text(st, 3,
		    json_string_value(json_object_get(t, "value"))) == -1 ||
		    db_step(db, st) != DB_DONE)
			goto dberr;
		db_release(st);
	}
	st = db_prepare(db, sql_tag_count);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_step(db, st) != DB_ROW)
		goto dberr;
	if ((int)db_int(st, 0) > TAGS_MAX) {
		api_error_set(err, 400, "tags", "a review may carry at most %d "
		    "tags", TAGS_MAX);
		goto out;
	}
	db_release(st);
	st = NULL;
	if (db_tx_commit(db) == -1)
		goto dberr;
	ret = reply_tags(db, id, res, err);
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	if (ret == -1)
		db_tx_rollback(db);
	json_decref(body);
	return ret;
}

int
reviews_tags_replace(struct request *req, struct response *res,
    struct api_error *err)
{
	return write_tags(req, res, err, true);
}

int
reviews_tags_append(struct request *req, struct response *res,
    struct api_error *err)
{
	return write_tags(req, res, err, false);
}

int
reviews_tags_delete(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	const char	*group = request_query(req, "group");
	const char	*value = request_query(req, "value");
	struct db_stmt	*st = NULL;
	char		 id[IDS_ID_LEN + 1];

	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (own_review(db, req, id, err) == -1)
		return -1;
	if (group == NULL || group[0] == '\0') {
		api_error_set(err, 400, "group", "is required");
		return -1;
	}
	if (db_tx_begin(db) == -1 || (st = db_prepare(db,
	    sql_tag_delete)) == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, group) == -1 ||
	    db_bind_text(st, 3, value) == -1 ||
	    db_bind_text(st, 4, value) == -1 ||
	    db_step(db, st) != DB_DONE || db_tx_commit(db) == -1) {
		db_release(st);
		db_tx_rollback(db);
		db_fail(db, err);
		return -1;
	}
	db_release(st);
	return reply_tags(db, id, res, err);
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
static const char sql_reply_undue[] =
    "UPDATE reviews SET reply_mail_due_at = NULL WHERE id = ?1";
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
	struct db_stmt	*st = db_prepare(db, sql_reply_mail_claim);
	char		 link[URL_LEN * 2];
	char		 email[MAILER_ADDRESS_MAX + 1], name[512], language[8];
	char		 bu[IDS_ID_LEN + 1];
	json_t		*vars;	/* owned */
	int		 r;

	if (st == NULL || db_bind_int(st, 1, clock_now_ms()) == -1 ||
	    db_bind_text(st, 2, id) == -1 ||
	    (r = db_step(db, st)) == -1) {
		db_release(st);
		db_fail(db, err);
		return -1;
	}
	db_release(st);
	if (r == DB_DONE) {
		/* mailed less than a day ago: when that day is over */
		st = db_prepare(db, sql_reply_mail_defer);
		r = st != NULL && db_bind_text(st, 1, id) == 0 ?
		    db_step(db, st) : -1;
		db_release(st);
		if (r != DB_DONE) {
			db_fail(db, err);
			return -1;
		}
		return 0;
	}
	st = db_prepare(db, sql_reviewer_address);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_step(db, st) != DB_ROW) {
		db_release(st);
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
	snprintf(link, sizeof(link), "%s/b/%s#review-%s",
	    reviews_cfg->public_url, db_text(st, 4), id);
	vars = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "business",
	    db_text(st, 3), "reply", message, "link", link);
	db_release(st);
	if (vars == NULL) {
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	r = queue_mail(db, bu, email, name, "review-reply", language, vars,
	    err);
	json_decref(vars);
	return r;
}

/* Mails the reply of review id as it reads now, if it still has one. */
static int
mail_due_reply(struct db *db, const char *id)
{
	struct db_stmt		*st = db_prepare(db, sql_reply_text);
	struct api_error	 err;
	char			*text = NULL;
	int			 rc, ret = -1;

	memset(&err, 0, sizeof(err));
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    (rc = db_step(db, st)) == -1)
		goto out;
	if (rc == DB_ROW && !db_is_null(st, 0) &&
	    (text = strdup(db_text(st, 0))) == NULL)
		goto out;
	db_release(st);
	st = db_prepare(db, sql_reply_undue);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_step(db, st) != DB_DONE ||
	    (text != NULL && mail_reply(db, id, text, &err) == -1))
		goto out;
	ret = 0;
out:
	db_release(st);
	free(text);
	return ret;
}

/* When the next deferred reply e-mail is due; INT64_MAX for none. */
static int64_t
next_reply_due(struct db *db)
{
	struct db_stmt	*st = db_prepare(db, sql_next_reply_due);
	int64_t		 next = INT64_MAX;

	if (st != NULL && db_step(db, st) == DB_ROW && !db_is_null(st, 0))
		next = db_int(st, 0);
	db_release(st);
	return next;
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
	if ((next = next_reply_due(db)) > now)
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
		st = db_prepare(db, sql_reply_later);
		if (st == NULL || db_bind_text(st, 1, ids[i]) == -1 ||
		    db_bind_int(st, 2, now + 3600000) == -1 ||
		    db_step(db, st) != DB_DONE)
			log_warn("reviews: review=%s keeps its due time",
			    ids[i]);
		db_release(st);
	}
	if (n > 0)
		scheduler_wake();
	return next_reply_due(db);
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
		r = request_form_value(req->body, req->body_len, names[i], v, cap);
		if (r == -2)
			api_error_set(err, 400, names[i], "is not UTF-8 text or "
			    "is too long");
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
		api_error_set(err, 500, NULL, "Internal error");
	return o;
}

int
reviews_reply(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	struct db_stmt	*st = NULL;
	json_t		*body = NULL;	/* owned */
	const char	*ctype = request_header(req, "Content-Type");
	const char	*message = NULL, *author = NULL;
	char		 id[IDS_ID_LEN + 1];
	bool		 created;
	int		 ret = -1;

	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (own_review(db, req, id, err) == -1)
		return -1;
	/* Trustpilot's own Slack app posts a form; the docs show JSON. Both
	 * go through the same checks. */
	if (ctype != NULL && strncasecmp(ctype,
	    "application/x-www-form-urlencoded", 33) == 0)
		body = reply_form(req, err);
	else
		body = json_body(req, err);
	if (body != NULL && err->status == 0) {
		json_read_string(body, "message", true, 1, REPLY_MAX, &message,
		    err);
		json_read_string(body, "authorBusinessUserId", false, 1, 64,
		    &author, err);
	}
	if (err->status != 0)
		goto out;
	if (author == NULL && req->principal.user_id[0] != '\0')
		author = req->principal.user_id;
	if (db_tx_begin(db) == -1 || load(db, req, id, false, &st, err) == -1)
		goto out;
	if (strcmp(db_text(st, C_STATUS), "active") != 0 &&
	    strcmp(db_text(st, C_STATUS), "hidden") != 0) {
		api_error_set(err, 409, NULL, "Only published reviews can be "
		    "replied to; this one is %s", db_text(st, C_STATUS));
		goto out;
	}
	created = db_is_null(st, C_REPLY);
	db_release(st);
	st = db_prepare(db, sql_reply_set);
	if (st == NULL || db_bind_text(st, 1, message) == -1 ||
	    db_bind_text(st, 2, author) == -1 ||
	    db_bind_int(st, 3, clock_now_ms()) == -1 ||
	    db_bind_text(st, 4, id) == -1 || db_step(db, st) != DB_DONE)
		goto dberr;
	db_release(st);
	st = NULL;
	if (mail_reply(db, id, message, err) == -1 ||
	    load(db, req, id, false, &st, err) == -1)
		goto out;
	if (emit(db, st, created ? "review-reply-created" :
	    "service-review-updated", created ? "review-reply-created" :
	    "product-review-updated") == -1)
		goto dberr;
	/* an error set after this (the commit) replaces the answer */
	if (respond_review(res, created ? 201 : 200, st, req->cfg->public_url,
	    true, err) == -1)
		goto out;
	db_release(st);
	st = NULL;
	if (db_tx_commit(db) == -1)
		goto dberr;
	scheduler_wake();
	ret = 0;
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	if (ret == -1)
		db_tx_rollback(db);
	json_decref(body);
	return ret;
}

int
reviews_reply_delete(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	struct db_stmt	*st = NULL;
	char		 id[IDS_ID_LEN + 1];
	int		 ret = -1;

	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (own_review(db, req, id, err) == -1)
		return -1;
	if (db_tx_begin(db) == -1 ||
	    (st = db_prepare(db, sql_reply_clear)) == NULL ||
	    db_bind_int(st, 1, clock_now_ms()) == -1 ||
	    db_bind_text(st, 2, id) == -1 || db_step(db, st) != DB_DONE)
		goto dberr;
	if (db_changes(db) == 0) {
		api_error_set(err, 404, NULL, "This review has no reply");
		goto out;
	}
	db_release(st);
	st = NULL;
	if (load(db, req, id, false, &st, err) == -1)
		goto out;
	if (emit(db, st, "service-review-updated",
	    "product-review-updated") == -1)
		goto dberr;
	db_release(st);
	st = NULL;
	if (db_tx_commit(db) == -1)
		goto dberr;
	scheduler_wake();
	ret = response_json(res, 200, json_pack("{s:s, s:n}", "id", id,
	    "companyReply"), err);
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	if (ret == -1)
		db_tx_rollback(db);
	return ret;
}

/* Pages. */

int
reviews_page_data(struct db *db, const char *domain, int64_t page,
    int64_t per_page, json_t **out, struct api_error *err)
{
	struct filters	 f;
	struct db_stmt	*st = NULL;
	json_t		*items = json_array();	/* owned */
	char		 bu[IDS_ID_LEN + 1];
	int64_t		 n = 0;
	bool		 more = false;
	int		 rc;

	memset(&f, 0, sizeof(f));
	st = db_prepare(db, sql_unit_by_domain);
	if (items == NULL || st == NULL || db_bind_text(st, 1, domain) == -1 ||
	    (rc = db_step(db, st)) == -1)
		goto fail;
	if (rc == DB_DONE) {
		db_release(st);
		json_decref(items);
		api_error_set(err, 404, NULL, "No business with this domain");
		return -1;
	}
	snprintf(bu, sizeof(bu), "%s", db_text(st, 0));
	db_release(st);
	f.bu = bu;
	f.public_only = true;
	/* a report that does not hide the review leaves it on the page */
	f.include_reported = true;
	f.responded = f.reported = f.contacted = -1;
	f.from = INT64_MIN;
	f.to = INT64_MAX;
	f.page = page;
	f.per_page = per_page;
	st = db_prepare(db, orders[0].sql);
	if (st == NULL || bind_filters(st, &f) == -1)
		goto fail;
	while ((rc = db_step(db, st)) == DB_ROW) {
		if (n++ == per_page) {
			more = true;
			break;
		}
		if (json_array_append_new(items, page_review_json(st)) == -1)
			goto fail;
	}
	if (rc == -1)
		goto fail;
	db_release(st);
	*out = json_pack("{s:s, s:o, s:b}", "businessUnitId", bu, "reviews",
	    items, "hasMore", more);
	return *out == NULL ? -1 : 0;
fail:
	db_release(st);
	json_decref(items);
	db_fail(db, err);
	return -1;
}

/* Erasure of one reviewer, by the operator. */

static const char sql_erase_reviews_of[] =
    "UPDATE reviews SET display_name = 'Anonymous', anonymous = 1, "
    "  country = '' WHERE consumer_id IN (SELECT id FROM consumers WHERE "
    "  email = ?1)";
static const char sql_identity_ids[] =
    "SELECT json_group_array(id) FROM consumers WHERE email = ?1";
static const char sql_erase_identity[] =
    "UPDATE consumers SET email = 'erased:' || id, display_name = "
    "  'Anonymous', country = '' WHERE email = ?1";

int
reviews_erase_reviewer(struct db *db, const char *email, size_t *reviews)
{
	struct db_stmt	*st = db_prepare(db, sql_erase_reviews_of);

	*reviews = 0;
	if (st == NULL || db_bind_text(st, 1, email) == -1 ||
	    db_step(db, st) != DB_DONE) {
		db_release(st);
		return -1;
	}
	db_release(st);
	*reviews = (size_t)db_changes(db);
	st = db_prepare(db, sql_identity_ids);
	if (st == NULL || db_bind_text(st, 1, email) == -1 ||
	    db_step(db, st) != DB_ROW ||
	    webhooks_anonymise_consumers(db, db_text(st, 0)) == -1) {
		db_release(st);
		return -1;
	}
	db_release(st);
	st = db_prepare(db, sql_erase_identity);
	if (st == NULL || db_bind_text(st, 1, email) == -1 ||
	    db_step(db, st) != DB_DONE) {
		db_release(st);
		return -1;
	}
	db_release(st);
	return 0;
}

/* for erasure: a business erases the reviews its invitations brought */

/*
 * A business erases what it gave: the address and what came of it, the
 * reviews written through its invitations (each with a consumer of its
 * own; anonymised before the address that finds them goes). Organic
 * reviews belong to their writers, who proved their address: a business
 * typing an address must neither see which of them change nor cut their
 * writers off from replies and Find Reviewer.
 */
static const char sql_erase_invited_consumers[] =
    "UPDATE consumers SET display_name = 'Anonymous', country = '' "
    "WHERE id IN (SELECT consumer_id FROM reviews WHERE business_unit_id = "
    "  ?1 AND source = 'invitation' AND referral_email = ?2 COLLATE NOCASE)";
static const char sql_invited_consumers[] =
    "SELECT json_group_array(consumer_id) FROM reviews WHERE "
    "  business_unit_id = ?1 AND source = 'invitation' AND "
    "  referral_email = ?2 COLLATE NOCASE";
static const char sql_erase_invited[] =
    "UPDATE reviews SET referral_email = NULL, display_name = 'Anonymous', "
    "  anonymous = 1 WHERE business_unit_id = ?1 AND source = 'invitation' "
    "  AND referral_email = ?2 COLLATE NOCASE";

/* Runs sql with the text parameters a and b, no rows. 0 or -1. */
static int
run_text2(struct db *db, const char *sql, const char *a, const char *b)
{
	struct db_stmt	*st = db_prepare(db, sql);
	int		 rc = -1;

	if (st != NULL && db_bind_text(st, 1, a) == 0 &&
	    db_bind_text(st, 2, b) == 0)
		rc = db_step(db, st);
	db_release(st);
	return rc == DB_DONE ? 0 : -1;
}

int
reviews_erase_invited(struct db *db, const char *bu, const char *email)
{
	struct db_stmt	*st;

	if (run_text2(db, sql_erase_invited_consumers, bu, email) == -1)
		return -1;
	/* the names in webhook events still waiting or kept, too */
	st = db_prepare(db, sql_invited_consumers);
	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    db_bind_text(st, 2, email) == -1 || db_step(db, st) != DB_ROW ||
	    webhooks_anonymise_consumers(db, db_text(st, 0)) == -1) {
		db_release(st);
		return -1;
	}
	db_release(st);
	return run_text2(db, sql_erase_invited, bu, email);
}
