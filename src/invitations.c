/*
 * invitations: the queue and everything around it. HTTP worker threads
 * create, list and change invitations; the scheduler thread dispatches due
 * ones (invitations_job) and hears how their e-mails ended
 * (invitations_mail_outcome).
 *
 * States: queued -> sending (the e-mail is in the outbox) -> sent
 * (delivered) or skipped (the outbox gave up: undeliverable); queued ->
 * cancelled (only all together); skipped at creation when suppression
 * applies. Only queued invitations can be rescheduled or
 * cancelled. Each change appends an invitation_events row in the same
 * transaction. Personal link and unsubscribe tokens are stored hashed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/csv.h"
#include "reviewd/ids.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_csv.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/mailhtml.h"
#include "reviewd/outbox.h"
#include "reviewd/reviews.h"
#include "reviewd/scheduler.h"
#include "reviewd/utf8.h"
#include "reviewd/webhooks.h"

#define NAME_MAX_CHARS	200
#define REF_MAX		200
#define URL_MAX		2048
#define SKU_MAX		100
#define TAG_MAX		100
#define TAGS_MAX	50
#define PRODUCTS_MAX	50
#define BATCH_MAX	1000
#define PAGE_MAX	100
#define TEMPLATE_MAX	(64 * 1024)
#define KEY_MAX		255
#define URL_LEN		(CONFIG_STR + 128)

static const struct config	*inv_cfg;

void
invitations_configure(const struct config *cfg)
{
	inv_cfg = cfg;
}

/* One invitation as submitted, before it is stored. Strings borrowed. */
struct inv_input {
	const char	*email, *name, *reference, *locale;
	const char	*sender_email, *sender_name, *reply_to, *location_id;
	const char	*template_id, *redirect_uri;
	json_t		*tags;		/* owned array of strings */
	json_t		*products;	/* owned array of product objects */
	json_t		*skus;		/* owned array of catalogue SKUs */
	bool		 service;
	int64_t		 send_at;
};

static void
input_release(struct inv_input *in)
{
	json_decref(in->tags);
	json_decref(in->products);
	json_decref(in->skus);
	memset(in, 0, sizeof(*in));
}

/* Copies the details of sub into err with "prefix." before each field. */
static void
prefixed(struct api_error *err, const struct api_error *sub,
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

static bool
locale_ok(const char *s)
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

static void
read_line(json_t *o, const char *key, bool required, size_t max,
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

	read_line(o, key, required, NAME_MAX_CHARS, out, err);
	if (err->ndetails == before && *out != NULL &&
	    mailhtml_check_value(*out, NULL, why, sizeof(why)) == -1)
		api_error_set(err, 400, key, "%s", why);
}

/* Trustpilot accepts "09/07/2013 13:37:00" and "2013-09-07T13:37:00". */
static void
read_time(json_t *o, const char *key, int64_t *out, struct api_error *err)
{
	const char	*s = NULL;

	if (json_read_string(o, key, false, 1, 40, &s, err) == 0 &&
	    s != NULL && clock_parse(s, out) == -1)
		api_error_set(err, 400, key, "must be a time such as "
		    "2013-09-07T13:37:00 or 09/07/2013 13:37:00");
}

/* A strings array of at most max items of 1..len characters; a copy. */
static json_t *
read_strings(json_t *o, const char *key, size_t max, size_t len,
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
			api_error_set(err, 400, key, "item %zu must be 1 to %zu "
			    "characters", i, len);
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
	    json_array_size(v) > PRODUCTS_MAX) {
		api_error_set(err, 400, "products", "must be an array of 1 to "
		    "%d products", PRODUCTS_MAX);
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
		json_read_string(p, "name", true, 1, NAME_MAX_CHARS, &s, &sub);
		for (k = 2; product_keys[k] != NULL; k++) {
			if (json_read_string(p, product_keys[k], false, 0,
			    URL_MAX, &s, &sub) == 0 && strstr(product_keys[k],
			    "Url") != NULL && s != NULL && s[0] != '\0' &&
			    !json_url_valid(s))
				api_error_set(&sub, 400, product_keys[k],
				    "must be an http:// or https:// URL");
		}
		prefixed(err, &sub, prefix);
		if (sub.status == 0)
			json_array_append(out, p);
	}
	if (err->status != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/*
 * Reads one invitation in Trustpilot's shape (reference section 7.1).
 * Errors go to err with their field names, prefixed by prefix.
 */
static int
read_input(json_t *o, const char *prefix, bool reference_required,
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
	read_line(o, "referenceNumber", reference_required, REF_MAX,
	    &in->reference, &sub);
	if (json_read_string(o, "locale", false, 2, 5, &in->locale,
	    &sub) == 0 && in->locale != NULL && !locale_ok(in->locale))
		api_error_set(&sub, 400, "locale", "must be a locale such as "
		    "en-US");
	read_address(o, "senderEmail", false, &in->sender_email, &sub);
	read_shown_name(o, "senderName", false, &in->sender_name, &sub);
	read_address(o, "replyTo", false, &in->reply_to, &sub);
	read_line(o, "locationId", false, REF_MAX, &in->location_id, &sub);
	if (json_read_string(o, "type", false, 1, 16, &type, &sub) == 0 &&
	    type != NULL && strcmp(type, "email") != 0)
		api_error_set(&sub, 400, "type", "must be email");
	svc = json_object_get(o, "serviceReviewInvitation");
	prod = json_object_get(o, "productReviewInvitation");
	if ((svc == NULL || json_is_null(svc)) && (prod == NULL ||
	    json_is_null(prod)))
		api_error_set(&sub, 400, "serviceReviewInvitation", "or "
		    "productReviewInvitation is required");
	if (svc != NULL && !json_is_null(svc)) {
		struct api_error s2;

		memset(&s2, 0, sizeof(s2));
		if (!json_is_object(svc))
			api_error_set(&s2, 400, "serviceReviewInvitation",
			    "must be an object");
		else {
			in->service = true;
			read_line(svc, "templateId", false, 64,
			    &in->template_id, &s2);
			read_time(svc, "preferredSendTime", &svc_time, &s2);
			json_read_url(svc, "redirectUri", false,
			    &in->redirect_uri, &s2);
			in->tags = read_strings(svc, "tags", TAGS_MAX, TAG_MAX,
			    &s2);
		}
		prefixed(&sub, &s2, s2.ndetails > 0 && strcmp(
		    s2.details[0].field, "serviceReviewInvitation") == 0 ?
		    "" : "serviceReviewInvitation");
	}
	if (prod != NULL && !json_is_null(prod)) {
		struct api_error s2;
		const char	*tid = NULL, *redirect = NULL;

		memset(&s2, 0, sizeof(s2));
		if (!json_is_object(prod))
			api_error_set(&s2, 400, "productReviewInvitation",
			    "must be an object");
		else {
			read_line(prod, "templateId", false, 64, &tid, &s2);
			read_time(prod, "preferredSendTime", &prod_time, &s2);
			json_read_url(prod, "redirectUri", false,
			    &redirect, &s2);
			if (json_object_get(prod, "products") != NULL &&
			    json_object_get(prod, "productSkus") != NULL)
				api_error_set(&s2, 400, "products", "and "
				    "productSkus cannot both be given");
			else if (json_object_get(prod, "productSkus") != NULL) {
				in->skus = read_strings(prod, "productSkus",
				    PRODUCTS_MAX, SKU_MAX, &s2);
				if (in->skus != NULL &&
				    json_array_size(in->skus) == 0)
					api_error_set(&s2, 400, "productSkus",
					    "must not be empty");
			} else
				in->products = read_products(prod, &s2);
			if (in->template_id == NULL)
				in->template_id = tid;
			if (in->redirect_uri == NULL)
				in->redirect_uri = redirect;
		}
		prefixed(&sub, &s2, s2.ndetails > 0 && strcmp(
		    s2.details[0].field, "productReviewInvitation") == 0 ?
		    "" : "productReviewInvitation");
	}
	if (svc_time != 0 && prod_time != 0 && prod_time < svc_time)
		api_error_set(&sub, 400, "productReviewInvitation."
		    "preferredSendTime", "must not be before the service "
		    "invitation's");
	in->send_at = svc_time != 0 ? svc_time : prod_time;
	prefixed(err, &sub, prefix);
	if (err->status != 0) {
		input_release(in);
		return -1;
	}
	return 0;
}

/* Storing. */

static const char sql_unit_locale[] =
    "SELECT default_locale FROM business_units WHERE id = ?";
static const char sql_template_exists[] =
    "SELECT 1 FROM invitation_templates WHERE id = ? AND "
    "business_unit_id = ?";
static const char sql_catalogue_product[] =
    "SELECT sku, name, link, image_link, gtin, mpn, brand FROM products "
    "WHERE business_unit_id = ? AND sku = ?";
static const char sql_reference_used[] =
    "SELECT 1 FROM invitations WHERE business_unit_id = ? AND "
    "reference_number = ? AND status IN ('queued', 'sending', 'sent')";
static const char sql_recently_invited[] =
    "SELECT 1 FROM invitations WHERE business_unit_id = ?1 AND "
    "consumer_email = ?2 COLLATE NOCASE AND status IN ('queued', "
    "'sending', 'sent') AND created_at > ?3";
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

static int
add_event(struct db *db, const char *id, const char *kind, const char *detail,
    int64_t at)
{
	struct db_stmt	*st = db_prepare(db, sql_event);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, kind) == -1 ||
	    db_bind_text(st, 3, detail) == -1 ||
	    db_bind_int(st, 4, at) == -1) {
		db_release(st);
		return -1;
	}
	rc = db_step(db, st);
	db_release(st);
	return rc == DB_DONE ? 0 : -1;
}

/* Runs a one-row existence query with text parameters (NULL ends). */
static int
exists(struct db *db, const char *sql, int *found, const char *a,
    const char *b)
{
	struct db_stmt	*st = db_prepare(db, sql);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, a) == -1 ||
	    (b != NULL && db_bind_text(st, 2, b) == -1) ||
	    (rc = db_step(db, st)) == -1) {
		db_release(st);
		return -1;
	}
	*found = rc == DB_ROW;
	db_release(st);
	return 0;
}

/*
 * Unsubscribes remember no address: only HMAC-SHA256 of the lowercased
 * address under a server secret (base64, 44 characters), so a copy of the
 * database cannot be reversed with a list of likely addresses. The secret
 * is 32 random bytes as hex in settings, made on first use. Rows from
 * before the secret hold the bare BLAKE2b hex of the address (64
 * characters): they are still matched, and a match re-keys the row.
 */
#define UNSUB_KEY_NAME	"unsubscribe_key"
#define UNSUB_KEY_LEN	64		/* hex of 32 bytes */

static const char sql_setting_get[] =
    "SELECT value FROM settings WHERE name = ?";
static const char sql_setting_add[] =
    "INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)";
static const char sql_unsubscribed[] =
    "SELECT address_hash FROM unsubscribes WHERE business_unit_id = ?1 AND "
    "address_hash IN (?2, ?3)";
static const char sql_unsubscribe_rekey[] =
    "UPDATE OR REPLACE unsubscribes SET address_hash = ?3 "
    "WHERE business_unit_id = ?1 AND address_hash = ?2";

/* The server secret, made if there is none yet: inside the caller's write
 * transaction. 0 or -1. */
static int
unsubscribe_key(struct db *db, char key[UNSUB_KEY_LEN + 1])
{
	struct db_stmt	*st = NULL;
	char		 fresh[UNSUB_KEY_LEN + 1];
	int		 attempt, rc, ret = -1;

	for (attempt = 0; attempt < 2; attempt++) {
		st = db_prepare(db, sql_setting_get);
		if (st == NULL || db_bind_text(st, 1, UNSUB_KEY_NAME) == -1 ||
		    (rc = db_step(db, st)) == -1)
			goto out;
		if (rc == DB_ROW && db_bytes(st, 0) ==
		    UNSUB_KEY_LEN) {
			memcpy(key, db_text(st, 0), UNSUB_KEY_LEN + 1);
			ret = 0;
			goto out;
		}
		if (rc == DB_ROW) {
			log_error("invitations: the setting %s is damaged",
			    UNSUB_KEY_NAME);
			goto out;
		}
		db_release(st);
		ids_random_hex(fresh, UNSUB_KEY_LEN / 2);
		st = db_prepare(db, sql_setting_add);
		if (st == NULL || db_bind_text(st, 1, UNSUB_KEY_NAME) == -1 ||
		    db_bind_text(st, 2, fresh) == -1 ||
		    db_step(db, st) != DB_DONE)
			goto out;
		db_release(st);
		st = NULL;
	}
out:
	db_release(st);
	sodium_memzero(fresh, sizeof(fresh));
	return ret;
}

/* The address's keyed hash (hmac) and its bare pre-secret hash (legacy,
 * may be NULL). 0 or -1. */
static int
address_hash(struct db *db, const char *email, char hmac[IDS_HMAC_B64_LEN + 1],
    char legacy[IDS_HASH_LEN + 1])
{
	char	 lower[MAILER_ADDRESS_MAX + 1], key[UNSUB_KEY_LEN + 1];
	size_t	 i;

	for (i = 0; email[i] != '\0' && i < MAILER_ADDRESS_MAX; i++)
		lower[i] = (char)tolower((unsigned char)email[i]);
	lower[i] = '\0';
	if (unsubscribe_key(db, key) == -1)
		return -1;
	ids_hmac_sha256_base64((const unsigned char *)key, UNSUB_KEY_LEN,
	    lower, i, hmac);
	sodium_memzero(key, sizeof(key));
	if (legacy != NULL)
		ids_token_hash(lower, legacy);
	return 0;
}

/* Whether email unsubscribed from bu's invitations; a row found by its
 * legacy hash is re-keyed. Inside the caller's write transaction. 0 or
 * -1. */
static int
unsubscribed(struct db *db, const char *bu, const char *email, bool *found)
{
	struct db_stmt	*st = NULL;
	char		 hmac[IDS_HMAC_B64_LEN + 1], legacy[IDS_HASH_LEN + 1];
	bool		 rekey;
	int		 rc;

	if (address_hash(db, email, hmac, legacy) == -1)
		return -1;
	st = db_prepare(db, sql_unsubscribed);
	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    db_bind_text(st, 2, hmac) == -1 ||
	    db_bind_text(st, 3, legacy) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_release(st);
		return -1;
	}
	*found = rc == DB_ROW;
	rekey = *found && strcmp(db_text(st, 0), legacy) == 0;
	db_release(st);
	if (!rekey)
		return 0;
	st = db_prepare(db, sql_unsubscribe_rekey);
	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    db_bind_text(st, 2, legacy) == -1 ||
	    db_bind_text(st, 3, hmac) == -1 || db_step(db, st) != DB_DONE) {
		db_release(st);
		return -1;
	}
	db_release(st);
	return 0;
}

