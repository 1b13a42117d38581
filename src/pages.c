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
#include "reviewd/invitations_links.h"
#include "reviewd/invitations_unsubscribe.h"
#include "reviewd/json.h"
#include "reviewd/pages.h"
#include "reviewd/reviews.h"

#define PER_PAGE	20

static int
stars(struct buf *b, json_int_t n)
{
	json_int_t	 i;

	if (buf_printf(b, "<span class=\"stars\" aria-label=\"%d of 5 "
	    "stars\">", (int)n) == -1)
		return -1;
	for (i = 1; i <= 5; i++) {
		if (buf_puts(b, i <= n ? "\xe2\x98\x85" : "\xe2\x98\x86") == -1)
			return -1;
	}
	return buf_puts(b, "</span>");
}

static int
review_article(struct buf *b, json_t *r, const char *business)
{
	json_t		*consumer = json_object_get(r, "consumer");
	json_t		*reply = json_object_get(r, "companyReply");
	char		 date[11];

	snprintf(date, sizeof(date), "%.10s", html_str(r, "createdAt"));
	if (buf_puts(b, "<article id=\"review-") || html_escape(b,
	    html_str(r, "id")) || buf_puts(b, "\">") ||
	    stars(b, json_integer_value(json_object_get(r, "stars"))) ||
	    buf_puts(b, "<h3>") || html_escape(b, html_str(r, "title")) ||
	    buf_puts(b, "</h3><p class=\"meta\">") ||
	    html_escape(b, html_str(consumer, "displayName")) ||
	    buf_puts(b, " &middot; ") || html_escape(b, date) ||
	    buf_puts(b, "</p><p>"))
		return -1;
	if (json_is_true(json_object_get(r, "isVerified")) &&
	    buf_puts(b, "<span class=\"label\">Verified</span>"))
		return -1;
	if (json_is_true(json_object_get(r, "reviewerContacted")) &&
	    buf_puts(b, "<span class=\"label contacted\">Reviewer "
	    "contacted</span>"))
		return -1;
	if (buf_puts(b, "</p><p>") || html_escape(b, html_str(r, "text")) ||
	    buf_puts(b, "</p>"))
		return -1;
	if (json_is_object(reply) && (buf_puts(b, "<div class=\"reply\">"
	    "<strong>Reply from ") || html_escape(b, business) ||
	    buf_puts(b, "</strong><p>") || html_escape(b, html_str(reply,
	    "text")) || buf_puts(b, "</p></div>")))
		return -1;
	return buf_puts(b, "</article>");
}

/* The business unit of the address's domain, into arg (a json_t **). */
static int
find_unit(struct request *req, void *arg, struct api_error *err)
{
	if (business_public_by_domain(req->db, request_param(req,
	    "businessDomain"), req->cfg->public_url, arg, err) == 0)
		return 1;
	if (err->status != 404)
		return -1;
	memset(err, 0, sizeof(*err));
	return 0;
}

/* The business of the address, or its 404 page: as html_found_or_404. */
static int
unit_or_404(struct request *req, struct response *res, json_t **unit,
    struct api_error *err)
{
	return html_found_or_404(req, res, find_unit, unit, "Not found",
	    "No business with this address is on this site.", err);
}

int
pages_profile(struct request *req, struct response *res,
    struct api_error *err)
{
	const char	*domain = request_param(req, "businessDomain");
	json_t		*unit = NULL, *data = NULL, *r, *counts, *score;
	struct buf	 b;
	int64_t		 page = 1;
	size_t		 i;
	int		 ok, ret = -1;

