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

#include "reviewd/html.h"
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

/* The edit form with the review's (or the reviewer's last) stars, title
 * and text, what was wrong with them, and the delete button. */
static int
edit_page(const struct request *req, struct response *res, int status,
    const struct review_edit *e, int64_t stars, const char *title,
    const char *text, const struct api_error *problems,
    struct api_error *err)
{
	struct buf	 b;
	char		 csrf[CSRF_LEN + 1];
	int64_t		 i;
	int		 r;

	if (csrf_cookie(req, res, csrf) == -1) {
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, "en", "Your review") ||
	    buf_puts(&b, "<h1>Your review of ") ||
	    html_escape(&b, e->business) || buf_puts(&b, "</h1>");
	if (r == 0 && problems != NULL && problems->status != 0)
		r = html_problems(&b, "Please check your review:", problems,
		    true);
	r = r || buf_puts(&b, "<form method=\"post\"><input type=\"hidden\" "
	    "name=\"csrf\" value=\"") || buf_puts(&b, csrf) ||
	    buf_puts(&b, "\"><fieldset><legend>Your rating</legend>");
	for (i = 1; r == 0 && i <= 5; i++)
		r = buf_printf(&b, "<label><input type=\"radio\" "
		    "name=\"stars\" value=\"%lld\"%s required> %lld star%s"
		    "</label>",
		    (long long)i, i == stars ? " checked" : "", (long long)i,
		    i == 1 ? "" : "s");
	r = r || buf_puts(&b, "</fieldset><label for=\"title\">Title</label>"
	    "<input type=\"text\" id=\"title\" name=\"title\" "
	    "maxlength=\"100\" required value=\"") || html_escape(&b, title) ||
	    buf_puts(&b, "\"><label for=\"text\">Your review</label><textarea "
	    "id=\"text\" name=\"text\" maxlength=\"5000\" required>") ||
	    html_escape(&b, text) || buf_puts(&b, "</textarea><button "
	    "type=\"submit\">Save changes</button></form><form method=\"post\">"
	    "<input type=\"hidden\" name=\"csrf\" value=\"") ||
	    buf_puts(&b, csrf) || buf_puts(&b, "\"><input type=\"hidden\" "
	    "name=\"action\" value=\"delete\"><p>Deleting takes your review "
	    "off the page for good.</p><button type=\"submit\">Delete my "
	    "review</button></form>");
	return html_answer(res, status, &b, r, err);
}

/* The page of a link that leads to no open review: 1 when e is open (the
 * caller answers), 0 when answered, -1 with err. */
static int
closed_page(struct response *res, const struct review_edit *e,
    struct api_error *err)
{
	switch (e->state) {
	case REVIEW_EDIT_OPEN:
		return 1;
	case REVIEW_EDIT_UNKNOWN:
		break;
	case REVIEW_EDIT_EXPIRED:
		return html_message(res, "en", 410, "This link has expired",
		    "Ask for a new link on the business's review page.", NULL,
		    NULL, err);
	case REVIEW_EDIT_UNCONFIRMED:
		return html_message(res, "en", 409, "Not published yet",
		    "Confirm your review from its e-mail first; then this "
		    "link lets you change or delete it.", NULL, NULL, err);
	case REVIEW_EDIT_DELETED:
		return html_message(res, "en", 410, "Review deleted",
		    "You deleted this review.", NULL, NULL, err);
	case REVIEW_EDIT_REMOVED:
		return html_message(res, "en", 409, "Review removed",
		    "This review was removed after a report and cannot be "
		    "changed.", NULL, NULL, err);
	}
	return html_message(res, "en", 404, "Unknown link", "This link is not "
	    "valid.", NULL, NULL, err);
}

int
pages_review_edit(struct request *req, struct response *res,
    struct api_error *err)
{
	struct review_edit	 e;
	int			 r;

