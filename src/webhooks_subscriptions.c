/*
 * webhooks_subscriptions: the subscription handlers of a business unit
 * (HTTP worker threads): make one (URL checked against the SSRF guard, a
 * new signing key sealed with [links] master_key), list, delete, send a
 * test event, and list the delivery log. Delivery itself (the webhook
 * lane's thread), emitting and the SSRF guard are in webhooks.c.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <sodium.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/json.h"
#include "reviewd/webhooks.h"
#include "reviewd/webhooks_internal.h"

#define MAX_SUBSCRIPTIONS	20
#define KEY_BYTES		32
#define SECRET_LEN		(6 + 44)	/* "whsec_" + base64(32) */
#define TEST_EVENT		"webhook-test"
#define PAGE_MAX		100

/* The events a subscription may ask for. */
static const char *const event_names[] = {
	"service-review-created",
	"service-review-updated",
	"service-review-deleted",
	"product-review-created",
	"product-review-updated",
	"product-review-deleted",
	"service-review-reply-created",
	"service-review-reply-updated",
	"service-review-reply-deleted",
	"product-review-reply-created",
	"product-review-reply-updated",
	"product-review-reply-deleted",
	"find-reviewer-replied",
	"find-reviewer-expired",
	"review-report-created",
	"review-report-resolved",
	"invitation-link-unknown-skus",
	NULL
};

/* Checks a subscription URL: http(s), a host, and (unless allowed) only
 * public addresses. 0, or -1 with a 400 on "url". */
static int
check_url(const struct config *cfg, const char *url, struct api_error *err)
{
	CURLU		*u = curl_url();
	char		*scheme = NULL, *host = NULL;
	struct addrinfo	 hints, *res = NULL, *ai;
	int		 ret = -1;

	if (u == NULL) {
		api_error_internal(err);
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		api_error_set(err, 400, "url", "must be an http:// or "
		    "https:// URL");
		goto out;
	}
	if (cfg->webhooks_allow_private) {
		ret = 0;
		goto out;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (host[0] == '[') {		/* curl keeps IPv6 brackets */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		api_error_set(err, 400, "url", "host cannot be resolved");
		goto out;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (!webhooks_address_public(ai->ai_addr)) {
			api_error_set(err, 400, "url", "resolves to a "
			    "loopback, private or link-local address, which "
			    "is not allowed");
			goto out;
		}
	}
	ret = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ret;
}

static json_t *
subscription_json(struct db_stmt *st)
{
	json_error_t	 jerr;
	json_t		*events;	/* owned, taken by json_pack */

	events = json_loads(db_text(st, 2), 0, &jerr);
	return json_pack("{s:s, s:s, s:o, s:s, s:o, s:o}", "id",
	    db_text(st, 0), "url", db_text(st, 1), "events", events != NULL ?
	    events : json_array(), "status", db_text(st, 3),
	    "disabledReason", db_json_text(st, 4), "createdAt",
	    db_json_time(st, 5));
}

#define SUB_COLUMNS "id, url, events, status, disabled_reason, created_at"

static const char sql_sub_count[] =
    "SELECT count(*) FROM webhook_subscriptions WHERE business_unit_id = ?";
static const char sql_sub_insert[] =
    "INSERT INTO webhook_subscriptions (id, business_unit_id, url, events, "
    "  secret, created_at) VALUES (?, ?, ?, ?, ?, ?)";
static const char sql_sub_get[] =
    "SELECT " SUB_COLUMNS " FROM webhook_subscriptions "
    "WHERE id = ? AND business_unit_id = ?";

/* The name before replies had events of their own (migration 0021):
 * read as the two that replaced it. -1 when out of memory. */
static int
legacy_reply_event(json_t *v)
{
	static const char *const now[] = { "service-review-reply-created",
	    "product-review-reply-created" };
	json_t	*e;	/* borrowed */
	size_t	 i, j, k;

	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || strcmp(json_string_value(e),
		    "review-reply-created") != 0)
			continue;
		if (json_array_remove(v, i) == -1)
			return -1;
		for (k = 0; k < 2; k++) {
			json_array_foreach(v, j, e) {
				if (json_is_string(e) && strcmp(now[k],
				    json_string_value(e)) == 0)
					break;
			}
			if (j == json_array_size(v) && json_array_append_new(v,
			    json_string(now[k])) == -1)
				return -1;
		}
		return 0;
	}
	return 0;
}

