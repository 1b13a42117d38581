/*
 * invitations_links: the reviewer's side of invitations, for the pages
 * (HTTP worker threads). A personal link token (stored hashed) finds its
 * invitation, shows the form and takes the answers as verified reviews
 * (reviews.c stores them); a link the business made itself (BGL, Unique
 * Link, invitation link) finds or makes its invitation first. Each
 * change is one transaction with its invitation_events row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/invitations_internal.h"
#include "reviewd/invitations_links.h"
#include "reviewd/json.h"
#include "reviewd/reviews.h"
#include "reviewd/webhooks.h"

/* Personal links. */

static const char sql_by_token[] =
    "SELECT i.id, i.consumer_name, i.service, i.products, i.reviewed_at, "
    "  i.token_expires_at, i.opened_at, b.display_name, b.domain, "
    "  i.review_ids, i.consumer_email, i.reference_number, i.locale, "
    "  i.tags, i.business_unit_id, i.link_kind, i.redirect_uri "
    "FROM invitations i JOIN business_units b ON b.id = i.business_unit_id "
    "WHERE ((i.id = ?1 AND i.keyed_token_hash = ?2) OR "
    "  i.token_hash = ?2) AND i.erased_at IS NULL";
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
	char		 hash[IDS_HASH_LEN + 1], key[IDS_ID_LEN + 1];
	int		 rc;

	*out = NULL;
	*state = INVITATION_LINK_UNKNOWN;
	if (strlen(token) != IDS_TOKEN_LEN)
		return 0;
	/* keyed since migration 0030; token_hash: links sent before, and
	 * the links a business makes */
	ids_token_key(token, key);
	ids_token_hash(token, hash);
	if ((rc = db_row(db, sql_by_token, &st, "ss", key, hash)) != DB_ROW)
		return rc == -1 ? -1 : 0;
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
	struct db_stmt	*st = NULL;
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
	    inv_parsed(st, T_PRODUCTS), "businessUnit", "displayName",
	    db_text(st, T_BU_NAME), "domain", db_text(st, T_DOMAIN),
	    "reviews", inv_parsed(st, T_REVIEWS),
	    "locale", db_text(st, T_LOCALE),
	    "redirectUri", db_is_null(st, T_REDIRECT) ?
	    NULL : db_text(st, T_REDIRECT));
	db_release(st);
	st = NULL;
	if (*out == NULL)
		goto out;
	if (first && (db_run(db, sql_mark_opened, "is", now, id) == -1 ||
	    inv_event_add(db, id, "opened", NULL, now) == -1))
		goto out;
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
	inv_prefixed(err, &sub, prefix);
}

/* A review of answer a (its fields named under prefix) written as r,
 * its id added to ids; nothing when a, or an answer before it, is bad.
 * 0, or -1 on a database error. */
static int
review_answer(struct db *db, json_t *a, const char *prefix,
    struct invited_review *r, json_t *ids, struct api_error *err)
{
	char	 review[IDS_ID_LEN + 1];

	check_answer(a, prefix, &r->stars, &r->title, &r->text, err);
	if (err->status != 0)
		return 0;
	if (reviews_create_invited(db, r, review) == -1 ||
	    json_array_append_new(ids, json_string(review)) == -1)
		return -1;
	return 0;
}

/* The product answers: a review for each product of the invitation
 * (products) answered. 0, or -1 on a database error. */
static int
review_products(struct db *db, json_t *answers, json_t *products,
    struct invited_review *r, json_t *ids, struct api_error *err)
{
	json_t		*a, *p;		/* borrowed */
	const char	*sku;
	char		 prefix[48];
	size_t		 i, j;

	json_array_foreach(json_object_get(answers, "products"), i, a) {
		sku = json_string_value(json_object_get(a, "sku"));
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
		r->sku = sku;
		r->tags = NULL;
		if (review_answer(db, a, prefix, r, ids, err) == -1)
			return -1;
	}
	return 0;
}

/* Why a link of state cannot be redeemed, into err; 0 when it can. */
static int
refuse_redeem(enum invitation_link state, struct api_error *err)
{
	if (state == INVITATION_LINK_UNKNOWN)
		api_error_set(err, 404, NULL, "This review link is not valid");
	else if (state == INVITATION_LINK_EXPIRED)
		api_error_set(err, 410, NULL, "This review link has expired");
	else if (state == INVITATION_LINK_REVIEWED)
		api_error_set(err, 409, NULL, "A review was already written "
		    "through this link");
	else
		return 0;
	return -1;
}

