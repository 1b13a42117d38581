/*
 * pages: the organic review pages for reviewers and visitors: a business's
 * public profile, the review form and its confirmation. The pages behind
 * invitation and Find Reviewer links are pages_invitation.c and
 * pages_findreviewer.c; all of them are made with the kit of html.h,
 * through which every value that is not a constant of this file is
 * escaped. Stateless; HTTP worker threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/business.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/findreviewer.h"
#include "reviewd/html.h"
#include "reviewd/i18n.h"
#include "reviewd/invitations_links.h"
#include "reviewd/invitations_unsubscribe.h"
#include "reviewd/json.h"
#include "reviewd/pages.h"
#include "reviewd/reviews.h"

/* Country host prefixes and the language their pages speak. */
static const struct {
	const char	*country;
	const char	*lang;
} host_languages[] = {
	{ "de", "de" }, { "at", "de" }, { "ch", "de" }, { "fr", "fr" },
	{ "be", "fr" }, { "dk", "da" }, { "uk", "en" }, { "us", "en" },
	{ "es", "es" }, { "it", "it" }, { "nl", "nl" }, { "se", "sv" },
	{ "no", "nb" }, { "pl", "pl" }, { "pt", "pt" }, { "br", "pt" },
};

const char *
pages_lang(const struct request *req, const char *want, const char *fallback)
{
	const char	*host = request_header(req, "Host");
	const char	*pub = strstr(req->cfg->public_url, "://");
	size_t		 i, publen;

	pub = pub != NULL ? pub + 3 : req->cfg->public_url;
	publen = strcspn(pub, "/");
	if (host != NULL && strlen(host) == publen + 3 && host[2] == '.' &&
	    strncasecmp(host + 3, pub, publen) == 0) {
		for (i = 0; i < sizeof(host_languages) /
		    sizeof(host_languages[0]); i++) {
			if (strncasecmp(host, host_languages[i].country,
			    2) == 0)
				return i18n_lang(host_languages[i].lang, NULL,
				    NULL);
		}
	}
	return i18n_lang(want, request_header(req, "Accept-Language"),
	    fallback);
}

static const char sql_unit_locale[] =
    "SELECT default_locale FROM business_units WHERE domain = ?";

const char *
pages_lang_unit(const struct request *req, const char *want,
    const char *domain)
{
	char	 locale[16];

	locale[0] = '\0';
	/* a unit without one, or a failed read: the steps before it */
	if (domain != NULL && domain[0] != '\0' &&
	    db_one_text(req->db, sql_unit_locale, locale,
	    sizeof(locale), "s", domain) == -1)
		locale[0] = '\0';
	return pages_lang(req, want, locale);
}

int
pages_unit_or_404(struct request *req, struct response *res, json_t **unit,
    struct api_error *err)
{
	const char	*lang = pages_lang(req, NULL, NULL);
	int		 found;

	found = business_public_by_domain(req->db, request_param(req,
	    "businessDomain"), req->cfg->public_url, unit, err) == 0 ? 1 :
	    err->status == 404 ? 0 : -1;
	if (found == 0)	/* the page's 404, not the API's */
		memset(err, 0, sizeof(*err));
	return html_found_or_404(req, res, found, lang, i18n(lang,
	    "not_found"), i18n(lang, "no_business"), err);
}

static const char sql_product_name[] =
    "SELECT name FROM products WHERE business_unit_id = ? AND sku = ?";

/* The name of product sku of unit into out; "" when the unit has none
 * such (the form is then the business's). */
static void
product_name(const struct request *req, json_t *unit, const char *sku,
    char *out, size_t outlen)
{
	out[0] = '\0';
	if (sku[0] != '\0' && db_one_text(req->db, sql_product_name, out,
	    outlen, "ss", html_str(unit, "id"), sku) != DB_ROW)
		out[0] = '\0';
}

/* The optional date of experience: a date input from 5 years back to
 * today (the server checks the same, reviews_input_json). */