/* Turns productSkus into catalogue products (400 for unknown ones). */
static int
resolve_skus(struct db *db, const char *bu, struct inv_input *in,
    struct api_error *err)
{
	struct db_stmt	*st;
	json_t		*sku;	/* borrowed */
	size_t		 i;
	int		 rc;

	if (in->skus == NULL)
		return 0;
	in->products = json_array();
	json_array_foreach(in->skus, i, sku) {
		st = db_prepare(db, sql_catalogue_product);
		if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
		    db_bind_text(st, 2, json_string_value(sku)) == -1 ||
		    (rc = db_step(db, st)) == -1) {
			db_release(st);
			db_fail(db, err);
			return -1;
		}
		if (rc == DB_DONE)
			api_error_set(err, 400, "productReviewInvitation."
			    "productSkus", "%s is not in the product catalogue",
			    json_string_value(sku));
		else if (json_array_append_new(in->products, json_pack("{s:s, "
		    "s:s, s:s, s:s, s:s, s:s, s:s}", "sku", db_text(st, 0),
		    "name", db_text(st, 1), "productUrl", db_text(st, 2),
		    "imageUrl", db_text(st, 3), "gtin", db_text(st, 4), "mpn",
		    db_text(st, 5), "brand", db_text(st, 6))) == -1) {
			db_release(st);
			api_error_set(err, 500, NULL, "Internal error");
			return -1;
		}
		db_release(st);
	}
	return err->status != 0 ? -1 : 0;
}

static bool
builtin_template(const char *id)
{
	static const char *const ids[] = { "default-en", "default-de",
	    "default-fr", "default-da", NULL };
	size_t	 i;

	for (i = 0; ids[i] != NULL; i++) {
		if (strcmp(id, ids[i]) == 0)
			return true;
	}
	return false;
}

/*
 * Stores one checked invitation inside the caller's transaction, applying
 * suppression: an unsubscribed address, a reference already invited and
 * an address invited within the repeat period are stored as skipped with
 * the reason. Writes its id. 0, or -1 with err.
 */
static int
store(struct db *db, const char *bu, struct inv_input *in, const char *origin,
    char id_out[IDS_ID_LEN + 1], struct api_error *err)
{
	struct db_stmt	*st = NULL;
	char		 id[IDS_ID_LEN + 1];
	char		 locale[8] = "en-US";
	char		*tags = NULL, *products = NULL;
	const char	*reason = NULL;
	int64_t		 now = clock_now_ms();
	int		 found, ret = -1;
	bool		 unsub;

	if (resolve_skus(db, bu, in, err) == -1)
		return -1;
	if (in->template_id != NULL && !builtin_template(in->template_id)) {
		if (exists(db, sql_template_exists, &found, in->template_id,
		    bu) == -1)
			goto dberr;
		if (!found) {
			api_error_set(err, 400, "templateId", "is not a "
			    "template of this business unit");
			return -1;
		}
	}
	if (in->locale != NULL)
		snprintf(locale, sizeof(locale), "%s", in->locale);
	else {
		st = db_prepare(db, sql_unit_locale);
		if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
		    db_step(db, st) != DB_ROW)
			goto dberr;
		snprintf(locale, sizeof(locale), "%s", db_text(st, 0));
		db_release(st);
		st = NULL;
	}
	if (unsubscribed(db, bu, in->email, &unsub) == -1)
		goto dberr;
	if (unsub)
		reason = "the address unsubscribed from this business's "
		    "invitations";
	if (reason == NULL && in->reference != NULL) {
		if (exists(db, sql_reference_used, &found, bu,
		    in->reference) == -1)
			goto dberr;
		if (found)
			reason = "this reference number was already invited";
	}
	if (reason == NULL && inv_cfg->invitation_repeat_days > 0) {
		st = db_prepare(db, sql_recently_invited);
		if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
		    db_bind_text(st, 2, in->email) == -1 ||
		    db_bind_int(st, 3, now -
		    inv_cfg->invitation_repeat_days * 86400000) == -1 ||
		    (found = db_step(db, st)) == -1)
			goto dberr;
		db_release(st);
		st = NULL;
		if (found == DB_ROW)
			reason = "the address was invited within the repeat "
			    "period";
	}
	tags = in->tags != NULL ? json_dumps(in->tags, JSON_COMPACT) :
	    strdup("[]");
	products = in->products != NULL ? json_dumps(in->products,
	    JSON_COMPACT) : strdup("[]");
	if (tags == NULL || products == NULL)
		goto dberr;
	ids_new(id);
	st = db_prepare(db, sql_insert);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, bu) == -1 ||
	    db_bind_text(st, 3, in->email) == -1 ||
	    db_bind_text(st, 4, in->name) == -1 ||
	    db_bind_text(st, 5, in->reference) == -1 ||
	    db_bind_text(st, 6, locale) == -1 ||
	    db_bind_text(st, 7, in->sender_name) == -1 ||
	    db_bind_text(st, 8, in->sender_email) == -1 ||
	    db_bind_text(st, 9, in->reply_to) == -1 ||
	    db_bind_text(st, 10, in->location_id) == -1 ||
	    db_bind_text(st, 11, in->template_id) == -1 ||
	    db_bind_text(st, 12, in->redirect_uri) == -1 ||
	    db_bind_text(st, 13, tags) == -1 ||
	    db_bind_int(st, 14, in->service) == -1 ||
	    db_bind_text(st, 15, products) == -1 ||
	    db_bind_text(st, 16, origin) == -1 ||
	    db_bind_text(st, 17, reason != NULL ? "skipped" : "queued") == -1 ||
	    db_bind_text(st, 18, reason) == -1 ||
	    db_bind_int(st, 19, in->send_at > now ? in->send_at :
	    now) == -1 ||
	    db_bind_int(st, 20, now) == -1 ||
	    db_step(db, st) != DB_DONE)
		goto dberr;
	if (add_event(db, id, "created", origin, now) == -1 ||
	    (reason != NULL && add_event(db, id, "skipped", reason, now) == -1))
		goto dberr;
	memcpy(id_out, id, sizeof(id));
	ret = 0;
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	free(tags);
	free(products);
	return ret;
}

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

static json_t *
parsed(struct db_stmt *st, int col)
{
	json_error_t	 jerr;
	json_t		*v = json_loads(db_text(st, col), 0, &jerr);

	return v != NULL ? v : json_array();
}

/* Event times are stored in ms; the API shows ISO-8601. */
static json_t *
events_json(struct db_stmt *st)
{
	json_t	*events = parsed(st, I_EVENTS), *e;	/* owned; borrowed */
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
	    "tags", parsed(st, I_TAGS),
	    "serviceReviewInvitation", (int)db_int(st, I_SERVICE),
	    "products", parsed(st, I_PRODUCTS),
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

/* The invitation's JSON; 404 unless it belongs to bu (NULL: any). */
static int
load_json(struct db *db, const char *id, const char *bu, json_t **out,
    struct api_error *err)
{
	struct db_stmt	*st = db_prepare(db, sql_by_id);
	int		 rc, ret = -1;

	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (rc == DB_DONE || (bu != NULL && strcmp(bu, db_text(st,
	    I_BU)) != 0)) {
		api_error_set(err, 404, NULL, "Invitation not found");
		goto out;
	}
	*out = invitation_json(st);
	if (*out == NULL) {
		api_error_set(err, 500, NULL, "Internal error");
		goto out;
	}
	ret = 0;
out:
	db_release(st);
	return ret;
}

/* Idempotency: a retried call with the same Idempotency-Key creates
 * nothing and gets the first answer again. */

static const char sql_idem_get[] =
    "SELECT request_hash, status, response FROM idempotency_keys "
    "WHERE business_unit_id = ? AND key = ? AND created_at >= ?";
/* REPLACE: an expired key the scheduler has not purged yet is new again */
static const char sql_idem_put[] =
    "INSERT OR REPLACE INTO idempotency_keys (business_unit_id, key, "
    "  request_hash, status, response, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";
static const char sql_idem_purge[] =
    "DELETE FROM idempotency_keys WHERE created_at < ?";

static int64_t
idem_cutoff(int64_t now)
{
	return now - inv_cfg->invitation_idempotency_h * 3600000;
}

struct idem {
	const char	*key;		/* NULL: no header */
	char		 hash[IDS_HASH_LEN + 1];
};

static int
idem_read(const struct request *req, struct idem *ik, struct api_error *err)
{
	const unsigned char	*p;

	ik->key = request_header(req, "Idempotency-Key");
	if (ik->key == NULL)
		return 0;
	for (p = (const unsigned char *)ik->key; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7e)
			break;
	}
	if (*p != '\0' || p == (const unsigned char *)ik->key ||
	    strlen(ik->key) > KEY_MAX) {
		api_error_set(err, 400, "Idempotency-Key", "must be 1 to %d "
		    "visible ASCII characters", KEY_MAX);
		return -1;
	}
	ids_token_hash(req->body, ik->hash);
	return 0;
}

/* Inside the transaction: 1 when replayed into res, 0 to go on, -1. */
static int
idem_replay(struct db *db, const char *bu, const struct idem *ik,
    struct response *res, struct api_error *err)
{
	struct db_stmt	*st;
	json_error_t	 jerr;
	int		 rc, ret = -1;

	if (ik->key == NULL)
		return 0;
	st = db_prepare(db, sql_idem_get);
	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    db_bind_text(st, 2, ik->key) == -1 ||
	    db_bind_int(st, 3, idem_cutoff(clock_now_ms())) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (rc == DB_DONE) {
		ret = 0;
		goto out;
	}
	if (strcmp(db_text(st, 0), ik->hash) != 0) {
		api_error_set(err, 409, "Idempotency-Key", "was already used "
		    "with a different request");
		goto out;
	}
	if (response_json(res, (int)db_int(st, 1), json_loads(
	    db_text(st, 2), 0, &jerr), err) == -1 ||
	    response_header(res, "Idempotent-Replayed", "true") == -1)
		goto out;
	ret = 1;
out:
	db_release(st);
	return ret;
}

static int
idem_save(struct db *db, const char *bu, const struct idem *ik, int status,
    json_t *body)
{
	struct db_stmt	*st;
	char		*text;
	int		 rc = -1;

	if (ik->key == NULL)
		return 0;
	text = json_dumps(body, JSON_COMPACT);
	st = db_prepare(db, sql_idem_put);
	if (text != NULL && st != NULL && db_bind_text(st, 1, bu) == 0 &&
	    db_bind_text(st, 2, ik->key) == 0 &&
	    db_bind_text(st, 3, ik->hash) == 0 &&
	    db_bind_int(st, 4, status) == 0 &&
	    db_bind_text(st, 5, text) == 0 &&
	    db_bind_int(st, 6, clock_now_ms()) == 0)
		rc = db_step(db, st);
	db_release(st);
	free(text);
	return rc == DB_DONE ? 0 : -1;
}

/* The daily sending quota: e-mail invitations created in the last 24 h. */

#define QUOTA_WINDOW_MS	86400000

static const char sql_quota_used[] =
    "SELECT count(*) FROM invitations WHERE business_unit_id = ?1 AND "
    "link_kind = 'email_invitation' AND created_at > ?2";
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
	struct db_stmt	*st = db_prepare(db, offset < 0 ? sql_quota_used :
			    sql_quota_nth);
	int		 ret = -1;

	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    db_bind_int(st, 2, now - QUOTA_WINDOW_MS) == -1 ||
	    (offset >= 0 && db_bind_int(st, 3, offset) == -1) ||
	    db_step(db, st) != DB_ROW)
		goto out;
	*out = db_int(st, 0);
	ret = 0;
out:
	db_release(st);
	return ret;
}

int
invitations_quota_check(struct db *db, const char *bu, size_t n,
    struct api_error *err)
{
	int64_t	 limit = inv_cfg->invitation_daily_limit;
	int64_t	 now = clock_now_ms(), used, at;
	char	 retry[24];

