/*
 * products: the catalogue, keyed by (business unit, sku). Upserts are all
 * or nothing: every item is validated before any is written. HTTP worker
 * threads only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/handler.h"
#include "reviewd/json.h"
#include "reviewd/products.h"

#define SKU_MAX		100
#define TITLE_MAX	300
#define URL_MAX		2048
#define CODE_MAX	100
#define BATCH_MAX	1000
#define PAGE_MAX	10000

/* JSON key, column; all optional strings but sku and title. Links are
 * served to every visitor: http(s) or empty, never javascript: or data:. */
static const struct {
	const char	*key;
	size_t		 max;
	bool		 url;
} optional_fields[] = {
	{ "link", URL_MAX, true },
	{ "imageLink", URL_MAX, true },
	{ "gtin", CODE_MAX, false },
	{ "mpn", CODE_MAX, false },
	{ "brand", TITLE_MAX, false },
};

static const char sql_upsert[] =
    "INSERT INTO products (id, business_unit_id, sku, name, link, "
    "  image_link, gtin, mpn, brand, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) "
    "ON CONFLICT (business_unit_id, sku) DO UPDATE SET name = ?4, "
    "  link = ?5, image_link = ?6, gtin = ?7, mpn = ?8, brand = ?9, "
    "  updated_at = ?10";
static const char sql_list[] =
    "SELECT id, sku, name, link, image_link, gtin, mpn, brand, created_at, "
    "  updated_at FROM products WHERE business_unit_id = ?1 AND "
    "  (?2 IS NULL OR sku IN (SELECT value FROM json_each(?2))) "
    "ORDER BY sku LIMIT ?3 OFFSET ?4";

static json_t *
product_json(struct db_stmt *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, "
	    "s:o}", "id", db_text(st, 0), "sku", db_text(st, 1), "title",
	    db_text(st, 2), "link", db_text(st, 3), "imageLink",
	    db_text(st, 4), "gtin", db_text(st, 5), "mpn", db_text(st, 6),
	    "brand", db_text(st, 7), "createdAt", db_json_time(st, 8),
	    "updatedAt", db_json_time(st, 9));
}

static void
check_item(json_t *item, size_t i, struct api_error *err)
{
	char		 field[64];
	const char	*s;
	size_t		 k;
	struct api_error sub;

	if (!json_is_object(item)) {
		snprintf(field, sizeof(field), "products[%zu]", i);
		api_error_set(err, 400, field, "must be an object");
		return;
	}
	memset(&sub, 0, sizeof(sub));
	json_read_string(item, "sku", true, 1, SKU_MAX, &s, &sub);
	json_read_string(item, "title", true, 1, TITLE_MAX, &s, &sub);
	for (k = 0; k < sizeof(optional_fields) / sizeof(optional_fields[0]);
	    k++) {
		if (json_read_string(item, optional_fields[k].key, false, 0,
		    optional_fields[k].max, &s, &sub) == 0 &&
		    optional_fields[k].url && s != NULL && s[0] != '\0' &&
		    !json_url_valid(s))
			api_error_set(&sub, 400, optional_fields[k].key,
			    "must be an http:// or https:// URL");
	}
	for (k = 0; k < sub.ndetails; k++) {
		snprintf(field, sizeof(field), "products[%zu].%s", i,
		    sub.details[k].field);
		api_error_set(err, 400, field, "%s", sub.details[k].reason);
	}
}

static const char *
opt(json_t *item, const char *key)
{
	const char	*s = json_string_value(json_object_get(item, key));

	return s != NULL ? s : "";
}

/* Stores items (checked) in unit bu's catalogue in one transaction,
 * committed on success. 0, or -1 (see db_fail; the caller rolls back). */
static int
store(struct db *db, const char *bu, json_t *items)
{
	json_t	*item;	/* borrowed */
	char	 id[IDS_ID_LEN + 1];
	int64_t	 now = clock_now_ms();
	size_t	 i;

	if (db_tx_begin(db) == -1)
		return -1;
	json_array_foreach(items, i, item) {
		ids_new(id);
		if (db_run(db, sql_upsert, "sssssssssi", id, bu,
		    opt(item, "sku"), opt(item, "title"), opt(item, "link"),
		    opt(item, "imageLink"), opt(item, "gtin"), opt(item, "mpn"),
		    opt(item, "brand"), now) == -1)
			return -1;
	}
	return db_tx_commit(db);
}

int
products_upsert(ROUTE_HANDLER_PARAMS)
{
	json_t		*body, *items, *item;	/* borrowed */
	const char	*bu;
	size_t		 i;
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	items = json_object_get(body, "products");	/* borrowed */
	if (!json_is_array(items) || json_array_size(items) == 0 ||
	    json_array_size(items) > BATCH_MAX) {
		api_error_set(err, 400, "products", "must be an array of 1 to "
		    "%d products", BATCH_MAX);
		goto out;
	}
	json_array_foreach(items, i, item)
		check_item(item, i, err);
	if (err->status != 0)
		goto out;
	if (store(req->db, bu, items) == -1) {
		db_fail(req->db, err);
		goto out;
	}
	/* the catalogue as it is now, as GET answers it */
	if ((ret = products_list(req, res, err)) == 0)
		res->status = 200;
out:
	db_tx_rollback(req->db);	/* no-op after the commit */
	return ret;
}

/* The skus query parameter ("a,b") as a JSON array text, to *out (NULL
 * when absent). 0, or -1 when out of memory. */
static int
skus_of(const struct request *req, char **out)
{
	const char	*v = request_query(req, "skus"), *p, *comma;
	json_t		*skus;	/* owned */

	*out = NULL;
	if (v == NULL)
		return 0;
	skus = json_array();
	for (p = v; skus != NULL; p = comma + 1) {
		comma = strchr(p, ',');
		if (json_array_append_new(skus, json_stringn(p, comma != NULL ?
		    (size_t)(comma - p) : strlen(p))) == -1 || comma == NULL)
			break;
	}
	*out = skus != NULL ? json_dumps(skus, JSON_COMPACT) : NULL;
	json_decref(skus);
	return *out != NULL ? 0 : -1;
}

int
products_list(ROUTE_HANDLER_PARAMS)
{
	json_t			*list = json_array();	/* owned */
	struct handler_page	 p = { 1, PAGE_MAX };
	const char		*bu;
	char			*skus = NULL;
	bool			 last;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    handler_page_args(req, PAGE_MAX, &p, err) == -1) {
		json_decref(list);
		return -1;
	}
	/* one row more than the page tells whether it is the last */
	if (list == NULL || skus_of(req, &skus) == -1 ||
	    db_list(req->db, sql_list, product_json, list, "ssii", bu, skus,
	    p.per_page + 1, (p.page - 1) * p.per_page) == -1) {
		free(skus);
		json_decref(list);
		db_fail(req->db, err);
		return -1;
	}
	free(skus);
	last = (int64_t)json_array_size(list) <= p.per_page;
	if (!last && json_array_remove(list, (size_t)p.per_page) == -1) {
		json_decref(list);
		api_error_internal(err);
		return -1;
	}
	return response_json(res, 200, json_pack("{s:o, s:b}", "products",
	    list, "isLastPage", last), err);
}
