/*
 * invitations_templates: the invitation e-mail templates of a business
 * unit. Owns invitation_templates. HTTP worker threads list and write
 * them; the scheduler thread (invitations_dispatch.c) checks them again
 * through invitations_template_rules before each e-mail.
 */
#include <stdio.h>
#include <string.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/ids.h"
#include "reviewd/invitations_internal.h"
#include "reviewd/invitations_templates.h"
#include "reviewd/json.h"
#include "reviewd/mailer.h"
#include "reviewd/mailhtml.h"

static const struct {
	const char	*id;
	const char	*locale;
} builtins[] = {
	/* one a language of the catalogue (lang/xx.txt) */
	{ "default-en", "en-US" }, { "default-de", "de-DE" },
	{ "default-fr", "fr-FR" }, { "default-da", "da-DK" },
	{ "default-es", "es-ES" }, { "default-it", "it-IT" },
	{ "default-nl", "nl-NL" }, { "default-sv", "sv-SE" },
	{ "default-nb", "nb-NO" }, { "default-pl", "pl-PL" },
	{ "default-pt", "pt-PT" },
};

#define NBUILTINS	(sizeof(builtins) / sizeof(builtins[0]))

#define TEMPLATE_COLUMNS "id, name, locale, subject, text, html, " \
	"created_at, updated_at"

static json_t *
template_json(struct db_stmt *st)
{
	return json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:o, "
	    "s:o}", "id", db_text(st, 0), "name", db_text(st, 1),
	    "isDefaultTemplate", 0, "locale", db_text(st, 2), "type", "email",
	    "subject", db_text(st, 3), "text", db_text(st, 4), "html",
	    db_text(st, 5), "createdAt", db_json_time(st, 6), "updatedAt",
	    db_json_time(st, 7));
}

static const char sql_template_exists[] =
    "SELECT 1 FROM invitation_templates WHERE id = ? AND "
    "business_unit_id = ?";

int
invitations_template_usable(struct db *db, const char *bu, const char *id,
    bool *ok)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < NBUILTINS; i++) {
		if (strcmp(id, builtins[i].id) == 0) {
			*ok = true;
			return 0;
		}
	}
	rc = db_exists(db, sql_template_exists, "ss", id, bu);
	*ok = rc == DB_ROW;
	return rc == -1 ? -1 : 0;
}

const char *
invitations_template_default(const char *locale)
{
	size_t	 i;

	for (i = 0; locale != NULL && i < NBUILTINS; i++) {
		if (strncmp(locale, builtins[i].locale, 2) == 0)
			return builtins[i].id;
	}
	return builtins[0].id;
}

static const char sql_templates[] =
    "SELECT " TEMPLATE_COLUMNS " FROM invitation_templates "
    "WHERE business_unit_id = ? ORDER BY created_at, id";

int
invitations_templates_list(ROUTE_HANDLER_PARAMS)
{
	json_t		*list = NULL;	/* owned; handler_list_answer takes */
	const char	*bu;
	size_t		 i;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	list = json_array();
	for (i = 0; list != NULL && i < NBUILTINS; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s, "
		    "s:s}", "id", builtins[i].id, "name", "reviewd default",
		    "isDefaultTemplate", 1, "locale", builtins[i].locale,
		    "type", "email"));
	return handler_list_answer(req, res, list, sql_templates,
	    template_json, "templates", err, "s", bu);
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

int
invitations_template_rules(const char *website, const char *subject,
    const char *text, const char *html, const char **field, char *why,
    size_t whylen)
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

/* A template as a business writes it. Strings borrowed from the body. */
struct template_input {
	const char	*name, *locale, *subject, *text, *html;
};

/* Reads and checks the body's template into t (the e-mail rules aside).
 * Errors go to err. */
static void
read_template(json_t *body, struct template_input *t, struct api_error *err)
{
	static const char *const allowed[] = { "name", "locale", "subject",
	    "text", "html", NULL };

	json_only_keys(body, allowed, err);
	inv_read_line(body, "name", true, 100, &t->name, err);
	if (json_read_string(body, "locale", true, 2, 5, &t->locale,
	    err) == 0 && !inv_locale_ok(t->locale))
		api_error_set(err, 400, "locale", "must be a locale such as "
		    "en-US");
	inv_read_line(body, "subject", true, 200, &t->subject, err);
	if (json_read_string(body, "text", true, 1, INV_TEMPLATE_MAX, &t->text,
	    err) == 0 && strstr(t->text, "{{link}}") == NULL)
		api_error_set(err, 400, "text", "must contain {{link}}");
	if (json_read_string(body, "html", true, 1, INV_TEMPLATE_MAX, &t->html,
	    err) == 0 && strstr(t->html, "{{link}}") == NULL)
		api_error_set(err, 400, "html", "must contain {{link}}");
	if (err->status == 0) {
		check_placeholders("subject", t->subject, err);
		check_placeholders("text", t->text, err);
		check_placeholders("html", t->html, err);
	}
}

static const char sql_unit_website[] =
    "SELECT website_url FROM business_units WHERE id = ?";

/* The e-mail rules for t with unit bu's website. 0, or -1 with err (400
 * naming the part that fails, or 5xx). */
static int
check_rules(struct db *db, const char *bu, const struct template_input *t,
    struct api_error *err)
{
	struct db_stmt	*st;
	char		 website[INV_URL_MAX + 1], why[MAILHTML_WHY];
	const char	*field;

	if (db_row(db, sql_unit_website, &st, "s", bu) != DB_ROW) {
		db_fail(db, err);
		return -1;
	}
	snprintf(website, sizeof(website), "%s", db_text(st, 0));
	db_release(st);
	if (invitations_template_rules(website, t->subject, t->text, t->html,
	    &field, why, sizeof(why)) == -1) {
		api_error_set(err, 400, field, "%s", why);
		return -1;
	}
	return 0;
}

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

/* POST .../templates makes one; PUT .../templates/{templateId} changes
 * the one it names. */
int
invitations_template_write(ROUTE_HANDLER_PARAMS)
{
	const char		*named = request_param(req, "templateId");
	bool			 create = named == NULL;
	struct template_input	 t;
	json_t			*body, *out;	/* borrowed; taken */
	struct db_stmt		*st = NULL;
	const char		*bu;
	char			 id[IDS_ID_LEN + 1];
	int			 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	read_template(body, &t, err);
	/* The rules run before the transaction: they read up to 64 KiB. */
	if (err->status != 0 || check_rules(req->db, bu, &t, err) == -1)
		goto out;
	if (create)
		ids_new(id);
	else
		snprintf(id, sizeof(id), "%s", named);
	if (db_tx_begin(req->db) == -1 || db_run(req->db, create ?
	    sql_template_insert : sql_template_update, "sssssssi", id, bu,
	    t.name, t.locale, t.subject, t.text, t.html,
	    clock_now_ms()) == -1)
		db_fail(req->db, err);
	else if (!create && db_changes(req->db) == 0)
		api_error_set(err, 404, NULL, "Template not found");
	else if (db_row(req->db, sql_template_get, &st, "ss", id,
	    bu) != DB_ROW)
		db_fail(req->db, err);
	else {
		out = template_json(st);
		db_release(st);
		st = NULL;
		ret = handler_commit(req, res, create ? 201 : 200, out, false,
		    err);
	}
out:
	db_release(st);
	db_tx_rollback(req->db);
	return ret;
}
