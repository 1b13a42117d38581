/*
 * pages: HTML for reviewers and visitors. Stateless; HTTP worker threads.
 * Every value that is not a constant of this file goes through
 * pages_escape. Pages are answered with a strict Content-Security-Policy
 * (no scripts at all) and never framed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reviewd/business.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/findreviewer.h"
#include "reviewd/invitations_links.h"
#include "reviewd/invitations_unsubscribe.h"
#include "reviewd/json.h"
#include "reviewd/pages.h"
#include "reviewd/reviews.h"

#define PAGE_CAP	(2 * 1024 * 1024)
#define PER_PAGE	20
#define FIELD_MAX	(5000 * 4 + 1)

int
pages_escape(struct buf *out, const char *s)
{
	const char	*run = s;

	for (; *s != '\0'; s++) {
		const char	*rep;

		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		if (buf_append(out, run, (size_t)(s - run)) == -1 ||
		    buf_puts(out, rep) == -1)
			return -1;
		run = s + 1;
	}
	return buf_append(out, run, (size_t)(s - run));
}

static const char css[] =
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;"
    "background:#f6f6f4}main{max-width:44rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.6rem;margin:.5rem 0}article,form,.box{background:#fff;"
    "border:1px solid #ddd;border-radius:8px;padding:1rem;margin:1rem 0}"
    ".stars{color:#00a36c;font-size:1.2rem;letter-spacing:2px}"
    ".label{display:inline-block;font-size:.8rem;border-radius:4px;"
    "padding:0 .4rem;margin-right:.3rem;background:#e8f5ee;color:#0b6b45}"
    ".label.contacted{background:#fff4e0;color:#8a5300}"
    ".reply{border-left:3px solid #ccc;padding-left:.8rem;margin-top:.8rem}"
    ".meta{color:#666;font-size:.9rem}.error{color:#a40000}"
    "label{display:block;margin:.6rem 0 .2rem}input[type=text],"
    "input[type=email],textarea,select{width:100%;box-sizing:border-box;"
    "padding:.5rem;font:inherit}textarea{min-height:8rem}"
    "button{font:inherit;padding:.5rem 1.2rem;margin-top:1rem;"
    "background:#00a36c;color:#fff;border:0;border-radius:6px}"
    "nav a{margin-right:1rem}";

static int
start(struct buf *b, const char *title)
{
	return buf_puts(b, "<!doctype html><html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"><title>") ||
	    pages_escape(b, title) || buf_printf(b, "</title><style>%s"
	    "</style></head><body><main>", css);
}

static int
finish(struct buf *b)
{
	return buf_puts(b, "</main></body></html>\n");
}

/* Hands the page to the response with the headers every page carries. */
static int
send_page(struct response *res, int status, struct buf *b,
    struct api_error *err)
{
	size_t	 len;
	char	*body = buf_detach(b, &len);

	if (body == NULL || response_header(res, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "form-action 'self'; frame-ancestors 'none'") == -1 ||
	    response_header(res, "X-Content-Type-Options", "nosniff") == -1 ||
	    response_header(res, "Referrer-Policy", "no-referrer") == -1) {
		free(body);
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	res->status = status;
	res->body = body;
	res->body_len = len;
	res->content_type = "text/html; charset=utf-8";
	return 0;
}

/* A short page with a heading and one paragraph. */
static int
message_page(struct response *res, int status, const char *title,
    const char *text, const char *link, const char *link_text,
    struct api_error *err)
{
	struct buf	 b;
	int		 r;