	if (limit == 0)
		return 0;
	if (quota_query(db, bu, now, -1, &used) == -1) {
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

/* {"limit", "used", "remaining", "windowHours"} for the history; limit
 * and remaining null when there is no limit. NULL on failure. */
static json_t *
quota_json(struct db *db, const char *bu)
{
	int64_t	 limit = inv_cfg->invitation_daily_limit, used;

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
 * POST .../email-invitations: one invitation in Trustpilot's shape, or a
 * batch {"invitations": [...]} validated all or nothing (every bad item
 * is named by its index).
 */
int
invitations_create(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	json_t		*body = NULL, *items, *item, *out = NULL, *list = NULL;
	struct inv_input *inputs = NULL;
	struct idem	 ik;
	const char	*bu;
	char		 prefix[48], id[IDS_ID_LEN + 1];
	size_t		 i, n = 0, count = 0;
	bool		 batch;
	int		 r, ret = -1;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    idem_read(req, &ik, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	items = json_object_get(body, "invitations");	/* borrowed */
	batch = items != NULL;
	if (batch && (!json_is_array(items) || json_array_size(items) == 0 ||
	    json_array_size(items) > BATCH_MAX)) {
		api_error_set(err, 400, "invitations", "must be an array of 1 "
		    "to %d invitations", BATCH_MAX);
		goto out;
	}
	count = batch ? json_array_size(items) : 1;
	inputs = calloc(count, sizeof(*inputs));
	if (inputs == NULL) {
		api_error_set(err, 500, NULL, "Internal error");
		goto out;
	}
	for (n = 0; n < count; n++) {
		item = batch ? json_array_get(items, n) : body;
		snprintf(prefix, sizeof(prefix), "invitations[%zu]", n);
		read_input(item, batch ? prefix : "", true, &inputs[n], err);
	}
	if (err->status != 0 || db == NULL)
		goto fail;
	if (db_tx_begin(db) == -1)
		goto fail;
	if ((r = idem_replay(db, bu, &ik, res, err)) != 0) {
		ret = r == 1 ? 0 : -1;
		goto out;
	}
	/* checked and created in one write transaction: two requests cannot
	 * both take the last places */
	if (invitations_quota_check(db, bu, count, err) == -1)
		goto out;
	list = json_array();
	for (i = 0; i < count; i++) {
		struct api_error sub;

		memset(&sub, 0, sizeof(sub));
		snprintf(prefix, sizeof(prefix), "invitations[%zu]", i);
		if (store(db, bu, &inputs[i], batch ? "batch" : "api", id,
		    &sub) == -1) {
			prefixed(err, &sub, batch ? prefix : "");
			continue;
		}
		if (load_json(db, id, NULL, &item, err) == -1 ||
		    json_array_append_new(list, item) == -1)
			goto fail;
	}
	if (err->status != 0)
		goto out;
	out = batch ? json_pack("{s:O}", "invitations", list) :
	    json_incref(json_array_get(list, 0));
	if (out == NULL || idem_save(db, bu, &ik, 201, out) == -1 ||
	    db_tx_commit(db) == -1)
		goto fail;
	scheduler_wake();
	ret = response_json(res, 201, out, err);
	out = NULL;
	goto out;
fail:
	if (err->status == 0)
		db_fail(db, err);
out:
	db_tx_rollback(db);	/* ends a replay's read; no-op after commit */
	for (i = 0; i < n && inputs != NULL; i++)
		input_release(&inputs[i]);
	free(inputs);
	json_decref(out);
	json_decref(list);
	json_decref(body);
	return ret;
}

/* CSV upload. */

enum csv_column {
	COL_EMAIL, COL_NAME, COL_REFERENCE, COL_LOCALE, COL_SEND_TIME,
	COL_TAGS, COL_SKU, COL_PRODUCT_NAME, COL_PRODUCT_URL, COL_IMAGE_URL,
	COL_GTIN, COL_MPN, COL_BRAND, NCOLUMNS
};

/* Header names, compared ignoring case, spaces, '_' and '-'. */
static const struct {
	const char	*name;
	enum csv_column	 column;
} csv_headers[] = {
	{ "email", COL_EMAIL }, { "emailaddress", COL_EMAIL },
	{ "consumeremail", COL_EMAIL },
	{ "name", COL_NAME }, { "consumername", COL_NAME },
	{ "reference", COL_REFERENCE }, { "referencenumber", COL_REFERENCE },
	{ "ref", COL_REFERENCE }, { "referenceid", COL_REFERENCE },
	{ "locale", COL_LOCALE },
	{ "preferredsendtime", COL_SEND_TIME },
	{ "tags", COL_TAGS },
	{ "sku", COL_SKU },
	{ "productname", COL_PRODUCT_NAME },
	{ "producturl", COL_PRODUCT_URL },
	{ "imageurl", COL_IMAGE_URL },
	{ "gtin", COL_GTIN }, { "mpn", COL_MPN }, { "brand", COL_BRAND },
};

static int
csv_column(const char *header)
{
	char	 norm[64];
	size_t	 n = 0, i;

	for (; *header != '\0' && n < sizeof(norm) - 1; header++) {
		if (*header == ' ' || *header == '_' || *header == '-')
			continue;
		norm[n++] = (char)tolower((unsigned char)*header);
	}
	norm[n] = '\0';
	for (i = 0; i < sizeof(csv_headers) / sizeof(csv_headers[0]); i++) {
		if (strcmp(norm, csv_headers[i].name) == 0)
			return (int)csv_headers[i].column;
	}
	return -1;
}

static const char *
cell(const struct csv_row *row, const int *map, enum csv_column c)
{
	const char	*s;

	if (map[c] < 0 || (size_t)map[c] >= row->n)
		return NULL;
	s = row->field[map[c]];
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' ? NULL : s;
}

/*
 * A name to greet by from an address: its local part with dots as spaces
 * ("anna.smith@example.com" gives "anna smith"), which names no host.
 */
static void
local_name(const char *email, char *out, size_t outlen)
{
	size_t	 i;

	snprintf(out, outlen, "%.*s", (int)strcspn(email, "@"), email);
	for (i = 0; out[i] != '\0'; i++) {
		if (out[i] == '.')
			out[i] = ' ';
	}
}

/* A row as the JSON the API takes, so one validator serves both. */
static json_t *
row_json(const struct csv_row *row, const int *map)
{
	json_t		*o, *part, *tags, *product;	/* owned */
	const char	*s, *p, *sep;
	char		 greet[MAILER_ADDRESS_MAX + 1];

	o = json_object();
	if (o == NULL)
		return NULL;
	if ((s = cell(row, map, COL_EMAIL)) != NULL)
		json_object_set_new(o, "consumerEmail", json_string(s));
	/* a file without names: greet by the address's local part */
	s = cell(row, map, COL_NAME);
	if (s == NULL && (s = cell(row, map, COL_EMAIL)) != NULL) {
		local_name(s, greet, sizeof(greet));
		s = greet;
	}
	if (s != NULL)
		json_object_set_new(o, "consumerName", json_string(s));
	if ((s = cell(row, map, COL_REFERENCE)) != NULL)
		json_object_set_new(o, "referenceNumber", json_string(s));
	if ((s = cell(row, map, COL_LOCALE)) != NULL)
		json_object_set_new(o, "locale", json_string(s));
	part = json_object();
	if ((s = cell(row, map, COL_SEND_TIME)) != NULL)
		json_object_set_new(part, "preferredSendTime", json_string(s));
	if (cell(row, map, COL_SKU) != NULL) {
		product = json_object();
		json_object_set_new(product, "sku", json_string(cell(row, map,
		    COL_SKU)));
		s = cell(row, map, COL_PRODUCT_NAME);
		json_object_set_new(product, "name", json_string(s != NULL ?
		    s : cell(row, map, COL_SKU)));
		if ((s = cell(row, map, COL_PRODUCT_URL)) != NULL)
			json_object_set_new(product, "productUrl",
			    json_string(s));
		if ((s = cell(row, map, COL_IMAGE_URL)) != NULL)
			json_object_set_new(product, "imageUrl",
			    json_string(s));
		if ((s = cell(row, map, COL_GTIN)) != NULL)
			json_object_set_new(product, "gtin", json_string(s));
		if ((s = cell(row, map, COL_MPN)) != NULL)
			json_object_set_new(product, "mpn", json_string(s));
		if ((s = cell(row, map, COL_BRAND)) != NULL)
			json_object_set_new(product, "brand", json_string(s));
		json_object_set_new(part, "products", json_pack("[o]",
		    product));
		json_object_set_new(o, "productReviewInvitation", part);
	} else {
		if ((s = cell(row, map, COL_TAGS)) != NULL) {
			tags = json_array();
			for (p = s; tags != NULL; p = sep + 1) {
				sep = strpbrk(p, "|,");
				if ((sep != NULL ? sep - p : (long)strlen(p)) > 0)
					json_array_append_new(tags,
					    json_stringn(p, sep != NULL ?
					    (size_t)(sep - p) : strlen(p)));
				if (sep == NULL)
					break;
			}
			json_object_set_new(part, "tags", tags);
		}
		json_object_set_new(o, "serviceReviewInvitation", part);
	}
	return o;
}

/*
 * The upload runs in two passes over the buffered body, keeping nothing
 * but the current row (and a few problem rows for the answer):
 *
 * 1. check: every row is read and checked as the JSON API checks an
 *    invitation, outside any transaction. Product rows are written to a
 *    temporary table (this connection's, on disk, not the main database:
 *    no lock) with their rank in their address-and-reference group, so
 *    pass 2 can merge a group without holding it in memory. Without
 *    ?skipInvalid=true one bad row ends the upload here: 400, nothing
 *    stored.
 * 2. store: the rows again, CSV_CHUNK_ROWS to a transaction; each row's
 *    outcome is stored with the import (invitations_csv.c), so the state
 *    after a failed or interrupted chunk is visible and the chunks before
 *    it are kept. Other writers get the database between chunks.
 */

/* A chunk ends after CSV_CHUNK_ROWS rows or CSV_CHUNK_MS of holding the
 * write lock, whichever comes first (checked every 100 rows). */
#define CSV_CHUNK_ROWS	2000
#define CSV_CHUNK_MS	100

static const char sql_groups_create[] =
    "CREATE TEMP TABLE IF NOT EXISTS csv_products (line INTEGER PRIMARY "
    "  KEY, gkey TEXT NOT NULL, rank INTEGER NOT NULL, product TEXT NOT "
    "  NULL);"
    "CREATE INDEX IF NOT EXISTS temp.csv_products_group ON "
    "  csv_products(gkey, rank);"
    "DELETE FROM temp.csv_products";
static const char sql_groups_clear[] = "DELETE FROM temp.csv_products";
static const char sql_group_next[] =
    "SELECT coalesce(max(rank) + 1, 0) FROM temp.csv_products "
    "WHERE gkey = ?";
static const char sql_group_add[] =
    "INSERT INTO temp.csv_products (line, gkey, rank, product) "
    "VALUES (?, ?, ?, ?)";
static const char sql_group_rank[] =
    "SELECT rank, gkey FROM temp.csv_products WHERE line = ?";
static const char sql_group_products[] =
    "SELECT product FROM temp.csv_products WHERE gkey = ? AND rank < ? "
    "ORDER BY rank";
static const char sql_group_head[] =
    "SELECT r.invitation_id FROM temp.csv_products p "
    "JOIN invitation_import_rows r ON r.import_id = ?2 AND r.line = p.line "
    "WHERE p.gkey = ?1 AND p.rank = 0";
static const char sql_stored_status[] =
    "SELECT status, skip_reason FROM invitations WHERE id = ?";

/* A product row's group: its address and reference. */
static int
group_key(json_t *o, struct buf *key)
{
	const char	*email = json_string_value(json_object_get(o,
			    "consumerEmail"));
	const char	*ref = json_string_value(json_object_get(o,
			    "referenceNumber"));

	buf_reset(key);
	return buf_printf(key, "%s\x1f%s", email != NULL ? email : "",
	    ref != NULL ? ref : "");
}

/* Reads the header row into map (or takes the first row as data, then
 * *first_is_data). 0, or -1 with err. */
static int
csv_header(struct csv_reader *reader, int *map, json_t *ignored,
    bool *first_is_data, struct csv_row *row, struct api_error *err)
{
	size_t	 i;
	int	 rc, col;

	for (i = 0; i < NCOLUMNS; i++)
		map[i] = -1;
	*first_is_data = false;
	rc = csv_next(reader, row);
	if (rc != 1) {
		api_error_set(err, 400, "body", rc == 0 ? "is empty" :
		    "the first line is not valid CSV");
		return -1;
	}
	if (strchr(row->field[0], '@') != NULL) {
		*first_is_data = true;
		map[COL_EMAIL] = 0;
		map[COL_NAME] = 1;
		map[COL_REFERENCE] = 2;
		return 0;
	}
	for (i = 0; i < row->n; i++) {
		col = csv_column(row->field[i]);
		if (col >= 0 && map[col] < 0)
			map[col] = (int)i;
		else if (col < 0 && ignored != NULL &&
		    json_array_append_new(ignored,
		    json_string(row->field[i])) == -1) {
			api_error_set(err, 500, NULL, "Internal error");
			return -1;
		}
	}
	if (map[COL_EMAIL] < 0) {
		api_error_set(err, 400, "header", "has no email column");
		return -1;
	}
	return 0;
}

/*
 * Checks one row read with result rc. 1 when valid (*out: the row as the
 * API's JSON, owned), 0 when invalid (*out: its [{field, reason}],
 * owned), -1 when out of memory.
 */
static int
csv_check(int rc, const struct csv_row *row, const int *map, json_t **out)
{
	struct api_error sub;
	struct inv_input in;
	json_t		*o, *errors;	/* owned */
	size_t		 i;

	*out = NULL;
	if (rc == -1) {
		*out = json_pack("[{s:s, s:s}]", "field", "row", "reason",
		    "is not valid CSV (check the quotes)");
		return *out != NULL ? 0 : -1;
	}
	if ((o = row_json(row, map)) == NULL)
		return -1;
	memset(&sub, 0, sizeof(sub));
	if (read_input(o, "", false, &in, &sub) == 0) {
		input_release(&in);
		*out = o;
		return 1;
	}
	json_decref(o);
	if ((errors = json_array()) == NULL)
		return -1;
	for (i = 0; i < sub.ndetails; i++) {
		if (json_array_append_new(errors, json_pack("{s:s, s:s}",
		    "field", sub.details[i].field, "reason",
		    sub.details[i].reason)) == -1) {
			json_decref(errors);
			return -1;
		}
	}
	*out = errors;
	return 0;
}

/* Pass 1 for a valid product row: its rank in its group, in the
 * temporary table with its product. 0 or -1. */
static int
group_add(struct db *db, json_t *o, size_t line, struct buf *key)
{
	struct db_stmt	*st = NULL;
	char		*product = NULL;
	int64_t		 rank;
	int		 ret = -1;

	product = json_dumps(json_array_get(json_object_get(json_object_get(o,
	    "productReviewInvitation"), "products"), 0), JSON_COMPACT);
	if (product == NULL || group_key(o, key) == -1 ||
	    (st = db_prepare(db, sql_group_next)) == NULL ||
	    db_bind_text(st, 1, key->data) == -1 ||
	    db_step(db, st) != DB_ROW)
		goto out;
	rank = db_int(st, 0);
	db_release(st);
	st = db_prepare(db, sql_group_add);
	if (st == NULL ||
	    db_bind_int(st, 1, (int64_t)line) == -1 ||
	    db_bind_text(st, 2, key->data) == -1 ||
	    db_bind_int(st, 3, rank) == -1 ||
	    db_bind_text(st, 4, product) == -1 ||
	    db_step(db, st) != DB_DONE)
		goto out;
	ret = 0;
out:
	db_release(st);
	free(product);
	return ret;
}

/* Pass 1: counts the rows, keeps the first problems, ranks the product
 * rows. 0, or -1 with err. */
static int
csv_check_all(struct db *db, const struct request *req,
    struct csv_import *imp, int *map, struct api_error *err)
{
	struct csv_reader reader;
	struct csv_row	 row;
	struct buf	 key;
	json_t		*o = NULL;	/* owned */
	bool		 first_is_data;
	int		 rc, ret = -1;

	csv_init(&reader, req->body, req->body_len);
	buf_init(&key, (MAILER_ADDRESS_MAX + REF_MAX) * 4 + 8);
	if (db_exec(db, sql_groups_create) == -1)
		goto dberr;
	if (csv_header(&reader, map, imp->ignored, &first_is_data, &row,
	    err) == -1)
		goto out;
	/* deferred: only the temporary database is written */
	if (db_exec(db, "BEGIN") == -1)
		goto dberr;
	for (rc = first_is_data ? 1 : csv_next(&reader, &row); rc != 0;
	    rc = csv_next(&reader, &row)) {
		imp->total++;
		switch (csv_check(rc, &row, map, &o)) {
		case 1:
			if (cell(&row, map, COL_SKU) != NULL &&
			    group_add(db, o, row.line, &key) == -1)
				goto dberr;
			break;
		case 0:
			if (invitations_import_count(imp, row.line, "invalid",
			    NULL, NULL, o) == -1)
				goto oom;
			break;
		default:
			goto oom;
		}
		json_decref(o);
		o = NULL;
	}
	if (db_exec(db, "COMMIT") == -1)
		goto dberr;
	ret = 0;
	goto out;
oom:
	api_error_set(err, 500, NULL, "Internal error");
	goto out;
dberr:
	db_fail(db, err);
out:
	if (ret == -1)
		db_tx_rollback(db);
	json_decref(o);
	buf_release(&key);
	csv_release(&reader);
	return ret;
}

/* The answer when bad rows stop an import: the one error shape with a
 * detail per problem ("line N: field"), plus the counts and the first
 * problem rows. */
static int
reject_rows(const struct request *req, struct response *res,
    const struct csv_import *imp, struct api_error *err)
{
	json_t		*details, *body, *row, *e;	/* owned; borrowed */
	char		 field[96];
	size_t		 i, k;

	if ((body = invitations_import_json(req, imp, "rejected")) == NULL ||
	    json_object_set_new(body, "details", json_array()) == -1) {
		json_decref(body);
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	details = json_object_get(body, "details");
	json_array_foreach(imp->problems, i, row) {
		json_array_foreach(json_object_get(row, "errors"), k, e) {
			if (json_array_size(details) == API_ERROR_MAX_DETAILS)
				break;
			snprintf(field, sizeof(field), "line %lld: %s",
			    (long long)json_integer_value(json_object_get(row,
			    "line")), json_string_value(json_object_get(e,
			    "field")));
			json_array_append_new(details, json_pack("{s:s, s:O}",
			    "field", field, "reason", json_object_get(e,
			    "reason")));
		}
	}
	if (json_object_set_new(body, "message", json_string("Some rows are "
	    "not valid; nothing was imported (use ?skipInvalid=true to "
	    "import the valid ones)")) == -1 ||
	    json_object_set_new(body, "errorCode", json_integer(1001)) == -1 ||
	    json_object_set_new(body, "correlationId",
	    json_string(req->id)) == -1) {
		json_decref(body);
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	return response_json(res, 400, body, err);
}

/*
 * Pass 2 for a valid row (o, owned by the caller): a product row that
 * follows its group's first one is merged into that invitation; the first
 * takes the products of its group (up to PRODUCTS_MAX; rows past that
 * make invitations of their own). Stores the invitation and the row's
 * outcome. 0, or -1 with err.
 */
static int
store_row(struct db *db, struct csv_import *imp, json_t *o, bool product,
    size_t line, struct api_error *err)
{
	struct db_stmt	*st = NULL;
	struct api_error sub;
	struct inv_input in;
	json_t		*products = NULL, *p, *errors = NULL;	/* owned */
	json_t		*part;					/* borrowed */
	json_error_t	 jerr;
	char		 id[IDS_ID_LEN + 1], head[IDS_ID_LEN + 1];
	char		*status = NULL, *reason = NULL;
	int64_t		 rank = 0;
	int		 rc, ret = -1;

	memset(&in, 0, sizeof(in));
	memset(&sub, 0, sizeof(sub));
	if (product) {
		st = db_prepare(db, sql_group_rank);
		if (st == NULL || db_bind_int(st, 1,
		    (int64_t)line) == -1 ||
		    db_step(db, st) != DB_ROW)
			goto dberr;
		rank = db_int(st, 0);
		if (rank > 0 && rank < PRODUCTS_MAX) {
			struct db_stmt	*h = db_prepare(db, sql_group_head);

			if (h == NULL || db_bind_text(h, 1, db_text(st,
			    1)) == -1 || db_bind_text(h, 2, imp->id) == -1 ||
			    db_step(db, h) != DB_ROW) {
				db_release(h);
				goto dberr;
			}
			snprintf(head, sizeof(head), "%s", db_text(h, 0));
			db_release(h);
			ret = invitations_import_row(db, imp, line, "merged",
			    head[0] != '\0' ? head : NULL, NULL, NULL, err);
			goto out;
		}
		if (rank == 0) {
			struct db_stmt	*g = db_prepare(db, sql_group_products);

			products = json_array();
			if (g == NULL || products == NULL || db_bind_text(g, 1,
			    db_text(st, 1)) == -1 || db_bind_int(g, 2,
			    PRODUCTS_MAX) == -1) {
				db_release(g);
				goto dberr;
			}
			while ((rc = db_step(db, g)) == DB_ROW) {
				p = json_loads(db_text(g, 0), 0, &jerr);
				if (json_array_append_new(products, p) == -1)
					break;
			}
			db_release(g);
			part = json_object_get(o, "productReviewInvitation");
			if (rc != DB_DONE || json_object_set(part,
			    "products", products) == -1)
				goto dberr;
		}
		db_release(st);
		st = NULL;
	}
	if (read_input(o, "", false, &in, &sub) == -1)
		goto refused;
	if (store(db, imp->bu, &in, "csv", id, &sub) == -1) {
		if (sub.status >= 500) {
			*err = sub;
			goto out;
		}
		goto refused;
	}
	st = db_prepare(db, sql_stored_status);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_step(db, st) != DB_ROW ||
	    (status = strdup(db_text(st, 0))) == NULL ||
	    (!db_is_null(st, 1) &&
	    (reason = strdup(db_text(st, 1))) == NULL))
		goto dberr;
	ret = invitations_import_row(db, imp, line, status, id, reason, NULL,
	    err);
	goto out;
refused:
	/* a check that needs the database (catalogue, template) */
	errors = json_pack("[{s:s, s:s}]", "field", sub.ndetails > 0 ?
	    sub.details[0].field : "row", "reason", sub.ndetails > 0 ?
	    sub.details[0].reason : sub.message);
	if (errors == NULL) {
		api_error_set(err, 500, NULL, "Internal error");
		goto out;
	}
	ret = invitations_import_row(db, imp, line, "invalid", NULL, NULL,
	    errors, err);
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	input_release(&in);
	json_decref(products);
	json_decref(errors);
	free(status);
	free(reason);
	return ret;
}

/*
 * Opens the transaction of one chunk of an import and checks, inside it,
 * that the rest of the file fits the unit's daily sending quota. Each
 * valid row still to store counts as an invitation (product rows merged
 * into one later count too: the check may refuse a file that would just
 * fit, never let one through that does not). The first chunk's check is
 * the whole file's, atomic with its first rows; a later chunk fails only
 * when other requests used the quota meanwhile, and the chunks stored
 * before it stay. 0, or -1 with err (429 over the quota).
 */
static int
chunk_begin(struct db *db, const struct csv_import *imp, size_t valid,
    struct api_error *err)
{
	size_t	 done = imp->created + imp->skipped + imp->merged;

	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		return -1;
	}
	return invitations_quota_check(db, imp->bu, valid > done ?
	    valid - done : 0, err);
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What an upload cost, for its log line. */
struct csv_stats {
	int64_t		 check_ms, store_ms, longest_ms;
	size_t		 chunks;
};

/*
 * Leaves the database to others between two chunks. Writers waiting for
 * the lock sleep in SQLite's busy handler and look again only every few
 * up to 100 ms; without a pause this thread would take the lock back
 * the moment it let go and starve them. Pausing a third of the time the
 * chunk held the lock gives a waiter a fair chance at each look, for a
 * quarter of the import's speed.
 */
static void
chunk_pause(int64_t held_ms)
{
	struct timespec	 ts;
	int64_t		 ms = held_ms / 3 > 2 ? held_ms / 3 : 2;

	ts.tv_sec = 0;
	ts.tv_nsec = (long)(ms > 100 ? 100 : ms) * 1000000;
	(void)nanosleep(&ts, NULL);	/* a signal cutting it short is fine */
}

/* Pass 2: stores the rows chunk by chunk; the last chunk also saves the
 * answer for the Idempotency-Key. 0, or -1 with err. */
static int
csv_store_all(struct db *db, const struct request *req,
    struct csv_import *imp, size_t valid, const int *map,
    const struct idem *ik, json_t **answer, struct csv_stats *stats,
    struct api_error *err)
{
	struct csv_reader reader;
	struct csv_row	 row;
	json_t		*o = NULL;	/* owned */
	bool		 first_is_data;
	size_t		 n;
	int64_t		 t;
	int		 rc, ret = -1, hmap[NCOLUMNS];

	csv_init(&reader, req->body, req->body_len);
	/* past the header again; pass 1 made map from it already */
	if (csv_header(&reader, hmap, NULL, &first_is_data, &row, err) == -1)
		goto out;
	rc = first_is_data ? 1 : csv_next(&reader, &row);
	for (;;) {
		if (chunk_begin(db, imp, valid, err) == -1)
			goto out;
		t = mono_ms();
		for (n = 0; rc != 0 && n < CSV_CHUNK_ROWS && (n % 100 != 0 ||
		    mono_ms() - t < CSV_CHUNK_MS); n++) {
			switch (csv_check(rc, &row, map, &o)) {
			case 1:
				if (store_row(db, imp, o, cell(&row, map,
				    COL_SKU) != NULL, row.line, err) == -1)
					goto out;
				break;
			case 0:
				if (invitations_import_row(db, imp, row.line,
				    "invalid", NULL, NULL, o, err) == -1)
					goto out;
				break;
			default:
				api_error_set(err, 500, NULL, "Internal error");
				goto out;
			}
			json_decref(o);
			o = NULL;
			rc = csv_next(&reader, &row);
		}
		if (invitations_import_save(db, imp, rc == 0, err) == -1)
			goto out;
		if (rc == 0) {
			*answer = invitations_import_json(req, imp,
			    "completed");
			if (*answer == NULL || idem_save(db, imp->bu, ik, 201,
			    *answer) == -1) {
				db_fail(db, err);
				goto out;
			}
		}
		if (db_tx_commit(db) == -1) {
			db_fail(db, err);
			goto out;
		}
		stats->chunks++;
		t = mono_ms() - t;
		if (t > stats->longest_ms)
			stats->longest_ms = t;
		scheduler_wake();
		if (rc == 0)
			break;
		chunk_pause(t);
	}
	ret = 0;
out:
	if (ret == -1) {
		db_tx_rollback(db);
		json_decref(*answer);
		*answer = NULL;
	}
	json_decref(o);
	csv_release(&reader);
	return ret;
}

/*
 * POST .../invitations/csv (text/csv): every row is checked first; any
 * bad row imports nothing unless ?skipInvalid=true. Then the rows are
 * stored in chunks (see above). The answer has the counts and the first
 * problem rows; every row's outcome is at .../invitation-imports/{id}/rows.
 */
int
invitations_csv(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	const char	*ctype = request_header(req, "Content-Type");
	const char	*skip_invalid = request_query(req, "skipInvalid");
	struct csv_import imp;
	struct csv_stats stats;
	struct idem	 ik;
	json_t		*answer = NULL;	/* owned */
	int64_t		 t;
	size_t		 valid;
	const char	*bu;
	int		 map[NCOLUMNS], rc, ret = -1;
	bool		 skip = skip_invalid != NULL &&
			    strcmp(skip_invalid, "true") == 0;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    idem_read(req, &ik, err) == -1)
		return -1;
	if (ctype == NULL || (strncasecmp(ctype, "text/csv", 8) != 0 &&
	    strncasecmp(ctype, "application/csv", 15) != 0)) {
		api_error_set(err, 415, "Content-Type", "must be text/csv");
		return -1;
	}
	if (skip_invalid != NULL && strcmp(skip_invalid, "true") != 0 &&
	    strcmp(skip_invalid, "false") != 0) {
		api_error_set(err, 400, "skipInvalid", "must be true or false");
		return -1;
	}
	/* spreadsheets often save Windows-1252: say so, not "is required" */
	if (memchr(req->body, '\0', req->body_len) != NULL ||
	    !utf8_valid(req->body)) {
		api_error_set(err, 400, "body", "is not UTF-8 text: save the "
		    "file as CSV UTF-8");
		return -1;
	}
	if (invitations_import_init(&imp, bu) == -1) {
		api_error_set(err, 500, NULL, "Internal error");
		goto out;
	}
	if (db == NULL) {
		api_error_set(err, 500, NULL, "Internal error");
		goto out;
	}
	/* a read only: a retry of a finished upload gets its answer again */
	if ((rc = idem_replay(db, bu, &ik, res, err)) != 0) {
		ret = rc == 1 ? 0 : -1;
		goto out;
	}
	memset(&stats, 0, sizeof(stats));
	t = mono_ms();
	if (csv_check_all(db, req, &imp, map, err) == -1)
		goto out;
	stats.check_ms = mono_ms() - t;
	if (imp.invalid > 0 && !skip) {
		ret = reject_rows(req, res, &imp, err);
		goto out;
	}
	valid = imp.total - imp.invalid;
	invitations_import_reset(&imp);
	if (invitations_import_begin(db, &imp, ik.key, err) == -1)
		goto out;
	t = mono_ms();
	if (csv_store_all(db, req, &imp, valid, map, &ik, &answer, &stats,
	    err) == -1) {
		log_warn("csv import=%s failed status=%d", imp.id,
		    err->status);
		invitations_import_fail(db, &imp);
		goto out;
	}
	stats.store_ms = mono_ms() - t;
	log_info("csv import=%s rows=%zu check_ms=%lld store_ms=%lld "
	    "chunks=%zu longest_chunk_ms=%lld", imp.id, imp.total,
	    (long long)stats.check_ms, (long long)stats.store_ms, stats.chunks,
	    (long long)stats.longest_ms);
	ret = response_json(res, 201, answer, err);
	answer = NULL;
out:
	if (db != NULL && db_exec(db, sql_groups_clear) == -1)
		log_warn("csv: the temporary product table was not cleared");
	json_decref(answer);
	invitations_import_release(&imp);
	return ret;
}

/* History and changes. */

#define LIST_SQL							\
	"SELECT " INV_COLUMNS " FROM invitations "			\
	"WHERE business_unit_id = ?1 AND (?2 IS NULL OR status = ?2) "	\
	"AND (?3 IS NULL OR created_at >= ?3) "				\
	"AND (?4 IS NULL OR created_at <= ?4) "				\
	"AND (?5 IS NULL OR sent_at >= ?5) AND (?6 IS NULL OR sent_at <= ?6) " \
	"AND (?7 IS NULL OR reference_number = ?7) "			\
	"AND (?8 IS NULL OR consumer_email = ?8 COLLATE NOCASE) "	\
	"AND (?9 IS NULL OR EXISTS (SELECT 1 FROM json_each(tags) "	\
	"  WHERE value = ?9)) "						\
	"ORDER BY seq DESC LIMIT ?10 OFFSET ?11"

static const char sql_list[] = LIST_SQL;

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

int
invitations_list(struct request *req, struct response *res,
    struct api_error *err)
{
	static const char *const statuses[] = { "queued", "sending", "sent",
	    "cancelled", "skipped", NULL };
	struct db	*db = db_thread();
	struct db_stmt	*st = NULL;
	json_t		*list = NULL, *links = NULL, *quota;	/* owned */
	const char	*bu, *status = request_query(req, "status");
	int64_t		 page = 1, per_page = 20, n = 0;
	char		 next[32];
	size_t		 i;
	int		 rc;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	if (status != NULL) {
		for (i = 0; statuses[i] != NULL; i++) {
			if (strcmp(status, statuses[i]) == 0)
				break;
		}
		if (statuses[i] == NULL)
			api_error_set(err, 400, "status", "must be queued, "
			    "sending, sent, cancelled or skipped");
	}
	request_query_int(req, "page", 1, INT32_MAX, &page, err);
	request_query_int(req, "perPage", 1, PAGE_MAX, &per_page, err);
	list = json_array();
	links = json_array();
	if (db == NULL || list == NULL || links == NULL ||
	    (st = db_prepare(db, sql_list)) == NULL ||
	    db_bind_text(st, 1, bu) == -1 || db_bind_text(st, 2, status) == -1 ||
	    bind_query_time(req, st, 3, "createdAfter", err) == -1 ||
	    bind_query_time(req, st, 4, "createdBefore", err) == -1 ||
	    bind_query_time(req, st, 5, "sentAfter", err) == -1 ||
	    bind_query_time(req, st, 6, "sentBefore", err) == -1 ||
	    db_bind_text(st, 7, request_query(req, "referenceNumber")) == -1 ||
	    db_bind_text(st, 8, request_query(req, "email")) == -1 ||
	    db_bind_text(st, 9, request_query(req, "tag")) == -1 ||
	    db_bind_int(st, 10, per_page + 1) == -1 ||
	    db_bind_int(st, 11, (page - 1) * per_page) == -1)
		goto fail;
	if (err->status != 0)
		goto out;
	while ((rc = db_step(db, st)) == DB_ROW) {
		if (n++ == per_page) {
			snprintf(next, sizeof(next), "%lld",
			    (long long)page + 1);
			if (json_array_append_new(links,
			    request_next_page_link(req, "page", next)) == -1)
				goto fail;
			break;
		}
		if (json_array_append_new(list, invitation_json(st)) == -1)
			goto fail;
	}
	if (rc == -1)
		goto fail;
	db_release(st);
	st = NULL;
	if ((quota = quota_json(db, bu)) == NULL)
		goto fail;
	return response_json(res, 200, json_pack("{s:o, s:o, s:o}", "links",
	    links, "invitations", list, "dailyQuota", quota), err);
fail:
	if (err->status == 0)
		db_fail(db, err);
out:
	db_release(st);
	json_decref(list);
	json_decref(links);
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
	return load_json(db, id, req->principal.kind == PRINCIPAL_BUSINESS ?
	    req->principal.business_unit_id : NULL, out, err);
}

int
invitations_get(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	json_t		*o = NULL;	/* owned, taken by response_json */

	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (own_invitation(db, req, &o, err) == -1)
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
invitations_patch(struct request *req, struct response *res,
    struct api_error *err)
{
	static const char *const allowed[] = { "preferredSendTime", NULL };
	struct db	*db = db_thread();
	json_t		*body = NULL, *inv = NULL;	/* owned */
	struct db_stmt	*st = NULL;
	int64_t		 when = 0, now = clock_now_ms();
	char		 id[IDS_ID_LEN + 1], detail[CLOCK_ISO_LEN];
	int		 ret = -1;

	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if ((body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	read_time(body, "preferredSendTime", &when, err);
	if (err->status == 0 && when == 0)
		api_error_set(err, 400, "preferredSendTime", "is required");
	if (err->status != 0)
		goto out;
	if (when < now)
		when = now;
	if (db_tx_begin(db) == -1)
		goto dberr;
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
	st = db_prepare(db, sql_reschedule);
	if (st == NULL || db_bind_int(st, 1, when) == -1 ||
	    db_bind_int(st, 2, now) == -1 ||
	    db_bind_text(st, 3, id) == -1 || db_step(db, st) != DB_DONE ||
	    add_event(db, id, "rescheduled", detail, now) == -1 ||
	    load_json(db, id, NULL, &inv, err) == -1 || db_tx_commit(db) == -1)
		goto dberr;
	scheduler_wake();
	ret = response_json(res, 200, inv, err);
	inv = NULL;
	goto out;
dberr:
	if (err->status == 0)
		db_fail(db, err);
out:
	db_release(st);
	db_tx_rollback(db);
	json_decref(inv);
	json_decref(body);
	return ret;
}

/* There is deliberately no way to cancel one invitation. */
int
invitations_delete(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	json_t		*inv = NULL;	/* owned */

	(void)res;
	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (own_invitation(db, req, &inv, err) == -1)
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
    "  AND (?3 IS NULL OR created_at < ?3) RETURNING id";

int
invitations_cancel_queued(struct request *req, struct response *res,
    struct api_error *err)
{
	static const char *const allowed[] = { "createdBefore", NULL };
	struct db	*db = db_thread();
	json_t		*body = NULL, *ids = NULL;	/* owned */
	json_t		*id;				/* borrowed */
	struct db_stmt	*st = NULL;
	const char	*bu;
	int64_t		 before = 0, now = clock_now_ms();
	size_t		 i;
	int		 rc, ret = -1;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	if (req->body_len > 0) {
		if ((body = json_body(req, err)) == NULL)
			return -1;
		json_only_keys(body, allowed, err);
		read_time(body, "createdBefore", &before, err);
		if (err->status != 0)
			goto out;
	}
	ids = json_array();
	if (db == NULL || ids == NULL || db_tx_begin(db) == -1 ||
	    (st = db_prepare(db, sql_cancel_queued)) == NULL ||
	    db_bind_int(st, 1, now) == -1 ||
	    db_bind_text(st, 2, bu) == -1 ||
	    (before != 0 ? db_bind_int(st, 3, before) :
	    db_bind_null(st, 3)) == -1)
		goto dberr;
	while ((rc = db_step(db, st)) == DB_ROW)
		json_array_append_new(ids, json_string(db_text(st, 0)));
	if (rc == -1)
		goto dberr;
	db_release(st);
	st = NULL;
	json_array_foreach(ids, i, id) {
		if (add_event(db, json_string_value(id), "cancelled",
		    "cancel-queued", now) == -1)
			goto dberr;
	}
	if (db_tx_commit(db) == -1)
		goto dberr;
	ret = response_json(res, 200, json_pack("{s:I}", "cancelled",
	    (json_int_t)json_array_size(ids)), err);
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	db_tx_rollback(db);
	json_decref(ids);
	json_decref(body);
	return ret;
}

/* Erasing customer data (Trustpilot's invitation-data/delete). */

/* A queued invitation is cancelled; one whose e-mail is in the outbox is
 * skipped (its e-mail is killed with the data). RETURNING sees the new
 * row: the second column is the event of that change, if any. */
static const char sql_erase_invitations[] =
    "UPDATE invitations SET consumer_email = NULL, consumer_name = NULL, "
    "  token_hash = NULL, erased_at = ?1, updated_at = ?1, "
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
/*
 * Outbox rows of the unit that name the address, or of one invitation.
 * Invitation e-mails and webhook events not sent yet are dropped; mail
 * the platform still owes a reviewer (a confirmation, a reply, a Find
 * Reviewer question) is not the business's to stop, whoever the address
 * belongs to: it goes out, and its stored copy is redacted by the next
 * erasure of the address.
 */
static const char sql_erase_outbox[] =
    "UPDATE outbox SET payload = '{\"erased\":true}', "
    "  status = CASE WHEN status IN ('pending', 'delivering') THEN 'dead' "
    "  ELSE status END, last_error = CASE WHEN status IN ('pending', "
    "  'delivering') THEN 'erased on request' ELSE last_error END "
    "WHERE business_unit_id = ?1 AND (owner = 'invitation:' || ?2 OR "
    "  (?3 IS NOT NULL AND instr(lower(payload), '\"' || lower(?3) || "
    "  '\"') > 0 AND (owner LIKE 'invitation:%' OR kind = 'webhook' OR "
    "  status NOT IN ('pending', 'delivering'))))";
/*
 * A business erases what it gave: the address and what came of it, the
 * reviews written through its invitations (each with a consumer of its
 * own, reviews.c; anonymised before the address that finds them goes).
 * Organic reviews belong to their writers, who proved their address: a
 * business typing an address must neither see which of them change nor
 * cut their writers off from replies and Find Reviewer.
 */
static const char sql_erase_invited_consumers[] =
    "UPDATE consumers SET display_name = 'Anonymous', country = '' "
    "WHERE id IN (SELECT consumer_id FROM reviews WHERE business_unit_id = "
    "  ?1 AND source = 'invitation' AND referral_email = ?2 COLLATE NOCASE)";
static const char sql_invited_consumers[] =
    "SELECT json_group_array(consumer_id) FROM reviews WHERE "
    "  business_unit_id = ?1 AND source = 'invitation' AND "
    "  referral_email = ?2 COLLATE NOCASE";
static const char sql_erase_reviews[] =
    "UPDATE reviews SET referral_email = NULL, display_name = 'Anonymous', "
    "  anonymous = 1 WHERE business_unit_id = ?1 AND source = 'invitation' "
    "  AND referral_email = ?2 COLLATE NOCASE";
static const char sql_erase_idempotency[] =
    "DELETE FROM idempotency_keys WHERE business_unit_id = ?1 AND "
    "  instr(lower(response), '\"' || lower(?2) || '\"') > 0";

static int
run_text2(struct db *db, const char *sql, const char *a, const char *b)
{
	struct db_stmt	*st = db_prepare(db, sql);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, a) == -1 ||
	    db_bind_text(st, 2, b) == -1) {
		db_release(st);
		return -1;
	}
	rc = db_step(db, st);
	db_release(st);
	return rc == DB_DONE ? 0 : -1;
}

/* Everything that names one address inside this unit's data. */
static int
erase_address(struct db *db, const char *bu, const char *email)
{
	struct db_stmt	*st = db_prepare(db, sql_erase_outbox);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    db_bind_text(st, 2, "") == -1 || db_bind_text(st, 3, email) == -1) {
		db_release(st);
		return -1;
	}
	rc = db_step(db, st);
	db_release(st);
	if (rc != DB_DONE ||
	    run_text2(db, sql_erase_invited_consumers, bu, email) == -1)
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
	if (run_text2(db, sql_erase_reviews, bu, email) == -1 ||
	    run_text2(db, sql_erase_idempotency, bu, email) == -1)
		return -1;
	return 0;
}

/*
 * Erases, inside the caller's transaction, the unit's invitations of the
 * addresses in emails (a JSON array) or created before older (0: none),
 * and everything of the unit that names those addresses (erase_address).
 * Adds the number of invitations erased to *count. 0 or -1.
 */
static int
erase_unit(struct db *db, const char *bu, json_t *emails, int64_t older,
    int64_t now, size_t *count)
{
	struct db_stmt	*st = NULL, *o;
	json_t		*ids = json_array(), *v;
	char		*emails_text = emails != NULL ? json_dumps(emails,
			    JSON_COMPACT) : NULL;
	const char	*id, *change;
	size_t		 i;
	int		 rc, ret = -1;

	if (ids == NULL || (emails != NULL && emails_text == NULL) ||
	    (st = db_prepare(db, sql_erase_invitations)) == NULL ||
	    db_bind_int(st, 1, now) == -1 ||
	    db_bind_text(st, 2, bu) == -1 ||
	    db_bind_text(st, 3, emails_text) == -1 ||
	    (older != 0 ? db_bind_int(st, 4, older) :
	    db_bind_null(st, 4)) == -1)
		goto out;
	while ((rc = db_step(db, st)) == DB_ROW)
		json_array_append_new(ids, json_pack("[s, s?]", db_text(st, 0),
		    db_is_null(st, 1) ? NULL :
		    db_text(st, 1)));
	if (rc == -1)
		goto out;
	db_release(st);
	st = NULL;
	json_array_foreach(ids, i, v) {
		id = json_string_value(json_array_get(v, 0));
		change = json_string_value(json_array_get(v, 1));
		/* the status change the erasure made, if any */
		if (id == NULL || (change != NULL && add_event(db, id, change,
		    strcmp(change, "cancelled") == 0 ? "erased" :
		    "erased before delivery", now) == -1))
			goto out;
		o = db_prepare(db, sql_erase_outbox);
		if (o == NULL || db_bind_text(o, 1, bu) == -1 ||
		    db_bind_text(o, 2, id) == -1 ||
		    db_bind_null(o, 3) == -1 ||
		    db_step(db, o) != DB_DONE) {
			db_release(o);
			goto out;
		}
		db_release(o);
		if (add_event(db, id, "erased", NULL, now) == -1)
			goto out;
	}
	json_array_foreach(emails, i, v) {
		if (erase_address(db, bu, json_string_value(v)) == -1)
			goto out;
	}
	*count += json_array_size(ids);
	ret = 0;
out:
	db_release(st);
	free(emails_text);
	json_decref(ids);
	return ret;
}

void
invitations_checkpoint_erasure(struct db *db)
{
	/* readers may hold the WAL back; the next automatic checkpoint
	 * finishes the job then */
	if (db_checkpoint(db) == -1)
		log_warn("invitations: checkpoint after erasure deferred");
}

int
invitations_data_delete(struct request *req, struct response *res,
    struct api_error *err)
{
	static const char *const allowed[] = { "customerEmails",
	    "deleteOlderThan", NULL };
	struct db	*db = db_thread();
	json_t		*body = NULL, *emails = NULL;
	const char	*bu;
	int64_t		 older = 0;
	size_t		 count = 0;
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	emails = read_strings(body, "customerEmails", 10000,
	    MAILER_ADDRESS_MAX, err);
	read_time(body, "deleteOlderThan", &older, err);
	if (err->status == 0 && (emails == NULL) == (older == 0))
		api_error_set(err, 400, "customerEmails", "or deleteOlderThan "
		    "is required, not both");
	if (err->status != 0)
		goto out;
	if (db == NULL || db_tx_begin(db) == -1 ||
	    erase_unit(db, bu, emails, older, clock_now_ms(), &count) == -1 ||
	    db_tx_commit(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	invitations_checkpoint_erasure(db);
	ret = response_json(res, 200, json_pack("{s:I}", "erasedInvitations",
	    (json_int_t)count), err);
out:
	db_tx_rollback(db);
	json_decref(emails);
	json_decref(body);
	return ret;
}

static const char sql_units_naming[] =
    "SELECT business_unit_id FROM invitations WHERE consumer_email = ?1 "
    "  COLLATE NOCASE "
    "UNION SELECT business_unit_id FROM reviews WHERE referral_email = ?1 "
    "  COLLATE NOCASE "
    "UNION SELECT business_unit_id FROM outbox WHERE business_unit_id IS "
    "  NOT NULL AND instr(lower(payload), '\"' || lower(?1) || '\"') > 0";

int
invitations_erase_everywhere(struct db *db, const char *email,
    size_t *invitations, size_t *units)
{
	struct db_stmt	*st = db_prepare(db, sql_units_naming);
	json_t		*bus = json_array(), *emails = json_pack("[s]", email);
	json_t		*v;	/* borrowed */
	int64_t		 now = clock_now_ms();
	size_t		 i;
	int		 rc, ret = -1;

	*invitations = *units = 0;
	if (st == NULL || bus == NULL || emails == NULL ||
	    db_bind_text(st, 1, email) == -1)
		goto out;
	while ((rc = db_step(db, st)) == DB_ROW)
		json_array_append_new(bus, json_string(db_text(st, 0)));
	if (rc == -1)
		goto out;
	db_release(st);
	st = NULL;
	json_array_foreach(bus, i, v) {
		if (erase_unit(db, json_string_value(v), emails, 0, now,
		    invitations) == -1)
			goto out;
	}
	*units = json_array_size(bus);
	ret = 0;
out:
	db_release(st);
	json_decref(bus);
	json_decref(emails);
	return ret;
}

/* Templates. */

static const struct {
	const char	*id;
	const char	*locale;
} builtins[] = {
	{ "default-en", "en-US" }, { "default-de", "de-DE" },
	{ "default-fr", "fr-FR" }, { "default-da", "da-DK" },
};

#define TEMPLATE_COLUMNS "id, name, locale, subject, text, html, " \
	"created_at, updated_at"

static json_t *
template_json(struct db_stmt *st)
{
	json_t	*o = json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s}",
	    "id", db_text(st, 0), "name", db_text(st, 1), "isDefaultTemplate",
	    0, "locale", db_text(st, 2), "type", "email", "subject",
	    db_text(st, 3), "text", db_text(st, 4), "html", db_text(st, 5));

	if (o != NULL && (json_set_time(o, "createdAt",
	    db_int(st, 6)) == -1 || json_set_time(o, "updatedAt",
	    db_int(st, 7)) == -1)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char sql_templates[] =
    "SELECT " TEMPLATE_COLUMNS " FROM invitation_templates "
    "WHERE business_unit_id = ? ORDER BY created_at, id";
static const char sql_template_get[] =
    "SELECT " TEMPLATE_COLUMNS " FROM invitation_templates "
    "WHERE id = ? AND business_unit_id = ?";
static const char sql_template_insert[] =
    "INSERT INTO invitation_templates (id, business_unit_id, name, locale, "
    "  subject, text, html, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)";
static const char sql_template_update[] =
    "UPDATE invitation_templates SET name = ?3, locale = ?4, subject = ?5, "
    "  text = ?6, html = ?7, updated_at = ?8 "
    "WHERE id = ?1 AND business_unit_id = ?2";

int
invitations_templates_list(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	json_t		*list = json_array();	/* owned */
	struct db_stmt	*st = NULL;
	const char	*bu;
	size_t		 i;

	if (auth_business_unit(req, &bu, err) == -1) {
		json_decref(list);
		return -1;
	}
	for (i = 0; list != NULL && i < sizeof(builtins) / sizeof(builtins[0]);
	    i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s, "
		    "s:s}", "id", builtins[i].id, "name", "reviewd default",
		    "isDefaultTemplate", 1, "locale", builtins[i].locale,
		    "type", "email"));
	if (db == NULL || list == NULL ||
	    (st = db_prepare(db, sql_templates)) == NULL ||
	    db_bind_text(st, 1, bu) == -1)
		goto fail;
	if (db_collect(db, st, template_json, list) == -1)
		goto fail;
	db_release(st);
	return response_json(res, 200, json_pack("{s:o}", "templates", list),
	    err);
fail:
	db_release(st);
	json_decref(list);
	db_fail(db, err);
	return -1;
}

/* Only the placeholders dispatch fills may appear in a template. */
static void
check_placeholders(const char *field, const char *text,
    struct api_error *err)
{
	static const char *const known[] = { "name", "business", "link",
	    "unsubscribeLink", NULL };
	const char	*p = text, *open, *close;
	size_t		 i, len;

	while ((open = strstr(p, "{{")) != NULL &&
	    (close = strstr(open + 2, "}}")) != NULL) {
		open += 2;
		while (*open == ' ')
			open++;
		len = (size_t)(close - open);
		while (len > 0 && open[len - 1] == ' ')
			len--;
		for (i = 0; known[i] != NULL; i++) {
			if (strlen(known[i]) == len &&
			    strncmp(open, known[i], len) == 0)
				break;
		}
		if (known[i] == NULL) {
			api_error_set(err, 400, field, "uses {{%.*s}}; the "
			    "placeholders are {{name}}, {{business}}, {{link}} "
			    "and {{unsubscribeLink}}", (int)(len < 40 ? len :
			    40), open);
			return;
		}
		p = close + 2;
	}
}

/*
 * The e-mail rules (mailhtml.h) for a business template's parts, links
 * allowed to website's site. 0, or -1 with the failing part in *field and
 * the reason in why.
 */
static int
template_rules(const char *website, const char *subject, const char *text,
    const char *html, const char **field, char *why, size_t whylen)
{
	char		 site[MAILER_ADDRESS_MAX + 1];
	const char	*sp = NULL;

	if (website != NULL && mailhtml_site(website, site, sizeof(site)) == 0)
		sp = site;
	*field = "subject";
	if (mailhtml_check_text(subject, sp, why, whylen) == -1)
		return -1;
	*field = "text";
	if (mailhtml_check_text(text, sp, why, whylen) == -1)
		return -1;
	*field = "html";
	return mailhtml_check(html, sp, why, whylen);
}

static const char sql_unit_website[] =
    "SELECT website_url FROM business_units WHERE id = ?";

static int
write_template(struct request *req, struct response *res,
    struct api_error *err, bool create)
{
	static const char *const allowed[] = { "name", "locale", "subject",
	    "text", "html", NULL };
	struct db	*db = db_thread();
	json_t		*body = NULL, *out = NULL;	/* owned */
	struct db_stmt	*st = NULL;
	const char	*bu, *name, *locale, *subject, *text, *html, *field;
	char		 id[IDS_ID_LEN + 1], why[MAILHTML_WHY];
	char		 website[URL_MAX + 1] = "";
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	read_line(body, "name", true, 100, &name, err);
	if (json_read_string(body, "locale", true, 2, 5, &locale, err) == 0 &&
	    !locale_ok(locale))
		api_error_set(err, 400, "locale", "must be a locale such as "
		    "en-US");
	read_line(body, "subject", true, 200, &subject, err);
	if (json_read_string(body, "text", true, 1, TEMPLATE_MAX, &text,
	    err) == 0 && strstr(text, "{{link}}") == NULL)
		api_error_set(err, 400, "text", "must contain {{link}}");
	if (json_read_string(body, "html", true, 1, TEMPLATE_MAX, &html,
	    err) == 0 && strstr(html, "{{link}}") == NULL)
		api_error_set(err, 400, "html", "must contain {{link}}");
	if (err->status == 0) {
		check_placeholders("subject", subject, err);
		check_placeholders("text", text, err);
		check_placeholders("html", html, err);
	}
	if (err->status != 0)
		goto out;
	/* The rules run before the transaction: they read up to 64 KiB. */
	st = db == NULL ? NULL : db_prepare(db, sql_unit_website);
	if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
	    db_step(db, st) != DB_ROW)
		goto dberr;
	snprintf(website, sizeof(website), "%s", db_text(st, 0));
	db_release(st);
	st = NULL;
	if (template_rules(website, subject, text, html, &field, why,
	    sizeof(why)) == -1) {
		api_error_set(err, 400, field, "%s", why);
		goto out;
	}
	if (create)
		ids_new(id);
	else
		snprintf(id, sizeof(id), "%s", request_param(req,
		    "templateId"));
	if (db == NULL || db_tx_begin(db) == -1 ||
	    (st = db_prepare(db, create ? sql_template_insert :
	    sql_template_update)) == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, bu) == -1 || db_bind_text(st, 3, name) == -1 ||
	    db_bind_text(st, 4, locale) == -1 ||
	    db_bind_text(st, 5, subject) == -1 ||
	    db_bind_text(st, 6, text) == -1 || db_bind_text(st, 7, html) == -1 ||
	    db_bind_int(st, 8, clock_now_ms()) == -1 ||
	    db_step(db, st) != DB_DONE)
		goto dberr;
	if (!create && db_changes(db) == 0) {
		api_error_set(err, 404, NULL, "Template not found");
		goto out;
	}
	db_release(st);
	st = db_prepare(db, sql_template_get);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, bu) == -1 || db_step(db, st) != DB_ROW ||
	    (out = template_json(st)) == NULL || db_tx_commit(db) == -1)
		goto dberr;
	ret = response_json(res, create ? 201 : 200, out, err);
	out = NULL;
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	db_tx_rollback(db);
	json_decref(out);
	json_decref(body);
	return ret;
}

int
invitations_template_create(struct request *req, struct response *res,
    struct api_error *err)
{
	return write_template(req, res, err, true);
}

int
invitations_template_update(struct request *req, struct response *res,
    struct api_error *err)
{
	return write_template(req, res, err, false);
}

/* Dispatch (scheduler thread). */

static const char sql_due[] =
    "SELECT i.id, i.consumer_email, i.consumer_name, i.locale, "
    "  i.template_id, coalesce(i.sender_name, b.sender_name), "
    "  coalesce(i.reply_to, i.sender_email), b.display_name, "
    "  i.business_unit_id, t.subject, t.text, t.html, b.website_url "
    "FROM invitations i JOIN business_units b ON b.id = i.business_unit_id "
    "LEFT JOIN invitation_templates t ON t.id = i.template_id "
    "WHERE i.status = 'queued' AND i.send_at <= ? ORDER BY i.send_at "
    "LIMIT ?";
static const char sql_mark_sending[] =
    "UPDATE invitations SET status = 'sending', token_hash = ?1, "
    "  token_expires_at = ?2, unsubscribe_hash = ?3, updated_at = ?4 "
    "WHERE id = ?5 AND status = 'queued'";
static const char sql_mark_skipped[] =
    "UPDATE invitations SET status = 'skipped', skip_reason = ?1, "
    "  updated_at = ?2 WHERE id = ?3";
static const char sql_next_send[] =
    "SELECT min(send_at) FROM invitations WHERE status = 'queued'";

/*
 * Adds the platform footer (rendered as foot) under msg's text and HTML
 * parts; in the HTML before its last </body> when it has one, else at the
 * end. The e-mail rules make a business template close every element it
 * opens, put nothing after </body> and no '<' in attribute values or the
 * title, so that place is outside all of the business's markup; the
 * footer's own div fixes colour, background and size there (inline, the
 * only CSS a business template has, cannot reach it).
 */
#define FOOTER_OPEN	"<div style=\"color:#333333;background-color:" \
	"#ffffff;font-size:13px;line-height:1.4;font-family:Arial,sans-" \
	"serif;margin:24px 0 0 0;padding:8px;text-align:left\">"
#define FOOTER_CLOSE	"</div>"

static int
append_footer(json_t *msg, json_t *foot)
{
	struct buf	 b;
	const char	*html = json_string_value(json_object_get(msg, "html"));
	const char	*p, *body = NULL;
	char		*out = NULL;
	int		 ret = -1;

	buf_init(&b, 2 * TEMPLATE_MAX + 64 * 1024);
	if (buf_puts(&b, json_string_value(json_object_get(msg, "text"))) ==
	    -1 || buf_puts(&b, json_string_value(json_object_get(foot,
	    "text"))) == -1 || (out = buf_detach(&b, NULL)) == NULL ||
	    json_object_set_new(msg, "text", json_string(out)) == -1)
		goto out;
	free(out);
	out = NULL;
	for (p = html; (p = strchr(p, '<')) != NULL; p++) {
		if (strncasecmp(p, "</body", 6) == 0)
			body = p;
	}
	if (body == NULL)
		body = html + strlen(html);
	buf_init(&b, 2 * TEMPLATE_MAX + 64 * 1024);
	if (buf_append(&b, html, (size_t)(body - html)) == -1 ||
	    buf_puts(&b, FOOTER_OPEN) == -1 ||
	    buf_puts(&b, json_string_value(json_object_get(foot, "html"))) ==
	    -1 || buf_puts(&b, FOOTER_CLOSE) == -1 ||
	    buf_puts(&b, body) == -1 ||
	    (out = buf_detach(&b, NULL)) == NULL ||
	    json_object_set_new(msg, "html", json_string(out)) == -1)
		goto out;
	ret = 0;
out:
	buf_release(&b);
	free(out);
	return ret;
}

/*
 * The verdicts of the e-mail rules on the business templates met in one
 * dispatch transaction: a 64 KiB template takes about half a millisecond
 * to check, too long to repeat for each of hundreds of invitations while
 * holding the write lock. Inside one transaction a template cannot change,
 * so its id is the key. Scheduler thread only, on its stack.
 */
#define RULES_CACHE	16
#define DISPATCH_WHY	(MAILHTML_WHY + 96)

struct rules_cache {
	size_t	 n, next;
	struct {
		char	 tid[KEY_MAX + 1];
		char	 why[DISPATCH_WHY];	/* "" when it passes */
	}	 e[RULES_CACHE];
};

/* The rules' verdict on the business template of the row under st into
 * why ("" when it passes), from the cache or checked and remembered. */
static void
template_verdict(struct db_stmt *st, struct rules_cache *rc, char *why,
    size_t whylen)
{
	const char	*tid = db_text(st, 4), *field;
	char		 rule[MAILHTML_WHY];
	size_t		 i;

	for (i = 0; i < rc->n; i++) {
		if (strcmp(rc->e[i].tid, tid) == 0) {
			snprintf(why, whylen, "%s", rc->e[i].why);
			return;
		}
	}
	why[0] = '\0';
	if (template_rules(db_text(st, 12), db_text(st, 9), db_text(st, 10),
	    db_text(st, 11), &field, rule, sizeof(rule)) == -1)
		snprintf(why, whylen, "the template no longer passes the "
		    "e-mail rules (%s: %s)", field, rule);
	i = rc->next;
	rc->next = (rc->next + 1) % RULES_CACHE;
	if (rc->n < RULES_CACHE)
		rc->n++;
	snprintf(rc->e[i].tid, sizeof(rc->e[i].tid), "%s", tid);
	snprintf(rc->e[i].why, sizeof(rc->e[i].why), "%s", why);
}

/*
 * The names the e-mail shows, checked again as they are sent (rows stored
 * before the rule, a unit's names set before it): the consumer's name
 * with no URL or host at all, the sender's and the business's only with
 * the unit's own website. -1 with why when one fails.
 */
static int
shown_names(struct db_stmt *st, const char *sender, char *why,
    size_t whylen)
{
	char		 site[256], rule[MAILHTML_WHY];
	const char	*sp = NULL, *field = NULL;

	if (!db_is_null(st, 12) && mailhtml_site(db_text(st, 12), site,
	    sizeof(site)) == 0)
		sp = site;
	if (mailhtml_check_value(db_text(st, 2), NULL, rule,
	    sizeof(rule)) == -1)
		field = "consumerName";
	else if (mailhtml_check_value(sender, sp, rule, sizeof(rule)) == -1)
		field = "senderName";
	else if (mailhtml_check_value(db_text(st, 7), sp, rule,
	    sizeof(rule)) == -1)
		field = "displayName";
	if (field == NULL)
		return 0;
	snprintf(why, whylen, "the %s %s", field, rule);
	return -1;
}

/*
 * Builds the invitation e-mail of the row under st: the business's
 * template (checked again against the e-mail rules and the unit's current
 * website: a template stored before the rules, or a website changed since,
 * must not send what the rules refuse) or a built-in one, then the
 * platform footer; From "<sender> via <platform>". NULL on failure, with
 * why set when the template broke the rules.
 */
static json_t *
invitation_mail(struct db_stmt *st, const char *token, const char *unsub,
    struct rules_cache *rc, char *why, size_t whylen)
{
	char		 link[URL_LEN + IDS_TOKEN_LEN];
	char		 unlink[URL_LEN + IDS_TOKEN_LEN], header[URL_LEN * 2];
	char		 language[3] = "en";
	char		 from[4 * NAME_MAX_CHARS + CONFIG_STR + 8];
	json_t		*vars, *msg, *foot;	/* owned */
	const char	*name = db_text(st, 2), *sender;
	int		 r;

	why[0] = '\0';
	snprintf(link, sizeof(link), "%s/evaluate-link/%s",
	    inv_cfg->public_url, token);
	snprintf(unlink, sizeof(unlink), "%s/unsubscribe/%s",
	    inv_cfg->public_url, unsub);
	snprintf(header, sizeof(header), "<%s>", unlink);
	memcpy(language, db_text(st, 3), 2);
	/* the display name the business chose, or its name; never alone */
	sender = db_bytes(st, 5) > 0 && mailer_header_safe(
	    db_text(st, 5)) ? db_text(st, 5) : db_text(st, 7);
	snprintf(from, sizeof(from), "%s via %s", sender,
	    inv_cfg->mail_platform_name);
	if (shown_names(st, sender, why, whylen) == -1)
		return NULL;
	vars = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", name,
	    "business", db_text(st, 7), "link", link, "unsubscribeLink",
	    unlink, "platform", inv_cfg->mail_platform_name, "website",
	    db_text(st, 12));
	msg = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "to", db_text(st, 1),
	    "toName", name, "fromName", from, "headers", "List-Unsubscribe",
	    header, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
	foot = json_object();
	if (vars == NULL || msg == NULL || foot == NULL)
		goto fail;
	if (!db_is_null(st, 6) &&
	    json_object_set_new(msg, "replyTo",
	    json_string(db_text(st, 6))) == -1)
		goto fail;
	if (!db_is_null(st, 9)) {
		template_verdict(st, rc, why, whylen);
		if (why[0] != '\0')
			goto fail;
		r = mailer_render_parts(db_text(st, 9), db_text(st, 10),
		    db_text(st, 11), vars, msg);
	} else {
		const char	*tid = db_text(st, 4);

		/* "default-de" picks the German built-in */
		r = mailer_render("invitation", strncmp(tid, "default-", 8) ==
		    0 ? tid + 8 : language, vars, msg);
	}
	if (r == -1 || mailer_render("invitation-footer", language, vars,
	    foot) == -1 || append_footer(msg, foot) == -1)
		goto fail;
	json_decref(vars);
	json_decref(foot);
	return msg;
fail:
	json_decref(vars);
	json_decref(msg);
	json_decref(foot);
	return NULL;
}

static int
mark_skipped(struct db *db, const char *id, const char *reason, int64_t now)
{
	struct db_stmt	*st = db_prepare(db, sql_mark_skipped);
	int		 rc;

	if (st == NULL || db_bind_text(st, 1, reason) == -1 ||
	    db_bind_int(st, 2, now) == -1 ||
	    db_bind_text(st, 3, id) == -1) {
		db_release(st);
		return -1;
	}
	rc = db_step(db, st);
	db_release(st);
	return rc == DB_DONE ? add_event(db, id, "skipped", reason, now) :
	    -1;
}

/* Sends (queues the e-mail of) one due invitation; 0 or -1. */
static int
dispatch_one(struct db *db, struct db_stmt *due, int64_t now,
    struct rules_cache *rc)
{
	struct db_stmt	*st = NULL;
	char		 id[IDS_ID_LEN + 1], bu[IDS_ID_LEN + 1];
	char		 token[IDS_TOKEN_LEN + 1], unsub[IDS_TOKEN_LEN + 1];
	char		 th[IDS_HASH_LEN + 1], uh[IDS_HASH_LEN + 1];
	char		 owner[IDS_ID_LEN + 16], why[DISPATCH_WHY];
	json_t		*msg = NULL;	/* owned */
	struct api_error err;
	bool		 found;
	int		 ret = -1;