	buf_init(&b, HTML_PAGE_CAP);
	if (request_query_int(req, "page", 1, 100000, &page, err) == -1)
		return -1;
	if ((ret = unit_or_404(req, res, &unit, err)) != 1)
		return ret;
	ret = -1;
	if (reviews_page_data(req->db, domain, page, PER_PAGE, &data,
	    err) == -1)
		goto out;
	counts = json_object_get(unit, "numberOfReviews");
	score = json_object_get(unit, "score");
	ok = html_start(&b, html_str(unit, "displayName")) == 0 &&
	    buf_puts(&b, "<div class=\"box\"><h1>") == 0 &&
	    html_escape(&b, html_str(unit, "displayName")) == 0 &&
	    buf_printf(&b, "</h1><p>TrustScore <strong>%.1f</strong> "
	    "&middot; %lld review%s</p>", json_number_value(json_object_get(
	    score, "trustScore")), (long long)json_integer_value(
	    json_object_get(counts, "total")), json_integer_value(
	    json_object_get(counts, "total")) == 1 ? "" : "s") == 0 &&
	    buf_puts(&b, "<p><a href=\"/review/") == 0 &&
	    html_escape(&b, domain) == 0 &&
	    buf_puts(&b, "\">Write a review</a></p></div>") == 0;
	json_array_foreach(json_object_get(data, "reviews"), i, r) {
		if (ok)
			ok = review_article(&b, r, html_str(unit,
			    "displayName")) == 0;
	}
	if (ok && json_array_size(json_object_get(data, "reviews")) == 0)
		ok = buf_puts(&b, "<p>No reviews yet.</p>") == 0;
	if (ok)
		ok = buf_puts(&b, "<nav>") == 0;
	if (ok && page > 1)
		ok = buf_printf(&b, "<a href=\"?page=%lld\">Newer</a>",
		    (long long)page - 1) == 0;
	if (ok && json_is_true(json_object_get(data, "hasMore")))
		ok = buf_printf(&b, "<a href=\"?page=%lld\">Older</a>",
		    (long long)page + 1) == 0;
	ret = html_answer(res, 200, &b, !ok || buf_puts(&b, "</nav>"), err);
out:
	buf_release(&b);
	json_decref(unit);
	json_decref(data);
	return ret;
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
	json_int_t	 chosen = json_integer_value(json_object_get(values,
			    "stars"));
	size_t		 i;
	int		 r;

	if (sku[0] == '\0' && request_query(req, "sku") != NULL)
		sku = request_query(req, "sku");
	buf_init(&b, HTML_PAGE_CAP);
	r = html_start(&b, "Write a review") || buf_puts(&b, "<h1>Review ") ||
	    html_escape(&b, html_str(unit, "displayName")) ||
	    buf_puts(&b, "</h1>");
	if (r == 0 && problems != NULL && problems->status != 0)
		r = html_problems(&b, "Please check your review:", problems,
		    true);
	if (r == 0)
		r = buf_puts(&b, "<form method=\"post\" action=\"/review/") ||
		    html_escape(&b, domain) || buf_puts(&b, source != NULL &&
		    strcmp(source, "invitation") == 0 ? "?source=invitation" :
		    "") || buf_puts(&b, "\"><fieldset><legend>Your rating"
		    "</legend>");
	for (i = 1; r == 0 && i <= 5; i++)
		r = buf_printf(&b, "<label><input type=\"radio\" "
		    "name=\"stars\" value=\"%zu\"%s required> %zu star%s"
		    "</label>", i, (json_int_t)i == chosen ? " checked" : "",
		    i, i == 1 ? "" : "s");
	if (r == 0)
		r = buf_puts(&b, "</fieldset><label for=\"title\">Title</label>"
		    "<input type=\"text\" id=\"title\" name=\"title\" "
		    "maxlength=\"100\" required value=\"") ||
		    html_escape(&b, html_str(values, "title")) ||
		    buf_puts(&b, "\"><label for=\"text\">Your review</label>"
		    "<textarea id=\"text\" name=\"text\" maxlength=\"5000\" "
		    "required>") || html_escape(&b, html_str(values, "text")) ||
		    buf_puts(&b, "</textarea><label for=\"name\">Your name"
		    "</label><input type=\"text\" id=\"name\" name=\"name\" "
		    "maxlength=\"100\" required value=\"") ||
		    html_escape(&b, html_str(values, "name")) ||
		    buf_puts(&b, "\"><label><input type=\"checkbox\" "
		    "name=\"anonymous\" value=\"1\"") ||
		    buf_puts(&b, json_is_true(json_object_get(values,
		    "anonymous")) ? " checked" : "") ||
		    buf_puts(&b, "> Show my review without my name</label>"
		    "<label for=\"email\">Your e-mail (we send you a link to "
		    "confirm; it is never shown)</label><input type=\"email\" "
		    "id=\"email\" name=\"email\" required value=\"") ||
		    html_escape(&b, html_str(values, "email")) ||
		    buf_puts(&b, "\">");
	if (r == 0 && sku[0] != '\0')
		r = buf_puts(&b, "<input type=\"hidden\" name=\"sku\" "
		    "value=\"") || html_escape(&b, sku) || buf_puts(&b, "\">");
	r = r || buf_puts(&b, "<button type=\"submit\">Submit review</button>"
	    "</form>");
	/* issue 14: a reviewer who lost the link of their own review */
	r = r || buf_puts(&b, "<p><a href=\"/review/edit-link/") ||
	    html_escape(&b, domain) || buf_puts(&b, "\">Change or delete a "
	    "review you wrote</a></p>");
	return html_answer(res, status, &b, r, err);
}

