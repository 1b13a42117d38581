/*
 * pages_findreviewer: the reviewer's page behind a Find Reviewer link:
 * the business's question, and a form to answer it (sharing only what
 * the reviewer chooses) or to decline. Made with the kit of html.h.
 * Stateless; HTTP worker threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/db.h"
#include "reviewd/findreviewer.h"
#include "reviewd/html.h"
#include "reviewd/i18n.h"
#include "reviewd/ids.h"
#include "reviewd/pages.h"

/* Whether the business asked for field: one of the request's
 * requestedInformation, or any when it named none. */
static bool
asked(json_t *fr, const char *field)
{
	json_t	*requested = json_object_get(fr, "requested"), *v;
	size_t	 i;

	if (json_array_size(requested) == 0)
		return true;
	json_array_foreach(requested, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v),
		    field) == 0)
			return true;
	}
	return false;
}

/* The question and the form in lang, with what the reviewer typed and
 * what was wrong with it. */
static int
find_reviewer_form(struct response *res, const char *lang, int status,
    json_t *fr, json_t *values, const struct api_error *problems,
    struct api_error *err)
{
	const struct findreviewer_field	*f;
	struct buf			 b;
	const char			*message = html_str(fr, "message");
	char				 deadline[17], text[600];
	int				 r;

	/* the question the business sent without words of its own is
	 * stored in English (findreviewer.c): the reviewer reads theirs */
	if (strcmp(message, i18n("en", "mail_fr_default_message")) == 0)
		message = i18n(lang, "mail_fr_default_message");
	snprintf(deadline, sizeof(deadline), "%s", html_str(fr, "deadline"));
	if (strlen(deadline) > 10)
		deadline[10] = ' ';
	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, lang, i18n(lang, "fr_title")) ||
	    buf_puts(&b, "<h1>") || html_escape(&b, i18n_format(text,
	    sizeof(text), lang, "fr_asks", "business", html_str(fr,
	    "business"), NULL)) || buf_puts(&b, "</h1><div class=\"box\"><p>"
	    "&ldquo;") || html_escape(&b, html_str(fr, "title")) ||
	    buf_puts(&b, "&rdquo;</p><blockquote>") ||
	    html_escape(&b, message) ||
	    buf_puts(&b, "</blockquote><p class=\"meta\">") ||
	    html_escape(&b, i18n_format(text, sizeof(text), lang,
	    "fr_deadline", "deadline", deadline, NULL)) ||
	    buf_puts(&b, "</p></div>");
	if (r == 0 && problems != NULL && problems->status != 0)
		r = html_problems(&b, NULL, problems, false);
	if (r == 0)
		r = buf_puts(&b, "<form method=\"post\"><label "
		    "for=\"message\">") || html_escape(&b, i18n(lang,
		    "fr_message")) || buf_puts(&b, "</label><textarea "
		    "id=\"message\" name=\"message\" maxlength=\"5000\">") ||
		    html_escape(&b, html_str(values, "message")) ||
		    buf_puts(&b, "</textarea>");
	for (f = findreviewer_fields; r == 0 && f->name != NULL; f++) {
		if (!asked(fr, f->name))
			continue;
		r = buf_printf(&b, "<label for=\"%s\">", f->name) ||
		    html_escape(&b, i18n(lang, f->page_label)) ||
		    buf_printf(&b, "</label><input type=\"%s\" id=\"%s\" "
		    "name=\"%s\" maxlength=\"500\" value=\"", f->input_type,
		    f->name, f->name) || html_escape(&b, html_str(values,
		    f->name)) || buf_puts(&b, "\">");
	}
	r = r || buf_puts(&b, "<button type=\"submit\">") ||
	    html_escape(&b, i18n(lang, "fr_send")) || buf_puts(&b, "</button> "
	    "<button type=\"submit\" name=\"decline\" value=\"1\" "
	    "formnovalidate>") || html_escape(&b, i18n(lang, "fr_decline")) ||
	    buf_puts(&b, "</button></form>");
	return html_answer(res, status, &b, r, err);
}

static int
find_reviewer_closed(struct response *res, const char *lang, json_t *fr,
    struct api_error *err)
{
	const char	*status = html_str(fr, "status");