static int
experience_field(struct buf *b, const char *lang,
    const struct api_error *problems, bool *focused, const char *value)
{
	char	 today[CLOCK_ISO_LEN], first[CLOCK_ISO_LEN];
	int64_t	 now = clock_now_ms();

	if (clock_format(now, today) == -1 || clock_format(now -
	    REVIEWS_EXPERIENCE_MAX_AGE_MS, first) == -1)
		return -1;
	return buf_puts(b, "<label for=\"experiencedAt\">") ||
	    html_escape(b, i18n(lang, "date_of_experience")) ||
	    buf_puts(b, " <span class=\"meta\">(") ||
	    html_escape(b, i18n(lang, "optional")) ||
	    buf_printf(b, ")</span></label><input type=\"date\" "
	    "id=\"experiencedAt\" name=\"experiencedAt\" min=\"%.10s\" "
	    "max=\"%.10s\"", first, today) ||
	    html_invalid_attrs(b, problems, "experiencedAt", "experiencedAt",
	    focused) || buf_puts(b, " value=\"") || html_escape(b, value) ||
	    buf_puts(b, "\">") || html_field_error(b, lang, problems,
	    "experiencedAt", "experiencedAt", i18n(lang,
	    "date_of_experience"));
}

/* The form, with what the reviewer typed and what was wrong with it. */
static int
form_page(const struct request *req, struct response *res, int status,
    json_t *unit, json_t *values, const struct api_error *problems,
    struct api_error *err)
{
	struct buf	 b;
	const char	*domain = request_param(req, "businessDomain");
	const char	*source = request_query(req, "source");
	const char	*sku = html_str(values, "sku");
	const char	*lang = pages_lang_unit(req, NULL, domain);
	json_int_t	 chosen = json_integer_value(json_object_get(values,
			    "stars"));
	struct html_field	 fields[4];
	char		 text[400], product[256];
	size_t		 i;
	bool		 focused = false;
	int		 r;

