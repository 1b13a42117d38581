/*
 * pages_review_edit: the reviewer's pages for their own review, made with
 * the kit of html.h (see pages_review_edit.h). Stateless; HTTP worker
 * threads.
 *
 * The token in the link is the reviewer's secret, so a forged request
 * would need it already; the POST is still bound to the page it came
 * from (double submit): the page sets a random value as a SameSite=Strict
 * cookie and as a form field, and a POST without both, equal, changes
 * nothing. Another site cannot read the field nor send the cookie.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/db.h"
#include "reviewd/html.h"
#include "reviewd/i18n.h"
#include "reviewd/pages.h"
#include "reviewd/pages_review_edit.h"
#include "reviewd/reviews_edit.h"

#define CSRF_COOKIE	"reviewd_edit"
#define CSRF_BYTES	16
#define CSRF_LEN	(CSRF_BYTES * 2)

/* The value of cookie name in req's Cookie header into out (len bytes
 * with the NUL). 0, or -1 when absent or too long. */
static int
cookie_value(const struct request *req, const char *name, char *out,
    size_t len)
{
	const char	*h = request_header(req, "Cookie"), *p, *end;
	size_t		 n = strlen(name);

	for (p = h; p != NULL && *p != '\0'; p = end) {
		while (*p == ' ' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			p += n + 1;
			if ((size_t)(end - p) >= len)
				return -1;
			memcpy(out, p, (size_t)(end - p));
			out[end - p] = '\0';
			return 0;
		}
	}
	return -1;
}

/* Whether the POST carries the page's CSRF value in field and cookie. */
static bool
csrf_ok(const struct request *req)
{
	char			 cookie[CSRF_LEN + 1];
	char			*field = malloc(HTML_FIELD_MAX);
	struct api_error	 ignored;
	bool			 ok;

	memset(&ignored, 0, sizeof(ignored));
	ok = field != NULL && cookie_value(req, CSRF_COOKIE, cookie,
	    sizeof(cookie)) == 0 && strlen(cookie) == CSRF_LEN &&
	    html_form_field(req, "csrf", field, &ignored) == 1 &&
	    ids_equal(field, cookie);
	free(field);
	return ok;
}

/* Sets a new CSRF value as the cookie of the edit pages and writes it to
 * csrf. 0 or -1. */
static int
csrf_cookie(const struct request *req, struct response *res,
    char csrf[CSRF_LEN + 1])
{
	char	 v[128];
	bool	 secure = strncasecmp(req->cfg->public_url, "https:", 6) == 0;

	ids_random_hex(csrf, CSRF_BYTES);
	snprintf(v, sizeof(v), "%s=%s; Path=/review/edit/; HttpOnly; "
	    "SameSite=Strict%s", CSRF_COOKIE, csrf, secure ? "; Secure" : "");
	return response_header(res, "Set-Cookie", v);
}

static const char sql_review_language[] =
    "SELECT language FROM reviews WHERE id = ?";

/* The pages' language for review e: the review's own, else the
 * browser's, else its unit's. */
static const char *
edit_lang(const struct request *req, const struct review_edit *e)
{
	char	 language[16];

	language[0] = '\0';
	if (e->id[0] != '\0' && db_one_text(req->db, sql_review_language,
	    language, sizeof(language), "s", e->id) == -1)
		language[0] = '\0';
	return pages_lang_unit(req, language, e->domain);
}

/* The edit form with the review's (or the reviewer's last) stars, title
 * and text, what was wrong with them, and the delete button. */
static int
edit_page(const struct request *req, struct response *res, int status,
    const struct review_edit *e, int64_t stars, const char *title,
    const char *text, const struct api_error *problems,
    struct api_error *err)
{
	const char	*lang = edit_lang(req, e);
	struct buf	 b;
	struct html_field f;
	char		 csrf[CSRF_LEN + 1], head[400];
	bool		 focused = false;
	int		 r;

