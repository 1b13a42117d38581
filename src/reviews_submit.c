/*
 * reviews_submit: what reviewers write. Organic (and third-party invited)
 * submissions are stored pending and confirmed from the reviewer's
 * mailbox; reviews written through our invitations are stored published.
 * Owns the consumers table (a reviewer's identity) and its erasure. HTTP
 * worker threads; reviews_create_invited also the scheduler's.
 *
 * One review per person counts only what the person proved (see
 * sql_duplicate). The reviewer's e-mail is read only to send them mail.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/json.h"
#include "reviewd/mailer.h"
#include "reviewd/reviews.h"
#include "reviewd/reviews_edit.h"
#include "reviewd/reviews_json.h"
#include "reviewd/scheduler.h"
#include "reviewd/webhooks.h"

#define TITLE_MAX	100
#define TEXT_MAX	5000
#define NAME_MAX_CHARS	100
#define SKU_MAX		100

static const char *const source_names[] = {
	[REVIEW_SOURCE_ORGANIC] = "organic",
	[REVIEW_SOURCE_INVITATION] = "invitation",
	[REVIEW_SOURCE_THIRD_PARTY] = "third_party_invitation",
};

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

/* The earliest date of experience taken: the start (UTC) of the day
 * REVIEWS_EXPERIENCE_MAX_AGE_MS ago, the first day the form offers. */
static int64_t
oldest_experience(void)
{
	int64_t	 t = clock_now_ms() - REVIEWS_EXPERIENCE_MAX_AGE_MS;

	return t - t % 86400000;
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
	    in->experienced_at > clock_now_ms() ||
	    in->experienced_at < oldest_experience()))
		api_error_set(err, 400, "experiencedAt", "must be a date of "
		    "the last 5 years, not in the future");
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

static const char sql_consumer_insert[] =
    "INSERT INTO consumers (id, email, display_name, country, created_at) "
    "VALUES (?, ?, ?, ?, ?)";
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

static int
consumer_insert(struct db *db, const char *email, const char *name,
    const char *country, char id[IDS_ID_LEN + 1])
{
	ids_new(id);
	return db_run(db, sql_consumer_insert, "ssssi", id, email, name,
	    country != NULL ? country : "", clock_now_ms());
}

static const char sql_consumer_by_email[] =
    "SELECT id FROM consumers WHERE email = ?";

/* Finds or creates the consumer of an e-mail address. Only for addresses
 * the reviewer proves by opening our mail (organic reviews publish on
 * confirmation): a consumer joins the reviews of one person, so joining on
 * an address someone else typed would tell them who wrote what. */
static int
consumer_for(struct db *db, const char *email, const char *name,
    const char *country, char id[IDS_ID_LEN + 1])
{
	int	 rc;

	rc = db_one_text(db, sql_consumer_by_email, id, IDS_ID_LEN + 1, "s",
	    email);
	if (rc != DB_DONE)
		return rc == DB_ROW ? 0 : -1;
	return consumer_insert(db, email, name, country, id);
}

static const char sql_product_exists[] =
    "SELECT 1 FROM products WHERE business_unit_id = ? AND sku = ?";

/* Whether unit bu's catalogue has sku: 0 or -1 (see db_fail). */
static int
product_known(struct db *db, const char *bu, const char *sku, bool *found)
{
	int	 rc;

	rc = db_exists(db, sql_product_exists, "ss", bu, sku);
	if (rc == -1)
		return -1;
	*found = rc == DB_ROW;
	return 0;
}

static const char sql_unit_by_domain[] =
    "SELECT id, display_name, default_locale FROM business_units "
    "WHERE domain = ?";

/*
 * The unit a submission names by domain, and the language of the review:
 * the reviewer's, else the page's, else the unit's, else English. 0, or
 * -1 with err set (404 for an unknown domain).
 */
static int
submission_unit(struct db *db, const struct review_input *in,
    char bu[IDS_ID_LEN + 1], char bu_name[256], char language[3],
    struct api_error *err)
{
	struct db_stmt	*st;
	int		 rc;

