/*
 * invitations_upload: POST .../invitations/csv, invitations from a CSV
 * file (on the writer's long lane, writer.h). Each row is checked as the
 * JSON API checks an invitation (invitations.c), then stored in chunks
 * with its outcome in the import's record (invitations_csv.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "reviewd/auth.h"
#include "reviewd/buf.h"
#include "reviewd/csv.h"
#include "reviewd/idempotency.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_csv.h"
#include "reviewd/invitations_internal.h"
#include "reviewd/invitations_upload.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/scheduler.h"
#include "reviewd/utf8.h"

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

/* The cells copied as they are into the API's JSON, by key. */
struct cell_key {
	enum csv_column	 column;
	const char	*key;
};

static const struct cell_key product_cells[] = {
	{ COL_PRODUCT_URL, "productUrl" }, { COL_IMAGE_URL, "imageUrl" },
	{ COL_GTIN, "gtin" }, { COL_MPN, "mpn" }, { COL_BRAND, "brand" },
};

/* Sets o[key] to each of the n cells of row that is not empty. */
static void
set_cells(json_t *o, const struct csv_row *row, const int *map,
    const struct cell_key *cells, size_t n)
{
	const char	*s;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((s = cell(row, map, cells[i].column)) != NULL)
			json_object_set_new(o, cells[i].key, json_string(s));
	}
}

/* The tags of a cell "a|b" or "a,b" (empty ones dropped); new, or NULL
 * when out of memory. */
static json_t *
split_tags(const char *s)
{
	json_t		*tags = json_array();	/* owned */
	const char	*p, *sep;
	size_t		 len;

	for (p = s; tags != NULL; p = sep + 1) {
		sep = strpbrk(p, "|,");
		len = sep != NULL ? (size_t)(sep - p) : strlen(p);
		if (len > 0)
			json_array_append_new(tags, json_stringn(p, len));
		if (sep == NULL)
			break;
	}
	return tags;
}