/* Reads "events": a non-empty array of known, distinct names. */
static json_t *
read_events(json_t *body, struct api_error *err)
{
	json_t		*v = json_object_get(body, "events");	/* borrowed */
	json_t		*e;					/* borrowed */
	size_t		 i, j, k;

	if (!json_is_array(v) || json_array_size(v) == 0) {
		api_error_set(err, 400, "events", "must be a non-empty array "
		    "of event names");
		return NULL;
	}
	if (legacy_reply_event(v) == -1) {
		api_error_internal(err);
		return NULL;
	}
	json_array_foreach(v, i, e) {
		for (k = 0; event_names[k] != NULL; k++) {
			if (json_is_string(e) && strcmp(json_string_value(e),
			    event_names[k]) == 0)
				break;
		}
		if (event_names[k] == NULL) {
			api_error_set(err, 400, "events", "item %zu is not a "
			    "known event name", i);
			return NULL;
		}
		for (j = 0; j < i; j++) {
			if (json_equal(json_array_get(v, j), e)) {
				api_error_set(err, 400, "events", "item %zu "
				    "repeats an event", i);
				return NULL;
			}
		}
	}
	return v;
}

/* A new signing key: the secret shown once ("whsec_" and its base64) and
 * its sealed form (malloc'd) to store. 0, or -1 with err set (409 without
 * a master key). */
static int
new_secret(const struct config *cfg, char secret[SECRET_LEN + 1],
    char **sealed, struct api_error *err)
{
	unsigned char	 key[KEY_BYTES], mk[IDS_MASTER_LEN];

	*sealed = NULL;
	if (ids_master_key(cfg->links_master_key, mk) == -1) {
		api_error_set(err, 409, NULL, "Webhook subscriptions need "
		    "[links] master_key in the server configuration (it "
		    "seals their signing secrets)");
		return -1;
	}
	randombytes_buf(key, sizeof(key));
	memcpy(secret, "whsec_", 6);
	sodium_bin2base64(secret + 6, SECRET_LEN + 1 - 6, key, sizeof(key),
	    sodium_base64_VARIANT_ORIGINAL);
	*sealed = ids_seal(mk, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(mk, sizeof(mk));
	if (*sealed == NULL) {
		api_error_internal(err);
		return -1;
	}
	return 0;
}

/* Stores subscription id of bu (at most MAX_SUBSCRIPTIONS a unit) and
 * leaves st on its row. 0, or -1 with err set. */
static int
insert_subscription(struct db *db, const char *id, const char *bu,
    const char *url, const char *events, const char *sealed,
    struct db_stmt **st, struct api_error *err)
{
	int64_t	 n;

	*st = NULL;
	if (db_one_int(db, sql_sub_count, &n, "s", bu) != DB_ROW)
		goto dberr;
	if (n >= MAX_SUBSCRIPTIONS) {
		api_error_set(err, 409, NULL, "A business unit may have at "
		    "most %d webhook subscriptions", MAX_SUBSCRIPTIONS);
		return -1;
	}
	if (db_run(db, sql_sub_insert, "sssssi", id, bu, url, events, sealed,
	    clock_now_ms()) == -1 ||
	    db_row(db, sql_sub_get, st, "ss", id, bu) != DB_ROW)
		goto dberr;
	return 0;
dberr:
	db_fail(db, err);
	return -1;
}

int
webhooks_create(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "url", "events", NULL };
	json_t		*body, *events, *out;	/* borrowed; see below */
	struct db_stmt	*st = NULL;
	const char	*bu, *url = NULL;
	char		*events_text = NULL, *sealed = NULL;
	char		 id[IDS_ID_LEN + 1], secret[SECRET_LEN + 1];
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	if (json_read_string(body, "url", true, 8, URL_MAX, &url, err) == 0)
		check_url(req->cfg, url, err);
	events = read_events(body, err);	/* borrowed from body */
	if (err->status != 0 || new_secret(req->cfg, secret, &sealed,
	    err) == -1)
		goto out;
	ids_new(id);
	if ((events_text = json_dumps(events, JSON_COMPACT)) == NULL) {
		api_error_internal(err);
		goto out;
	}
	if (db_tx_begin(req->db) == -1) {
		db_fail(req->db, err);
		goto out;
	}
	if (insert_subscription(req->db, id, bu, url, events_text, sealed,
	    &st, err) == -1)
		goto out;
	out = subscription_json(st);	/* owned, taken by handler_commit */
	if (out != NULL && json_object_set_new(out, "secret",
	    json_string(secret)) == -1) {
		json_decref(out);
		out = NULL;
	}
	db_release(st);
	st = NULL;
	ret = handler_commit(req, res, 201, out, false, err);
out:
	db_release(st);
	db_tx_rollback(req->db);
	sodium_memzero(secret, sizeof(secret));
	free(sealed);
	free(events_text);
	return ret;
}