	rc = db_row(db, sql_unit_by_domain, &st, "s", in->domain);
	if (rc != DB_ROW) {
		if (rc == -1)
			db_fail(db, err);
		else
			api_error_set(err, 404, NULL, "No business with this "
			    "domain");
		return -1;
	}
	snprintf(bu, IDS_ID_LEN + 1, "%s", db_text(st, 0));
	snprintf(bu_name, 256, "%s", db_text(st, 1));
	if (in->language != NULL)
		snprintf(language, 3, "%s", in->language);
	else {
		language_of(in->locale, language);
		if (language[0] == '\0')
			language_of(db_text(st, 2), language);
		if (language[0] == '\0')
			snprintf(language, 3, "en");
	}
	db_release(st);
	return 0;
}

/* Unconfirmed submissions of an address from the last 24 hours, in all
 * and from one client. Only unconfirmed ones: what the owner of the
 * address did is not for whoever types it to learn. */
static const char sql_recent_submissions[] =
    "SELECT count(*), coalesce(sum(CASE WHEN submitter IS NOT DISTINCT "
    "  FROM ?3 THEN 1 ELSE 0 END), 0) FROM reviews "
    "WHERE consumer_id = ?1 AND status = 'pending' AND created_at > ?2";

/*
 * Each submission mails the address: the form must not become a way to
 * flood someone's inbox. The limit is per client (submitter, NULL when
 * unknown) first, so that whoever types someone's address cannot use it
 * up and so stop its owner's own review; a larger one for the address in
 * all bounds what many clients together can send. 0, or -1 with err set
 * (429 over a limit).
 */
static int
within_limits(struct db *db, const struct config *cfg, const char *consumer,
    const char *submitter, int64_t now, struct api_error *err)
{
	struct db_stmt	*st;

	if (db_row(db, sql_recent_submissions, &st, "sis", consumer,
	    now - 86400000, submitter) != DB_ROW) {
		db_fail(db, err);
		return -1;
	}
	if (db_int(st, 1) >= cfg->review_submissions_per_day ||
	    db_int(st, 0) >= cfg->review_submissions_per_day_all) {
		db_release(st);
		api_error_set(err, 429, "email", "has too many unconfirmed "
		    "reviews from the last 24 hours; confirm one from its "
		    "e-mail or try again tomorrow");
		api_error_header(err, "Retry-After", "86400");
		return -1;
	}
	db_release(st);
	return 0;
}

/* One statement: each statement on reviews (its triggers) journals the
 * pages it changes again, for its own rollback. */
static const char sql_review_insert[] =
    "INSERT INTO reviews (id, business_unit_id, consumer_id, sku, stars, "
    "  title, text, language, experienced_at, display_name, anonymous, "
    "  country, source, status, confirm_hash, confirm_expires_at, "
    "  created_at, updated_at, submitter, edit_hash, edit_expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, nullif(?9, 0), ?10, ?11, ?12, "
    "  ?13, 'pending', ?14, ?15, ?16, ?16, ?17, ?18, ?19)";

/* Stores in as a pending review of consumer, confirmed by the token of
 * hash, edited with the token of edit_hash (reviews_edit.h), and writes
 * its id. 0 or -1 (see db_fail). */
static int
insert_pending(struct db *db, const struct config *cfg,
    const struct review_input *in, const char *bu, const char *consumer,
    const char *language, const char *hash, const char *submitter,
    const char *edit_hash, int64_t edit_expires, int64_t now,
    char id[IDS_ID_LEN + 1])
{
	ids_new(id);
	return db_run(db, sql_review_insert, "ssssisssisisssiissi", id, bu,
	    consumer, in->sku, in->stars, in->title, in->text, language,
	    in->experienced_at, in->name, (int64_t)in->anonymous,
	    in->country != NULL ? in->country : "", source_names[in->source],
	    hash, now + cfg->review_confirm_ttl_h * 3600000, now, submitter,
	    edit_hash, edit_expires);
}