/* A row as the JSON the API takes, so one validator serves both. */
static json_t *
row_json(const struct csv_row *row, const int *map)
{
	static const struct cell_key cells[] = {
		{ COL_REFERENCE, "referenceNumber" }, { COL_LOCALE, "locale" },
	};
	json_t		*o, *part, *product;	/* owned */
	const char	*s;
	char		 greet[MAILER_ADDRESS_MAX + 1];

	o = json_object();
	if (o == NULL)
		return NULL;
	if ((s = cell(row, map, COL_EMAIL)) != NULL)
		json_object_set_new(o, "consumerEmail", json_string(s));
	/* a file without names: greet by the address's local part */
	s = cell(row, map, COL_NAME);
	if (s == NULL && (s = cell(row, map, COL_EMAIL)) != NULL) {
		inv_local_name(s, greet, sizeof(greet));
		s = greet;
	}
	if (s != NULL)
		json_object_set_new(o, "consumerName", json_string(s));
	set_cells(o, row, map, cells, sizeof(cells) / sizeof(cells[0]));
	part = json_object();
	if ((s = cell(row, map, COL_SEND_TIME)) != NULL)
		json_object_set_new(part, "preferredSendTime", json_string(s));
	if ((s = cell(row, map, COL_SKU)) != NULL) {
		product = json_object();
		json_object_set_new(product, "sku", json_string(s));
		if (cell(row, map, COL_PRODUCT_NAME) != NULL)
			s = cell(row, map, COL_PRODUCT_NAME);
		json_object_set_new(product, "name", json_string(s));
		set_cells(product, row, map, product_cells,
		    sizeof(product_cells) / sizeof(product_cells[0]));
		json_object_set_new(part, "products", json_pack("[o]",
		    product));
		json_object_set_new(o, "productReviewInvitation", part);
	} else {
		if ((s = cell(row, map, COL_TAGS)) != NULL)
			json_object_set_new(part, "tags", split_tags(s));
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

/*
 * A chunk ends after CSV_CHUNK_ROWS rows or CSV_CHUNK_MS of holding the
 * write lock, whichever comes first (checked every 100 rows). Longer
 * chunks cost fewer commits, each of which writes again the index pages
 * that the chunk touched.
 */
#define CSV_CHUNK_ROWS	10000
#define CSV_CHUNK_MS	100
#define CSV_PAUSE_MS	5

/* A temporary table is the connection's own on both engines and written
 * outside the database's write lock; it stays with the connection,
 * emptied after each upload. Lines and ranks fit 32 bits. */
static const char sql_groups_create[] =
    "CREATE TEMP TABLE IF NOT EXISTS csv_products (line INTEGER NOT NULL "
    "  PRIMARY KEY, gkey TEXT NOT NULL, rank INTEGER NOT NULL, product "
    "  TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS csv_products_group ON "
    "  csv_products(gkey, rank);"
    "DELETE FROM csv_products";
static const char sql_groups_clear[] = "DELETE FROM csv_products";
static const char sql_group_next[] =
    "SELECT coalesce(max(rank) + 1, 0) FROM csv_products WHERE gkey = ?";
static const char sql_group_add[] =
    "INSERT INTO csv_products (line, gkey, rank, product) "
    "VALUES (?, ?, ?, ?)";
static const char sql_group_rank[] =
    "SELECT rank, gkey FROM csv_products WHERE line = ?";
static const char sql_group_products[] =
    "SELECT product FROM csv_products WHERE gkey = ? AND rank < ? "
    "ORDER BY rank";
static const char sql_group_head[] =
    "SELECT r.invitation_id FROM csv_products p "
    "JOIN invitation_import_rows r ON r.import_id = ?2 AND r.line = p.line "
    "WHERE p.gkey = ?1 AND p.rank = 0";

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
			api_error_internal(err);
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
 * API's JSON, owned; with in not NULL, *in read from it, to release), 0
 * when invalid (*out: its [{field, reason}], owned), -1 when out of
 * memory.
 */
static int
csv_check(int rc, const struct csv_row *row, const int *map, json_t **out,
    struct inv_input *in_out)
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
	if (inv_input_read(o, "", false, &in, &sub) == 0) {
		if (in_out != NULL)
			*in_out = in;
		else
			inv_input_release(&in);
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
	char		*product;
	int64_t		 rank;
	int		 ret = -1;

	product = json_dumps(json_array_get(json_object_get(json_object_get(o,
	    "productReviewInvitation"), "products"), 0), JSON_COMPACT);
	if (product != NULL && group_key(o, key) == 0 &&
	    db_one_int(db, sql_group_next, &rank, "s", key->data) == DB_ROW &&
	    db_run(db, sql_group_add, "isis", (int64_t)line, key->data, rank,
	    product) == 0)
		ret = 0;
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
	buf_init(&key, (MAILER_ADDRESS_MAX + INV_REF_MAX) * 4 + 8);
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
		switch (csv_check(rc, &row, map, &o, NULL)) {
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
	api_error_internal(err);
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
		api_error_internal(err);
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
		api_error_internal(err);
		return -1;
	}
	return response_json(res, 400, body, err);
}

/*
 * Pass 2 for a product row (o, owned by the caller). A row that follows
 * its group's first one (up to INV_PRODUCTS_MAX) is merged into that
 * invitation: its outcome is stored, 1. The first row of a group takes
 * the products of its group into o, 0; a row past INV_PRODUCTS_MAX makes
 * an invitation of its own, 0. -1 with err.
 */
static int
group_row(struct db *db, struct csv_import *imp, json_t *o, size_t line,
    struct api_error *err)
{
	struct db_stmt	*st, *g = NULL;
	json_t		*products = NULL, *p;	/* owned */
	json_error_t	 jerr;
	char		 head[IDS_ID_LEN + 1];
	int64_t		 rank;
	int		 rc, ret = -1;

	if (db_row(db, sql_group_rank, &st, "i", (int64_t)line) != DB_ROW)
		goto dberr;
	rank = db_int(st, 0);
	if (rank > 0 && rank < INV_PRODUCTS_MAX) {
		/* the head's outcome may still wait to be stored */
		if (invitations_import_flush(db, imp, err) == -1)
			goto out;
		if (db_row(db, sql_group_head, &g, "ss", db_text(st, 1),
		    imp->id) != DB_ROW)
			goto dberr;
		snprintf(head, sizeof(head), "%s", db_text(g, 0));
		ret = invitations_import_row(db, imp, line, "merged",
		    head[0] != '\0' ? head : NULL, NULL, NULL, err) == 0 ?
		    1 : -1;
		goto out;
	}
	if (rank == 0) {
		g = db_prepare(db, sql_group_products);
		products = json_array();
		if (g == NULL || products == NULL || db_bind_text(g, 1,
		    db_text(st, 1)) == -1 || db_bind_int(g, 2,
		    INV_PRODUCTS_MAX) == -1)
			goto dberr;
		while ((rc = db_step(db, g)) == DB_ROW) {
			p = json_loads(db_text(g, 0), 0, &jerr);
			if (json_array_append_new(products, p) == -1)
				break;
		}
		if (rc != DB_DONE || json_object_set(json_object_get(o,
		    "productReviewInvitation"), "products", products) == -1)
			goto dberr;
	}
	ret = 0;
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(g);
	db_release(st);
	json_decref(products);
	return ret;
}

/*
 * Pass 2 for a valid row (o, owned by the caller, and in as csv_check
 * read it from o, released here): a product row is grouped first
 * (group_row), and read again with its group's products. Stores the
 * invitation and the row's outcome. 0, or -1 with err.
 */
static int
store_row(struct db *db, struct csv_import *imp, json_t *o,
    struct inv_input *in, bool product, size_t line,
    struct inv_store_ctx *ctx, struct api_error *err)
{
	struct api_error sub;
	json_t		*errors = NULL;	/* owned */
	char		 id[IDS_ID_LEN + 1];
	const char	*reason;
	int		 rc, ret = -1;

	memset(&sub, 0, sizeof(sub));
	if (product) {
		inv_input_release(in);
		if ((rc = group_row(db, imp, o, line, err)) != 0)
			return rc == 1 ? 0 : -1;
		if (inv_input_read(o, "", false, in, &sub) == -1)
			goto refused;
	}
	if (inv_store(db, imp->bu, in, "csv", ctx, id, &reason, &sub) == -1) {
		if (sub.status >= 500) {
			*err = sub;
			goto out;
		}
		goto refused;
	}
	ret = invitations_import_row(db, imp, line, reason != NULL ?
	    "skipped" : "queued", id, reason, NULL, err);
	goto out;
refused:
	/* a check that needs the database (catalogue, template) */
	errors = json_pack("[{s:s, s:s}]", "field", sub.ndetails > 0 ?
	    sub.details[0].field : "row", "reason", sub.ndetails > 0 ?
	    sub.details[0].reason : sub.message);
	if (errors == NULL) {
		api_error_internal(err);
		goto out;
	}
	ret = invitations_import_row(db, imp, line, "invalid", NULL, NULL,
	    errors, err);
out:
	inv_input_release(in);
	json_decref(errors);
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
 * Leaves the database to others between two chunks. The daemon's writers
 * queue at the write gate (db_sqlite.c) and go before the next chunk
 * anyway; this pause is for whoever waits in SQLite's busy handler
 * instead (another process, or a write outside the gate), which looks
 * again only now and then. It used to be a third of the chunk's time;
 * with no pause at all, test_security_csv's other tenant saw one write
 * of several uploads wait over a minute, which 5 ms did not.
 */
static void
chunk_pause(void)
{
	struct timespec	 ts = { 0, CSV_PAUSE_MS * 1000000L };

	(void)nanosleep(&ts, NULL);	/* a signal cutting it short is fine */
}

/* Pass 2: stores the rows chunk by chunk; the last chunk also saves the
 * answer for the Idempotency-Key. 0, or -1 with err. */
static int
csv_store_all(struct db *db, const struct request *req,
    struct csv_import *imp, size_t valid, const int *map,
    const struct idempotency *ik, json_t **answer, struct csv_stats *stats,
    struct api_error *err)
{
	struct csv_reader reader;
	struct csv_row	 row;
	struct inv_store_ctx ctx;
	struct inv_input in;
	json_t		*o = NULL;	/* owned */
	bool		 first_is_data;
	size_t		 n;
	int64_t		 t;
	int		 rc, ret = -1, hmap[NCOLUMNS];

	memset(&in, 0, sizeof(in));
	csv_init(&reader, req->body, req->body_len);
	/* past the header again; pass 1 made map from it already */
	if (csv_header(&reader, hmap, NULL, &first_is_data, &row, err) == -1)
		goto out;
	rc = first_is_data ? 1 : csv_next(&reader, &row);
	for (;;) {
		if (chunk_begin(db, imp, valid, err) == -1)
			goto out;
		memset(&ctx, 0, sizeof(ctx));
		t = mono_ms();
		for (n = 0; rc != 0 && n < CSV_CHUNK_ROWS && (n % 100 != 0 ||
		    mono_ms() - t < CSV_CHUNK_MS); n++) {
			switch (csv_check(rc, &row, map, &o, &in)) {
			case 1:
				if (store_row(db, imp, o, &in, cell(&row, map,
				    COL_SKU) != NULL, row.line, &ctx,
				    err) == -1)
					goto out;
				break;
			case 0:
				if (invitations_import_row(db, imp, row.line,
				    "invalid", NULL, NULL, o, err) == -1)
					goto out;
				break;
			default:
				api_error_internal(err);
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
			if (*answer == NULL || idempotency_save(db, imp->bu,
			    ik, 201, *answer) == -1) {
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
		chunk_pause();
	}
	ret = 0;
out:
	if (ret == -1) {
		db_tx_rollback(db);
		json_decref(*answer);
		*answer = NULL;
	}
	inv_input_release(&in);
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
invitations_csv(ROUTE_HANDLER_PARAMS)
{
	struct db	*db = req->db;
	const char	*ctype = request_header(req, "Content-Type");
	const char	*skip_invalid = request_query(req, "skipInvalid");
	struct csv_import imp;
	struct csv_stats stats;
	struct idempotency ik;
	json_t		*answer = NULL;	/* owned */
	int64_t		 t;
	size_t		 valid;
	bool		 bulk = false, grouped = false;
	const char	*bu;
	int		 map[NCOLUMNS], rc, ret = -1;
	bool		 skip = skip_invalid != NULL &&
			    strcmp(skip_invalid, "true") == 0;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    idempotency_read(req, &ik, err) == -1)
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
		api_error_internal(err);
		goto out;
	}
	/* a read only: a retry of a finished upload gets its answer again */
	if ((rc = idempotency_replay(db, bu, &ik, res, err)) != 0) {
		ret = rc == 1 ? 0 : -1;
		goto out;
	}
	memset(&stats, 0, sizeof(stats));
	t = mono_ms();
	grouped = true;
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
	/* settings that stay as they were only cost speed */
	bulk = true;
	(void)db_bulk(db, true);
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
	if (bulk && db_bulk(db, false) == -1)
		log_warn("csv: the connection's settings were not put back");
	if (grouped && db_exec(db, sql_groups_clear) == -1)
		log_warn("csv: the temporary product table was not cleared");
	json_decref(answer);
	invitations_import_release(&imp);
	return ret;
}

