/*
 * pages_invitation: the pages behind the links of invitation e-mails, in
 * the reviewer's language: the personal review form of an invitation
 * link (one rating for the service and one per product) and the
 * unsubscribe page. Made with the kit of html.h. Stateless; HTTP worker
 * threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/db.h"
#include "reviewd/html.h"
#include "reviewd/i18n.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_links.h"
#include "reviewd/invitations_unsubscribe.h"
#include "reviewd/json.h"
#include "reviewd/pages.h"

/* Personal invitation links, in the reviewer's language: the
 * invitation's locale first (pages_lang). */

/* The page's language for invitation inv: its locale, else the
 * browser's, else its unit's. */
static const char *
inv_lang(const struct request *req, json_t *inv)
{
	return pages_lang_unit(req, html_str(inv, "locale"),
	    html_str(json_object_get(inv, "businessUnit"), "domain"));
}

/* The page of an expired link: in the invitation's language, with the
 * way on, the business's own review form. */
static int
expired_page(const struct request *req, struct response *res,
    struct api_error *err)
{
	json_t		*inv = NULL;	/* owned */
	const char	*lang;
	char		 link[300];
	int		 r;

	if (invitations_link_expired(req->db, request_param(req, "token"),
	    &inv) == -1) {
		db_fail(req->db, err);
		return -1;
	}
	lang = inv_lang(req, inv);
	snprintf(link, sizeof(link), "/review/%s",
	    html_str(json_object_get(inv, "businessUnit"), "domain"));
	r = html_message(res, lang, 410, i18n(lang, "link_expired"),
	    i18n(lang, "review_link_expired"), inv != NULL ? link : NULL,
	    i18n(lang, "write_review"), err);
	json_decref(inv);
	return r;
}

/* Where the problems of one rating block are shown. */
struct block {
	const struct api_error	*problems;
	const char		*prefix;	/* of its fields' names in
						 * problems: "" or
						 * "products[N]." */
	bool			*focused;
};

/* One rating block: stars, title, text, named with suffix ("" or "_N");
 * its problems next to its fields, in words of the legend (a product's
 * name or the service's). */
static int
rating_block(struct buf *b, const char *lang, const char *legend,
    const char *suffix, json_t *values, const struct block *k)
{
	struct html_field	 f;
	char			 name[48], id[48], field[64];
	int			 r;

	snprintf(name, sizeof(name), "stars%s", suffix);
	snprintf(field, sizeof(field), "%sstars", k->prefix);
	r = buf_puts(b, "<fieldset") || (html_problem(k->problems,
	    field) != NULL && buf_printf(b, " aria-describedby=\"err-%s\"",
	    name)) || buf_puts(b, "><legend>") || html_escape(b, legend) ||
	    buf_puts(b, "</legend>") || html_star_picker(b, lang, name,
	    json_integer_value(json_object_get(values, "stars")), false) ||
	    html_field_error(b, lang, k->problems, field, name, legend);
	snprintf(id, sizeof(id), "title%s", suffix);
	snprintf(field, sizeof(field), "%stitle", k->prefix);
	f = (struct html_field){ id, id, field, i18n(lang, "title"), legend,
	    "text", 100, false, html_str(values, "title") };
	r = r || html_text_field(b, lang, k->problems, k->focused, &f);
	snprintf(id, sizeof(id), "text%s", suffix);
	snprintf(field, sizeof(field), "%stext", k->prefix);
	f = (struct html_field){ id, id, field, i18n(lang, "your_review"),
	    legend, NULL, 5000, false, html_str(values, "text") };
	return r || html_text_field(b, lang, k->problems, k->focused, &f) ||
	    buf_puts(b, "</fieldset>");
}

/* The prefix under which the validator names the fields of product
 * block i: the reviewer's empty blocks are not sent (redeem), so the
 * index counts the answered ones only. */