	memset(&err, 0, sizeof(err));
	snprintf(id, sizeof(id), "%s", db_text(due, 0));
	snprintf(bu, sizeof(bu), "%s", db_text(due, 8));
	/* an address may have unsubscribed since it was queued */
	if (unsubscribed(db, bu, db_text(due, 1), &found) == -1)
		return -1;
	if (found)
		return mark_skipped(db, id, "the address unsubscribed from this "
		    "business's invitations", now);
	ids_token(token);
	ids_token_hash(token, th);
	ids_token(unsub);
	ids_token_hash(unsub, uh);
	snprintf(owner, sizeof(owner), "invitation:%s", id);
	msg = invitation_mail(due, token, unsub, rc, why, sizeof(why));
	if (msg == NULL || mailer_check(msg, &err) == -1) {
		/* Skipped, not retried: one bad template must not hold up
		 * every invitation queued behind it. */
		if (why[0] == '\0')
			log_error("invitations: cannot build the e-mail of "
			    "id=%s", id);
		ret = mark_skipped(db, id, why[0] != '\0' ? why : "the "
		    "invitation e-mail could not be built from its template",
		    now);
		goto out;
	}
	st = db_prepare(db, sql_mark_sending);
	if (st == NULL || db_bind_text(st, 1, th) == -1 ||
	    db_bind_int(st, 2, now + inv_cfg->invitation_link_days *
	    86400000) == -1 || db_bind_text(st, 3, uh) == -1 ||
	    db_bind_int(st, 4, now) == -1 ||
	    db_bind_text(st, 5, id) == -1 || db_step(db, st) != DB_DONE ||
	    outbox_add_owned(db, OUTBOX_EMAIL, bu, NULL, msg, now, owner,
	    NULL) == -1)
		goto out;
	ret = 0;
out:
	db_release(st);
	json_decref(msg);
	return ret;
}

static const char sql_legacy_any[] =
    "SELECT 1 FROM unsubscribes WHERE length(address_hash) = 64 LIMIT 1";
static const char sql_legacy_addresses[] =
    "SELECT seq, business_unit_id, consumer_email FROM invitations "
    "WHERE seq > ?1 AND consumer_email IS NOT NULL AND business_unit_id IN "
    "  (SELECT business_unit_id FROM unsubscribes "
    "   WHERE length(address_hash) = 64) "
    "ORDER BY seq LIMIT ?2";

#define REKEY_BATCH	200

/*
 * One step of re-keying unsubscribes stored before the server secret (see
 * unsubscribe_key): the next REKEY_BATCH invitations of units that have
 * such rows, each address checked (which re-keys its row), in one short
 * transaction. *seq is the cursor; true when the pass is over.
 */
static bool
rekey_step(struct db *db, int64_t *seq)
{
	struct db_stmt	*st = NULL;
	char		 bu[IDS_ID_LEN + 1];
	bool		 found, done = false;
	int64_t		 n = 0;
	int		 rc;

	if (db_tx_begin(db) == -1)
		return false;
	st = db_prepare(db, sql_legacy_any);
	if (st == NULL || (rc = db_step(db, st)) == -1)
		goto out;
	db_release(st);
	st = NULL;
	if (rc == DB_DONE) {
		done = true;
		goto out;
	}
	st = db_prepare(db, sql_legacy_addresses);
	if (st == NULL || db_bind_int(st, 1, *seq) == -1 ||
	    db_bind_int(st, 2, REKEY_BATCH) == -1)
		goto out;
	while ((rc = db_step(db, st)) == DB_ROW) {
		n++;
		*seq = db_int(st, 0);
		snprintf(bu, sizeof(bu), "%s", db_text(st, 1));
		if (unsubscribed(db, bu, db_text(st, 2), &found) == -1)
			goto out;
	}
	if (rc == -1)
		goto out;
	db_release(st);
	st = NULL;
	if (db_tx_commit(db) == -1)
		goto out;
	done = n < REKEY_BATCH;
out:
	db_release(st);
	db_tx_rollback(db);
	return done;
}

int64_t
invitations_job(struct db *db, int64_t now)
{
	static int64_t	 last_purge;	/* the scheduler thread's only */
	static int64_t	 rekey_seq;	/* ditto */
	static bool	 rekeyed;	/* ditto */
	struct rules_cache rules;
	struct db_stmt	*st = NULL;
	int64_t		 n = 0, next = INT64_MAX;
	int		 rc;

	/* Expired idempotency keys go hourly: a delete is a write, not worth
	 * the lock on every wake. */
	if (now - last_purge >= 3600000 || now < last_purge) {
		st = db_prepare(db, sql_idem_purge);
		if (st != NULL && db_bind_int(st, 1, idem_cutoff(now)) == 0 &&
		    db_step(db, st) == DB_DONE)
			last_purge = now;
		db_release(st);
		st = NULL;
	}
	if (!rekeyed)
		rekeyed = rekey_step(db, &rekey_seq);
	/* One batch per transaction keeps the write lock short, so a large
	 * dispatch never stalls the API; the job returns "now" while more
	 * are due. */
	if (db_tx_begin(db) == -1)
		return now + 1000;
	rules.n = rules.next = 0;
	st = db_prepare(db, sql_due);
	if (st == NULL || db_bind_int(st, 1, now) == -1 ||
	    db_bind_int(st, 2, inv_cfg->invitation_dispatch_batch) == -1)
		goto fail;
	while ((rc = db_step(db, st)) == DB_ROW) {
		n++;
		if (dispatch_one(db, st, now, &rules) == -1)
			goto fail;
	}
	if (rc == -1)
		goto fail;
	db_release(st);
	st = NULL;
	if (db_tx_commit(db) == -1)
		goto fail;
	if (n > 0)
		scheduler_wake();	/* the outbox has work */
	if (n == inv_cfg->invitation_dispatch_batch)
		return now;
	st = db_prepare(db, sql_next_send);
	if (st != NULL && db_step(db, st) == DB_ROW &&
	    !db_is_null(st, 0))
		next = db_int(st, 0);
	db_release(st);
	return next;
fail:
	db_release(st);
	db_tx_rollback(db);
	log_error("invitations: dispatch failed; retrying");
	return now + 1000;
}

static const char sql_mark_sent[] =
    "UPDATE invitations SET status = 'sent', sent_at = ?1, updated_at = ?1, "
    "  skip_reason = NULL WHERE id = ?2 AND (status = 'sending' OR "
    "  (status = 'skipped' AND skip_reason LIKE 'undeliverable: %'))";
static const char sql_mark_undeliverable[] =
    "UPDATE invitations SET status = 'skipped', skip_reason = "
    "  'undeliverable: ' || ?1, updated_at = ?2 "
    "WHERE id = ?3 AND status = 'sending'";

int
invitations_mail_outcome(struct db *db, const char *id, const char *why,
    int64_t now)
{
	struct db_stmt	*st = db_prepare(db, why == NULL ? sql_mark_sent :
			    sql_mark_undeliverable);
	int		 rc, n = 1;

	if (st == NULL || (why != NULL && db_bind_text(st, n++, why) == -1) ||
	    db_bind_int(st, n++, now) == -1 ||
	    db_bind_text(st, n, id) == -1 || (rc = db_step(db, st)) == -1) {
		db_release(st);
		return -1;
	}
	db_release(st);
	if (db_changes(db) == 0)
		return 0;
	return add_event(db, id, why == NULL ? "sent" : "undeliverable", why,
	    now);
}

/* Personal links. */

static const char sql_by_token[] =
    "SELECT i.id, i.consumer_name, i.service, i.products, i.reviewed_at, "
    "  i.token_expires_at, i.opened_at, b.display_name, b.domain, "
    "  i.review_ids, i.consumer_email, i.reference_number, i.locale, "
    "  i.tags, i.business_unit_id, i.link_kind, i.redirect_uri "
    "FROM invitations i JOIN business_units b ON b.id = i.business_unit_id "
    "WHERE i.token_hash = ? AND i.erased_at IS NULL";
static const char sql_mark_opened[] =
    "UPDATE invitations SET opened_at = ?1 WHERE id = ?2 AND "
    "opened_at IS NULL";

enum { T_ID, T_NAME, T_SERVICE, T_PRODUCTS, T_REVIEWED, T_EXPIRES, T_OPENED,
    T_BU_NAME, T_DOMAIN, T_REVIEWS, T_EMAIL, T_REF, T_LOCALE, T_TAGS, T_BU,
    T_LINK_KIND, T_REDIRECT };

/* Finds the token's invitation into *st (caller releases). */
static int
by_token(struct db *db, const char *token, struct db_stmt **out,
    enum invitation_link *state)
{
	struct db_stmt	*st;
	char		 hash[IDS_HASH_LEN + 1];
	int		 rc;