	if (sku[0] == '\0' && request_query(req, "sku") != NULL)
		sku = request_query(req, "sku");
	/* an unknown sku: the form of the business, without it */
	product_name(req, unit, sku, product, sizeof(product));
	if (product[0] == '\0')
		sku = "";
	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, lang, i18n(lang, "write_review")) ||
	    buf_puts(&b, "<h1>") || html_escape(&b, i18n_format(text,
	    sizeof(text), lang, "review_of", "business", html_str(unit,
	    "displayName"), NULL)) || buf_puts(&b, "</h1>");
	if (r == 0 && product[0] != '\0')
		r = buf_puts(&b, "<p class=\"product\">") || html_escape(&b,
		    i18n_format(text, sizeof(text), lang, "product_named",
		    "product", product, NULL)) || buf_puts(&b, "</p>");
	/* the fields' own problems are shown next to them */
	if (r == 0 && problems != NULL && problems->status != 0)
		r = problems->status == 400 && problems->ndetails > 0 ?
		    buf_puts(&b, "<div class=\"box "
		    "error\" role=\"alert\"><p>") || html_escape(&b, i18n(lang,
		    "check_review")) || buf_puts(&b, "</p></div>") :
		    html_problems(&b, i18n(lang, "check_review"), problems,
		    true);
	if (r == 0)
		r = buf_puts(&b, "<form method=\"post\" action=\"/review/") ||
		    html_escape(&b, domain) || buf_puts(&b, source != NULL &&
		    strcmp(source, "invitation") == 0 ? "?source=invitation" :
		    "") || buf_puts(&b, "\"><fieldset") ||
		    (html_problem(problems, "stars") != NULL &&
		    buf_puts(&b, " aria-describedby=\"err-stars\"")) ||
		    buf_puts(&b, "><legend>") ||
		    html_escape(&b, i18n(lang, "your_rating")) ||
		    buf_puts(&b, "</legend>");
	if (r == 0)
		r = html_star_picker(&b, lang, "stars", (long long)chosen,
		    true);
	fields[0] = (struct html_field){ "title", "title", "title",
	    i18n(lang, "title"), NULL, "text", 100, true,
	    html_str(values, "title") };
	fields[1] = (struct html_field){ "text", "text", "text",
	    i18n(lang, "your_review"), NULL, NULL, 5000, true,
	    html_str(values, "text") };
	fields[2] = (struct html_field){ "name", "name", "name",
	    i18n(lang, "your_name"), NULL, "text", 100, true,
	    html_str(values, "name") };
	fields[3] = (struct html_field){ "email", "email", "email",
	    i18n(lang, "email_confirm"), NULL, "email", 0, true,
	    html_str(values, "email") };
	r = r || html_field_error(&b, lang, problems, "stars", "stars",
	    i18n(lang, "your_rating")) || buf_puts(&b, "</fieldset>");
	for (i = 0; i < 2; i++)
		r = r || html_text_field(&b, lang, problems, &focused,
		    &fields[i]);
	r = r || experience_field(&b, lang, problems, &focused,
	    html_str(values, "experiencedAt")) ||
	    html_text_field(&b, lang, problems, &focused, &fields[2]);
	r = r || buf_puts(&b, "<label><input type=\"checkbox\" "
	    "name=\"anonymous\" value=\"1\"") ||
	    buf_puts(&b, json_is_true(json_object_get(values, "anonymous")) ?
	    " checked" : "") || buf_puts(&b, "> ") ||
	    html_escape(&b, i18n(lang, "anonymous")) ||
	    buf_puts(&b, "</label>") ||
	    html_text_field(&b, lang, problems, &focused, &fields[3]);
	if (r == 0 && sku[0] != '\0')
		r = buf_puts(&b, "<input type=\"hidden\" name=\"sku\" "
		    "value=\"") || html_escape(&b, sku) || buf_puts(&b, "\">");
	r = r || buf_puts(&b, "<button type=\"submit\">") ||
	    html_escape(&b, i18n(lang, "submit_review")) ||
	    buf_puts(&b, "</button></form>");
	/* a reviewer who lost the link of their own review */
	r = r || buf_puts(&b, "<p><a href=\"/review/edit-link/") ||
	    html_escape(&b, domain) || buf_puts(&b, "\">") ||
	    html_escape(&b, i18n(lang, "edit_own_review")) ||
	    buf_puts(&b, "</a></p>");
	return html_answer(res, status, &b, r, err);
}

int
pages_review_form(ROUTE_HANDLER_PARAMS)
{
	json_t	*unit = NULL;	/* owned */
	int	 r = pages_unit_or_404(req, res, &unit, err);

	if (r != 1)
		return r;
	r = form_page(req, res, 200, unit, NULL, NULL, err);
	json_decref(unit);
	return r;
}

/* The review form's fields as the JSON the API takes, so both go through
 * one validator. Unusable fields are recorded in problems. */
static json_t *
form_json(const struct request *req, struct api_error *problems)
{
	static const char *const fields[] = { "title", "text", "name",
	    "email", "sku", "language", "country", "experiencedAt", NULL };
	json_t	*o = html_form_json(req, fields, problems);
	char	*v = malloc(HTML_FIELD_MAX);

	if (o == NULL || v == NULL || (html_form_field(req, "anonymous", v,
	    problems) == 1 && json_object_set_new(o, "anonymous",
	    json_boolean(strcmp(v, "0") != 0)) == -1)) {
		json_decref(o);
		o = NULL;
	}
	free(v);
	return o;
}