	if (csrf_cookie(req, res, csrf) == -1) {
		api_error_internal(err);
		return -1;
	}
	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, lang, i18n(lang, "your_review")) ||
	    buf_puts(&b, "<h1>") || html_escape(&b, i18n_format(head,
	    sizeof(head), lang, "ed_heading", "business", e->business,
	    NULL)) || buf_puts(&b, "</h1>");
	if (r == 0 && problems != NULL && problems->status != 0)
		r = buf_puts(&b, "<div class=\"box error\" role=\"alert\">"
		    "<p>") || html_escape(&b, i18n(lang, "check_review")) ||
		    buf_puts(&b, "</p></div>");
	r = r || buf_puts(&b, "<form method=\"post\"><input type=\"hidden\" "
	    "name=\"csrf\" value=\"") || buf_puts(&b, csrf) ||
	    buf_puts(&b, "\"><fieldset") || (html_problem(problems,
	    "stars") != NULL && buf_puts(&b,
	    " aria-describedby=\"err-stars\"")) || buf_puts(&b,
	    "><legend>") || html_escape(&b, i18n(lang, "your_rating")) ||
	    buf_puts(&b, "</legend>") || html_star_picker(&b, lang, "stars",
	    (long long)stars, true) || html_field_error(&b, lang, problems,
	    "stars", "stars", i18n(lang, "your_rating")) ||
	    buf_puts(&b, "</fieldset>");
	f = (struct html_field){ "title", "title", "title", i18n(lang,
	    "title"), NULL, "text", 100, true, title };
	r = r || html_text_field(&b, lang, problems, &focused, &f);
	f = (struct html_field){ "text", "text", "text", i18n(lang,
	    "your_review"), NULL, NULL, 5000, true, text };
	r = r || html_text_field(&b, lang, problems, &focused, &f) ||
	    buf_puts(&b, "<button type=\"submit\">") ||
	    html_escape(&b, i18n(lang, "ed_save")) || buf_puts(&b,
	    "</button></form><form method=\"post\"><input type=\"hidden\" "
	    "name=\"csrf\" value=\"") || buf_puts(&b, csrf) ||
	    buf_puts(&b, "\"><input type=\"hidden\" name=\"action\" "
	    "value=\"delete\"><p>") || html_escape(&b, i18n(lang,
	    "ed_delete_note")) || buf_puts(&b, "</p><button type=\"submit\" "
	    "class=\"secondary\">") || html_escape(&b, i18n(lang,
	    "ed_delete")) || buf_puts(&b, "</button></form>");
	return html_answer(res, status, &b, r, err);
}

/* The page of a link that leads to no open review: 1 when e is open (the
 * caller answers), 0 when answered, -1 with err. */
static int
closed_page(const struct request *req, struct response *res,
    const struct review_edit *e, struct api_error *err)
{
	const char	*lang = edit_lang(req, e);
	const char	*title = "unknown_link", *text = "link_unknown";
	int		 status = 404;

	switch (e->state) {
	case REVIEW_EDIT_OPEN:
		return 1;
	case REVIEW_EDIT_UNKNOWN:
		break;
	case REVIEW_EDIT_EXPIRED:
		status = 410;
		title = "link_expired";
		text = "ed_expired_text";
		break;
	case REVIEW_EDIT_UNCONFIRMED:
		status = 409;
		title = "ed_unconfirmed";
		text = "ed_unconfirmed_text";
		break;
	case REVIEW_EDIT_DELETED:
		status = 410;
		title = "ed_deleted";
		text = "ed_deleted_text";
		break;
	case REVIEW_EDIT_REMOVED:
		status = 409;
		title = "ed_removed";
		text = "ed_removed_text";
		break;
	}
	return html_message(res, lang, status, i18n(lang, title), i18n(lang,
	    text), NULL, NULL, err);
}

int
pages_review_edit(ROUTE_HANDLER_PARAMS)
{
	struct review_edit	 e;
	int			 r;

	if (reviews_edit_find(req->db, request_param(req, "token"),
	    &e) == -1) {
		db_fail(req->db, err);
		return -1;
	}
	if ((r = closed_page(req, res, &e, err)) == 1)
		r = edit_page(req, res, 200, &e, e.stars, e.title, e.text, NULL,
		    err);
	reviews_edit_release(&e);
	return r;
}

/* The form's stars, title and text as the JSON reviews_edit_input reads;
 * unusable fields are recorded in problems. NULL when out of memory. */
static json_t *
form_values(const struct request *req, struct api_error *problems)
{
	static const char *const fields[] = { "title", "text", NULL };

	return html_form_json(req, fields, problems);
}

/* A change or deletion the store refused: the page that says why, or
 * the form again for a bad field. */
static int
refused(const struct request *req, struct response *res,
    const struct review_edit *e, json_t *values,
    const struct api_error *problems, struct api_error *err)
{
	struct review_edit	 now = *e;
	const char		*lang = edit_lang(req, e);

	if (problems->status >= 500) {
		*err = *problems;
		return -1;
	}
	if (problems->status == 400)
		return edit_page(req, res, 400, e, json_integer_value(
		    json_object_get(values, "stars")), html_str(values,
		    "title"), html_str(values, "text"), problems, err);
	/* removed after a report, or not confirmed yet: the store says */
	if (problems->status == 409)
		return html_message(res, lang, 409, i18n(lang, "ed_cannot"),
		    i18n(lang, "ed_cannot_text"), NULL, NULL, err);
	/* changed meanwhile (deleted, expired): say what it is now */
	now.state = problems->status == 410 ? REVIEW_EDIT_EXPIRED :
	    problems->status == 404 ? REVIEW_EDIT_UNKNOWN :
	    REVIEW_EDIT_DELETED;
	return closed_page(req, res, &now, err);
}