	if (strcmp(status, "expired") == 0)
		return html_message(res, lang, 410, i18n(lang, "fr_closed"),
		    i18n(lang, "fr_closed_text"), NULL, NULL, err);
	return html_message(res, lang, 200, i18n(lang, "thanks"),
	    i18n(lang, strcmp(status, "declined") == 0 ? "fr_declined" :
	    "fr_sent"), NULL, NULL, err);
}

/* A Find Reviewer link and the request it leads to. */
struct fr_link {
	enum findreviewer_state	 state;
	json_t			*fr;	/* owned */
	const char		*lang;	/* of its pages */
};

static const char sql_fr_language[] =
    "SELECT r.language, b.domain FROM find_reviewer_requests f "
    "JOIN reviews r ON r.id = f.review_id "
    "JOIN business_units b ON b.id = f.business_unit_id "
    "WHERE f.token_hash = ?";

/* The language of the pages of the link of req: its review's, else the
 * browser's, else the unit's (pages_lang_unit). */
static const char *
fr_lang(const struct request *req)
{
	const char	*token = request_param(req, "token");
	struct db_stmt	*st = NULL;
	char		 hash[IDS_HASH_LEN + 1];
	const char	*lang;

	if (strlen(token) != IDS_TOKEN_LEN)
		return pages_lang(req, NULL, NULL);
	ids_token_hash(token, hash);
	if (db_row(req->db, sql_fr_language, &st, "s", hash) != DB_ROW)
		return pages_lang(req, NULL, NULL);
	lang = pages_lang_unit(req, db_text(st, 0), db_text(st, 1));
	db_release(st);
	return lang;
}

/* Looks up the link of req into l: 1 when the request is open (the
 * caller answers), 0 when the page of its state was answered, -1. */
static int
open_request(struct request *req, struct response *res, struct fr_link *l,
    struct api_error *err)
{
	const char	*lang = fr_lang(req);
	int		 r;

	l->lang = lang;
	r = findreviewer_page(req->db, request_param(req, "token"), &l->state,
	    &l->fr);
	r = html_found_or_404(req, res, r == -1 ? -1 : l->state !=
	    FINDREVIEWER_UNKNOWN, lang, i18n(lang, "unknown_link"),
	    i18n(lang, "link_unknown"), err);
	if (r == 1 && l->state != FINDREVIEWER_OPEN)
		return find_reviewer_closed(res, lang, l->fr, err);
	return r;
}

int
pages_find_reviewer(ROUTE_HANDLER_PARAMS)
{
	struct fr_link	 l = { FINDREVIEWER_UNKNOWN, NULL, "en" };
	int		 r = open_request(req, res, &l, err);

	if (r == 1)
		r = find_reviewer_form(res, l.lang, 200,
		    l.fr, NULL, NULL, err);
	json_decref(l.fr);
	return r;
}

int
pages_find_reviewer_post(ROUTE_HANDLER_PARAMS)
{
	const struct findreviewer_field	*f;
	struct fr_link			 l = { FINDREVIEWER_UNKNOWN, NULL,
					    "en" };
	struct api_error		 problems = { 0 };
	json_t				*values = NULL;	/* owned */
	char				*v = NULL;
	bool				 decline;
	int				 r;

	if ((r = open_request(req, res, &l, err)) != 1)
		goto out;
	r = -1;
	if ((v = malloc(HTML_FIELD_MAX)) == NULL ||
	    (values = json_object()) == NULL) {
		api_error_internal(err);
		goto out;
	}
	if (html_form_field(req, "message", v, &problems) == 1)
		json_object_set_new(values, "message", json_string(v));
	for (f = findreviewer_fields; f->name != NULL; f++) {
		if (html_form_field(req, f->name, v, &problems) == 1)
			json_object_set_new(values, f->name, json_string(v));
	}
	decline = html_form_field(req, "decline", v, &problems) == 1 &&
	    strcmp(v, "1") == 0;
	if (problems.status == 0 && findreviewer_answer(req->db,
	    request_param(req, "token"), values, decline, &problems) == 0) {
		json_object_set_new(l.fr, "status", json_string(decline ?
		    "declined" : "replied"));
		r = find_reviewer_closed(res, l.lang,
		    l.fr, err);
	} else if (problems.status >= 500) {
		*err = problems;
	} else
		r = find_reviewer_form(res, l.lang,
		    problems.status, l.fr, values, &problems, err);
out:
	free(v);
	json_decref(l.fr);
	json_decref(values);
	return r;
}
