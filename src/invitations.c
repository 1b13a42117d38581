/*
 * invitations: the queue and its input. HTTP worker threads create
 * invitations (one, a batch, or from an order e-mail) after the checks
 * every way in shares; suppression and the daily quota apply here.
 * The rest of the module: invitations_history.c (listing and changes),
 * invitations_upload.c (CSV), invitations_templates.c,
 * invitations_unsubscribe.c, invitations_dispatch.c (the scheduler
 * thread) and invitations_links.c (the reviewer's pages); what they share
 * is in invitations_internal.h.
 *
 * States: queued -> sending (the e-mail is in the outbox) -> sent
 * (delivered) or skipped (the outbox gave up: undeliverable); queued ->
 * cancelled (only all together); skipped at creation when suppression
 * applies. Only queued invitations can be rescheduled or
 * cancelled. Each change appends an invitation_events row in the same
 * transaction. Personal link and unsubscribe tokens are stored hashed.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/idempotency.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_internal.h"
#include "reviewd/invitations_templates.h"
#include "reviewd/invitations_unsubscribe.h"
#include "reviewd/json.h"
#include "reviewd/mailer.h"
#include "reviewd/mailhtml.h"
#include "reviewd/reviews.h"
#include "reviewd/utf8.h"

#define SKU_MAX		100
#define BATCH_MAX	1000

void
inv_input_release(struct inv_input *in)
{
	json_decref(in->tags);
	json_decref(in->products);
	json_decref(in->skus);
	memset(in, 0, sizeof(*in));
}

void
inv_prefixed(struct api_error *err, const struct api_error *sub,
    const char *prefix)
{
	char	 field[64];
	size_t	 i;

	for (i = 0; i < sub->ndetails; i++) {
		snprintf(field, sizeof(field), "%s%s%s", prefix,
		    prefix[0] != '\0' ? "." : "", sub->details[i].field);
		api_error_set(err, sub->status, field, "%s",
		    sub->details[i].reason);
	}
	if (sub->ndetails == 0 && sub->status != 0)
		api_error_set(err, sub->status, prefix[0] != '\0' ? prefix :
		    "body", "%s", sub->message);
}

bool
inv_locale_ok(const char *s)
{
	return islower((unsigned char)s[0]) && islower((unsigned char)s[1]) &&
	    (s[2] == '\0' || ((s[2] == '-' || s[2] == '_') &&
	    isupper((unsigned char)s[3]) && isupper((unsigned char)s[4]) &&
	    s[5] == '\0'));
}

static void
read_address(json_t *o, const char *key, bool required, const char **out,
    struct api_error *err)
{
	if (json_read_string(o, key, required, 3, MAILER_ADDRESS_MAX, out,
	    err) == 0 && *out != NULL && !mailer_address_valid(*out))
		api_error_set(err, 400, key, "must be an e-mail address");
}

void
inv_read_line(json_t *o, const char *key, bool required, size_t max,
    const char **out, struct api_error *err)
{
	if (json_read_string(o, key, required, 1, max, out, err) == 0 &&
	    *out != NULL && !mailer_header_safe(*out))
		api_error_set(err, 400, key, "must be one line without control "
		    "characters");
}

/*
 * A name the invitation e-mail shows ({{name}}, the From: display name):
 * one line, and no URL or host name, which would be the business's link
 * in the platform's mail (mailhtml_check_value).
 */
static void
read_shown_name(json_t *o, const char *key, bool required,
    const char **out, struct api_error *err)
{
	char	 why[MAILHTML_WHY];
	size_t	 before = err->ndetails;

	inv_read_line(o, key, required, INV_NAME_MAX, out, err);
	if (err->ndetails == before && *out != NULL &&
	    mailhtml_check_value(*out, NULL, why, sizeof(why)) == -1)
		api_error_set(err, 400, key, "%s", why);
}

void
invitations_read_time(json_t *o, const char *key, int64_t *out,
    struct api_error *err)
{
	const char	*s = NULL;

	if (json_read_string(o, key, false, 1, 40, &s, err) == 0 &&
	    s != NULL && clock_parse(s, out) == -1)
		api_error_set(err, 400, key, "must be a time such as "
		    "2013-09-07T13:37:00 or 09/07/2013 13:37:00");
}