	buf_init(&b, PAGE_CAP);
	r = start(&b, title) || buf_puts(&b, "<div class=\"box\"><h1>") ||
	    pages_escape(&b, title) || buf_puts(&b, "</h1><p>") ||
	    pages_escape(&b, text) || buf_puts(&b, "</p>");
	if (r == 0 && link != NULL)
		r = buf_puts(&b, "<p><a href=\"") || pages_escape(&b, link) ||
		    buf_puts(&b, "\">") || pages_escape(&b, link_text) ||
		    buf_puts(&b, "</a></p>");
	if (r != 0 || buf_puts(&b, "</div>") || finish(&b)) {
		buf_release(&b);
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	return send_page(res, status, &b, err);
}

int
pages_message(struct response *res, int status, const char *title,
    const char *text, struct api_error *err)
{
	return message_page(res, status, title, text, NULL, NULL, err);
}

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

static const char *
str(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static int
review_article(struct buf *b, json_t *r, const char *business)
{
	json_t		*consumer = json_object_get(r, "consumer");
	json_t		*reply = json_object_get(r, "companyReply");
	char		 date[11];

	snprintf(date, sizeof(date), "%.10s", str(r, "createdAt"));
	if (buf_puts(b, "<article id=\"review-") || pages_escape(b,
	    str(r, "id")) || buf_puts(b, "\">") ||
	    stars(b, json_integer_value(json_object_get(r, "stars"))) ||
	    buf_puts(b, "<h3>") || pages_escape(b, str(r, "title")) ||
	    buf_puts(b, "</h3><p class=\"meta\">") ||
	    pages_escape(b, str(consumer, "displayName")) ||
	    buf_puts(b, " &middot; ") || pages_escape(b, date) ||
	    buf_puts(b, "</p><p>"))
		return -1;
	if (json_is_true(json_object_get(r, "isVerified")) &&
	    buf_puts(b, "<span class=\"label\">Verified</span>"))
		return -1;
	if (json_is_true(json_object_get(r, "reviewerContacted")) &&
	    buf_puts(b, "<span class=\"label contacted\">Reviewer "
	    "contacted</span>"))
		return -1;
	if (buf_puts(b, "</p><p>") || pages_escape(b, str(r, "text")) ||
	    buf_puts(b, "</p>"))
		return -1;
	if (json_is_object(reply) && (buf_puts(b, "<div class=\"reply\">"
	    "<strong>Reply from ") || pages_escape(b, business) ||
	    buf_puts(b, "</strong><p>") || pages_escape(b, str(reply,
	    "text")) || buf_puts(b, "</p></div>")))
		return -1;
	return buf_puts(b, "</article>");
}

int
pages_profile(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = db_thread();
	const char	*domain = request_param(req, "businessDomain");
	json_t		*unit = NULL, *data = NULL, *r, *counts, *score;
	struct buf	 b;
	int64_t		 page = 1;
	size_t		 i;
	int		 ok, ret = -1;

	buf_init(&b, PAGE_CAP);
	if (request_query_int(req, "page", 1, 100000, &page, err) == -1)
		return -1;
	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (business_public_by_domain(db, domain, req->cfg->public_url, &unit,
	    err) == -1) {
		if (err->status != 404)
			return -1;
		memset(err, 0, sizeof(*err));
		return message_page(res, 404, "Not found", "No business with "
		    "this address is on this site.", NULL, NULL, err);
	}
	if (reviews_page_data(db, domain, page, PER_PAGE, &data, err) == -1)
		goto out;
	counts = json_object_get(unit, "numberOfReviews");
	score = json_object_get(unit, "score");
	ok = start(&b, str(unit, "displayName")) == 0 &&
	    buf_puts(&b, "<div class=\"box\"><h1>") == 0 &&
	    pages_escape(&b, str(unit, "displayName")) == 0 &&
	    buf_printf(&b, "</h1><p>TrustScore <strong>%.1f</strong> "
	    "&middot; %lld review%s</p>", json_number_value(json_object_get(
	    score, "trustScore")), (long long)json_integer_value(
	    json_object_get(counts, "total")), json_integer_value(
	    json_object_get(counts, "total")) == 1 ? "" : "s") == 0 &&
	    buf_puts(&b, "<p><a href=\"/review/") == 0 &&
	    pages_escape(&b, domain) == 0 &&
	    buf_puts(&b, "\">Write a review</a></p></div>") == 0;
	json_array_foreach(json_object_get(data, "reviews"), i, r) {
		if (ok)
			ok = review_article(&b, r, str(unit,
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
	if (!ok || buf_puts(&b, "</nav>") || finish(&b)) {
		api_error_set(err, 500, NULL, "Internal error");
		goto out;
	}
	ret = send_page(res, 200, &b, err);
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
	const char	*sku = str(values, "sku");
	json_int_t	 chosen = json_integer_value(json_object_get(values,
			    "stars"));
	size_t		 i;
	int		 r;

	if (sku[0] == '\0' && request_query(req, "sku") != NULL)
		sku = request_query(req, "sku");
	buf_init(&b, PAGE_CAP);
	r = start(&b, "Write a review") || buf_puts(&b, "<h1>Review ") ||
	    pages_escape(&b, str(unit, "displayName")) || buf_puts(&b, "</h1>");
	if (r == 0 && problems != NULL && problems->status != 0) {
		r = buf_puts(&b, "<div class=\"box error\" role=\"alert\">"
		    "<p>Please check your review:</p><ul>");
		if (r == 0 && problems->ndetails == 0)
			r = buf_puts(&b, "<li>") ||
			    pages_escape(&b, problems->message) ||
			    buf_puts(&b, "</li>");
		for (i = 0; r == 0 && i < problems->ndetails; i++)
			r = buf_puts(&b, "<li>") || pages_escape(&b,
			    problems->details[i].field) || buf_puts(&b, " ") ||
			    pages_escape(&b, problems->details[i].reason) ||
			    buf_puts(&b, "</li>");
		if (r == 0)
			r = buf_puts(&b, "</ul></div>");
	}
	if (r == 0)
		r = buf_puts(&b, "<form method=\"post\" action=\"/review/") ||
		    pages_escape(&b, domain) || buf_puts(&b, source != NULL &&
		    strcmp(source, "invitation") == 0 ? "?source=invitation" :
		    "") || buf_puts(&b, "\"><fieldset><legend>Your rating"
		    "</legend>");
	for (i = 1; r == 0 && i <= 5; i++)
		r = buf_printf(&b, "<label><input type=\"radio\" name=\"stars\" "
		    "value=\"%zu\"%s required> %zu star%s</label>", i,
		    (json_int_t)i == chosen ? " checked" : "", i,
		    i == 1 ? "" : "s");
	if (r == 0)
		r = buf_puts(&b, "</fieldset><label for=\"title\">Title</label>"
		    "<input type=\"text\" id=\"title\" name=\"title\" "
		    "maxlength=\"100\" required value=\"") ||
		    pages_escape(&b, str(values, "title")) ||
		    buf_puts(&b, "\"><label for=\"text\">Your review</label>"
		    "<textarea id=\"text\" name=\"text\" maxlength=\"5000\" "
		    "required>") || pages_escape(&b, str(values, "text")) ||
		    buf_puts(&b, "</textarea><label for=\"name\">Your name"
		    "</label><input type=\"text\" id=\"name\" name=\"name\" "
		    "maxlength=\"100\" required value=\"") ||
		    pages_escape(&b, str(values, "name")) ||
		    buf_puts(&b, "\"><label><input type=\"checkbox\" "
		    "name=\"anonymous\" value=\"1\"") ||
		    buf_puts(&b, json_is_true(json_object_get(values,
		    "anonymous")) ? " checked" : "") ||
		    buf_puts(&b, "> Show my review without my name</label>"
		    "<label for=\"email\">Your e-mail (we send you a link to "
		    "confirm; it is never shown)</label><input type=\"email\" "
		    "id=\"email\" name=\"email\" required value=\"") ||
		    pages_escape(&b, str(values, "email")) ||
		    buf_puts(&b, "\">");
	if (r == 0 && sku[0] != '\0')
		r = buf_puts(&b, "<input type=\"hidden\" name=\"sku\" "
		    "value=\"") || pages_escape(&b, sku) || buf_puts(&b, "\">");
	if (r != 0 || buf_puts(&b, "<button type=\"submit\">Submit review"
	    "</button></form>") || finish(&b)) {
		buf_release(&b);
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	return send_page(res, status, &b, err);
}

static int
unit_or_404(const struct request *req, struct response *res, json_t **unit,
    struct api_error *err)
{
	struct db	*db = db_thread();

	if (db == NULL) {
		db_fail(db, err);
		return -1;
	}
	if (business_public_by_domain(db, request_param(req,
	    "businessDomain"), req->cfg->public_url, unit, err) == 0)
		return 0;
	if (err->status == 404) {
		memset(err, 0, sizeof(*err));
		if (message_page(res, 404, "Not found", "No business with "
		    "this address is on this site.", NULL, NULL, err) == 0)
			return 1;
	}
	return -1;
}

int
pages_review_form(struct request *req, struct response *res,
    struct api_error *err)
{
	json_t	*unit = NULL;	/* owned */
	int	 r = unit_or_404(req, res, &unit, err);

	if (r != 0)
		return r == 1 ? 0 : -1;
	r = form_page(req, res, 200, unit, NULL, NULL, err);
	json_decref(unit);
	return r;
}

/* The form fields as the JSON the API takes, so one validator serves
 * both: stars becomes an integer when it is one, or stays text and is
 * refused as "must be an integer". */
/* One form field into v: 1 when it has a value, 0 when absent or empty,
 * -1 when present but unusable, which is recorded in problems. */
static int
form_field(const struct request *req, const char *name, char *v,
    struct api_error *problems)
{
	int	 r = request_form_value(req->body, req->body_len, name, v,
		    FIELD_MAX);

	if (r == -2) {
		api_error_set(problems, 400, name, "is not UTF-8 text or is "
		    "too long");
		return -1;
	}
	return r == 0 && v[0] != '\0';
}

/* A whole-number form value as a JSON integer, anything else as text for
 * the validator to name. */
static json_t *
form_number(const char *v)
{
	char		*end;
	long long	 n = strtoll(v, &end, 10);

	return *end == '\0' ? json_integer(n) : json_string(v);
}

/* The review form's fields as the JSON the API takes, so both go through
 * one validator. Unusable fields are recorded in problems. */
static json_t *
form_json(const struct request *req, struct api_error *problems)
{
	static const char *const fields[] = { "title", "text", "name",
	    "email", "sku", "language", "country", NULL };
	json_t		*o = json_object();	/* owned */
	char		*v = malloc(FIELD_MAX);
	size_t		 i;

	if (o == NULL || v == NULL)
		goto fail;
	if (form_field(req, "stars", v, problems) == 1 &&
	    json_object_set_new(o, "stars", form_number(v)) == -1)
		goto fail;
	for (i = 0; fields[i] != NULL; i++) {
		if (form_field(req, fields[i], v, problems) == 1 &&
		    json_object_set_new(o, fields[i], json_string(v)) == -1)
			goto fail;
	}
	if (form_field(req, "anonymous", v, problems) == 1 &&
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
	struct db		*db = db_thread();
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
	if ((r = unit_or_404(req, res, &unit, err)) != 0)
		return r == 1 ? 0 : -1;
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
	    db != NULL && reviews_submit(db, req->cfg, &in, id,
	    &problems) == 0) {
		r = message_page(res, 200, "Check your e-mail", "We sent you "
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
static int
review_confirm(struct request *req, struct response *res,
    struct api_error *err, bool apply)
{
	struct db		*db = db_thread();
	enum review_confirm	 result;
	char			 domain[256] = "", link[300], text[200];
	struct buf		 b;

	if (db == NULL || reviews_confirm(db, req->cfg, request_param(req,
	    "token"), apply, &result, domain, sizeof(domain)) == -1) {
		db_fail(db, err);
		return -1;
	}
	snprintf(link, sizeof(link), "/b/%s", domain);
	switch (result) {
	case REVIEW_CONFIRM_PENDING:
		buf_init(&b, PAGE_CAP);
		if (start(&b, "Publish your review") || buf_puts(&b,
		    "<div class=\"box\"><h1>Publish your review</h1><p>"
		    "Your review of ") || pages_escape(&b, domain) ||
		    buf_puts(&b, " is ready. Publish it now?</p><form "
		    "method=\"post\"><button type=\"submit\">Publish my "
		    "review</button></form></div>") || finish(&b)) {
			buf_release(&b);
			api_error_set(err, 500, NULL, "Internal error");
			return -1;
		}
		return send_page(res, 200, &b, err);
	case REVIEW_CONFIRMED:
		return message_page(res, 200, "Thank you", "Your review is "
		    "published.", link, "See it on the page", err);
	case REVIEW_CONFIRM_EXPIRED:
		return message_page(res, 410, "This link has expired", "The "
		    "review was not confirmed in time and was not published. "
		    "You are welcome to write it again.", NULL, NULL, err);
	case REVIEW_CONFIRM_DUPLICATE:
		snprintf(text, sizeof(text), "You already published a review "
		    "of this in the last %lld days, so this one was not "
		    "published. Your earlier review stays as it is.",
		    (long long)req->cfg->review_duplicate_days);
		return message_page(res, 409, "Already reviewed", text, link,
		    "See your review on the page", err);
	case REVIEW_CONFIRM_UNKNOWN:
		break;
	}
	return message_page(res, 404, "Unknown link", "This confirmation "
	    "link is not valid.", NULL, NULL, err);
}

int
pages_review_confirm(struct request *req, struct response *res,
    struct api_error *err)
{
	return review_confirm(req, res, err, false);
}

int
pages_review_confirm_post(struct request *req, struct response *res,
    struct api_error *err)
{
	return review_confirm(req, res, err, true);
}

/* Personal invitation links, in the reviewer's language. */

struct words {
	const char	*lang;
	const char	*write, *review_of, *hello, *intro, *experience;
	const char	*title, *text, *submit, *star, *stars, *check;
	const char	*thanks, *published, *see, *expired, *expired_text;
	const char	*unknown, *unknown_text;
};

static const struct words words[] = {
	{ "en", "Write a review", "Review", "Hello", "thank you for taking a "
	    "minute. Your review will show as verified.", "Your experience "
	    "with the business", "Title", "Your review", "Submit review",
	    "star", "stars", "Please check your review:", "Thank you",
	    "Your review was published.", "See it on the page",
	    "This link has expired", "This review link is no longer valid.",
	    "Unknown link", "This review link is not valid." },
	{ "de", "Bewertung schreiben", "Bewerten Sie", "Hallo", "danke, dass "
	    "Sie sich eine Minute Zeit nehmen. Ihre Bewertung wird als "
	    "verifiziert angezeigt.", "Ihre Erfahrung mit dem Unternehmen",
	    "Titel", "Ihre Bewertung", "Bewertung abschicken", "Stern",
	    "Sterne", "Bitte prüfen Sie Ihre Bewertung:", "Vielen Dank",
	    "Ihre Bewertung wurde veröffentlicht.", "Auf der Seite ansehen",
	    "Dieser Link ist abgelaufen", "Dieser Bewertungslink ist nicht "
	    "mehr gültig.", "Unbekannter Link", "Dieser Bewertungslink ist "
	    "ungültig." },
	{ "fr", "Donner votre avis", "Donnez votre avis sur", "Bonjour",
	    "merci de prendre une minute. Votre avis sera affiché comme "
	    "vérifié.", "Votre expérience avec l'entreprise", "Titre",
	    "Votre avis", "Envoyer l'avis", "étoile", "étoiles",
	    "Veuillez vérifier votre avis :", "Merci",
	    "Votre avis a été publié.", "Le voir sur la page",
	    "Ce lien a expiré", "Ce lien d'avis n'est plus valable.",
	    "Lien inconnu", "Ce lien d'avis n'est pas valable." },
	{ "da", "Skriv en anmeldelse", "Anmeld", "Hej", "tak fordi du tager "
	    "et minut. Din anmeldelse vises som verificeret.", "Din oplevelse "
	    "med virksomheden", "Titel", "Din anmeldelse", "Send anmeldelse",
	    "stjerne", "stjerner", "Tjek venligst din anmeldelse:", "Tak",
	    "Din anmeldelse er offentliggjort.", "Se den på siden",
	    "Linket er udløbet", "Dette anmeldelseslink er ikke længere "
	    "gyldigt.", "Ukendt link", "Dette anmeldelseslink er ikke "
	    "gyldigt." },
};

/* Country host prefixes and the language their pages speak. */
static const struct {
	const char	*country;
	const char	*lang;
} host_languages[] = {
	{ "de", "de" }, { "at", "de" }, { "ch", "de" }, { "fr", "fr" },
	{ "be", "fr" }, { "dk", "da" }, { "uk", "en" }, { "us", "en" },
};

/* The language of a country host prefix ("de." before the public host),
 * else of the locale; English when neither is known. */
static const struct words *
words_for(const struct request *req, const char *locale)
{
	const char	*host = request_header(req, "Host");
	const char	*pub = strstr(req->cfg->public_url, "://");
	const char	*lang = NULL;
	size_t		 i, publen;

	pub = pub != NULL ? pub + 3 : req->cfg->public_url;
	publen = strcspn(pub, "/");
	if (host != NULL && strlen(host) == publen + 3 && host[2] == '.' &&
	    strncasecmp(host + 3, pub, publen) == 0) {
		for (i = 0; i < sizeof(host_languages) /
		    sizeof(host_languages[0]); i++) {
			if (strncasecmp(host, host_languages[i].country, 2) == 0)
				lang = host_languages[i].lang;
		}
	}
	if (lang == NULL)
		lang = locale;
	for (i = 0; lang != NULL && i < sizeof(words) / sizeof(words[0]); i++) {
		if (strncmp(lang, words[i].lang, 2) == 0)
			return &words[i];
	}
	return &words[0];
}

static int
star_inputs(struct buf *b, const struct words *w, const char *name,
    json_int_t chosen)
{
	int	 i;

	for (i = 1; i <= 5; i++) {
		if (buf_printf(b, "<label><input type=\"radio\" name=\"%s\" "
		    "value=\"%d\"%s> %d %s</label>", name, i,
		    i == chosen ? " checked" : "", i, i == 1 ? w->star :
		    w->stars) == -1)
			return -1;
	}
	return 0;
}

/* One rating block: stars, title, text, named with suffix ("" or "_N"). */
static int
rating_block(struct buf *b, const struct words *w, const char *legend,
    const char *suffix, json_t *values)
{
	char	 name[48];

	snprintf(name, sizeof(name), "stars%s", suffix);
	if (buf_puts(b, "<fieldset><legend>") || pages_escape(b, legend) ||
	    buf_puts(b, "</legend>") || star_inputs(b, w, name,
	    json_integer_value(json_object_get(values, "stars"))))
		return -1;
	return buf_printf(b, "<label for=\"title%s\">", suffix) ||
	    pages_escape(b, w->title) || buf_printf(b, "</label><input "
	    "type=\"text\" id=\"title%s\" name=\"title%s\" "
	    "maxlength=\"100\" value=\"", suffix, suffix) ||
	    pages_escape(b, str(values, "title")) ||
	    buf_printf(b, "\"><label for=\"text%s\">", suffix) ||
	    pages_escape(b, w->text) || buf_printf(b, "</label>"
	    "<textarea id=\"text%s\" name=\"text%s\" maxlength=\"5000\">",
	    suffix, suffix) || pages_escape(b, str(values, "text")) ||
	    buf_puts(b, "</textarea></fieldset>");
}

static int
invitation_form(const struct request *req, struct response *res, int status,
    json_t *inv, json_t *answers, const struct api_error *problems,
    struct api_error *err)
{
	struct buf	 b;
	json_t		*p, *given;	/* borrowed */
	char		 suffix[24], legend[300];
	size_t		 i;
	int		 r;

	const struct words *w = words_for(req, str(inv, "locale"));

	buf_init(&b, PAGE_CAP);
	r = start(&b, w->write) || buf_puts(&b, "<h1>") ||
	    pages_escape(&b, w->review_of) || buf_puts(&b, " ") ||
	    pages_escape(&b, str(json_object_get(inv, "businessUnit"),
	    "displayName")) || buf_puts(&b, "</h1><p>") ||
	    pages_escape(&b, w->hello) || buf_puts(&b, " ") ||
	    pages_escape(&b, str(inv, "name")) || buf_puts(&b, ", ") ||
	    pages_escape(&b, w->intro) || buf_puts(&b, "</p>");
	if (r == 0 && problems != NULL && problems->status != 0) {
		r = buf_puts(&b, "<div class=\"box error\" role=\"alert\">"
		    "<p>") || pages_escape(&b, w->check) ||
		    buf_puts(&b, "</p><ul>");
		for (i = 0; r == 0 && i < problems->ndetails; i++)
			r = buf_puts(&b, "<li>") || pages_escape(&b,
			    problems->details[i].field) || buf_puts(&b, " ") ||
			    pages_escape(&b, problems->details[i].reason) ||
			    buf_puts(&b, "</li>");
		if (r == 0 && problems->ndetails == 0)
			r = buf_puts(&b, "<li>") || pages_escape(&b,
			    problems->message) || buf_puts(&b, "</li>");
		if (r == 0)
			r = buf_puts(&b, "</ul></div>");
	}
	if (r == 0)
		r = buf_puts(&b, "<form method=\"post\" action=\"/evaluate-link/") ||
		    pages_escape(&b, request_param(req, "token")) ||
		    buf_puts(&b, "\">");
	if (r == 0 && json_is_true(json_object_get(inv, "service")))
		r = rating_block(&b, w, w->experience, "", answers);
	json_array_foreach(json_object_get(inv, "products"), i, p) {
		given = NULL;
		if (answers != NULL)
			given = json_array_get(json_object_get(answers,
			    "products"), i);
		snprintf(suffix, sizeof(suffix), "_%zu", i + 1);
		snprintf(legend, sizeof(legend), "%s", str(p, "name"));
		if (r == 0)
			r = rating_block(&b, w, legend, suffix, given);
	}
	if (r != 0 || buf_puts(&b, "<button type=\"submit\">") ||
	    pages_escape(&b, w->submit) || buf_puts(&b, "</button></form>") ||
	    finish(&b)) {
		buf_release(&b);
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	return send_page(res, status, &b, err);
}

static int
link_state_page(const struct request *req, struct response *res,
    enum invitation_link state, json_t *inv, struct api_error *err)
{
	const struct words	*w = words_for(req, str(inv, "locale"));
	char			 link[300];

	switch (state) {
	case INVITATION_LINK_REVIEWED:
	case INVITATION_LINK_OPEN:
		snprintf(link, sizeof(link), "/b/%s", str(json_object_get(inv,
		    "businessUnit"), "domain"));
		return message_page(res, 200, w->thanks, w->published, link,
		    w->see, err);
	case INVITATION_LINK_EXPIRED:
		return message_page(res, 410, w->expired, w->expired_text, NULL,
		    NULL, err);
	case INVITATION_LINK_UNKNOWN:
		break;
	}
	return message_page(res, 404, w->unknown, w->unknown_text, NULL, NULL,
	    err);
}

/* The invitation's redirectUri (reference 7.1/7.2): after the review the
 * reviewer goes back to the business's own page; the page in between says
 * where, for clients that do not follow 303. */
static int
back_to_business(const struct request *req, struct response *res,
    json_t *inv, struct api_error *err)
{
	const struct words	*w = words_for(req, str(inv, "locale"));
	const char		*to = str(inv, "redirectUri");

	if (response_header(res, "Location", to) == -1) {
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	return message_page(res, 303, w->thanks, w->published, to,
	    str(json_object_get(inv, "businessUnit"), "displayName"), err);
}

int
pages_invitation(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db		*db = db_thread();
	enum invitation_link	 state;
	json_t			*inv = NULL;	/* owned */
	int			 r;

	if (db == NULL || invitations_link(db, request_param(req, "token"),
	    &state, &inv) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (state == INVITATION_LINK_OPEN)
		r = invitation_form(req, res, 200, inv, NULL, NULL, err);
	else
		r = link_state_page(req, res, state, inv, err);
	json_decref(inv);
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
		if (form_field(req, name, v, problems) != 1)
			continue;
		json_object_set_new(o, names[i], i == 0 ? form_number(v) :
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
redeem(struct db *db, const struct request *req, json_t *answers,
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
	r = invitations_redeem(db, request_param(req, "token"), submitted,
	    problems);
out:
	if (r == -1 && problems->status == 0)
		api_error_set(problems, 500, NULL, "Internal error");
	json_decref(submitted);
	json_decref(kept);
	return r;
}

int
pages_invitation_post(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db		*db = db_thread();
	enum invitation_link	 state;
	struct api_error	 problems;
	json_t			*inv = NULL, *answers = NULL, *rating, *p;
	char			*v = malloc(FIELD_MAX);
	char			 suffix[24];
	size_t			 i;
	int			 r = -1;

	memset(&problems, 0, sizeof(problems));
	if (v == NULL || db == NULL || invitations_link(db, request_param(req,
	    "token"), &state, &inv) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (state != INVITATION_LINK_OPEN) {
		r = link_state_page(req, res, state, inv, err);
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
	if (problems.status == 0 && redeem(db, req, answers, &problems) == 0)
		r = 0;
	/* checked again: links stored before redirects were checked */
	if (r == 0 && json_url_valid(str(inv, "redirectUri")))
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
	json_decref(inv);
	json_decref(answers);
	return r;
}

/* Unsubscribing: GET only asks (link scanners must not unsubscribe
 * anyone); POST does it, as RFC 8058 one-click clients expect. */

static int
unsubscribe(struct request *req, struct response *res, struct api_error *err,
    bool apply)
{
	struct db	*db = db_thread();
	char		 business[256] = "", text[512];
	struct buf	 b;
	int		 r;

	if (db == NULL || (r = invitations_unsubscribe(db, request_param(req,
	    "token"), apply, business, sizeof(business))) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (r == 1)
		return message_page(res, 404, "Unknown link", "This "
		    "unsubscribe link is not valid.", NULL, NULL, err);
	if (apply) {
		snprintf(text, sizeof(text), "%s will not send you review "
		    "invitations any more.", business);
		return message_page(res, 200, "You are unsubscribed", text,
		    NULL, NULL, err);
	}
	buf_init(&b, PAGE_CAP);
	if (start(&b, "Unsubscribe") || buf_puts(&b, "<div class=\"box\">"
	    "<h1>Unsubscribe</h1><p>Stop review invitations from ") ||
	    pages_escape(&b, business) || buf_puts(&b, "?</p><form "
	    "method=\"post\"><input type=\"hidden\" "
	    "name=\"List-Unsubscribe\" value=\"One-Click\"><button "
	    "type=\"submit\">Unsubscribe</button></form></div>") ||
	    finish(&b)) {
		buf_release(&b);
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	return send_page(res, 200, &b, err);
}

int
pages_unsubscribe(struct request *req, struct response *res,
    struct api_error *err)
{
	return unsubscribe(req, res, err, false);
}

int
pages_unsubscribe_post(struct request *req, struct response *res,
    struct api_error *err)
{
	return unsubscribe(req, res, err, true);
}

/* Find Reviewer: the reviewer decides what to share, or declines. */

static const struct {
	const char	*field, *label, *type;
} reply_fields[] = {
	{ "name", "Your name", "text" },
	{ "email", "An e-mail address the business may use", "email" },
	{ "phoneNumber", "Phone number", "tel" },
	{ "address", "Address", "text" },
	{ "referenceId", "Order or reference number", "text" },
};

static int
find_reviewer_form(const struct request *req, struct response *res,
    int status, json_t *fr, json_t *values, const struct api_error *problems,
    struct api_error *err)
{
	struct buf	 b;
	char		 deadline[17];
	size_t		 i;
	int		 r;

	snprintf(deadline, sizeof(deadline), "%s", str(fr, "deadline"));
	if (strlen(deadline) > 10)
		deadline[10] = ' ';
	buf_init(&b, PAGE_CAP);
	r = start(&b, "A question about your review") ||
	    buf_puts(&b, "<h1>") || pages_escape(&b, str(fr, "business")) ||
	    buf_puts(&b, " asks about your review</h1><div class=\"box\"><p>"
	    "&ldquo;") || pages_escape(&b, str(fr, "title")) ||
	    buf_puts(&b, "&rdquo;</p><blockquote>") ||
	    pages_escape(&b, str(fr, "message")) ||
	    buf_puts(&b, "</blockquote><p class=\"meta\">Answer before ") ||
	    pages_escape(&b, deadline) || buf_puts(&b, " UTC. You decide what "
	    "to share; your e-mail address is not shown to the business and "
	    "nothing here is published.</p></div>");
	if (r == 0 && problems != NULL && problems->status != 0) {
		r = buf_puts(&b, "<div class=\"box error\" role=\"alert\">"
		    "<ul>");
		for (i = 0; r == 0 && i < problems->ndetails; i++)
			r = buf_puts(&b, "<li>") || pages_escape(&b,
			    problems->details[i].field) || buf_puts(&b, " ") ||
			    pages_escape(&b, problems->details[i].reason) ||
			    buf_puts(&b, "</li>");
		if (r == 0)
			r = buf_puts(&b, "</ul></div>");
	}
	if (r == 0)
		r = buf_puts(&b, "<form method=\"post\"><label for=\"message\">"
		    "Your message</label><textarea id=\"message\" "
		    "name=\"message\" maxlength=\"5000\">") ||
		    pages_escape(&b, str(values, "message")) ||
		    buf_puts(&b, "</textarea>");
	for (i = 0; r == 0 && i < sizeof(reply_fields) /
	    sizeof(reply_fields[0]); i++)
		r = buf_printf(&b, "<label for=\"%s\">%s</label><input "
		    "type=\"%s\" id=\"%s\" name=\"%s\" maxlength=\"500\" "
		    "value=\"", reply_fields[i].field, reply_fields[i].label,
		    reply_fields[i].type, reply_fields[i].field,
		    reply_fields[i].field) || pages_escape(&b, str(values,
		    reply_fields[i].field)) || buf_puts(&b, "\">");
	if (r != 0 || buf_puts(&b, "<button type=\"submit\">Send my answer"
	    "</button> <button type=\"submit\" name=\"decline\" value=\"1\" "
	    "formnovalidate>I prefer not to answer</button></form>") ||
	    finish(&b)) {
		buf_release(&b);
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	(void)req;
	return send_page(res, status, &b, err);
}

static int
find_reviewer_closed(struct response *res, json_t *fr, struct api_error *err)
{
	const char	*status = str(fr, "status");

	if (strcmp(status, "expired") == 0)
		return message_page(res, 410, "This request has closed", "The "
		    "time to answer has passed. Nothing was shared.", NULL,
		    NULL, err);
	return message_page(res, 200, "Thank you", strcmp(status,
	    "declined") == 0 ? "You declined; the business was told, and "
	    "nothing was shared." : "Your answer was sent to the business.",
	    NULL, NULL, err);
}

int
pages_find_reviewer(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db		*db = db_thread();
	enum findreviewer_state	 state;
	json_t			*fr = NULL;	/* owned */
	int			 r;

	if (db == NULL || findreviewer_page(db, request_param(req, "token"),
	    &state, &fr) == -1) {
		db_fail(db, err);
		return -1;
	}
	if (state == FINDREVIEWER_UNKNOWN)
		r = message_page(res, 404, "Unknown link", "This link is not "
		    "valid.", NULL, NULL, err);
	else if (state == FINDREVIEWER_CLOSED)
		r = find_reviewer_closed(res, fr, err);
	else
		r = find_reviewer_form(req, res, 200, fr, NULL, NULL, err);
	json_decref(fr);
	return r;
}

int
pages_find_reviewer_post(struct request *req, struct response *res,
    struct api_error *err)
{
	static const char *const names[] = { "message", "name", "email",
	    "phoneNumber", "address", "referenceId", NULL };
	struct db		*db = db_thread();
	enum findreviewer_state	 state;
	struct api_error	 problems;
	json_t			*fr = NULL, *values = json_object();
	char			*v = malloc(FIELD_MAX);
	bool			 decline;
	size_t			 i;
	int			 r = -1;

	memset(&problems, 0, sizeof(problems));
	if (v == NULL || values == NULL || db == NULL ||
	    findreviewer_page(db, request_param(req, "token"), &state,
	    &fr) == -1) {
		db_fail(db, err);
		goto out;
	}
	if (state != FINDREVIEWER_OPEN) {
		r = state == FINDREVIEWER_UNKNOWN ? message_page(res, 404,
		    "Unknown link", "This link is not valid.", NULL, NULL, err) :
		    find_reviewer_closed(res, fr, err);
		goto out;
	}
	for (i = 0; names[i] != NULL; i++) {
		if (form_field(req, names[i], v, &problems) == 1)
			json_object_set_new(values, names[i], json_string(v));
	}
	decline = form_field(req, "decline", v, &problems) == 1 &&
	    strcmp(v, "1") == 0;
	if (problems.status == 0 && findreviewer_answer(db,
	    request_param(req, "token"), values, decline, &problems) == 0) {
		json_object_set_new(fr, "status", json_string(decline ?
		    "declined" : "replied"));
		r = find_reviewer_closed(res, fr, err);
	} else if (problems.status >= 500) {
		*err = problems;
	} else
		r = find_reviewer_form(req, res, problems.status, fr, values,
		    &problems, err);
out:
	free(v);
	json_decref(fr);
	json_decref(values);
	return r;
}
