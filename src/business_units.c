/*
 * business_units: the public business-unit endpoints clients call first
 * (issue 14, section 6), in Trustpilot's shapes: search by name or
 * domain, the paged list of all units, a unit's web links per locale,
 * its profile's contact details, and the latest published reviews across
 * units. Part of the business module (business_internal.h); reads only.
 * HTTP worker threads.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reviewd/business_internal.h"
#include "reviewd/business_units.h"
#include "reviewd/handler.h"
#include "reviewd/ids.h"
#include "reviewd/json.h"
#include "reviewd/reviews_json.h"
#include "reviewd/utf8.h"

#define QUERY_MAX	100	/* characters of a search */
#define SEARCH_PAGE_MAX	100
#define ALL_PAGE_MAX	1000	/* Trustpilot's perPage limit of all */
#define LATEST_PAGE_MAX	100
#define LATEST_MAX	1000	/* how far back the latest reviews reach */
#define URL_LEN		(CONFIG_STR + 320)

int
business_units_answer(struct request *req, struct response *res,
    const struct handler_page *p, bool private, const char *sql,
    struct api_error *err, const char *fmt, ...)
{
	json_t		*list = json_array();	/* owned */
	struct db_stmt	*st;
	int		 limit_idx = (int)strlen(fmt) + 1;
	int		 rc = -1;
	va_list		 ap;

	va_start(ap, fmt);
	st = db_vquery(req->db, sql, fmt, ap);
	va_end(ap);
	if (list == NULL || st == NULL ||
	    db_bind_int(st, limit_idx, p->per_page + 1) == -1 ||
	    db_bind_int(st, limit_idx + 1, (p->page - 1) * p->per_page) == -1)
		goto out;
	while ((rc = db_step(req->db, st)) == DB_ROW) {
		if (json_array_append_new(list, business_unit_json(st,
		    req->cfg->public_url, private)) == -1) {
			rc = -1;
			break;
		}
	}
out:
	if (rc != DB_DONE) {
		db_fail(req->db, err);
		db_release(st);
		json_decref(list);
		return -1;
	}
	db_release(st);
	return response_json(res, 200, json_pack("{s:o, s:o}", "links",
	    request_page_links(req, list, p->page, p->per_page),
	    "businessUnits", list), err);
}

/* The optional country parameter (ISO 3166-1 alpha-2, either case) into
 * out in upper case, "" when absent. 0, or -1 with a 400 naming it. */
static int
country_arg(const struct request *req, char out[3], struct api_error *err)
{
	const char	*c = request_query(req, "country");

	out[0] = '\0';
	if (c == NULL || c[0] == '\0')
		return 0;
	if (!isalpha((unsigned char)c[0]) || !isalpha((unsigned char)c[1]) ||
	    c[2] != '\0') {
		api_error_set(err, 400, "country", "must be an ISO 3166-1 "
		    "alpha-2 code such as DK");
		return -1;
	}
	out[0] = (char)toupper((unsigned char)c[0]);
	out[1] = (char)toupper((unsigned char)c[1]);
	out[2] = '\0';
	return 0;
}

/* A name or domain holding the query (either case, ASCII folding), the
 * unit whose domain it is first. */
static const char sql_search[] =
    "SELECT " BUSINESS_UNIT_COLUMNS " FROM business_units "
    "WHERE status = 'active' AND (?2 = '' OR country = ?2) AND "
    "  (instr(lower(display_name), lower(?1)) > 0 OR "
    "  instr(domain, lower(?1)) > 0) "
    "ORDER BY domain = lower(?1) DESC, display_name COLLATE NOCASE, id "
    "LIMIT ?3 OFFSET ?4";

/* GET /v1/business-units/search?query=&country=&page=&perpage= */
int
business_units_search(ROUTE_HANDLER_PARAMS)
{
	const char		*q = request_query(req, "query");
	struct handler_page	 p = { 1, 20 };
	char			 country[3];

	if (q == NULL || q[0] == '\0' || !utf8_valid(q) ||
	    utf8_length(q) > QUERY_MAX)
		api_error_set(err, 400, "query", "is required: 1 to %d "
		    "characters of a name or domain", QUERY_MAX);
	(void)country_arg(req, country, err);	/* reported with the rest */
	(void)handler_page_args(req, SEARCH_PAGE_MAX, &p, err);
	/* Trustpilot spells it perpage here */
	(void)request_query_int(req, "perpage", 1, SEARCH_PAGE_MAX,
	    &p.per_page, err);
	if (err->status != 0)
		return -1;
	return business_units_answer(req, res, &p, false, sql_search, err,
	    "ss", q, country);
}