static const char sql_sub_list[] =
    "SELECT " SUB_COLUMNS " FROM webhook_subscriptions "
    "WHERE business_unit_id = ? ORDER BY created_at, id";

int
webhooks_list(ROUTE_HANDLER_PARAMS)
{
	const char	*bu;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	return handler_list_answer(req, res, json_array(), sql_sub_list,
	    subscription_json, "webhooks", err, "s", bu);
}

static const char sql_sub_delete[] =
    "DELETE FROM webhook_subscriptions WHERE id = ? AND business_unit_id = ?";

int
webhooks_delete(ROUTE_HANDLER_PARAMS)
{
	struct db	*db = req->db;
	const char	*bu, *id = request_param(req, "subscriptionId");
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	if (db_tx_begin(db) == -1 ||
	    db_run(db, sql_sub_delete, "ss", id, bu) == -1)
		db_fail(db, err);
	else if (db_changes(db) == 0)
		api_error_set(err, 404, NULL, "Webhook subscription not found");
	else if (outbox_kill_subscription(db, id) == -1)
		db_fail(db, err);
	else
		ret = handler_commit(req, res, 200, json_pack("{s:s, s:s}",
		    "id", id, "status", "deleted"), false, err);
	db_tx_rollback(db);
	return ret;
}

/* Queues the "webhook-test" event of subscription id of bu (which exists)
 * in the open transaction; its id goes to event. 0 or -1. */
static int
queue_test(struct db *db, const char *bu, const char *id,
    char event[IDS_ID_LEN + 1])
{
	json_t	*data, *payload = NULL;	/* owned */
	int	 ret = -1;

	data = json_pack("{s:s, s:s}", "subscriptionId", id, "businessUnitId",
	    bu);
	if (data != NULL && json_set_time(data, "createdAt",
	    clock_now_ms()) == 0 &&
	    (payload = webhooks_envelope(TEST_EVENT, data)) != NULL)
		ret = outbox_add(db, OUTBOX_WEBHOOK, bu, id, payload,
		    clock_now_ms(), event);
	json_decref(data);
	json_decref(payload);
	return ret;
}

/* Sends a "webhook-test" event to one subscription, whatever its list, so
 * a business can check its receiver and signature verification. */
int
webhooks_test(ROUTE_HANDLER_PARAMS)
{
	struct db	*db = req->db;
	const char	*bu, *id = request_param(req, "subscriptionId");
	char		 event[IDS_ID_LEN + 1];
	int		 rc = -1, ret = -1;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	if (db_tx_begin(db) == 0)
		rc = db_exists(db, sql_sub_get, "ss", id, bu);
	if (rc == -1 || (rc == DB_ROW && queue_test(db, bu, id, event) == -1))
		db_fail(db, err);
	else if (rc == DB_DONE)
		api_error_set(err, 404, NULL, "Webhook subscription not found");
	else
		ret = handler_commit(req, res, 202, json_pack("{s:s, s:s}",
		    "eventId", event, "status", "pending"), true, err);
	db_tx_rollback(db);
	return ret;
}

static const char sql_deliveries[] =
    "SELECT subscription_id, event_id, event_name, attempt, status_code, "
    "  error, duration_ms, created_at FROM webhook_deliveries "
    "WHERE business_unit_id = ? ORDER BY id DESC LIMIT ? OFFSET ?";

static json_t *
delivery_json(struct db_stmt *st)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:I, s:o}",
	    "subscriptionId", db_text(st, 0), "eventId", db_text(st, 1),
	    "eventName", db_text(st, 2), "attempt", (json_int_t)db_int(st, 3),
	    "statusCode", db_is_null(st, 4) ? json_null() :
	    json_integer(db_int(st, 4)), "error", db_json_text(st, 5),
	    "durationMs", (json_int_t)db_int(st, 6), "createdAt",
	    db_json_time(st, 7));
}

int
webhooks_deliveries(ROUTE_HANDLER_PARAMS)
{
	struct handler_page	 p = { 1, 20 };
	const char		*bu;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    handler_page_args(req, PAGE_MAX, &p, err) == -1)
		return -1;
	return handler_page_query(req, res, &p, sql_deliveries, delivery_json,
	    "deliveries", err, "s", bu);
}