int
pages_review_post(ROUTE_HANDLER_PARAMS)
{
	const char		*ctype = request_header(req, "Content-Type");
	struct review_input	 in;
	struct api_error	 problems = { 0 };
	const char		*lang = pages_lang_unit(req, NULL,
				    request_param(req, "businessDomain"));
	json_t			*unit = NULL, *values = NULL;	/* owned */
	char			 id[IDS_ID_LEN + 1];
	char			 client[REQUEST_CLIENT_LEN];
	int			 r;

	if (ctype != NULL && strncasecmp(ctype, "application/json", 16) == 0)
		return reviews_submit_json(req, res, err);
	if (ctype == NULL || strncasecmp(ctype,
	    "application/x-www-form-urlencoded", 33) != 0) {
		api_error_set(err, 415, "Content-Type", "must be "
		    "application/x-www-form-urlencoded or application/json");
		return -1;
	}
	if ((r = pages_unit_or_404(req, res, &unit, err)) != 1)
		return r;
	memset(&in, 0, sizeof(in));
	values = form_json(req, &problems);
	if (values == NULL) {
		json_decref(unit);
		api_error_internal(err);
		return -1;
	}
	in.domain = request_param(req, "businessDomain");
	in.locale = request_header(req, "Accept-Language");
	if (request_client(req, client) == 0)
		in.client = client;
	if (request_query(req, "source") != NULL &&
	    strcmp(request_query(req, "source"), "invitation") == 0)
		in.source = REVIEW_SOURCE_THIRD_PARTY;
	if (problems.status == 0 &&
	    reviews_input_json(values, &in, &problems) == 0 &&
	    reviews_submit(req->db, req->cfg, &in, id, &problems) == 0) {
		r = html_message(res, lang, 200, i18n(lang, "check_email"),
		    i18n(lang, "check_email_text"), NULL, NULL, err);
	} else if (problems.status >= 500) {
		*err = problems;
		r = -1;
	} else
		r = form_page(req, res, problems.status != 0 ?
		    problems.status : 500, unit, values, &problems, err);
	json_decref(unit);
	json_decref(values);
	return r;
}

/* Confirming an organic review: GET only asks (mail link scanners follow
 * links), POST publishes. */
int
pages_review_confirm(ROUTE_HANDLER_PARAMS)
{
	enum review_confirm	 result;
	const char		*lang = pages_lang(req, NULL, NULL);
	char			 domain[256], link[300], text[400], days[24];
	struct buf		 b;
	int			 r;

	r = reviews_confirm(req->db, req->cfg, request_param(req, "token"),
	    strcmp(req->method, "POST") == 0, &result, domain, sizeof(domain));
	if ((r = html_found_or_404(req, res, r == -1 ? -1 :
	    result != REVIEW_CONFIRM_UNKNOWN, lang, i18n(lang,
	    "unknown_link"), i18n(lang, "confirm_link_unknown"), err)) != 1)
		return r;
	lang = pages_lang_unit(req, NULL, domain);
	snprintf(link, sizeof(link), "/b/%s", domain);
	switch (result) {
	case REVIEW_CONFIRM_PENDING:
		buf_init(&b, HTML_PAGE_CAP);
		r = html_start(&b, lang, i18n(lang, "publish_title")) ||
		    buf_puts(&b, "<div class=\"box\"><h1>") ||
		    html_escape(&b, i18n(lang, "publish_title")) ||
		    buf_puts(&b, "</h1><p>") || html_escape(&b,
		    i18n_format(text, sizeof(text), lang, "publish_text",
		    "business", domain, NULL)) || buf_puts(&b, "</p><form "
		    "method=\"post\"><button type=\"submit\">") ||
		    html_escape(&b, i18n(lang, "publish_button")) ||
		    buf_puts(&b, "</button></form></div>");
		return html_answer(res, 200, &b, r, err);
	case REVIEW_CONFIRMED:
		return html_message(res, lang, 200, i18n(lang, "thanks"),
		    i18n(lang, "published"), link, i18n(lang, "see_on_page"),
		    err);
	case REVIEW_CONFIRM_EXPIRED:
		return html_message(res, lang, 410, i18n(lang,
		    "link_expired"), i18n(lang, "confirm_expired"), NULL,
		    NULL, err);
	case REVIEW_CONFIRM_DUPLICATE:
	case REVIEW_CONFIRM_UNKNOWN:	/* answered by html_found_or_404 */
		break;
	}
	snprintf(days, sizeof(days), "%lld",
	    (long long)req->cfg->review_duplicate_days);
	return html_message(res, lang, 409, i18n(lang, "already_reviewed"),
	    i18n_format(text, sizeof(text), lang, "already_reviewed_text",
	    "days", days, NULL), link, i18n(lang, "see_your_review"), err);
}