	*out = NULL;
	*state = INVITATION_LINK_UNKNOWN;
	if (strlen(token) != IDS_TOKEN_LEN)
		return 0;
	ids_token_hash(token, hash);
	st = db_prepare(db, sql_by_token);
	if (st == NULL || db_bind_text(st, 1, hash) == -1 ||
	    (rc = db_step(db, st)) == -1) {
		db_release(st);
		return -1;
	}
	if (rc == DB_DONE) {
		db_release(st);
		return 0;
	}
	if (!db_is_null(st, T_REVIEWED))
		*state = INVITATION_LINK_REVIEWED;
	else if (db_int(st, T_EXPIRES) <= clock_now_ms())
		*state = INVITATION_LINK_EXPIRED;
	else
		*state = INVITATION_LINK_OPEN;
	*out = st;
	return 0;
}

int
invitations_link(struct db *db, const char *token,
    enum invitation_link *state, json_t **out)
{
	struct db_stmt	*st = NULL, *up;
	char		 id[IDS_ID_LEN + 1];
	int64_t		 now = clock_now_ms();
	int		 ret = -1;
	bool		 first;

	*out = NULL;
	if (db_tx_begin(db) == -1 || by_token(db, token, &st, state) == -1)
		goto out;
	if (st == NULL || *state == INVITATION_LINK_EXPIRED) {
		ret = 0;
		goto out;
	}
	snprintf(id, sizeof(id), "%s", db_text(st, T_ID));
	first = db_is_null(st, T_OPENED);
	*out = json_pack("{s:s, s:s, s:b, s:o, s:{s:s, s:s}, s:o, s:s, s:s?}",
	    "id", id, "name", db_text(st, T_NAME), "service",
	    (int)db_int(st, T_SERVICE), "products",
	    parsed(st, T_PRODUCTS), "businessUnit", "displayName",
	    db_text(st, T_BU_NAME), "domain", db_text(st, T_DOMAIN),
	    "reviews", parsed(st, T_REVIEWS), "locale", db_text(st, T_LOCALE),
	    "redirectUri", db_is_null(st, T_REDIRECT) ?
	    NULL : db_text(st, T_REDIRECT));
	db_release(st);
	st = NULL;
	if (*out == NULL)
		goto out;
	if (first) {
		up = db_prepare(db, sql_mark_opened);
		if (up == NULL || db_bind_int(up, 1, now) == -1 ||
		    db_bind_text(up, 2, id) == -1 ||
		    db_step(db, up) != DB_DONE ||
		    add_event(db, id, "opened", NULL, now) == -1) {
			db_release(up);
			goto out;
		}
		db_release(up);
	}
	if (db_tx_commit(db) == -1)
		goto out;
	ret = 0;
out:
	db_release(st);
	db_tx_rollback(db);
	if (ret == -1) {
		json_decref(*out);
		*out = NULL;
	}
	return ret;
}

static const char sql_mark_reviewed[] =
    "UPDATE invitations SET reviewed_at = ?1, review_ids = ?2, "
    "  updated_at = ?1 WHERE id = ?3 AND reviewed_at IS NULL";

/* Checks one answer {"stars", "title", "text"}; prefix names fields. */
static void
check_answer(json_t *a, const char *prefix, int64_t *stars,
    const char **title, const char **text, struct api_error *err)
{
	struct api_error sub;

	memset(&sub, 0, sizeof(sub));
	json_read_int(a, "stars", true, 1, 5, stars, &sub);
	json_read_string(a, "title", true, 1, 100, title, &sub);
	json_read_string(a, "text", true, 1, 5000, text, &sub);
	prefixed(err, &sub, prefix);
}

int
invitations_redeem(struct db *db, const char *token, json_t *answers,
    struct api_error *err)
{
	struct db_stmt		*st = NULL, *up = NULL;
	enum invitation_link	 state;
	struct invited_review	 r;
	json_t			*products = NULL, *ids = NULL, *tags = NULL;
	json_t			*a, *p;		/* borrowed */
	char			 id[IDS_ID_LEN + 1], review[IDS_ID_LEN + 1];
	char			 language[3] = "en", prefix[48];
	char			*ids_text = NULL;
	int64_t			 stars, now = clock_now_ms();
	const char		*title, *text;
	size_t			 i, j, made = 0;
	int			 ret = -1;