json_t *
invitations_read_strings(json_t *o, const char *key, size_t max, size_t len,
    struct api_error *err)
{
	json_t	*v = json_object_get(o, key), *item;	/* borrowed */
	size_t	 i;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_array(v) || json_array_size(v) > max) {
		api_error_set(err, 400, key, "must be an array of at most %zu "
		    "strings", max);
		return NULL;
	}
	json_array_foreach(v, i, item) {
		if (!json_is_string(item) || json_string_length(item) == 0 ||
		    utf8_length(json_string_value(item)) > len ||
		    !mailer_header_safe(json_string_value(item))) {
			api_error_set(err, 400, key, "item %zu must be 1 to "
			    "%zu characters", i, len);
			return NULL;
		}
	}
	return json_deep_copy(v);
}

static const char *const product_keys[] = { "sku", "name", "productUrl",
	"imageUrl", "gtin", "mpn", "brand", "productCategoryGoogleId", NULL };

static json_t *
read_products(json_t *o, struct api_error *err)
{
	json_t		*v = json_object_get(o, "products"), *p; /* borrowed */
	json_t		*out;				/* owned */
	struct api_error sub;
	char		 prefix[48];
	const char	*s;
	size_t		 i, k;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > INV_PRODUCTS_MAX) {
		api_error_set(err, 400, "products", "must be an array of 1 to "
		    "%d products", INV_PRODUCTS_MAX);
		return NULL;
	}
	out = json_array();
	json_array_foreach(v, i, p) {
		memset(&sub, 0, sizeof(sub));
		snprintf(prefix, sizeof(prefix), "products[%zu]", i);
		if (!json_is_object(p)) {
			api_error_set(err, 400, prefix, "must be an object");
			continue;
		}
		json_read_string(p, "sku", true, 1, SKU_MAX, &s, &sub);
		json_read_string(p, "name", true, 1, INV_NAME_MAX, &s, &sub);
		for (k = 2; product_keys[k] != NULL; k++) {
			if (json_read_string(p, product_keys[k], false, 0,
			    INV_URL_MAX, &s, &sub) == 0 &&
			    strstr(product_keys[k], "Url") != NULL &&
			    s != NULL && s[0] != '\0' && !json_url_valid(s))
				api_error_set(&sub, 400, product_keys[k],
				    "must be an http:// or https:// URL");
		}
		inv_prefixed(err, &sub, prefix);
		if (sub.status == 0)
			json_array_append(out, p);
	}
	if (err->status != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The serviceReviewInvitation part svc (not null) into in; errors to sub
 * under the part's name. */
static void
read_service(json_t *svc, struct inv_input *in, int64_t *when,
    struct api_error *sub)
{
	struct api_error s2;

	memset(&s2, 0, sizeof(s2));
	if (!json_is_object(svc))
		api_error_set(&s2, 400, "serviceReviewInvitation",
		    "must be an object");
	else {
		in->service = true;
		inv_read_line(svc, "templateId", false, 64, &in->template_id,
		    &s2);
		invitations_read_time(svc, "preferredSendTime", when, &s2);
		json_read_url(svc, "redirectUri", false, &in->redirect_uri,
		    &s2);
		in->tags = invitations_read_strings(svc, "tags",
		    REVIEWS_TAGS_MAX, REVIEWS_TAG_MAX, &s2);
	}
	inv_prefixed(sub, &s2, s2.ndetails > 0 && strcmp(s2.details[0].field,
	    "serviceReviewInvitation") == 0 ? "" : "serviceReviewInvitation");
}

/* The productReviewInvitation part prod (not null) into in, after the
 * service part (whose template and redirect win); errors to sub under
 * the part's name. */
static void
read_product(json_t *prod, struct inv_input *in, int64_t *when,
    struct api_error *sub)
{
	struct api_error s2;
	const char	*tid = NULL, *redirect = NULL;

	memset(&s2, 0, sizeof(s2));
	if (!json_is_object(prod))
		api_error_set(&s2, 400, "productReviewInvitation",
		    "must be an object");
	else {
		inv_read_line(prod, "templateId", false, 64, &tid, &s2);
		invitations_read_time(prod, "preferredSendTime", when, &s2);
		json_read_url(prod, "redirectUri", false, &redirect, &s2);
		if (json_object_get(prod, "products") != NULL &&
		    json_object_get(prod, "productSkus") != NULL)
			api_error_set(&s2, 400, "products", "and "
			    "productSkus cannot both be given");
		else if (json_object_get(prod, "productSkus") != NULL) {
			in->skus = invitations_read_strings(prod,
			    "productSkus", INV_PRODUCTS_MAX, SKU_MAX, &s2);
			if (in->skus != NULL && json_array_size(in->skus) == 0)
				api_error_set(&s2, 400, "productSkus",
				    "must not be empty");
		} else
			in->products = read_products(prod, &s2);
		if (in->template_id == NULL)
			in->template_id = tid;
		if (in->redirect_uri == NULL)
			in->redirect_uri = redirect;
	}
	inv_prefixed(sub, &s2, s2.ndetails > 0 && strcmp(s2.details[0].field,
	    "productReviewInvitation") == 0 ? "" : "productReviewInvitation");
}

int
inv_input_read(json_t *o, const char *prefix, bool reference_required,
    struct inv_input *in, struct api_error *err)
{
	struct api_error sub;
	json_t		*svc, *prod;	/* borrowed */
	const char	*type = NULL;
	int64_t		 svc_time = 0, prod_time = 0;

	memset(in, 0, sizeof(*in));
	memset(&sub, 0, sizeof(sub));
	if (!json_is_object(o)) {
		api_error_set(err, 400, prefix[0] ? prefix : "body", "must be "
		    "an object");
		return -1;
	}
	read_address(o, "consumerEmail", true, &in->email, &sub);
	read_shown_name(o, "consumerName", true, &in->name, &sub);
	inv_read_line(o, "referenceNumber", reference_required, INV_REF_MAX,
	    &in->reference, &sub);
	if (json_read_string(o, "locale", false, 2, 5, &in->locale,
	    &sub) == 0 && in->locale != NULL && !inv_locale_ok(in->locale))
		api_error_set(&sub, 400, "locale", "must be a locale such as "
		    "en-US");
	read_address(o, "senderEmail", false, &in->sender_email, &sub);
	read_shown_name(o, "senderName", false, &in->sender_name, &sub);
	read_address(o, "replyTo", false, &in->reply_to, &sub);
	inv_read_line(o, "locationId", false, INV_REF_MAX, &in->location_id,
	    &sub);
	if (json_read_string(o, "type", false, 1, 16, &type, &sub) == 0 &&
	    type != NULL && strcmp(type, "email") != 0)
		api_error_set(&sub, 400, "type", "must be email");
	svc = json_object_get(o, "serviceReviewInvitation");
	prod = json_object_get(o, "productReviewInvitation");
	if ((svc == NULL || json_is_null(svc)) && (prod == NULL ||
	    json_is_null(prod)))
		api_error_set(&sub, 400, "serviceReviewInvitation", "or "
		    "productReviewInvitation is required");
	if (svc != NULL && !json_is_null(svc))
		read_service(svc, in, &svc_time, &sub);
	if (prod != NULL && !json_is_null(prod))
		read_product(prod, in, &prod_time, &sub);
	if (svc_time != 0 && prod_time != 0 && prod_time < svc_time)
		api_error_set(&sub, 400, "productReviewInvitation."
		    "preferredSendTime", "must not be before the service "
		    "invitation's");
	in->send_at = svc_time != 0 ? svc_time : prod_time;
	inv_prefixed(err, &sub, prefix);
	if (err->status != 0) {
		inv_input_release(in);
		return -1;
	}
	return 0;
}

/* Storing. */

static const char sql_unit_locale[] =
    "SELECT default_locale FROM business_units WHERE id = ?";
static const char sql_catalogue_product[] =
    "SELECT sku, name, link, image_link, gtin, mpn, brand FROM products "
    "WHERE business_unit_id = ? AND sku = ?";
/*
 * "Invited": queued, sending or sent. Written as the two other states
 * (the CHECK constraint allows five) because SQLite tests an IN list of
 * more than two constants through a temporary index it builds on every
 * run, which cost more than the lookup itself at one call per CSV row.
 * Both checks in one statement: one step a row instead of two. ?2 NULL
 * (no reference) matches nothing; ?4 past every time turns the repeat
 * check off.
 */
static const char sql_invited[] =
    "SELECT EXISTS (SELECT 1 FROM invitations WHERE business_unit_id = ?1 "
    "  AND reference_number = ?2 AND status NOT IN ('cancelled', "
    "  'skipped')), "
    "EXISTS (SELECT 1 FROM invitations WHERE business_unit_id = ?1 AND "
    "  consumer_email = ?3 COLLATE NOCASE AND status NOT IN ('cancelled', "
    "  'skipped') AND created_at > ?4)";
static const char sql_any_unsubscribe[] =
    "SELECT 1 FROM unsubscribes WHERE business_unit_id = ? LIMIT 1";
static const char sql_insert[] =
    "INSERT INTO invitations (id, business_unit_id, consumer_email, "
    "  consumer_name, reference_number, locale, sender_name, sender_email, "
    "  reply_to, location_id, template_id, redirect_uri, tags, service, "
    "  products, origin, status, skip_reason, send_at, created_at, "
    "  updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
    "  ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?20)";
static const char sql_event[] =
    "INSERT INTO invitation_events (invitation_id, kind, detail, at) "
    "VALUES (?, ?, ?, ?)";

int
inv_event_add(struct db *db, const char *id, const char *kind,
    const char *detail, int64_t at)
{
	return db_run(db, sql_event, "sssi", id, kind, detail, at);
}

char *
inv_array_text(json_t *a)
{
	return a != NULL ? json_dumps(a, JSON_COMPACT) : strdup("[]");
}

int
inv_unit_locale(struct db *db, const char *bu, char locale[8])
{
	struct db_stmt	*st;

	if (db_row(db, sql_unit_locale, &st, "s", bu) != DB_ROW)
		return -1;
	snprintf(locale, 8, "%s", db_text(st, 0));
	db_release(st);
	return 0;
}

json_t *
inv_catalogue_products(struct db *db, const char *bu, json_t *skus,
    json_t *unknown, struct api_error *err)
{
	struct db_stmt	*st;
	json_t		*out = json_array(), *sku;	/* owned; borrowed */
	size_t		 i;
	int		 rc;

	if (out == NULL) {
		api_error_internal(err);
		return NULL;
	}
	json_array_foreach(skus, i, sku) {
		if ((rc = db_row(db, sql_catalogue_product, &st, "ss", bu,
		    json_string_value(sku))) == -1) {
			db_fail(db, err);
			goto fail;
		}
		if (rc == DB_DONE && unknown != NULL) {
			if (json_array_append(unknown, sku) == -1) {
				api_error_internal(err);
				goto fail;
			}
		} else if (rc == DB_DONE)
			api_error_set(err, 400, "productReviewInvitation."
			    "productSkus", "%s is not in the product catalogue",
			    json_string_value(sku));
		else if (json_array_append_new(out, json_pack("{s:s, s:s, "
		    "s:s, s:s, s:s, s:s, s:s}", "sku", db_text(st, 0),
		    "name", db_text(st, 1), "productUrl", db_text(st, 2),
		    "imageUrl", db_text(st, 3), "gtin", db_text(st, 4), "mpn",
		    db_text(st, 5), "brand", db_text(st, 6))) == -1) {
			db_release(st);
			api_error_internal(err);
			goto fail;
		}
		db_release(st);
	}
	if (err->status == 0)
		return out;
fail:
	json_decref(out);
	return NULL;
}

/*
 * Why suppression skips in for unit bu: an unsubscribed address, a
 * reference already invited, an address invited within the repeat
 * period; *reason NULL when none applies. 0 or -1.
 */
static int
suppression(struct db *db, const char *bu, const struct inv_input *in,
    int64_t now, struct inv_store_ctx *ctx, const char **reason)
{
	int64_t		 repeat_days = config_shared()->invitation_repeat_days;
	struct db_stmt	*st;
	bool		 found = false;
	int		 rc;

	*reason = NULL;
	/* a unit nobody unsubscribed from (most) needs no address hash */
	if (ctx != NULL && !ctx->unsubscribes_known) {
		if ((rc = db_exists(db, sql_any_unsubscribe, "s", bu)) == -1)
			return -1;
		ctx->unsubscribes = rc == DB_ROW;
		ctx->unsubscribes_known = true;
	}
	if ((ctx == NULL || ctx->unsubscribes) &&
	    invitations_unsubscribed(db, bu, in->email, &found) == -1)
		return -1;
	if (found) {
		*reason = "the address unsubscribed from this business's "
		    "invitations";
		return 0;
	}
	if (db_row(db, sql_invited, &st, "sssi", bu, in->reference,
	    in->email, repeat_days > 0 ? now - repeat_days * 86400000 :
	    INT64_MAX) != DB_ROW)
		return -1;
	if (db_int(st, 0) != 0)
		*reason = "this reference number was already invited";
	else if (db_int(st, 1) != 0)
		*reason = "the address was invited within the repeat period";
	db_release(st);
	return 0;
}

int
inv_store(struct db *db, const char *bu, struct inv_input *in,
    const char *origin, struct inv_store_ctx *ctx,
    char id_out[IDS_ID_LEN + 1], const char **skip_reason,
    struct api_error *err)
{
	char		 id[IDS_ID_LEN + 1];
	char		 locale[8] = "en-US", fallback[160] = "";
	char		*tags = NULL, *products = NULL;
	const char	*reason = NULL;
	int64_t		 now = clock_now_ms();
	int		 ret = -1;
	bool		 usable;

	if (in->skus != NULL && (in->products = inv_catalogue_products(db, bu,
	    in->skus, NULL, err)) == NULL)
		return -1;
	if (in->locale != NULL)
		snprintf(locale, sizeof(locale), "%s", in->locale);
	else if (ctx != NULL && ctx->locale[0] != '\0')
		memcpy(locale, ctx->locale, sizeof(locale));
	else if (inv_unit_locale(db, bu, locale) == -1)
		goto dberr;
	else if (ctx != NULL)
		memcpy(ctx->locale, locale, sizeof(locale));
	/* An unknown template (one made at Trustpilot, say) is no reason to
	 * lose the invitation: the unit's default for its locale is used,
	 * and its events say so. */
	if (in->template_id != NULL) {
		if (invitations_template_usable(db, bu, in->template_id,
		    &usable) == -1)
			goto dberr;
		if (!usable) {
			snprintf(fallback, sizeof(fallback), "templateId %s is "
			    "not a template of this business unit; sent with "
			    "%s", in->template_id,
			    invitations_template_default(locale));
			in->template_id = invitations_template_default(locale);
		}
	}
	if (suppression(db, bu, in, now, ctx, &reason) == -1)
		goto dberr;
	tags = inv_array_text(in->tags);
	products = inv_array_text(in->products);
	if (tags == NULL || products == NULL)
		goto dberr;
	ids_new_timed(id);
	/* parameters 1 to 13 text, 14 service, 15 to 18 text, 19 and 20
	 * times */
	if (db_run(db, sql_insert, "sssssssssssssissssii", id, bu, in->email,
	    in->name, in->reference, locale, in->sender_name,
	    in->sender_email, in->reply_to, in->location_id, in->template_id,
	    in->redirect_uri, tags, (int64_t)in->service, products, origin,
	    reason != NULL ? "skipped" : "queued", reason,
	    in->send_at > now ? in->send_at : now, now) == -1 ||
	    inv_event_add(db, id, "created", origin, now) == -1 ||
	    (fallback[0] != '\0' && inv_event_add(db, id, "template_fallback",
	    fallback, now) == -1) ||
	    (reason != NULL && inv_event_add(db, id, "skipped", reason,
	    now) == -1))
		goto dberr;
	memcpy(id_out, id, sizeof(id));
	if (skip_reason != NULL)
		*skip_reason = reason;
	ret = 0;
	goto out;
dberr:
	db_fail(db, err);
out:
	free(tags);
	free(products);
	return ret;
}

/* The daily sending quota: e-mail invitations created in the last 24 h. */

#define QUOTA_WINDOW_MS	86400000

/*
 * Counting them (sql_quota_used) reads the table row of every invitation
 * in the window (link_kind is not in the partial index), so it cost a
 * write more the more the unit had sent that day: at a few thousand a
 * day it was most of an invitation's time in the writer. The last count
 * of each unit is kept instead, with the table's highest seq then, and
 * brought up to date by what changed since: the invitations that have
 * left the window and those with a higher seq. Invitations are never
 * deleted and their unit, kind and creation time never change, so the
 * rows up to that seq are the ones counted, unless a rollback took them:
 * it takes the highest seqs (a rowid is the highest plus one), so the
 * row that had the highest seq then is gone, or another row has its seq.
 * Its id is kept to see that; then, or when the clock went back, or when
 * too much was written since, the unit is counted again.
 */
#define QUOTA_MEMOS	64
#define QUOTA_DELTA_MAX	200000	/* rows newer than a memo worth reading */

struct quota_memo {
	char		 bu[IDS_ID_LEN + 1];
	char		 top_id[IDS_ID_LEN + 1];	/* the row at seq */
	int64_t		 at, used, seq;
};

/* Shared by the threads that write; the gate orders their writes, the
 * lock their use of the table. */
static pthread_mutex_t		 quota_lock = PTHREAD_MUTEX_INITIALIZER;
static struct quota_memo	 quota_memos[QUOTA_MEMOS];

static struct quota_memo *
quota_slot(const char *bu)
{
	uint32_t	 h = 2166136261u;

	for (; *bu != '\0'; bu++)
		h = (h ^ (unsigned char)*bu) * 16777619u;
	return &quota_memos[h % QUOTA_MEMOS];
}

static const char sql_quota_at_seq[] =
    "SELECT id FROM invitations WHERE seq = ?";

/* Whether m (a copy) still describes the rows up to its seq, the table's
 * highest seq being top. */
static int
quota_memo_holds(struct db *db, const struct quota_memo *m, int64_t top,
    int64_t now, bool *holds)
{
	struct db_stmt	*st;
	int		 rc;

	*holds = false;
	if (m->bu[0] == '\0' || now < m->at || top < m->seq ||
	    top - m->seq > QUOTA_DELTA_MAX)
		return 0;
	if (m->seq == 0) {
		*holds = true;
		return 0;
	}
	if ((rc = db_row(db, sql_quota_at_seq, &st, "i", m->seq)) == -1)
		return -1;
	*holds = rc == DB_ROW && strcmp(db_text(st, 0), m->top_id) == 0;
	db_release(st);
	return 0;
}

static const char sql_quota_used[] =
    "SELECT count(*) FROM invitations WHERE business_unit_id = ?1 AND "
    "link_kind = 'email_invitation' AND created_at > ?2";
static const char sql_quota_top[] =
    "SELECT seq, id FROM invitations ORDER BY seq DESC LIMIT 1";
static const char sql_quota_aged[] =
    "SELECT count(*) FROM invitations WHERE business_unit_id = ?1 AND "
    "link_kind = 'email_invitation' AND created_at > ?2 AND "
    "created_at <= ?3 AND seq <= ?4";
/* a walk of the rows after seq: "|| ''" and "+ 0" keep the planner off
 * the unit's index, which would walk the whole window */
static const char sql_quota_new[] =
    "SELECT count(*) FROM invitations WHERE seq > ?1 AND "
    "business_unit_id || '' = ?2 AND link_kind = 'email_invitation' AND "
    "created_at + 0 > ?3";

/* The unit's e-mail invitations in the window ending at now, inside the
 * caller's write transaction, through the unit's memo. 0 or -1. */
static int
quota_used_now(struct db *db, const char *bu, int64_t now, int64_t *out)
{
	struct quota_memo m, *slot;
	struct db_stmt	*st;
	char		 top_id[IDS_ID_LEN + 1] = "";
	int64_t		 top = 0, aged, added;
	bool		 holds;
	int		 rc;

	if (strlen(bu) > IDS_ID_LEN)
		return db_one_int(db, sql_quota_used, out, "si", bu,
		    now - QUOTA_WINDOW_MS) == DB_ROW ? 0 : -1;
	if ((rc = db_row(db, sql_quota_top, &st, "")) == -1)
		return -1;
	if (rc == DB_ROW) {
		top = db_int(st, 0);
		snprintf(top_id, sizeof(top_id), "%s", db_text(st, 1));
		db_release(st);
	}
	memset(&m, 0, sizeof(m));
	slot = quota_slot(bu);
	pthread_mutex_lock(&quota_lock);
	if (strcmp(slot->bu, bu) == 0)
		m = *slot;
	pthread_mutex_unlock(&quota_lock);
	if (quota_memo_holds(db, &m, top, now, &holds) == -1)
		return -1;
	if (holds) {
		if (db_one_int(db, sql_quota_aged, &aged, "siii", bu,
		    m.at - QUOTA_WINDOW_MS, now - QUOTA_WINDOW_MS,
		    m.seq) != DB_ROW ||
		    db_one_int(db, sql_quota_new, &added, "isi", m.seq, bu,
		    now - QUOTA_WINDOW_MS) != DB_ROW)
			return -1;
		*out = m.used - aged + added;
	} else if (db_one_int(db, sql_quota_used, out, "si", bu,
	    now - QUOTA_WINDOW_MS) != DB_ROW)
		return -1;
	snprintf(m.bu, sizeof(m.bu), "%s", bu);
	memcpy(m.top_id, top_id, sizeof(top_id));
	m.at = now;
	m.used = *out;
	m.seq = top;
	pthread_mutex_lock(&quota_lock);
	*slot = m;
	pthread_mutex_unlock(&quota_lock);
	return 0;
}

static const char sql_quota_nth[] =
    "SELECT created_at FROM invitations WHERE business_unit_id = ?1 AND "
    "link_kind = 'email_invitation' AND created_at > ?2 "
    "ORDER BY created_at LIMIT 1 OFFSET ?3";

/* The unit's e-mail invitations created in the window ending at now; with
 * offset >= 0, the creation time of the (offset + 1)-th oldest instead.
 * 0 or -1. */
static int
quota_query(struct db *db, const char *bu, int64_t now, int64_t offset,
    int64_t *out)
{
	int	 rc;

	if (offset < 0)
		rc = db_one_int(db, sql_quota_used, out, "si", bu,
		    now - QUOTA_WINDOW_MS);
	else
		rc = db_one_int(db, sql_quota_nth, out, "sii", bu,
		    now - QUOTA_WINDOW_MS, offset);
	return rc == DB_ROW ? 0 : -1;
}

int
invitations_quota_check(struct db *db, const char *bu, size_t n,
    struct api_error *err)
{
	int64_t	 limit = config_shared()->invitation_daily_limit;
	int64_t	 now = clock_now_ms(), used, at;
	char	 retry[24];

	if (limit == 0)
		return 0;
	if (quota_used_now(db, bu, now, &used) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (n <= (size_t)limit && used <= limit - (int64_t)n)
		return 0;
	/* When enough of the window's invitations have aged out of it;
	 * never, for a request larger than the whole limit. */
	if (n <= (size_t)limit) {
		if (quota_query(db, bu, now, used + (int64_t)n - limit - 1,
		    &at) == -1) {
			db_fail(db, err);
			return -1;
		}
		snprintf(retry, sizeof(retry), "%lld", (long long)((at +
		    QUOTA_WINDOW_MS - now) / 1000 + 1));
		api_error_header(err, "Retry-After", retry);
	}
	api_error_set(err, 429, NULL, "Daily invitation limit reached: a "
	    "business unit may create %lld e-mail invitations in 24 hours "
	    "([invitations] daily_limit_per_unit = %lld); this one created "
	    "%lld in the last 24 hours and this request would add %zu. "
	    "Nothing was created.", (long long)limit, (long long)limit,
	    (long long)used, n);
	return -1;
}

json_t *
inv_quota_json(struct db *db, const char *bu)
{
	int64_t	 limit = config_shared()->invitation_daily_limit, used;

	if (quota_query(db, bu, clock_now_ms(), -1, &used) == -1)
		return NULL;
	if (limit == 0)
		return json_pack("{s:n, s:I, s:n, s:i}", "limit", "used",
		    (json_int_t)used, "remaining", "windowHours", 24);
	return json_pack("{s:I, s:I, s:I, s:i}", "limit", (json_int_t)limit,
	    "used", (json_int_t)used, "remaining", (json_int_t)(used < limit ?
	    limit - used : 0), "windowHours", 24);
}

/* Creating through the API. */

/*
 * Reads the invitation, or the batch {"invitations": [...]} (*batch), of
 * body into *inputs (calloc'd, *count of them, each to release). Every
 * bad item is named in err by its index. 0, or -1 with err.
 */
static int
read_batch(json_t *body, bool *batch, struct inv_input **inputs,
    size_t *count, struct api_error *err)
{
	json_t	*items = json_object_get(body, "invitations");	/* borrowed */
	char	 prefix[48];
	size_t	 n;

	*batch = items != NULL;
	if (*batch && (!json_is_array(items) || json_array_size(items) == 0 ||
	    json_array_size(items) > BATCH_MAX)) {
		api_error_set(err, 400, "invitations", "must be an array of 1 "
		    "to %d invitations", BATCH_MAX);
		return -1;
	}
	n = *batch ? json_array_size(items) : 1;
	if ((*inputs = calloc(n, sizeof(**inputs))) == NULL) {
		api_error_internal(err);
		return -1;
	}
	for (*count = 0; *count < n; (*count)++) {
		snprintf(prefix, sizeof(prefix), "invitations[%zu]", *count);
		inv_input_read(*batch ? json_array_get(items, *count) : body,
		    *batch ? prefix : "", true, &(*inputs)[*count], err);
	}
	return err->status != 0 ? -1 : 0;
}

/*
 * Whether the request asks for the created invitations back: a Prefer
 * header (RFC 7240) holding the preference return=representation, among
 * others separated by commas or semicolons (a quoted value too).
 */
static bool
prefers_representation(const struct request *req)
{
	const char	*p = request_header(req, "Prefer");
	size_t		 n;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,;");
		n = strcspn(p, ",;");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if ((n == 21 && strncasecmp(p, "return=representation",
		    21) == 0) || (n == 23 && strncasecmp(p,
		    "return=\"representation\"", 23) == 0))
			return true;
		p += strcspn(p, ",;");
	}
	return false;
}

/*
 * The answer to a created invitation (or batch) whose representation is
 * in res (201): kept, with Preference-Applied, when the client asked for
 * it; else Trustpilot's answer, 202 Accepted without a body (clients and
 * CMS plugins take any body on success for a failure). A replayed answer
 * keeps its Idempotent-Replayed header. 0, or -1 with err.
 */
static int
created_answer(struct response *res, bool representation, bool replayed,
    struct api_error *err)
{
	if (representation) {
		if (response_header(res, "Preference-Applied",
		    "return=representation") == 0)
			return 0;
		api_error_internal(err);
		return -1;
	}
	response_release(res);
	res->status = 202;
	if ((res->body = strdup("")) == NULL || (replayed &&
	    response_header(res, "Idempotent-Replayed", "true") == -1)) {
		api_error_internal(err);
		return -1;
	}
	res->body_len = 0;
	return 0;
}

/*
 * POST .../email-invitations: one invitation in Trustpilot's shape, or a
 * batch {"invitations": [...]} validated all or nothing (every bad item
 * is named by its index). Answers 202 without a body, or 201 with the
 * invitations for Prefer: return=representation (created_answer).
 */
int
invitations_create(ROUTE_HANDLER_PARAMS)
{
	json_t		*out = NULL, *list = NULL;	/* owned */
	json_t		*body, *item;		/* borrowed; taken */
	struct inv_input *inputs = NULL;
	struct inv_store_ctx ctx;
	struct idempotency ik;
	const char	*bu;
	char		 prefix[48], id[IDS_ID_LEN + 1];
	size_t		 i, n = 0;
	bool		 batch, answered;
	bool		 representation = prefers_representation(req);
	int		 r, ret = -1;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    idempotency_read(req, &ik, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	answered = representation || ik.key != NULL;
	if (read_batch(body, &batch, &inputs, &n, err) == -1)
		goto out;
	if (db_tx_begin(req->db) == -1)
		goto fail;
	if ((r = idempotency_replay(req->db, bu, &ik, res, err)) != 0) {
		ret = r == 1 ? created_answer(res, representation, true,
		    err) : -1;
		goto out;
	}
	/* checked and created in one write transaction: two requests cannot
	 * both take the last places */
	if (invitations_quota_check(req->db, bu, n, err) == -1 ||
	    (list = json_array()) == NULL)
		goto fail;
	memset(&ctx, 0, sizeof(ctx));
	for (i = 0; i < n; i++) {
		struct api_error sub;

		memset(&sub, 0, sizeof(sub));
		snprintf(prefix, sizeof(prefix), "invitations[%zu]", i);
		if (inv_store(req->db, bu, &inputs[i], batch ? "batch" : "api",
		    &ctx, id, NULL, &sub) == -1) {
			inv_prefixed(err, &sub, batch ? prefix : "");
			continue;
		}
		/* the representation only when it is answered or kept */
		if (!answered)
			continue;
		if (inv_load_json(req->db, id, NULL, &item, err) == -1 ||
		    json_array_append_new(list, item) == -1)
			goto fail;
	}
	if (err->status != 0)
		goto out;
	if (!answered)
		out = json_object();
	else
		out = batch ? json_pack("{s:O}", "invitations", list) :
		    json_incref(json_array_get(list, 0));
	if (out != NULL && idempotency_save(req->db, bu, &ik, 201, out) == -1)
		goto fail;
	ret = handler_commit(req, res, 201, out, true, err);
	out = NULL;
	if (ret == 0)
		ret = created_answer(res, representation, false, err);
	goto out;
fail:
	db_fail(req->db, err);
out:
	db_tx_rollback(req->db);	/* ends a replay's read */
	for (i = 0; i < n && inputs != NULL; i++)
		inv_input_release(&inputs[i]);
	free(inputs);
	json_decref(out);
	json_decref(list);
	return ret;
}

void
inv_local_name(const char *email, char *out, size_t outlen)
{
	size_t	 i;

	snprintf(out, outlen, "%.*s", (int)strcspn(email, "@"), email);
	for (i = 0; out[i] != '\0'; i++) {
		if (out[i] == '.')
			out[i] = ' ';
	}
}

/* Order e-mails (the Automatic Feedback Service). */

int
invitations_from_order(struct db *db, const char *bu, const char *email,
    const char *name, const char *reference, int64_t send_at,
    char id_out[IDS_ID_LEN + 1], bool *skipped, struct api_error *err)
{
	struct inv_input in;
	char		 shown[MAILER_ADDRESS_MAX + 1], why[MAILHTML_WHY];
	const char	*reason;

	memset(&in, 0, sizeof(in));
	in.email = email;
	in.name = name;
	/* the To: name of a forwarded order, or the address's local part:
	 * one with a URL or host ("anna.smith" reads as one) is shown as
	 * the local part with spaces for dots, which no rule refuses */
	if (mailhtml_check_value(name, NULL, why, sizeof(why)) == -1) {
		inv_local_name(email, shown, sizeof(shown));
		in.name = shown;
	}
	in.reference = reference;
	in.service = true;
	in.send_at = send_at;
	if (invitations_quota_check(db, bu, 1, err) == -1 ||
	    inv_store(db, bu, &in, "afs", NULL, id_out, &reason, err) == -1)
		return -1;
	*skipped = reason != NULL;
	return 0;
}