static void
product_prefix(json_t *answers, size_t i, char *out, size_t outlen)
{
	json_t	*a;
	size_t	 j, n = 0;

	json_array_foreach(json_object_get(answers, "products"), j, a) {
		if (j == i)
			break;
		n += json_object_size(a) > 1;
	}
	a = json_array_get(json_object_get(answers, "products"), i);
	if (json_object_size(a) > 1)
		snprintf(out, outlen, "products[%zu].", n);
	else
		snprintf(out, outlen, "-");	/* names nothing */
}

static int
invitation_form(const struct request *req, struct response *res, int status,
    json_t *inv, json_t *answers, const struct api_error *problems,
    struct api_error *err)
{
	const char	*lang = inv_lang(req, inv);
	struct buf	 b;
	json_t		*p, *given;	/* borrowed */
	char		 suffix[24], legend[300], text[600], prefix[40];
	bool		 focused = false;
	struct block	 k = { problems, "", &focused };
	size_t		 i;
	int		 r;

	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, lang, i18n(lang, "write_review")) ||
	    buf_puts(&b, "<h1>") || html_escape(&b, i18n_format(text,
	    sizeof(text), lang, "review_of", "business", html_str(
	    json_object_get(inv, "businessUnit"), "displayName"), NULL)) ||
	    buf_puts(&b, "</h1><p>") || html_escape(&b, i18n_format(text,
	    sizeof(text), lang, "hello_intro", "name", html_str(inv, "name"),
	    NULL)) || buf_puts(&b, "</p>");
	/* the fields' own problems are shown next to them */
	if (r == 0 && problems != NULL && problems->status != 0)
		r = problems->status == 400 && problems->ndetails > 0 &&
		    html_problem(problems,
		    "products") == NULL ? buf_puts(&b, "<div class=\"box "
		    "error\" role=\"alert\"><p>") || html_escape(&b, i18n(lang,
		    "check_review")) || buf_puts(&b, "</p></div>") :
		    html_problems(&b, i18n(lang, "check_review"), problems,
		    true);
	if (r == 0)
		r = buf_puts(&b, "<form method=\"post\" "
		    "action=\"/evaluate-link/") ||
		    html_escape(&b, request_param(req, "token")) ||
		    buf_puts(&b, "\">");
	if (r == 0 && json_is_true(json_object_get(inv, "service")))
		r = rating_block(&b, lang, i18n(lang, "experience"), "",
		    answers, &k);
	json_array_foreach(json_object_get(inv, "products"), i, p) {
		given = NULL;
		if (answers != NULL)
			given = json_array_get(json_object_get(answers,
			    "products"), i);
		snprintf(suffix, sizeof(suffix), "_%zu", i + 1);
		snprintf(legend, sizeof(legend), "%s", html_str(p, "name"));
		product_prefix(answers, i, prefix, sizeof(prefix));
		k.prefix = prefix;
		if (r == 0)
			r = rating_block(&b, lang, legend, suffix, given, &k);
	}
	r = r || buf_puts(&b, "<button type=\"submit\">") ||
	    html_escape(&b, i18n(lang, "submit_review")) ||
	    buf_puts(&b, "</button></form>");
	return html_answer(res, status, &b, r, err);
}

static int
link_state_page(const struct request *req, struct response *res,
    enum invitation_link state, json_t *inv, struct api_error *err)
{
	const char	*lang;
	char		 link[300];

	switch (state) {
	case INVITATION_LINK_REVIEWED:
	case INVITATION_LINK_OPEN:
		lang = inv_lang(req, inv);
		snprintf(link, sizeof(link), "/b/%s",
		    html_str(json_object_get(inv, "businessUnit"), "domain"));
		return html_message(res, lang, 200, i18n(lang, "thanks"),
		    i18n(lang, "published"), link, i18n(lang, "see_on_page"),
		    err);
	case INVITATION_LINK_EXPIRED:
	case INVITATION_LINK_UNKNOWN:	/* answered by open_invitation */
		break;
	}
	return expired_page(req, res, err);
}