int
reviews_submit(struct db *db, const struct config *cfg,
    const struct review_input *in, char id_out[IDS_ID_LEN + 1],
    struct api_error *err)
{
	char		 bu[IDS_ID_LEN + 1], consumer[IDS_ID_LEN + 1];
	char		 id[IDS_ID_LEN + 1], token[IDS_TOKEN_LEN + 1];
	char		 hash[IDS_HASH_LEN + 1], bu_name[256], language[3];
	char		 edit_hash[IDS_HASH_LEN + 1];
	char		 link[REVIEWS_URL_LEN + IDS_TOKEN_LEN];
	char		 edit[REVIEWS_URL_LEN + IDS_TOKEN_LEN];
	char		 submitter[IDS_HASH_LEN + 1];
	const char	*by = NULL;	/* submitter, when known */
	json_t		*vars = NULL;	/* owned */
	int64_t		 now = clock_now_ms(), edit_expires;
	bool		 found;
	int		 ret = -1;

	if (in->client != NULL) {
		ids_token_hash(in->client, submitter);
		by = submitter;
	}
	if (db_tx_begin(db) == -1)
		goto dberr;
	if (submission_unit(db, in, bu, bu_name, language, err) == -1)
		goto out;
	if (in->sku != NULL) {
		if (product_known(db, bu, in->sku, &found) == -1)
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
	if (within_limits(db, cfg, consumer, by, now, err) == -1)
		goto out;
	ids_token(token);
	ids_token_hash(token, hash);
	snprintf(link, sizeof(link), "%s/review/confirm/%s", cfg->public_url,
	    token);
	/* the edit link goes in the same mail: only the confirming mailbox
	 * gets it (reviews_edit.h) */
	edit_expires = reviews_edit_token(token, edit_hash);
	snprintf(edit, sizeof(edit), "%s/review/edit/%s", cfg->public_url,
	    token);
	if (insert_pending(db, cfg, in, bu, consumer, language, hash, by,
	    edit_hash, edit_expires, now, id) == -1)
		goto dberr;
	vars = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "name", in->name,
	    "business", bu_name, "link", link, "title", in->title, "editLink",
	    edit, "days", (json_int_t)(REVIEWS_EDIT_TTL_MS / 86400000));
	if (vars == NULL || reviews_json_mail(db, bu, in->email, in->name,
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
	db_tx_rollback(db);	/* no-op after the commit */
	json_decref(vars);
	return ret;
}

int
reviews_submit_json(ROUTE_HANDLER_PARAMS)
{
	struct review_input	 in;
	json_t			*body;	/* borrowed */
	char			 id[IDS_ID_LEN + 1];
	char			 client[REQUEST_CLIENT_LEN];

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
	if (reviews_input_json(body, &in, err) == -1 ||
	    reviews_submit(req->db, req->cfg, &in, id, err) == -1)
		return -1;
	return response_json(res, 202, json_pack("{s:s, s:s, s:s}", "id", id,
	    "status", "pending", "message",
	    "Check your e-mail to confirm your review"), err);
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
	char		 consumer[IDS_ID_LEN + 1], id[IDS_ID_LEN + 1];
	char		 key[IDS_ID_LEN + 16];
	json_t		*tag;	/* borrowed */
	size_t		 i;

	/* The business gave this address: the review gets a consumer of
	 * its own, never one a reviewer already has (see consumer_for), and
	 * mail to it goes to referral_email. */
	ids_new(id);
	snprintf(key, sizeof(key), "invited:%s", id);
	if (consumer_insert(db, key, in->name, NULL, consumer) == -1)
		return -1;
	if (db_run(db, sql_invited_insert, "ssssisssssssi", id, in->bu,
	    consumer, in->sku, in->stars, in->title, in->text, in->language,
	    in->name, in->link_kind, in->reference, in->email,
	    clock_now_ms()) == -1)
		return -1;
	json_array_foreach(in->tags, i, tag) {
		if (db_run(db, sql_tag_generic, "ss", id,
		    json_string_value(tag)) == -1)
			return -1;
	}
	if (reviews_json_emit_id(db, id, "service-review-created",
	    "product-review-created") == -1)
		return -1;
	memcpy(id_out, id, sizeof(id));
	return 0;
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
	int	 rc;

	rc = db_exists(db, sql_duplicate, "sssis", db_text(review, 4),
	    db_text(review, 5), db_is_null(review, 6) ? NULL :
	    db_text(review, 6), cfg->review_duplicate_days == 0 ? INT64_MAX :
	    clock_now_ms() - cfg->review_duplicate_days * 86400000,
	    db_text(review, 0));
	return rc == -1 ? -1 : rc == DB_ROW;
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
	if ((rc = db_row(db, sql_pending_by_hash, &st, "s", hash)) == -1)
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
		if (db_run(db, sql_refuse_duplicate, "is", now, id) == -1 ||
		    db_tx_commit(db) == -1)
			goto out;
		*result = REVIEW_CONFIRM_DUPLICATE;
		ret = 0;
		goto out;
	}
	if (db_run(db, sql_publish, "is", now, id) == -1 ||
	    reviews_json_emit_id(db, id, "service-review-created",
	    "product-review-created") == -1)
		goto out;
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

/* Erasure. */

/* Anonymises the consumers that sql (with ?1 = a and, when b is not
 * NULL, ?2 = b) lists as one JSON array in the webhook events still
 * waiting or kept. 0 or -1. */
static int
anonymise_events(struct db *db, const char *sql, const char *a,
    const char *b)
{
	struct db_stmt	*st;
	int		 r = -1;

	if (db_row(db, sql, &st, b == NULL ? "s" : "ss", a, b) == DB_ROW)
		r = webhooks_anonymise_consumers(db, db_text(st, 0));
	db_release(st);
	return r;
}

/* Of one reviewer, by the operator. */
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
	*reviews = 0;
	if (db_run(db, sql_erase_reviews_of, "s", email) == -1)
		return -1;
	*reviews = (size_t)db_changes(db);
	if (anonymise_events(db, sql_identity_ids, email, NULL) == -1 ||
	    db_run(db, sql_erase_identity, "s", email) == -1)
		return -1;
	return 0;
}

/*
 * Of an address a business gave: the reviews written through its
 * invitations (each with a consumer of its own, see
 * reviews_create_invited), anonymised before the address that finds them
 * goes. Organic reviews belong to their writers, who proved their
 * address: a business typing an address must neither see which of them
 * change nor cut their writers off from replies and Find Reviewer.
 */
static const char sql_erase_invited_consumers[] =
    "UPDATE consumers SET display_name = 'Anonymous', country = '' "
    "WHERE id IN (SELECT consumer_id FROM reviews WHERE business_unit_id = "
    "  ?1 AND source = 'invitation' AND referral_email = ?2 COLLATE NOCASE)";
static const char sql_invited_consumers[] =
    "SELECT json_group_array(consumer_id) FROM reviews WHERE "
    "  business_unit_id = ?1 AND source = 'invitation' AND "
    "  referral_email = ?2 COLLATE NOCASE";
static const char sql_erase_invited_reviews[] =
    "UPDATE reviews SET referral_email = NULL, display_name = 'Anonymous', "
    "  anonymous = 1 WHERE business_unit_id = ?1 AND source = 'invitation' "
    "  AND referral_email = ?2 COLLATE NOCASE";

int
reviews_erase_referral(struct db *db, const char *bu, const char *email)
{
	if (db_run(db, sql_erase_invited_consumers, "ss", bu, email) == -1 ||
	    anonymise_events(db, sql_invited_consumers, bu, email) == -1 ||
	    db_run(db, sql_erase_invited_reviews, "ss", bu, email) == -1)
		return -1;
	return 0;
}