int
invitations_redeem(struct db *db, const char *token, json_t *answers,
    struct api_error *err)
{
	struct db_stmt		*st = NULL;
	enum invitation_link	 state;
	struct invited_review	 r;
	json_t			*products = NULL, *ids = NULL, *tags = NULL;
	char			 id[IDS_ID_LEN + 1], language[3] = "en";
	char			*ids_text = NULL;
	int64_t			 now = clock_now_ms();
	int			 ret = -1;

	if (db_tx_begin(db) == -1 || by_token(db, token, &st, &state) == -1)
		goto dberr;
	if (refuse_redeem(state, err) == -1)
		goto out;
	snprintf(id, sizeof(id), "%s", db_text(st, T_ID));
	memcpy(language, db_text(st, T_LOCALE), 2);
	products = inv_parsed(st, T_PRODUCTS);
	tags = inv_parsed(st, T_TAGS);
	if ((ids = json_array()) == NULL)
		goto dberr;
	memset(&r, 0, sizeof(r));
	r.bu = db_text(st, T_BU);
	r.email = db_text(st, T_EMAIL);
	r.name = db_text(st, T_NAME);
	r.reference = db_is_null(st, T_REF) ? NULL : db_text(st, T_REF);
	r.language = language;
	r.link_kind = db_text(st, T_LINK_KIND);
	r.tags = tags;
	/* the service part, when asked for and answered */
	if (((int)db_int(st, T_SERVICE) && json_object_get(answers,
	    "stars") != NULL && review_answer(db, answers, "", &r, ids,
	    err) == -1) ||
	    review_products(db, answers, products, &r, ids, err) == -1)
		goto dberr;
	if (err->status == 0 && json_array_size(ids) == 0)
		api_error_set(err, 400, "stars", "is required: rate at least "
		    "one thing");
	if (err->status != 0)
		goto out;
	db_release(st);
	st = NULL;
	ids_text = json_dumps(ids, JSON_COMPACT);
	if (ids_text == NULL ||
	    db_run(db, sql_mark_reviewed, "iss", now, ids_text, id) == -1 ||
	    inv_event_add(db, id, "reviewed", NULL, now) == -1)
		goto dberr;
	ret = handler_tx_commit(db, true, err);
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	db_tx_rollback(db);
	free(ids_text);
	json_decref(products);
	json_decref(tags);
	json_decref(ids);
	return ret;
}

/* Links the business made itself (BGL, Unique Links, invitation-links). */

static const char sql_by_link_hash[] =
    "SELECT id, reviewed_at IS NOT NULL, token_expires_at FROM invitations "
    "WHERE business_unit_id = ? AND link_hash = ?";
static const char sql_new_token[] =
    "UPDATE invitations SET token_hash = ?1, updated_at = ?2 WHERE id = ?3";

/*
 * Inside the caller's transaction: the invitation c's link made before,
 * into id_out and *state; unless it expired, hash becomes its personal
 * token and the transaction is committed. 1 when there is one, 0 when
 * not, -1 on a database error.
 */
static int
reopen(struct db *db, const struct link_claim *c, const char *hash,
    int64_t now, char id_out[IDS_ID_LEN + 1], enum invitation_link *state)
{
	struct db_stmt	*st;
	char		 id[IDS_ID_LEN + 1];
	int		 rc;

	if ((rc = db_row(db, sql_by_link_hash, &st, "ss", c->bu,
	    c->link_hash)) != DB_ROW)
		return rc == -1 ? -1 : 0;
	snprintf(id, sizeof(id), "%s", db_text(st, 0));
	*state = (int)db_int(st, 1) ? INVITATION_LINK_REVIEWED :
	    db_int(st, 2) <= now ? INVITATION_LINK_EXPIRED :
	    INVITATION_LINK_OPEN;
	db_release(st);
	if (*state == INVITATION_LINK_EXPIRED)
		return 1;
	if (db_run(db, sql_new_token, "sis", hash, now, id) == -1 ||
	    db_tx_commit(db) == -1)
		return -1;
	memcpy(id_out, id, sizeof(id));
	return 1;
}

/*
 * Inside the caller's transaction: the SKUs of c's link not in the
 * catalogue (unknown, not empty) go into invitation id's events and to
 * the business as an invitation-link-unknown-skus webhook event; the
 * customer still gets the form (the service and the known products).
 * 0 or -1.
 */