	if (db_tx_begin(db) == -1 || by_token(db, token, &st, &state) == -1)
		goto dberr;
	if (state == INVITATION_LINK_UNKNOWN) {
		api_error_set(err, 404, NULL, "This review link is not valid");
		goto out;
	}
	if (state == INVITATION_LINK_EXPIRED) {
		api_error_set(err, 410, NULL, "This review link has expired");
		goto out;
	}
	if (state == INVITATION_LINK_REVIEWED) {
		api_error_set(err, 409, NULL, "A review was already written "
		    "through this link");
		goto out;
	}
	snprintf(id, sizeof(id), "%s", db_text(st, T_ID));
	memcpy(language, db_text(st, T_LOCALE), 2);
	products = parsed(st, T_PRODUCTS);
	tags = parsed(st, T_TAGS);
	ids = json_array();
	memset(&r, 0, sizeof(r));
	r.bu = db_text(st, T_BU);
	r.email = db_text(st, T_EMAIL);
	r.name = db_text(st, T_NAME);
	r.reference = db_is_null(st, T_REF) ? NULL :
	    db_text(st, T_REF);
	r.language = language;
	r.link_kind = db_text(st, T_LINK_KIND);
	/* the service part, when asked for and answered */
	if ((int)db_int(st, T_SERVICE) &&
	    json_object_get(answers, "stars") != NULL) {
		check_answer(answers, "", &stars, &title, &text, err);
		if (err->status == 0) {
			r.stars = stars;
			r.title = title;
			r.text = text;
			r.tags = tags;
			if (reviews_create_invited(db, &r, review) == -1)
				goto dberr;
			json_array_append_new(ids, json_string(review));
			made++;
		}
	}
	json_array_foreach(json_object_get(answers, "products"), i, a) {
		const char	*sku = json_string_value(json_object_get(a,
				    "sku"));

		snprintf(prefix, sizeof(prefix), "products[%zu]", i);
		json_array_foreach(products, j, p) {
			if (sku != NULL && strcmp(sku, json_string_value(
			    json_object_get(p, "sku"))) == 0)
				break;
		}
		if (j == json_array_size(products)) {
			api_error_set(err, 400, prefix, "is not a product of "
			    "this invitation");
			continue;
		}
		check_answer(a, prefix, &stars, &title, &text, err);
		if (err->status != 0)
			continue;
		r.sku = sku;
		r.stars = stars;
		r.title = title;
		r.text = text;
		r.tags = NULL;
		if (reviews_create_invited(db, &r, review) == -1)
			goto dberr;
		json_array_append_new(ids, json_string(review));
		made++;
	}
	if (err->status == 0 && made == 0)
		api_error_set(err, 400, "stars", "is required: rate at least "
		    "one thing");
	if (err->status != 0)
		goto out;
	db_release(st);
	st = NULL;
	ids_text = json_dumps(ids, JSON_COMPACT);
	up = db_prepare(db, sql_mark_reviewed);
	if (ids_text == NULL || up == NULL ||
	    db_bind_int(up, 1, now) == -1 ||
	    db_bind_text(up, 2, ids_text) == -1 ||
	    db_bind_text(up, 3, id) == -1 || db_step(db, up) != DB_DONE ||
	    add_event(db, id, "reviewed", NULL, now) == -1 ||
	    db_tx_commit(db) == -1)
		goto dberr;
	scheduler_wake();
	ret = 0;
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	db_release(up);
	db_tx_rollback(db);
	free(ids_text);
	json_decref(products);
	json_decref(tags);
	json_decref(ids);
	return ret;
}

static const char sql_by_unsubscribe[] =
    "SELECT i.business_unit_id, i.consumer_email, b.display_name "
    "FROM invitations i JOIN business_units b ON b.id = i.business_unit_id "
    "WHERE i.unsubscribe_hash = ?";
static const char sql_unsubscribe[] =
    "INSERT OR IGNORE INTO unsubscribes (business_unit_id, address_hash, "
    "  created_at) VALUES (?, ?, ?)";

int
invitations_unsubscribe(struct db *db, const char *token, bool apply,
    char *business, size_t business_len)
{
	struct db_stmt	*st = NULL;
	char		 hash[IDS_HASH_LEN + 1], address[IDS_HMAC_B64_LEN + 1];
	char		 bu[IDS_ID_LEN + 1];
	int		 rc, ret = -1;
	bool		 erased;

	if (strlen(token) != IDS_TOKEN_LEN)
		return 1;
	ids_token_hash(token, hash);
	if (db_tx_begin(db) == -1)
		return -1;
	st = db_prepare(db, sql_by_unsubscribe);
	if (st == NULL || db_bind_text(st, 1, hash) == -1 ||
	    (rc = db_step(db, st)) == -1)
		goto out;
	if (rc == DB_DONE) {
		ret = 1;
		goto out;
	}
	snprintf(bu, sizeof(bu), "%s", db_text(st, 0));
	snprintf(business, business_len, "%s", db_text(st, 2));
	erased = db_is_null(st, 1);
	/* the secret may be made here: only when the change is committed */
	if (apply && !erased && address_hash(db, db_text(st, 1), address,
	    NULL) == -1)
		goto out;
	db_release(st);
	st = NULL;
	if (apply && !erased) {
		st = db_prepare(db, sql_unsubscribe);
		if (st == NULL || db_bind_text(st, 1, bu) == -1 ||
		    db_bind_text(st, 2, address) == -1 ||
		    db_bind_int(st, 3, clock_now_ms()) == -1 ||
		    db_step(db, st) != DB_DONE || db_tx_commit(db) == -1)
			goto out;
	}
	ret = 0;
out:
	db_release(st);
	db_tx_rollback(db);
	return ret;
}

/* Links the business made itself (BGL, Unique Links, invitation-links). */

static const char sql_by_link_hash[] =
    "SELECT id, reviewed_at IS NOT NULL, token_expires_at FROM invitations "
    "WHERE business_unit_id = ? AND link_hash = ?";
static const char sql_new_token[] =
    "UPDATE invitations SET token_hash = ?1, updated_at = ?2 WHERE id = ?3";
static const char sql_link_insert[] =
    "INSERT INTO invitations (id, business_unit_id, consumer_email, "
    "  consumer_name, reference_number, locale, redirect_uri, tags, "
    "  service, products, origin, link_kind, status, send_at, sent_at, "
    "  token_hash, token_expires_at, link_hash, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?10, 'sent', ?11, "
    "  ?11, ?12, ?13, ?14, ?11, ?11)";

int
invitations_open_link(struct db *db, const struct link_claim *c,
    char token[IDS_TOKEN_LEN + 1], char id_out[IDS_ID_LEN + 1],
    enum invitation_link *state, struct api_error *err)
{
	struct db_stmt	*st = NULL;
	struct inv_input in;
	char		 id[IDS_ID_LEN + 1], hash[IDS_HASH_LEN + 1];
	char		 locale[8] = "en-US";
	char		*tags = NULL, *products = NULL;
	int64_t		 now = clock_now_ms();
	int		 rc, ret = -1;