static const char sql_all[] =
    "SELECT " BUSINESS_UNIT_COLUMNS " FROM business_units "
    "WHERE status = 'active' AND (?1 = '' OR country = ?1) "
    "ORDER BY created_at, id LIMIT ?2 OFFSET ?3";

/* GET /v1/business-units/all?country=&page=&perPage= */
int
business_units_all(ROUTE_HANDLER_PARAMS)
{
	struct handler_page	 p = { 1, 20 };
	char			 country[3];

	(void)country_arg(req, country, err);
	(void)handler_page_args(req, ALL_PAGE_MAX, &p, err);
	if (err->status != 0)
		return -1;
	return business_units_answer(req, res, &p, false, sql_all, err, "s",
	    country);
}

/* What web-links and profileinfo read of a unit. */
static const char sql_unit_profile[] =
    "SELECT id, display_name, domain, website_url, country, default_locale, "
    "  contact_email, phone, street, city, postcode "
    "FROM business_units WHERE id = ?";

enum { P_ID, P_NAME, P_DOMAIN, P_WEBSITE, P_COUNTRY, P_LOCALE,
    P_CONTACT_EMAIL, P_PHONE, P_STREET, P_CITY, P_POSTCODE };

/* The unit of the path: its row (sql_unit_profile) under *out (caller
 * releases), or a 404. */
static int
path_unit(struct request *req, struct db_stmt **out, struct api_error *err)
{
	const char	*id = request_param(req, "businessUnitId");
	int		 rc;

	*out = NULL;
	if (id == NULL || !ids_valid(id)) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	if ((rc = db_row(req->db, sql_unit_profile, out, "s", id)) == -1)
		db_fail(req->db, err);
	else if (rc == DB_DONE)
		api_error_set(err, 404, NULL, "Business unit not found");
	return rc == DB_ROW ? 0 : -1;
}

/*
 * The public URL with the country host prefix of locale ("da-DK": "dk."
 * before the host, "en-GB": "uk."), as Trustpilot's country sites; none
 * for a locale without a country, for en-US (the main site) and when the
 * public host is an address rather than a name. Then path.
 */
static void
localised_url(const char *public_url, const char *locale, const char *path,
    char *out, size_t outlen)
{
	const char	*host = strstr(public_url, "://");
	char		 prefix[4] = "";
	size_t		 scheme;

	host = host != NULL ? host + 3 : public_url;
	scheme = (size_t)(host - public_url);
	if (strlen(locale) == 5 && strcmp(locale + 3, "US") != 0 &&
	    !isdigit((unsigned char)host[0]) && host[0] != '[' &&
	    strncmp(host, "localhost", 9) != 0) {
		if (strcmp(locale + 3, "GB") == 0)
			snprintf(prefix, sizeof(prefix), "uk.");
		else
			snprintf(prefix, sizeof(prefix), "%c%c.",
			    tolower((unsigned char)locale[3]),
			    tolower((unsigned char)locale[4]));
	}
	snprintf(out, outlen, "%.*s%s%s%s", (int)scheme, public_url, prefix,
	    host, path);
}

/* GET /v1/business-units/{id}/web-links?locale= */
int
business_units_web_links(ROUTE_HANDLER_PARAMS)
{
	const char	*l = request_query(req, "locale");
	struct db_stmt	*st;
	char		 locale[6], path[320], profile[URL_LEN];
	char		 evaluate[URL_LEN], self[URL_LEN];
	json_t		*o;	/* taken by response_json */

	if (l != NULL && !(islower((unsigned char)l[0]) &&
	    islower((unsigned char)l[1]) && (l[2] == '\0' || (l[2] == '-' &&
	    isupper((unsigned char)l[3]) && isupper((unsigned char)l[4]) &&
	    l[5] == '\0')))) {
		api_error_set(err, 400, "locale", "must be a locale such as "
		    "da-DK");
		return -1;
	}
	if (path_unit(req, &st, err) == -1)
		return -1;
	/* the unit's own language when the client names none */
	snprintf(locale, sizeof(locale), "%s", l != NULL ? l :
	    db_text(st, P_LOCALE));
	snprintf(path, sizeof(path), "/b/%s", db_text(st, P_DOMAIN));
	localised_url(req->cfg->public_url, locale, path, profile,
	    sizeof(profile));
	snprintf(path, sizeof(path), "/review/%s", db_text(st, P_DOMAIN));
	localised_url(req->cfg->public_url, locale, path, evaluate,
	    sizeof(evaluate));
	snprintf(self, sizeof(self), "%s/v1/business-units/%s/web-links"
	    "?locale=%s", req->cfg->public_url, db_text(st, P_ID), locale);
	o = json_pack("{s:s, s:s, s:s, s:[o]}", "locale", locale,
	    "profileUrl", profile, "evaluateUrl", evaluate, "links",
	    json_link(self, "GET", "self"));
	db_release(st);
	return response_json(res, 200, o, err);
}