static int
tell_unknown_skus(struct db *db, const struct link_claim *c, const char *id,
    json_t *unknown, json_t *products, int64_t now)
{
	struct buf	 detail;
	json_t		*data = NULL, *known = NULL;	/* owned */
	json_t		*v;				/* borrowed */
	size_t		 i;
	int		 ret = -1;

	buf_init(&detail, 512);
	json_array_foreach(unknown, i, v) {
		if ((i > 0 && buf_puts(&detail, ", ") == -1) ||
		    buf_puts(&detail, json_string_value(v)) == -1)
			break;	/* the list is cut at 512 bytes; the event has
				 * every SKU */
	}
	if ((known = json_array()) == NULL)
		goto out;
	json_array_foreach(products, i, v) {
		if (json_array_append(known, json_object_get(v, "sku")) == -1)
			goto out;
	}
	data = json_pack("{s:s, s:s, s:s, s:s?, s:O, s:O}", "invitationId", id,
	    "businessUnitId", c->bu, "linkKind", c->kind, "referenceId",
	    c->reference, "unknownSkus", unknown, "knownSkus", known);
	if (data == NULL || json_set_time(data, "createdAt", now) == -1 ||
	    inv_event_add(db, id, "unknown_skus", detail.data != NULL ?
	    detail.data : "", now) == -1 ||
	    webhooks_emit(db, c->bu, "invitation-link-unknown-skus",
	    data) == -1)
		goto out;
	ret = 0;
out:
	buf_release(&detail);
	json_decref(known);
	json_decref(data);
	return ret;
}

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
	json_t		*products = NULL, *unknown = NULL;	/* owned */
	char		 id[IDS_ID_LEN + 1], hash[IDS_HASH_LEN + 1];
	char		 locale[8] = "en-US";
	char		*tags = NULL, *products_text = NULL;
	int64_t		 now = clock_now_ms();
	int		 rc, ret = -1;

	ids_token(token);
	ids_token_hash(token, hash);
	if (db_tx_begin(db) == -1)
		goto dberr;
	if (c->link_hash != NULL) {
		if ((rc = reopen(db, c, hash, now, id_out, state)) == -1)
			goto dberr;
		if (rc == 1) {
			if (*state == INVITATION_LINK_EXPIRED)
				token[0] = '\0';
			ret = 0;
			goto out;
		}
	}
	/* SKUs not in the catalogue do not break the link (Trustpilot's
	 * own example carries "sku1"...): the known ones are asked about */
	if (c->skus != NULL && ((unknown = json_array()) == NULL ||
	    (products = inv_catalogue_products(db, c->bu, c->skus, unknown,
	    err)) == NULL))
		goto out;
	if (c->locale != NULL)
		snprintf(locale, sizeof(locale), "%s", c->locale);
	else if (inv_unit_locale(db, c->bu, locale) == -1)
		goto dberr;
	tags = inv_array_text(c->tags);
	products_text = inv_array_text(products);
	if (tags == NULL || products_text == NULL)
		goto dberr;
	ids_new(id);
	if (db_run(db, sql_link_insert, "ssssssssssisis", id, c->bu,
	    c->email, c->name, c->reference, locale, c->redirect_uri, tags,
	    products_text, c->kind, now, hash, now +
	    config_shared()->invitation_link_days * 86400000,
	    c->link_hash) == -1 ||
	    inv_event_add(db, id, "created", c->kind, now) == -1 ||
	    (json_array_size(unknown) > 0 && tell_unknown_skus(db, c, id,
	    unknown, products, now) == -1))
		goto dberr;
	ret = handler_tx_commit(db, json_array_size(unknown) > 0, err);
	if (ret == 0) {
		*state = INVITATION_LINK_OPEN;
		memcpy(id_out, id, sizeof(id));
	}
	goto out;
dberr:
	db_fail(db, err);
out:
	db_tx_rollback(db);
	json_decref(products);
	json_decref(unknown);
	free(tags);
	free(products_text);
	return ret;
}

/* for pages: the language and business of an expired link */
int
invitations_link_expired(struct db *db, const char *token, json_t **out)
{
	struct db_stmt		*st = NULL;
	enum invitation_link	 state;
	int			 ret = -1;

	*out = NULL;
	if (by_token(db, token, &st, &state) == -1)
		goto out;
	if (st != NULL && state == INVITATION_LINK_EXPIRED &&
	    (*out = json_pack("{s:s, s:{s:s, s:s}}", "locale",
	    db_text(st, T_LOCALE), "businessUnit", "displayName",
	    db_text(st, T_BU_NAME), "domain", db_text(st, T_DOMAIN))) == NULL)
		goto out;
	ret = 0;
out:
	db_release(st);
	return ret;
}