	memset(&in, 0, sizeof(in));
	ids_token(token);
	ids_token_hash(token, hash);
	if (db_tx_begin(db) == -1)
		goto dberr;
	if (c->link_hash != NULL) {
		st = db_prepare(db, sql_by_link_hash);
		if (st == NULL || db_bind_text(st, 1, c->bu) == -1 ||
		    db_bind_text(st, 2, c->link_hash) == -1 ||
		    (rc = db_step(db, st)) == -1)
			goto dberr;
		if (rc == DB_ROW) {
			snprintf(id, sizeof(id), "%s", db_text(st, 0));
			*state = (int)db_int(st, 1) ?
			    INVITATION_LINK_REVIEWED :
			    db_int(st, 2) <= now ?
			    INVITATION_LINK_EXPIRED : INVITATION_LINK_OPEN;
			db_release(st);
			st = NULL;
			if (*state == INVITATION_LINK_EXPIRED) {
				token[0] = '\0';
				ret = 0;
				goto out;
			}
			st = db_prepare(db, sql_new_token);
			if (st == NULL || db_bind_text(st, 1, hash) == -1 ||
			    db_bind_int(st, 2, now) == -1 ||
			    db_bind_text(st, 3, id) == -1 ||
			    db_step(db, st) != DB_DONE ||
			    db_tx_commit(db) == -1)
				goto dberr;
			memcpy(id_out, id, sizeof(id));
			ret = 0;
			goto out;
		}
		db_release(st);
		st = NULL;
	}
	if (c->skus != NULL) {
		in.skus = json_incref(c->skus);
		if (resolve_skus(db, c->bu, &in, err) == -1)
			goto out;
	}
	if (c->locale != NULL)
		snprintf(locale, sizeof(locale), "%s", c->locale);
	else {
		st = db_prepare(db, sql_unit_locale);
		if (st == NULL || db_bind_text(st, 1, c->bu) == -1 ||
		    db_step(db, st) != DB_ROW)
			goto dberr;
		snprintf(locale, sizeof(locale), "%s", db_text(st, 0));
		db_release(st);
		st = NULL;
	}
	tags = c->tags != NULL ? json_dumps(c->tags, JSON_COMPACT) :
	    strdup("[]");
	products = in.products != NULL ? json_dumps(in.products,
	    JSON_COMPACT) : strdup("[]");
	if (tags == NULL || products == NULL)
		goto dberr;
	ids_new(id);
	st = db_prepare(db, sql_link_insert);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, c->bu) == -1 ||
	    db_bind_text(st, 3, c->email) == -1 ||
	    db_bind_text(st, 4, c->name) == -1 ||
	    db_bind_text(st, 5, c->reference) == -1 ||
	    db_bind_text(st, 6, locale) == -1 ||
	    db_bind_text(st, 7, c->redirect_uri) == -1 ||
	    db_bind_text(st, 8, tags) == -1 ||
	    db_bind_text(st, 9, products) == -1 ||
	    db_bind_text(st, 10, c->kind) == -1 ||
	    db_bind_int(st, 11, now) == -1 ||
	    db_bind_text(st, 12, hash) == -1 ||
	    db_bind_int(st, 13, now + inv_cfg->invitation_link_days *
	    86400000) == -1 || db_bind_text(st, 14, c->link_hash) == -1 ||
	    db_step(db, st) != DB_DONE ||
	    add_event(db, id, "created", c->kind, now) == -1 ||
	    db_tx_commit(db) == -1)
		goto dberr;
	*state = INVITATION_LINK_OPEN;
	memcpy(id_out, id, sizeof(id));
	ret = 0;
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	db_tx_rollback(db);
	input_release(&in);
	free(tags);
	free(products);
	return ret;
}

