/*
 * reviews_filters: the query of a list of reviews (Trustpilot's filters,
 * ordering and paging) read and checked into struct reviews_filters, for
 * reviews_list.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/clock.h"
#include "reviewd/reviews_filters.h"
#include "reviewd/reviews_json.h"

#define SKU_MAX		100
#define PAGE_MAX	100

/* The orderBy names, in the order of enum reviews_order. */
static const char *const orders[] = {
	"createdat.desc", "createdat.asc", "stars.desc", "stars.asc"
};

#define NORDERS		(sizeof(orders) / sizeof(orders[0]))

void
reviews_filters_init(struct reviews_filters *f, const char *bu,
    bool public_only, bool product)
{
	memset(f, 0, sizeof(f[0]));
	f->bu = bu;
	f->public_only = public_only;
	f->product = product;
	f->responded = f->reported = f->contacted = -1;
	f->from = INT64_MIN;
	f->to = INT64_MAX;
	f->p.page = 1;
	f->p.per_page = 20;
}

void
reviews_filters_release(struct reviews_filters *f)
{
	free(f->skus);
	f->skus = NULL;
}

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

/* "4,5" -> "[\"4\",\"5\"]" after checking each item with ok(); *count
 * is the number of items (0 when absent). */
static int
query_list(const struct request *req, const char *name, char *out,
    size_t outlen, int *count, bool (*ok)(const char *, size_t),
    const char *what, struct api_error *err)
{
	const char	*v = request_query(req, name), *p, *comma;
	size_t		 used = 0, len;
	int		 n;

	out[0] = '\0';
	*count = 0;
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
		(*count)++;
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

static void	read_private_filters(const struct request *,
		    struct reviews_filters *, struct api_error *);

/* sku: one SKU into f->sku, or several comma-separated into f->skus. A
 * SKU holds no comma here: Trustpilot's lists and summaries split on it
 * too. */
static void
read_skus(const struct request *req, struct reviews_filters *f,
    struct api_error *err)
{
	const char	*v = request_query(req, "sku");

	if (v == NULL)
		return;
	if (strchr(v, ',') != NULL) {
		reviews_json_sku_list(v, &f->skus, err);
		return;
	}
	if (v[0] == '\0' || strlen(v) > SKU_MAX)
		api_error_set(err, 400, "sku", "must be 1 to %d characters",
		    SKU_MAX);
	f->sku = v;
}

/* locale (Trustpilot's product lists): a review has a language, so a
 * locale such as en-US asks for the reviews in its language. */
static void
read_locale(const struct request *req, struct reviews_filters *f,
    struct api_error *err)
{
	const char	*v = request_query(req, "locale");
	char		 quoted[5];

	if (v == NULL)
		return;
	if (!language_ok(v, 2) || (v[2] != '\0' && ((v[2] != '-' &&
	    v[2] != '_') || !isupper((unsigned char)v[3]) ||
	    !isupper((unsigned char)v[4]) || v[5] != '\0'))) {
		api_error_set(err, 400, "locale", "must be a locale such as "
		    "en-US");
		return;
	}
	/* with language too, both apply: its language if it is one of
	 * those, else nothing */
	snprintf(quoted, sizeof(quoted), "\"%.2s\"", v);
	if (f->nlanguages > 0 && strstr(f->languages, quoted) == NULL)
		f->none = true;
	snprintf(f->languages, sizeof(f->languages), "[%s]", quoted);
	f->nlanguages = 1;
}

/*
 * Trustpilot's filters that have nothing to filter here: a client that
 * sends one is told, never answered as if it had been applied.
 */
static void
read_refused(const struct request *req, bool product,
    struct api_error *err)
{
	if (request_query(req, "internalLocationId") != NULL)
		api_error_set(err, 400, "internalLocationId", "is not offered: "
		    "this server has no locations");
	if (product && request_query(req, "attributeIds") != NULL)
		api_error_set(err, 400, "attributeIds", "is not offered: "
		    "product reviews here have no attribute ratings");
}

/* The states of reviews_shape.h, and which each status/state value
 * names (a bit each). */
static const char *const states[] = { REVIEWS_STATE_PUBLISHED,
    REVIEWS_STATE_MODERATION, REVIEWS_STATE_UNPUBLISHED };

static const struct {
	const char	*name;
	unsigned	 bits;
} state_names[] = {
	{ REVIEWS_STATE_PUBLISHED, 1 },
	{ REVIEWS_STATE_MODERATION, 2 },
	{ REVIEWS_STATE_UNPUBLISHED, 4 },
	{ "active", 1 },	/* ours, before Trustpilot's names */
	{ "hidden", 2 | 4 },
};

#define NSTATE_NAMES	(sizeof(state_names) / sizeof(state_names[0]))

/*
 * status or state (Trustpilot's service and product lists use one each;
 * both lists take both): comma-separated states into f->states, "" when
 * neither is given. Trustpilot's archived has no counterpart: no review
 * here is ever archived.
 */
static void
read_states(const struct request *req, struct reviews_filters *f,
    struct api_error *err)
{
	static const char *const params[] = { "status", "state" };
	const char	*v, *p, *comma;
	size_t		 i, k, len, used = 0;
	unsigned	 bits = 0;

	for (i = 0; i < 2; i++) {
		if ((v = request_query(req, params[i])) == NULL)
			continue;
		for (p = v;; p = comma + 1) {
			comma = strchr(p, ',');
			len = comma != NULL ? (size_t)(comma - p) : strlen(p);
			for (k = 0; k < NSTATE_NAMES; k++)
				if (strlen(state_names[k].name) == len &&
				    strncmp(p, state_names[k].name, len) == 0)
					break;
			if (k == NSTATE_NAMES) {
				api_error_set(err, 400, params[i], "must be "
				    "published, underModeration or "
				    "unpublished (or active, hidden), "
				    "comma-separated; archived is not "
				    "offered: no review here is ever "
				    "archived");
				return;
			}
			bits |= state_names[k].bits;
			if (comma == NULL)
				break;
		}
	}
	for (k = 0; k < 3; k++)
		if ((bits & (1u << k)) != 0)
			used += (size_t)snprintf(f->states + used,
			    sizeof(f->states) - used, "%s\"%s\"",
			    used == 0 ? "[" : ",", states[k]);
	if (used > 0)
		snprintf(f->states + used, sizeof(f->states) - used, "]");
}

int
reviews_filters_read(const struct request *req, const char *bu,
    enum reviews_list_mode mode, bool product, struct reviews_filters *f,
    struct api_error *err)
{
	const char	*v;
	size_t		 i;

	reviews_filters_init(f, bu, mode == REVIEWS_LIST_PUBLIC, product);
	read_skus(req, f, err);
	query_list(req, "stars", f->stars, sizeof(f->stars), &f->nstars,
	    star_ok, "1 to 5, comma-separated", err);
	query_list(req, "language", f->languages, sizeof(f->languages),
	    &f->nlanguages, language_ok, "ISO 639-1 codes, comma-separated",
	    err);
	read_locale(req, f, err);
	read_refused(req, product, err);
	query_bool(req, "responded", &f->responded, err);
	if ((v = request_query(req, "includeReportedReviews")) != NULL) {
		int	 b = 0;

		query_bool(req, "includeReportedReviews", &b, err);
		f->include_reported = b == 1;
	}
	f->order = REVIEWS_ORDER_CREATED_DESC;
	if ((v = request_query(req, "orderBy")) != NULL) {
		for (i = 0; i < NORDERS; i++) {
			size_t	 n = strlen(orders[i]);

			if (strncmp(v, orders[i], n) == 0 &&
			    (v[n] == '\0' || v[n] == ','))
				break;
		}
		if (i == NORDERS)
			api_error_set(err, 400, "orderBy", "must be "
			    "createdat.asc, createdat.desc, stars.asc or "
			    "stars.desc");
		f->order = (enum reviews_order)i;
	}
	handler_page_args(req, PAGE_MAX, &f->p, err);
	if ((v = request_query(req, "pageToken")) != NULL) {
		char	*end;

		f->cursor = true;
		f->order = REVIEWS_ORDER_CURSOR;
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
	if (mode == REVIEWS_LIST_PRIVATE)
		read_private_filters(req, f, err);
	return err->status != 0 ? -1 : 0;
}

/* The filters only a business has on its own reviews. */
static void
read_private_filters(const struct request *req, struct reviews_filters *f,
    struct api_error *err)
{
	static const char *const sources[] = { "organic", "invitation",
	    "third_party_invitation", NULL };
	static const char *const contacted[] = { "notContacted", "contacted",
	    NULL };
	static const char *const date_fields[] = { "createdAt", "updatedAt",
	    NULL };
	const char	*v;
	int		 nocase = 0;

	f->tag_group = request_query(req, "tagGroup");
	f->tag_value = request_query(req, "tagValue");
	f->reference = request_query(req, "referenceId");
	f->referral = request_query(req, "referralEmail");
	query_bool(req, "reported", &f->reported, err);
	f->source = request_query_enum(req, "source", sources, "must be "
	    "organic, invitation or third_party_invitation", err);
	read_states(req, f, err);
	f->username = request_query(req, "username");
	query_bool(req, "ignoreTagValueCase", &nocase, err);
	f->tag_nocase = nocase == 1;
	if ((v = request_query_enum(req, "findReviewer", contacted,
	    "must be contacted or notContacted", err)) != NULL)
		f->contacted = strcmp(v, "contacted") == 0;
	query_time(req, "startDateTime", &f->from, err);
	query_time(req, "endDateTime", &f->to, err);
	v = request_query_enum(req, "dateField", date_fields, "must be "
	    "createdAt or updatedAt", err);
	f->on_updated = v != NULL && strcmp(v, "updatedAt") == 0;
	/* includeReportedReviews is meaningless privately:
	 * the business sees its reported reviews unless it filters them. */
	f->include_reported = true;
}