/* The invitation's redirectUri (reference 7.1/7.2): after the review the
 * reviewer goes back to the business's own page; the page in between says
 * where, for clients that do not follow 303. */
static int
back_to_business(const struct request *req, struct response *res,
    json_t *inv, struct api_error *err)
{
	const char	*lang = inv_lang(req, inv);
	const char	*to = html_str(inv, "redirectUri");

	if (response_header(res, "Location", to) == -1) {
		api_error_internal(err);
		return -1;
	}
	return html_message(res, lang, 303, i18n(lang, "thanks"),
	    i18n(lang, "published"), to, html_str(json_object_get(inv,
	    "businessUnit"), "displayName"), err);
}

/* An invitation link and what it leads to. */
struct inv_link {
	enum invitation_link	 state;
	json_t			*inv;	/* owned; NULL unless open or used */
};

/* Looks up the link of req into l: 1 when it is open (the caller
 * answers), 0 when the page of its state was answered, -1 with err. */
static int
open_invitation(struct request *req, struct response *res,
    struct inv_link *l, struct api_error *err)
{
	const char	*lang = pages_lang(req, NULL, NULL);
	int		 r;

	r = invitations_link(req->db, request_param(req, "token"), &l->state,
	    &l->inv);
	r = html_found_or_404(req, res, r == -1 ? -1 : l->state !=
	    INVITATION_LINK_UNKNOWN, lang, i18n(lang, "unknown_link"),
	    i18n(lang, "review_link_unknown"), err);
	if (r == 1 && l->state != INVITATION_LINK_OPEN)
		return link_state_page(req, res, l->state, l->inv, err);
	return r;
}

int
pages_invitation(ROUTE_HANDLER_PARAMS)
{
	struct inv_link	 l = { INVITATION_LINK_UNKNOWN, NULL };
	const char	*stars = request_query(req, "stars");
	json_t		*chosen = NULL;	/* owned */
	int		 r = open_invitation(req, res, &l, err);

	/* ?stars=N: the star the reviewer clicked in the e-mail */
	if (stars != NULL && stars[0] >= '1' && stars[0] <= '5' &&
	    stars[1] == '\0')
		chosen = json_pack("{s:i}", "stars", stars[0] - '0');
	if (r == 1)
		r = invitation_form(req, res, 200, l.inv, chosen, NULL, err);
	json_decref(chosen);
	json_decref(l.inv);
	return r;
}

/* One rating from the form: stars (an integer when it is one), title and
 * text; NULL when the reviewer left it all empty. */
static json_t *
form_rating(const struct request *req, const char *suffix, char *v,
    struct api_error *problems)
{
	static const char *const names[] = { "stars", "title", "text", NULL };
	json_t		*o = json_object();	/* owned */
	char		 name[48];
	size_t		 i;