int
pages_review_edit_post(ROUTE_HANDLER_PARAMS)
{
	const char		*token = request_param(req, "token");
	const char		*ctype = request_header(req, "Content-Type");
	struct review_edit	 e;
	struct review_change	 ch;
	struct api_error	 problems = { 0 };
	json_t			*values = NULL;	/* owned */
	char			 action[16], link[300];
	const char		*lang;
	int			 r;

	if (ctype == NULL || strncasecmp(ctype,
	    "application/x-www-form-urlencoded", 33) != 0) {
		api_error_set(err, 415, "Content-Type", "must be "
		    "application/x-www-form-urlencoded");
		return -1;
	}
	if (reviews_edit_find(req->db, token, &e) == -1) {
		db_fail(req->db, err);
		return -1;
	}
	if ((r = closed_page(req, res, &e, err)) != 1)
		goto out;
	lang = edit_lang(req, &e);
	if (!csrf_ok(req)) {
		r = html_message(res, lang, 403, i18n(lang, "ed_try_again"),
		    i18n(lang, "ed_try_again_text"), NULL, NULL, err);
		goto out;
	}
	memset(&ch, 0, sizeof(ch));
	snprintf(link, sizeof(link), "/b/%s", e.domain);
	if (request_form_value(req->body, req->body_len, "action", action,
	    sizeof(action)) == 0 && strcmp(action, "delete") == 0) {
		if (reviews_edit_delete(req->db, token, &problems) == 0)
			r = html_message(res, lang, 200, i18n(lang,
			    "ed_deleted"), i18n(lang, "ed_now_deleted"), link,
			    i18n(lang, "ed_back"), err);
		else
			r = refused(req, res, &e, NULL, &problems, err);
		goto out;
	}
	if ((values = form_values(req, &problems)) == NULL) {
		api_error_internal(err);
		r = -1;
		goto out;
	}
	if (problems.status == 0 &&
	    reviews_edit_input(values, &ch, &problems) == 0 &&
	    reviews_edit_apply(req->db, token, &ch, &problems) == 0)
		r = html_message(res, lang, 200, i18n(lang, "ed_saved"),
		    i18n(lang, "ed_saved_text"), link, i18n(lang,
		    "see_on_page"), err);
	else
		r = refused(req, res, &e, values, &problems, err);
out:
	json_decref(values);
	reviews_edit_release(&e);
	return r;
}

/* The request form for a new link. */
int
pages_review_edit_link(ROUTE_HANDLER_PARAMS)
{
	const char	*domain = request_param(req, "businessDomain");
	const char	*lang = pages_lang_unit(req, NULL, domain);
	struct buf	 b;
	char		 text[600];
	int		 r;

	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, lang, i18n(lang, "ed_link_title")) ||
	    buf_puts(&b, "<h1>") || html_escape(&b, i18n(lang,
	    "ed_link_title")) || buf_puts(&b, "</h1><p>") ||
	    html_escape(&b, i18n_format(text, sizeof(text), lang,
	    "ed_link_text", "business", domain, NULL)) ||
	    buf_puts(&b, "</p><form method=\"post\"><label for=\"email\">") ||
	    html_escape(&b, i18n(lang, "ed_your_email")) ||
	    buf_puts(&b, "</label><input type=\"email\" id=\"email\" "
	    "name=\"email\" required><button type=\"submit\">") ||
	    html_escape(&b, i18n(lang, "ed_mail_me")) ||
	    buf_puts(&b, "</button></form>");
	return html_answer(res, 200, &b, r, err);
}

int
pages_review_edit_link_post(ROUTE_HANDLER_PARAMS)
{
	const char		*domain = request_param(req, "businessDomain");
	const char		*lang = pages_lang_unit(req, NULL, domain);
	struct api_error	 problems = { 0 };
	char			*email = malloc(HTML_FIELD_MAX);
	int			 r = -1;

	if (email == NULL) {
		api_error_internal(err);
		return -1;
	}
	if (html_form_field(req, "email", email, &problems) != 1) {
		api_error_set(err, 400, "email", "is required");
		goto out;
	}
	/* The same answer whether the address wrote anything here: the page
	 * must not tell who reviewed whom. */
	if (reviews_edit_request(req->db, req->cfg, domain, email,
	    err) == 0)
		r = html_message(res, lang, 200, i18n(lang, "check_email"),
		    i18n(lang, "ed_link_sent"), NULL, NULL, err);
out:
	free(email);
	return r;
}