int
pages_review_form(struct request *req, struct response *res,
    struct api_error *err)
{
	json_t	*unit = NULL;	/* owned */
	int	 r = unit_or_404(req, res, &unit, err);

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
	    "email", "sku", "language", "country", NULL };
	json_t		*o = json_object();	/* owned */
	char		*v = malloc(HTML_FIELD_MAX);
	size_t		 i;

	if (o == NULL || v == NULL)
		goto fail;
	if (html_form_field(req, "stars", v, problems) == 1 &&
	    json_object_set_new(o, "stars", html_form_number(v)) == -1)
		goto fail;
	for (i = 0; fields[i] != NULL; i++) {
		if (html_form_field(req, fields[i], v, problems) == 1 &&
		    json_object_set_new(o, fields[i], json_string(v)) == -1)
			goto fail;
	}
	if (html_form_field(req, "anonymous", v, problems) == 1 &&
	    json_object_set_new(o, "anonymous", json_boolean(strcmp(v, "0") !=
	    0)) == -1)
		goto fail;
	free(v);
	return o;
fail:
	free(v);
	json_decref(o);
	return NULL;
}

int
pages_review_post(struct request *req, struct response *res,
    struct api_error *err)
{
	const char		*ctype = request_header(req, "Content-Type");
	struct review_input	 in;
	struct api_error	 problems;
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
	if ((r = unit_or_404(req, res, &unit, err)) != 1)
		return r;
	memset(&in, 0, sizeof(in));
	memset(&problems, 0, sizeof(problems));
	values = form_json(req, &problems);
	if (values == NULL) {
		json_decref(unit);
		api_error_set(err, 500, NULL, "Internal error");
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
		r = html_message(res, 200, "Check your e-mail", "We sent you "
		    "a link. Open it to confirm your address and publish "
		    "your review.", NULL, NULL, err);
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
struct confirm {
	bool			 apply;
	enum review_confirm	 result;
	char			 domain[256];
};

static int
find_confirm(struct request *req, void *arg, struct api_error *err)
{
	struct confirm	*c = arg;

	(void)err;
	if (reviews_confirm(req->db, req->cfg, request_param(req, "token"),
	    c->apply, &c->result, c->domain, sizeof(c->domain)) == -1)
		return -1;
	return c->result != REVIEW_CONFIRM_UNKNOWN;
}

int
pages_review_confirm(struct request *req, struct response *res,
    struct api_error *err)
{
	struct confirm	 c = { .apply = strcmp(req->method, "POST") == 0 };
	char		 link[300], text[200];
	const char	*domain = c.domain;
	struct buf	 b;
	int		 r;

	if ((r = html_found_or_404(req, res, find_confirm, &c, "Unknown link",
	    "This confirmation link is not valid.", err)) != 1)
		return r;
	snprintf(link, sizeof(link), "/b/%s", domain);
	switch (c.result) {
	case REVIEW_CONFIRM_PENDING:
		buf_init(&b, HTML_PAGE_CAP);
		r = html_start(&b, "Publish your review") || buf_puts(&b,
		    "<div class=\"box\"><h1>Publish your review</h1><p>"
		    "Your review of ") || html_escape(&b, domain) ||
		    buf_puts(&b, " is ready. Publish it now?</p><form "
		    "method=\"post\"><button type=\"submit\">Publish my "
		    "review</button></form></div>");
		return html_answer(res, 200, &b, r, err);
	case REVIEW_CONFIRMED:
		return html_message(res, 200, "Thank you", "Your review is "
		    "published.", link, "See it on the page", err);
	case REVIEW_CONFIRM_EXPIRED:
		return html_message(res, 410, "This link has expired", "The "
		    "review was not confirmed in time and was not published. "
		    "You are welcome to write it again.", NULL, NULL, err);
	case REVIEW_CONFIRM_DUPLICATE:
	case REVIEW_CONFIRM_UNKNOWN:	/* answered by html_found_or_404 */
		break;
	}
	snprintf(text, sizeof(text), "You already published a review of this "
	    "in the last %lld days, so this one was not published. Your "
	    "earlier review stays as it is.",
	    (long long)req->cfg->review_duplicate_days);
	return html_message(res, 409, "Already reviewed", text, link,
	    "See your review on the page", err);
}