/* Column col of st, or null when the business left it empty. */
static json_t *
text_or_null(struct db_stmt *st, int col)
{
	return db_bytes(st, col) > 0 ? json_string(db_text(st, col)) :
	    json_null();
}

/* GET /v1/business-units/{id}/profileinfo: the contact details the
 * business set (PATCH /v1/private/business-units/{id}). */
int
business_units_profile_info(ROUTE_HANDLER_PARAMS)
{
	struct db_stmt	*st;
	char		 self[URL_LEN + 16], unit[URL_LEN];
	json_t		*o;	/* taken by response_json */

	if (path_unit(req, &st, err) == -1)
		return -1;
	snprintf(unit, sizeof(unit), "%s/v1/business-units/%s",
	    req->cfg->public_url, db_text(st, P_ID));
	snprintf(self, sizeof(self), "%s/profileinfo", unit);
	o = json_pack("{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:o, s:o}, s:s, "
	    "s:[o, o]}", "id", db_text(st, P_ID), "displayName",
	    db_text(st, P_NAME), "email", text_or_null(st,
	    P_CONTACT_EMAIL), "phone", text_or_null(st, P_PHONE),
	    "address", "street", text_or_null(st, P_STREET), "city",
	    text_or_null(st, P_CITY), "postcode", text_or_null(st,
	    P_POSTCODE), "country", text_or_null(st, P_COUNTRY),
	    "websiteUrl", db_text(st, P_WEBSITE), "links",
	    json_link(self, "GET", "self"), json_link(unit, "GET",
	    "business-unit"));
	db_release(st);
	return response_json(res, 200, o, err);
}

/* Published, visible service reviews of every unit, newest first: the
 * publication order is the unique pub_seq index walked backwards. */
static const char sql_latest[] =
    "SELECT " REVIEW_COLUMNS " " REVIEW_FROM
    "WHERE r.pub_seq IS NOT NULL AND r.status = 'published' AND "
    "  r.hidden_reason IS NULL AND r.sku IS NULL AND "
    "  (?1 = '' OR r.language = ?1) "
    "ORDER BY r.pub_seq DESC LIMIT ?2 OFFSET ?3";

/*
 * GET /v1/reviews/latest?language=&count=&page=&perPage=: {"links",
 * "reviews"} in the public review shape. Only the LATEST_MAX newest are
 * reachable: past them a page is refused, so no client walks the whole
 * table through here.
 */
int
business_units_latest_reviews(ROUTE_HANDLER_PARAMS)
{
	const char		*lang = request_query(req, "language");
	struct handler_page	 p = { 1, 20 };

	if (lang != NULL && lang[0] != '\0' && !(islower((unsigned char)
	    lang[0]) && islower((unsigned char)lang[1]) && lang[2] == '\0'))
		api_error_set(err, 400, "language", "must be an ISO 639-1 "
		    "code such as en");
	(void)handler_page_args(req, LATEST_PAGE_MAX, &p, err);
	/* Trustpilot's name for the page size here */
	(void)request_query_int(req, "count", 1, LATEST_PAGE_MAX,
	    &p.per_page, err);
	if (err->status == 0 && p.page > LATEST_MAX / p.per_page)
		api_error_set(err, 400, "page", "reaches past the %d latest "
		    "reviews, the most this list shows", LATEST_MAX);
	if (err->status != 0)
		return -1;
	/* a next page only while it stays within the latest LATEST_MAX */
	return reviews_json_page_query(req, res, p.page, p.per_page,
	    LATEST_MAX / p.per_page, sql_latest, err, "s",
	    lang != NULL ? lang : "");
}
