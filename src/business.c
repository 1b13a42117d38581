/*
 * business: business units (public profile, private view and settings),
 * their API applications and business users. Called from HTTP worker
 * threads and from the CLI. A business unit's id is 24 random hex chars,
 * its domain is stored lowercase and unique.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "reviewd/auth.h"
#include "reviewd/business.h"
#include "reviewd/business_internal.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/ids.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/mailhtml.h"
#include "reviewd/utf8.h"

#define NAME_MAX_CHARS		200
#define DOMAIN_MAX		253
#define PAGE_SIZE_MAX		100

json_t *
business_unit_json(struct db_stmt *st, const char *public_url, bool private)
{
	json_t		*o = NULL, *links = NULL;	/* owned */
	char		 href[CONFIG_STR + 64];
	json_int_t	 n[6] = { 0 }, total = 0, sum = 0;
	double		 average = 0;
	int		 i;

	for (i = 1; i <= 5; i++) {
		n[i] = db_int(st, COL_STARS1 + i - 1);
		total += n[i];
		sum += n[i] * i;
	}
	if (total > 0)
		average = (double)sum / (double)total;
	o = json_pack("{s:s, s:s, s:{s:s, s:[s]}, s:s, s:s, s:s, s:b, "
	    "s:{s:f, s:f}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
	    "id", db_text(st, COL_ID),
	    "displayName", db_text(st, COL_NAME),
	    "name", "identifying", db_text(st, COL_DOMAIN),
	    "referring", db_text(st, COL_DOMAIN),
	    "websiteUrl", db_text(st, COL_WEBSITE),
	    "country", db_text(st, COL_COUNTRY),
	    "status", db_text(st, COL_STATUS),
	    "badFit", 0,
	    "score", "trustScore", (double)(int64_t)(average * 10 + 0.5) / 10,
	    "stars", (double)(int64_t)(average * 2 + 0.5) / 2,
	    "numberOfReviews", "total", total, "usedForTrustScoreCalculation",
	    total, "oneStar", n[1], "twoStars", n[2], "threeStars", n[3],
	    "fourStars", n[4], "fiveStars", n[5]);
	if (o == NULL)
		return NULL;
	if (public_url != NULL) {
		snprintf(href, sizeof(href), "%s/v1/business-units/%s",
		    public_url, db_text(st, COL_ID));
		links = json_array();
		if (links == NULL || json_array_append_new(links,
		    json_link(href, "GET", "self")) == -1 ||
		    json_object_set_new(o, "links", links) == -1) {
			json_decref(o);
			return NULL;
		}
	}
	if (!private)
		return o;
	if (json_object_set_new(o, "notificationEmail",
	    json_string(db_text(st, COL_EMAIL))) == -1 ||
	    json_object_set_new(o, "senderName",
	    json_string(db_text(st, COL_SENDER))) == -1 ||
	    json_object_set_new(o, "defaultLocale",
	    json_string(db_text(st, COL_LOCALE))) == -1 ||
	    json_set_time(o, "createdAt",
	    db_int(st, COL_CREATED)) == -1 ||
	    json_set_time(o, "updatedAt",
	    db_int(st, COL_UPDATED)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char sql_unit_by_id[] =
    "SELECT " BUSINESS_UNIT_COLUMNS " FROM business_units WHERE id = ?";
/* read apart from BUSINESS_UNIT_COLUMNS: only the business's own view of
 * its unit shows it, and the lists need not read it */
static const char sql_unit_logo[] =
    "SELECT logo_url FROM business_units WHERE id = ?";

/* Adds the unit's logoUrl to its private object o. 0, or -1 with err. */
static int
add_logo(struct db *db, const char *id, json_t *o, struct api_error *err)
{
	char	 logo[JSON_URL_MAX + 1] = "";

	if (db_one_text(db, sql_unit_logo, logo, sizeof(logo), "s",
	    id) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (json_object_set_new(o, "logoUrl", json_string(logo)) == -1) {
		api_error_internal(err);
		return -1;
	}
	return 0;
}

/* *out = the unit's JSON; 404 when there is none. */
static int
load_unit(struct db *db, const char *id, const char *public_url,
    bool private, json_t **out, struct api_error *err)
{
	struct db_stmt	*st;
	int		 rc, ret = -1;

	if ((rc = db_row(db, sql_unit_by_id, &st, "s", id)) == -1)
		db_fail(db, err);
	else if (rc == DB_DONE)
		api_error_set(err, 404, NULL, "Business unit not found");
	else if ((*out = business_unit_json(st, public_url, private)) == NULL)
		api_error_internal(err);
	else
		ret = 0;
	db_release(st);
	return ret;
}

/* Validators: each adds a detail naming the field and returns -1. */

static int
check_domain(const char *field, const char *s, char *out, size_t outlen,
    struct api_error *err)
{
	size_t	 i, len = strlen(s), label = 0, dots = 0;

	if (len == 0 || len > DOMAIN_MAX || len >= outlen)
		goto bad;
	for (i = 0; i < len; i++) {
		char	 c = (char)tolower((unsigned char)s[i]);

		if (c == '.') {
			if (label == 0 || out[i - 1] == '-')
				goto bad;
			label = 0;
			dots++;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c == '-' && label > 0)) {
			if (++label > 63)
				goto bad;
		} else
			goto bad;
		out[i] = c;
	}
	out[len] = '\0';
	if (label == 0 || out[len - 1] == '-' || dots == 0)
		goto bad;
	return 0;
bad:
	api_error_set(err, 400, field, "must be a domain name such as "
	    "example.com");
	return -1;
}

static int
check_country(const char *field, const char *s, struct api_error *err)
{
	if (s == NULL || s[0] == '\0' || (isupper((unsigned char)s[0]) &&
	    isupper((unsigned char)s[1]) && s[2] == '\0'))
		return 0;
	api_error_set(err, 400, field, "must be an ISO 3166-1 alpha-2 code "
	    "such as DK");
	return -1;
}

static int
check_locale(const char *field, const char *s, struct api_error *err)
{
	if (s == NULL || (islower((unsigned char)s[0]) &&
	    islower((unsigned char)s[1]) && (s[2] == '\0' || (s[2] == '-' &&
	    isupper((unsigned char)s[3]) && isupper((unsigned char)s[4]) &&
	    s[5] == '\0'))))
		return 0;
	api_error_set(err, 400, field, "must be a locale such as en-US");
	return -1;
}

static int
check_email(const char *field, const char *s, struct api_error *err)
{
	if (s == NULL || s[0] == '\0' || mailer_address_valid(s))
		return 0;
	api_error_set(err, 400, field, "must be an e-mail address");
	return -1;
}

/* The settings a business may change, as read from a JSON object. */
struct settings {
	const char	*display_name;
	const char	*website_url;
	const char	*country;
	const char	*notification_email;
	const char	*sender_name;
	const char	*default_locale;
	const char	*contact_email;		/* the public profile's */
	const char	*logo_url;	/* invitation e-mails', "" for none */
	const char	*phone, *street, *city, *postcode;
};

/* An optional one-line contact field of at most max characters. */
static void
read_line(json_t *o, const char *key, size_t max, const char **out,
    struct api_error *err)
{
	if (json_read_string(o, key, false, 0, max, out, err) == 0 &&
	    *out != NULL && !mailer_header_safe(*out))
		api_error_set(err, 400, key, "must be one line without tabs");
}

static void
read_settings(json_t *o, const char *name_key, bool name_required,
    struct settings *s, struct api_error *err)
{
	/* both names go into mail headers (From:, Subject:) */
	if (json_read_string(o, name_key, name_required, 1, NAME_MAX_CHARS,
	    &s->display_name, err) == 0 && s->display_name != NULL &&
	    !mailer_header_safe(s->display_name))
		api_error_set(err, 400, name_key, "must be one line without "
		    "tabs");
	json_read_url(o, "websiteUrl", false, &s->website_url, err);
	if (json_read_string(o, "country", false, 0, 2, &s->country,
	    err) == 0)
		check_country("country", s->country, err);
	if (json_read_string(o, "notificationEmail", false, 0,
	    MAILER_ADDRESS_MAX, &s->notification_email, err) == 0)
		check_email("notificationEmail", s->notification_email, err);
	if (json_read_string(o, "senderName", false, 0, NAME_MAX_CHARS,
	    &s->sender_name, err) == 0 && s->sender_name != NULL &&
	    !mailer_header_safe(s->sender_name))
		api_error_set(err, 400, "senderName", "must be one line "
		    "without tabs");
	if (json_read_string(o, "defaultLocale", false, 2, 5,
	    &s->default_locale, err) == 0)
		check_locale("defaultLocale", s->default_locale, err);
	if (json_read_string(o, "contactEmail", false, 0,
	    MAILER_ADDRESS_MAX, &s->contact_email, err) == 0)
		check_email("contactEmail", s->contact_email, err);
	read_line(o, "phone", 40, &s->phone, err);
	read_line(o, "street", NAME_MAX_CHARS, &s->street, err);
	read_line(o, "city", 100, &s->city, err);
	read_line(o, "postcode", 20, &s->postcode, err);
	if (json_read_string(o, "logoUrl", false, 0, JSON_URL_MAX,
	    &s->logo_url, err) == 0 && s->logo_url != NULL &&
	    s->logo_url[0] != '\0' && (strncmp(s->logo_url, "https://",
	    8) != 0 || !json_url_valid(s->logo_url)))
		api_error_set(err, 400, "logoUrl", "must be an https:// URL "
		    "(or \"\" for none)");
}

static const char sql_unit_insert[] =
    "INSERT INTO business_units (id, display_name, domain, website_url, "
    "  country, notification_email, sender_name, default_locale, "
    "  created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_domain_taken[] =
    "SELECT 1 FROM business_units WHERE domain = ?";

/* Runs the one-row query sql (SELECT 1 ... WHERE x = ?) with value: 0
 * when it finds a row exactly when want says, else -1 with err set to
 * status, field and what (or the database's failure). */
static int
expect_row(struct db *db, const char *sql, const char *value, bool want,
    int status, const char *field, const char *what, struct api_error *err)
{
	int	 rc;

	if ((rc = db_exists(db, sql, "s", value)) == -1)
		db_fail(db, err);
	else if ((rc == DB_ROW) != want)
		api_error_set(err, status, field, "%s", what);
	return rc != -1 && (rc == DB_ROW) == want ? 0 : -1;
}

/* Inserts unit id with domain and s (defaults for what s lacks) in the
 * caller's transaction. 0, or -1 with err set. */
static int
insert_unit(struct db *db, const char *id, const char *domain,
    const struct settings *s, struct api_error *err)
{
	int64_t	 now = clock_now_ms();

	if (db_run(db, sql_unit_insert, "ssssssssii", id, s->display_name,
	    domain, s->website_url, s->country != NULL ? s->country : "",
	    s->notification_email != NULL ? s->notification_email : "",
	    s->sender_name != NULL ? s->sender_name : s->display_name,
	    s->default_locale != NULL ? s->default_locale : "en-US", now,
	    now) == 0)
		return 0;
	db_fail(db, err);
	return -1;
}

int
business_create(struct db *db, const char *public_url, json_t *fields,
    json_t **out, struct api_error *err)
{
	struct settings	 s;
	const char	*domain_in = NULL;
	char		 domain[DOMAIN_MAX + 1], id[IDS_ID_LEN + 1];
	char		 website[DOMAIN_MAX + 16];
	int		 ret = -1;

	memset(&s, 0, sizeof(s));
	read_settings(fields, "name", true, &s, err);
	if (json_read_string(fields, "domain", true, 1, DOMAIN_MAX,
	    &domain_in, err) == 0)
		check_domain("domain", domain_in, domain, sizeof(domain), err);
	if (err->status != 0)
		return -1;
	if (s.website_url == NULL) {
		snprintf(website, sizeof(website), "https://%s", domain);
		s.website_url = website;
	}
	ids_new(id);
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (expect_row(db, sql_domain_taken, domain, false, 409, "domain",
	    "is already registered", err) == -1 ||
	    insert_unit(db, id, domain, &s, err) == -1)
		goto out;
	if (db_tx_commit(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	ret = load_unit(db, id, public_url, true, out, err);
	/* a new unit has no logo (read nothing more: the CLI makes units on
	 * databases that tests keep at older migrations) */
	if (ret == 0 && json_object_set_new(*out, "logoUrl",
	    json_string("")) == -1) {
		json_decref(*out);
		*out = NULL;
		api_error_internal(err);
		ret = -1;
	}
out:
	db_tx_rollback(db);	/* no-op after the commit */
	return ret;
}

static const char sql_unit_all[] =
    "SELECT " BUSINESS_UNIT_COLUMNS " FROM business_units "
    "ORDER BY created_at, id LIMIT ? OFFSET ?";

/* Appends up to limit units from offset on to list. 0, or -1 with err
 * set. */
static int
list_units(struct db *db, const char *public_url, int64_t limit,
    int64_t offset, json_t *list, struct api_error *err)
{
	struct db_stmt	*st = db_query(db, sql_unit_all, "ii", limit, offset);
	int		 rc, ret = -1;

	if (st == NULL) {
		db_fail(db, err);
		goto out;
	}
	while ((rc = db_step(db, st)) == DB_ROW) {
		if (json_array_append_new(list, business_unit_json(st,
		    public_url, true)) == -1) {
			api_error_internal(err);
			goto out;
		}
	}
	if (rc == -1) {
		db_fail(db, err);
		goto out;
	}
	ret = 0;
out:
	db_release(st);
	return ret;
}

int
business_list(struct db *db, const char *public_url, json_t **out,
    struct api_error *err)
{
	json_t	*list = json_array();	/* owned */

	if (list == NULL || list_units(db, public_url, INT64_MAX, 0, list,
	    err) == -1) {
		json_decref(list);
		return -1;
	}
	*out = json_pack("{s:o}", "businessUnits", list);
	return *out == NULL ? -1 : 0;
}

static const char sql_unit_exists[] =
    "SELECT 1 FROM business_units WHERE id = ?";

static int
unit_exists(struct db *db, const char *bu, struct api_error *err)
{
	if (!ids_valid(bu)) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	return expect_row(db, sql_unit_exists, bu, true, 404, NULL,
	    "Business unit not found", err);
}

static const char sql_app_insert[] =
    "INSERT INTO api_apps (id, business_unit_id, name, api_key, "
    "  secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)";

int
business_app_create(struct db *db, const char *bu, const char *name,
    json_t **out, struct api_error *err)
{
	char		 id[IDS_ID_LEN + 1], key[33], secret[IDS_TOKEN_LEN + 1];
	char		 hash[IDS_HASH_LEN + 1];
	int		 ret = -1;

	if (name == NULL)
		name = "default";
	if (utf8_length(name) == 0 || utf8_length(name) >
	    NAME_MAX_CHARS || !mailer_header_safe(name)) {
		api_error_set(err, 400, "name", "must be 1 to %d characters "
		    "of UTF-8 on one line", NAME_MAX_CHARS);
		return -1;
	}
	if (unit_exists(db, bu, err) == -1)
		return -1;
	ids_new(id);
	ids_random_hex(key, 16);
	ids_token(secret);
	ids_token_hash(secret, hash);
	if (db_run(db, sql_app_insert, "sssssi", id, bu, name, key, hash,
	    clock_now_ms()) == -1)
		db_fail(db, err);
	else if ((*out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id,
	    "key", key, "secret", secret, "businessUnitId", bu, "name",
	    name)) == NULL)
		api_error_internal(err);
	else
		ret = 0;
	return ret;
}

static const char sql_user_insert[] =
    "INSERT INTO business_users (id, business_unit_id, username, "
    "  password_hash, created_at) VALUES (?, ?, ?, ?, ?)";
static const char sql_username_taken[] =
    "SELECT 1 FROM business_users WHERE username = ?";

int
business_user_create(struct db *db, const char *bu, const char *username,
    const char *password, json_t **out, struct api_error *err)
{
	char		 id[IDS_ID_LEN + 1], hash[AUTH_PASSWORD_HASH_LEN];
	size_t		 ulen = utf8_length(username);
	int		 ret = -1;

	/* both arrive in a login form, which carries only UTF-8 text */
	if (ulen == 0 || ulen > MAILER_ADDRESS_MAX ||
	    strchr(username, ' ') != NULL || !mailer_header_safe(username))
		api_error_set(err, 400, "username", "must be 1 to %d UTF-8 "
		    "characters without spaces", MAILER_ADDRESS_MAX);
	if (strlen(password) < AUTH_PASSWORD_MIN ||
	    strlen(password) > AUTH_PASSWORD_MAX || !utf8_valid(password))
		api_error_set(err, 400, "password", "must be %d to %d bytes of "
		    "UTF-8", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
	if (err->status != 0 || unit_exists(db, bu, err) == -1)
		return -1;
	if (auth_password_hash(password, hash) == -1) {
		api_error_internal(err);
		return -1;
	}
	ids_new(id);
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (expect_row(db, sql_username_taken, username, false, 409,
	    "username", "is already taken", err) == -1)
		goto out;
	if (db_run(db, sql_user_insert, "ssssi", id, bu, username, hash,
	    clock_now_ms()) == -1 || db_tx_commit(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	*out = json_pack("{s:s, s:s, s:s}", "id", id, "username", username,
	    "businessUnitId", bu);
	if (*out == NULL)
		api_error_internal(err);
	else
		ret = 0;
out:
	db_tx_rollback(db);	/* no-op after the commit */
	return ret;
}

/* The id the query sql (one column) finds with the text parameters a and
 * b (NULL: sql has only a), or a 404 saying what. 0, or -1 with err
 * set. */
static int
find_id(struct db *db, const char *sql, const char *a, const char *b,
    const char *what, char id[IDS_ID_LEN + 1], struct api_error *err)
{
	int	 rc;

	if ((rc = db_one_text(db, sql, id, IDS_ID_LEN + 1, b == NULL ? "s" :
	    "ss", a, b)) == -1)
		db_fail(db, err);
	else if (rc == DB_DONE)
		api_error_set(err, 404, NULL, "%s", what);
	return rc == DB_ROW ? 0 : -1;
}

static const char sql_unit_by_domain[] =
    "SELECT id FROM business_units WHERE domain = ?";

int
business_public_by_domain(struct db *db, const char *domain,
    const char *public_url, json_t **out, struct api_error *err)
{
	char	 id[IDS_ID_LEN + 1];

	if (find_id(db, sql_unit_by_domain, domain, NULL,
	    "No business with this domain", id, err) == -1)
		return -1;
	return load_unit(db, id, public_url, false, out, err);
}

/* Handlers. */

static int
reply_unit(struct request *req, struct response *res, const char *id,
    bool private, struct api_error *err)
{
	json_t	*o = NULL;	/* owned, taken by response_json */

	if (load_unit(req->db, id, req->cfg->public_url, private, &o,
	    err) == -1)
		return -1;
	if (private && add_logo(req->db, id, o, err) == -1) {
		json_decref(o);
		return -1;
	}
	return response_json(res, 200, o, err);
}

static const char sql_unit_find[] =
    "SELECT id FROM business_units WHERE domain = ? "
    "UNION ALL SELECT id FROM business_units WHERE display_name = ? "
    "COLLATE NOCASE LIMIT 1";

int
business_find(ROUTE_HANDLER_PARAMS)
{
	const char	*name = request_query(req, "name");
	char		 domain[DOMAIN_MAX + 1], id[IDS_ID_LEN + 1];
	struct api_error ignored;

	if (name == NULL || name[0] == '\0') {
		api_error_set(err, 400, "name", "is required");
		return -1;
	}
	if (strncmp(name, "www.", 4) == 0)
		name += 4;
	memset(&ignored, 0, sizeof(ignored));
	if (check_domain("name", name, domain, sizeof(domain),
	    &ignored) == -1)
		domain[0] = '\0';
	if (find_id(req->db, sql_unit_find, domain, name,
	    "Business unit not found", id, err) == -1)
		return -1;
	return reply_unit(req, res, id, false, err);
}

int
business_get_public(ROUTE_HANDLER_PARAMS)
{
	const char	*id = request_param(req, "businessUnitId");

	if (id == NULL || !ids_valid(id)) {
		api_error_set(err, 404, NULL, "Business unit not found");
		return -1;
	}
	return reply_unit(req, res, id, false, err);
}

int
business_get_private(ROUTE_HANDLER_PARAMS)
{
	const char	*id;

	if (auth_business_unit(req, &id, err) == -1)
		return -1;
	return reply_unit(req, res, id, true, err);
}

int
business_list_private(ROUTE_HANDLER_PARAMS)
{
	json_t	*unit = NULL;	/* owned, taken by json_pack */

	if (load_unit(req->db, req->principal.business_unit_id,
	    req->cfg->public_url, true, &unit, err) == -1)
		return -1;
	if (add_logo(req->db, req->principal.business_unit_id, unit,
	    err) == -1) {
		json_decref(unit);
		return -1;
	}
	return response_json(res, 200, json_pack("{s:[o]}", "businessUnits",
	    unit), err);
}

static const char sql_unit_update[] =
    "UPDATE business_units SET "
    "  display_name = coalesce(?, display_name),"
    "  website_url = coalesce(?, website_url),"
    "  country = coalesce(?, country),"
    "  notification_email = coalesce(?, notification_email),"
    "  sender_name = coalesce(?, sender_name),"
    "  default_locale = coalesce(?, default_locale),"
    "  contact_email = coalesce(?, contact_email),"
    "  phone = coalesce(?, phone),"
    "  street = coalesce(?, street),"
    "  city = coalesce(?, city),"
    "  postcode = coalesce(?, postcode),"
    "  logo_url = coalesce(?, logo_url),"
    "  updated_at = ? "
    "WHERE id = ?";

static const char sql_unit_website[] =
    "SELECT website_url FROM business_units WHERE id = ?";

/*
 * The names a PATCH sets that invitation e-mails show (displayName as
 * {{business}}, senderName in From:) may name no URL or host but the
 * unit's own website, and its logo must be there: the one the PATCH
 * sets, else the stored one, which goes to old (NUL when none). 0, or -1
 * with err set.
 */
static int
check_names(struct db *db, const char *id, const struct settings *s,
    char *old, size_t oldlen, struct api_error *err)
{
	struct db_stmt	*st;
	char		 site[256], why[MAILHTML_WHY];
	const char	*url, *sp = NULL;
	int		 rc;

	old[0] = '\0';
	if ((rc = db_row(db, sql_unit_website, &st, "s", id)) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (rc == DB_ROW && !db_is_null(st, 0))
		snprintf(old, oldlen, "%s", db_text(st, 0));
	db_release(st);
	url = s->website_url != NULL ? s->website_url : old;
	if (mailhtml_site(url, site, sizeof(site)) == 0)
		sp = site;
	if (s->display_name != NULL && mailhtml_check_value(s->display_name,
	    sp, why, sizeof(why)) == -1)
		api_error_set(err, 400, "displayName", "%s", why);
	if (s->sender_name != NULL && mailhtml_check_value(s->sender_name,
	    sp, why, sizeof(why)) == -1)
		api_error_set(err, 400, "senderName", "%s", why);
	if (s->logo_url != NULL && s->logo_url[0] != '\0' &&
	    !mailhtml_logo_ok(s->logo_url, sp))
		api_error_set(err, 400, "logoUrl", "must be on the unit's "
		    "websiteUrl (its host or a subdomain)");
	return err->status != 0 ? -1 : 0;
}

/* Writes s to unit id inside the caller's transaction. 0, or -1 with err
 * set (404 for no such unit). */
static int
update_unit(struct db *db, const char *id, const struct settings *s,
    struct api_error *err)
{
	int	 ret = -1;

	if (db_run(db, sql_unit_update, "ssssssssssssis", s->display_name,
	    s->website_url, s->country, s->notification_email,
	    s->sender_name, s->default_locale, s->contact_email, s->phone,
	    s->street, s->city, s->postcode, s->logo_url, clock_now_ms(),
	    id) == -1)
		db_fail(db, err);
	else if (db_changes(db) == 0)
		api_error_set(err, 404, NULL, "Business unit not found");
	else
		ret = 0;
	return ret;
}

int
business_patch(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "displayName", "websiteUrl",
	    "country", "notificationEmail", "senderName", "defaultLocale",
	    "contactEmail", "phone", "street", "city", "postcode", "logoUrl",
	    NULL };
	struct db	*db = req->db;
	json_t		*body, *unit = NULL;	/* borrowed; owned */
	struct settings	 s;
	const char	*id;
	char		 old[JSON_URL_MAX + 1];
	int		 ret = -1;

	memset(&s, 0, sizeof(s));
	if (auth_business_unit(req, &id, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		goto out;
	json_only_keys(body, allowed, err);
	read_settings(body, "displayName", false, &s, err);
	if (err->status != 0)
		goto out;
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (check_names(db, id, &s, old, sizeof(old), err) == -1 ||
	    update_unit(db, id, &s, err) == -1 ||
	    load_unit(db, id, req->cfg->public_url, true, &unit, err) == -1 ||
	    add_logo(db, id, unit, err) == -1)
		goto out;
	ret = handler_commit(req, res, 200, unit, false, err);
	unit = NULL;
	/* the site invitation e-mails may link to is what the business
	 * says it is: every change is on the record */
	if (ret == 0 && s.website_url != NULL &&
	    strcmp(s.website_url, old) != 0)
		log_info("business: unit=%s websiteUrl changed from %s to %s "
		    "(links in its invitation e-mails follow)", id,
		    old[0] != '\0' ? old : "(none)", s.website_url);
out:
	db_tx_rollback(db);
	json_decref(unit);
	return ret;
}

int
business_admin_list(ROUTE_HANDLER_PARAMS)
{
	struct handler_page	 p = { 1, 20 };

	if (handler_page_args(req, PAGE_SIZE_MAX, &p, err) == -1)
		return -1;
	return business_units_answer(req, res, &p, true, sql_unit_all, err,
	    "");
}

int
business_admin_create(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "name", "domain", "websiteUrl",
	    "country", "notificationEmail", "senderName", "defaultLocale",
	    NULL };
	json_t	*body, *unit = NULL;	/* borrowed; owned */

	if ((body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);	/* reported with the rest */
	if (business_create(req->db, req->cfg->public_url, body, &unit,
	    err) == -1)
		return -1;
	return response_json(res, 201, unit, err);
}

/* for oauth_authorize: an application without a secret (a public OAuth
 * client). */
static const char sql_app_forget_secret[] =
    "UPDATE api_apps SET secret_hash = '' WHERE id = ?";

int
business_app_forget_secret(struct db *db, const char *app_id)
{
	return db_run(db, sql_app_forget_secret, "s", app_id);
}