	if (reviews_edit_find(req->db, request_param(req, "token"),
	    &e) == -1) {
		db_fail(req->db, err);
		return -1;
	}
	if ((r = closed_page(res, &e, err)) == 1)
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
		return html_message(res, "en", 409, "This review cannot be "
		    "changed", problems->message[0] != '\0' ?
		    problems->message : "Its state does not allow it.", NULL,
		    NULL, err);
	/* changed meanwhile (deleted, expired): say what it is now */
	now.state = problems->status == 410 ? REVIEW_EDIT_EXPIRED :
	    problems->status == 404 ? REVIEW_EDIT_UNKNOWN :
	    REVIEW_EDIT_DELETED;
	return closed_page(res, &now, err);
}

int
pages_review_edit_post(struct request *req, struct response *res,
    struct api_error *err)
{
	const char		*token = request_param(req, "token");
	const char		*ctype = request_header(req, "Content-Type");
	struct review_edit	 e;
	struct review_change	 ch;
	struct api_error	 problems;
	json_t			*values = NULL;	/* owned */
	char			 action[16], link[300];
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
	if ((r = closed_page(res, &e, err)) != 1)
		goto out;
	if (!csrf_ok(req)) {
		r = html_message(res, "en", 403, "Please try again",
		    "This form expired or did not come from our page. Open "
		    "the link from your e-mail again.", NULL, NULL, err);
		goto out;
	}
	memset(&problems, 0, sizeof(problems));
	memset(&ch, 0, sizeof(ch));
	snprintf(link, sizeof(link), "/b/%s", e.domain);
	if (request_form_value(req->body, req->body_len, "action", action,
	    sizeof(action)) == 0 && strcmp(action, "delete") == 0) {
		if (reviews_edit_delete(req->db, token, &problems) == 0)
			r = html_message(res, "en", 200, "Review deleted",
			    "Your review is deleted.", link,
			    "Back to the page", err);
		else
			r = refused(req, res, &e, NULL, &problems, err);
		goto out;
	}
	if ((values = form_values(req, &problems)) == NULL) {
		api_error_set(err, 500, NULL, "Internal error");
		r = -1;
		goto out;
	}
	if (problems.status == 0 &&
	    reviews_edit_input(values, &ch, &problems) == 0 &&
	    reviews_edit_apply(req->db, token, &ch, &problems) == 0)
		r = html_message(res, "en", 200, "Review saved",
		    "Your review is updated.", link, "See it on the page",
		    err);
	else
		r = refused(req, res, &e, values, &problems, err);
out:
	json_decref(values);
	reviews_edit_release(&e);
	return r;
}

/* The request form for a new link. */
int
pages_review_edit_link(struct request *req, struct response *res,
    struct api_error *err)
{
	struct buf	 b;
	int		 r;

	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, "en", "Change or delete your review") ||
	    buf_puts(&b, "<h1>Change or delete your review</h1><p>Give the "
	    "e-mail address you wrote your review of ") ||
	    html_escape(&b, request_param(req, "businessDomain")) ||
	    buf_puts(&b, " with. We mail it a link to change or delete the "
	    "review.</p><form method=\"post\"><label for=\"email\">Your e-mail"
	    "</label><input type=\"email\" id=\"email\" name=\"email\" "
	    "required><button type=\"submit\">Mail me a link</button></form>");
	return html_answer(res, 200, &b, r, err);
}

int
pages_review_edit_link_post(struct request *req, struct response *res,
    struct api_error *err)
{
	const char		*domain = request_param(req, "businessDomain");
	struct api_error	 problems;
	char			*email = malloc(HTML_FIELD_MAX);
	int			 r = -1;

	memset(&problems, 0, sizeof(problems));
	if (email == NULL) {
		api_error_set(err, 500, NULL, "Internal error");
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
		r = html_message(res, "en", 200, "Check your e-mail", "If this "
		    "address wrote a review here, we mailed it a link to "
		    "change or delete it. A new link is mailed at most once "
		    "an hour.", NULL, NULL, err);
out:
	free(email);
	return r;
}