/* Order e-mails (the Automatic Feedback Service). */

int
invitations_from_order(struct db *db, const char *bu, const char *email,
    const char *name, const char *reference, int64_t send_at,
    char id_out[IDS_ID_LEN + 1], bool *skipped, struct api_error *err)
{
	struct inv_input in;
	struct db_stmt	*st;
	char		 shown[MAILER_ADDRESS_MAX + 1], why[MAILHTML_WHY];
	int		 rc;

	memset(&in, 0, sizeof(in));
	in.email = email;
	in.name = name;
	/* the To: name of a forwarded order, or the address's local part:
	 * one with a URL or host ("anna.smith" reads as one) is shown as
	 * the local part with spaces for dots, which no rule refuses */
	if (mailhtml_check_value(name, NULL, why, sizeof(why)) == -1) {
		local_name(email, shown, sizeof(shown));
		in.name = shown;
	}
	in.reference = reference;
	in.service = true;
	in.send_at = send_at;
	if (invitations_quota_check(db, bu, 1, err) == -1)
		return -1;
	rc = store(db, bu, &in, "afs", id_out, err);
	input_release(&in);
	if (rc == -1)
		return -1;
	st = db_prepare(db, sql_by_id);
	if (st == NULL || db_bind_text(st, 1, id_out) == -1 ||
	    db_step(db, st) != DB_ROW) {
		db_release(st);
		db_fail(db, err);
		return -1;
	}
	*skipped = strcmp(db_text(st, I_STATUS), "skipped") == 0;
	db_release(st);
	return 0;
}