	for (i = 0; o != NULL && names[i] != NULL; i++) {
		snprintf(name, sizeof(name), "%s%s", names[i], suffix);
		if (html_form_field(req, name, v, problems) != 1)
			continue;
		json_object_set_new(o, names[i], i == 0 ? html_form_number(v) :
		    json_string(v));
	}
	if (o != NULL && json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Hands the answers to invitations_redeem without the products the
 * reviewer left empty (those are not errors). */
static int
redeem(const struct request *req, json_t *answers,
    struct api_error *problems)
{
	static const char *const keys[] = { "stars", "title", "text", NULL };
	json_t	*submitted = json_object(), *kept = json_array(), *a;
	size_t	 i;
	int	 r = -1;

	if (submitted == NULL || kept == NULL)
		goto out;
	for (i = 0; keys[i] != NULL; i++) {
		if (json_object_get(answers, keys[i]) != NULL &&
		    json_object_set(submitted, keys[i],
		    json_object_get(answers, keys[i])) == -1)
			goto out;
	}
	json_array_foreach(json_object_get(answers, "products"), i, a) {
		/* more than the sku we added: the reviewer typed something */
		if (json_object_size(a) > 1 && json_array_append(kept, a) == -1)
			goto out;
	}
	if (json_object_set(submitted, "products", kept) == -1)
		goto out;
	r = invitations_redeem(req->db, request_param(req, "token"), submitted,
	    problems);
out:
	if (r == -1 && problems->status == 0)
		api_error_internal(problems);
	json_decref(submitted);
	json_decref(kept);
	return r;
}

int
pages_invitation_post(ROUTE_HANDLER_PARAMS)
{
	struct inv_link		 l = { INVITATION_LINK_UNKNOWN, NULL };
	struct api_error	 problems = { 0 };
	json_t			*inv, *answers = NULL, *rating, *p;
	char			*v = NULL;
	char			 suffix[24];
	size_t			 i;
	int			 r;

	if ((r = open_invitation(req, res, &l, err)) != 1)
		goto out;
	r = -1;
	inv = l.inv;	/* borrowed */
	if ((v = malloc(HTML_FIELD_MAX)) == NULL) {
		api_error_internal(err);
		goto out;
	}
	answers = form_rating(req, "", v, &problems);
	if (answers == NULL)
		answers = json_object();
	json_object_set_new(answers, "products", json_array());
	json_array_foreach(json_object_get(inv, "products"), i, p) {
		snprintf(suffix, sizeof(suffix), "_%zu", i + 1);
		rating = form_rating(req, suffix, v, &problems);
		if (rating == NULL)
			rating = json_object();
		json_object_set_new(rating, "sku", json_incref(json_object_get(
		    p, "sku")));
		json_array_append_new(json_object_get(answers, "products"),
		    rating);
	}
	if (problems.status == 0 && redeem(req, answers, &problems) == 0)
		r = 0;
	/* checked again: links stored before redirects were checked */
	if (r == 0 && json_url_valid(html_str(inv, "redirectUri")))
		r = back_to_business(req, res, inv, err);
	else if (r == 0)
		r = link_state_page(req, res, INVITATION_LINK_REVIEWED, inv,
		    err);
	else if (problems.status >= 500) {
		*err = problems;
		r = -1;
	} else
		r = invitation_form(req, res, problems.status, inv, answers,
		    &problems, err);
out:
	free(v);
	json_decref(l.inv);
	json_decref(answers);
	return r;
}

/* Unsubscribing: GET only asks (link scanners must not unsubscribe
 * anyone); POST does it, as RFC 8058 one-click clients expect. */
int
pages_unsubscribe(ROUTE_HANDLER_PARAMS)
{
	bool		 apply = strcmp(req->method, "POST") == 0;
	const char	*lang = pages_lang(req, NULL, NULL);
	char		 business[256], text[512];
	struct buf	 b;
	int		 r;

	r = invitations_unsubscribe(req->db, request_param(req, "token"),
	    apply, business, sizeof(business));
	if ((r = html_found_or_404(req, res, r == -1 ? -1 : r != 1, lang,
	    i18n(lang, "unknown_link"), i18n(lang, "unsubscribe_link_unknown"),
	    err)) != 1)
		return r;
	if (apply)
		return html_message(res, lang, 200, i18n(lang,
		    "unsubscribed"), i18n_format(text, sizeof(text), lang,
		    "unsubscribed_text", "business", business, NULL), NULL,
		    NULL, err);
	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, lang, i18n(lang, "unsubscribe")) ||
	    buf_puts(&b, "<div class=\"box\"><h1>") ||
	    html_escape(&b, i18n(lang, "unsubscribe")) || buf_puts(&b,
	    "</h1><p>") || html_escape(&b, i18n_format(text, sizeof(text),
	    lang, "unsubscribe_ask", "business", business, NULL)) ||
	    buf_puts(&b, "</p><form method=\"post\"><input type=\"hidden\" "
	    "name=\"List-Unsubscribe\" value=\"One-Click\"><button "
	    "type=\"submit\">") || html_escape(&b, i18n(lang,
	    "unsubscribe")) || buf_puts(&b, "</button></form></div>");
	return html_answer(res, 200, &b, r, err);
}
