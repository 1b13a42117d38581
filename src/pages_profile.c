/*
 * pages_profile: a business's public profile, /b/{businessDomain}: the
 * summary (TrustScore, its word, the stars as bars), the reviews with
 * filters and sort as plain links (no JavaScript), numbered pages, in the
 * visitor's language; each review in its own language. Made with the kit
 * of html.h. Stateless; HTTP worker threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/html.h"
#include "reviewd/i18n.h"
#include "reviewd/pages.h"
#include "reviewd/reviews.h"
#include "reviewd/reviews_shape.h"

#define PAGE_MAX	100000

/* The page's query: what the links keep when they change one thing. */
struct profile_query {
	int64_t				 page;
	struct reviews_page_filter	 f;
	char				 language[4];
};

static const char *const orders[] = { "createdat.desc", "createdat.asc",
    "stars.desc", "stars.asc" };
static const char *const order_keys[] = { "sort_newest", "sort_oldest",
    "sort_highest", "sort_lowest" };
static const char *const star_counts[] = { NULL, "oneStar", "twoStars",
    "threeStars", "fourStars", "fiveStars" };

/* Reads the query of req into q; -1 when a value is not one the links
 * make (the page then says so). */
static int
profile_query(const struct request *req, struct profile_query *q)
{
	const char	*v;
	char		*end;
	size_t		 i;

	memset(q, 0, sizeof(*q));
	q->page = 1;
	q->f.responded = -1;
	q->f.order = REVIEWS_ORDER_CREATED_DESC;
	if ((v = request_query(req, "page")) != NULL) {
		q->page = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || q->page < 1 ||
		    q->page > PAGE_MAX)
			return -1;
	}
	if ((v = request_query(req, "stars")) != NULL) {
		if (strlen(v) != 1 || v[0] < '1' || v[0] > '5')
			return -1;
		q->f.stars = v[0] - '0';
	}
	if ((v = request_query(req, "responded")) != NULL) {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return -1;
		q->f.responded = strcmp(v, "true") == 0;
	}
	if ((v = request_query(req, "language")) != NULL) {
		if (!i18n_has(v) || strlen(v) > 3)
			return -1;
		snprintf(q->language, sizeof(q->language), "%s", v);
		q->f.language = q->language;
	}
	if ((v = request_query(req, "orderBy")) != NULL) {
		for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
			if (strcmp(v, orders[i]) == 0)
				break;
		}
		if (i == sizeof(orders) / sizeof(orders[0]))
			return -1;
		q->f.order = (int)i;
	}
	return 0;
}

/* Appends the href of q's page (q as it is, except what the caller
 * changed in its copy). */
static int
href(struct buf *b, const struct profile_query *q)
{
	if (buf_printf(b, "?page=%lld", (long long)q->page) == -1 ||
	    (q->f.stars != 0 && buf_printf(b, "&amp;stars=%d",
	    q->f.stars) == -1) ||
	    (q->f.responded != -1 && buf_printf(b, "&amp;responded=%s",
	    q->f.responded ? "true" : "false") == -1) ||
	    (q->f.language != NULL && (buf_puts(b, "&amp;language=") == -1 ||
	    html_escape(b, q->f.language) == -1)))
		return -1;
	if (q->f.order != REVIEWS_ORDER_CREATED_DESC)
		return buf_printf(b, "&amp;orderBy=%s", orders[q->f.order]);
	return 0;
}

/* A link to q (page 1 unless keep_page) reading text, marked as the
 * current one when current. */
static int
link_to(struct buf *b, struct profile_query q, bool keep_page,
    const char *text, bool current)
{
	if (!keep_page)
		q.page = 1;
	return buf_puts(b, "<a href=\"") || href(b, &q) ||
	    buf_puts(b, current ? "\" aria-current=\"page\">" : "\">") ||
	    html_escape(b, text) || buf_puts(b, "</a> ");
}

/* Stars for a rating (1 to 5, halves shown as whole below), coloured by
 * it, and read out as "n of 5 stars". */
static int
stars(struct buf *b, const char *lang, double rating)
{
	char	 num[8], label[64];
	int	 full = (int)(rating + 0.25), i;

	snprintf(num, sizeof(num), rating == (int)rating ? "%.0f" : "%.1f",
	    rating);
	if (buf_printf(b, "<span class=\"stars r%d\" role=\"img\" "
	    "aria-label=\"", full < 1 ? 1 : full) == -1 || html_escape(b,
	    i18n_format(label, sizeof(label), lang, "stars_label", "n", num,
	    NULL)) == -1 || buf_puts(b, "\">") == -1)
		return -1;
	for (i = 1; i <= 5; i++) {
		if (buf_puts(b, i <= full ? "\xe2\x98\x85" : "\xe2\x98\x86") ==
		    -1)
			return -1;
	}
	return buf_puts(b, "</span>");
}

/* Trustpilot's words for a TrustScore. */
static const char *
rating_word(double score)
{
	if (score >= 4.3)
		return "rating_5";
	if (score >= 3.8)
		return "rating_4";
	if (score >= 2.8)
		return "rating_3";
	if (score >= 1.8)
		return "rating_2";
	return "rating_1";
}

static int
summary(struct buf *b, const char *lang, json_t *unit, const char *domain,
    int64_t total)
{
	json_t	*counts = json_object_get(unit, "numberOfReviews");
	double	 score = json_number_value(json_object_get(json_object_get(
		    unit, "score"), "trustScore"));
	char	 num[24], text[96];
	int64_t	 n;
	int	 i;

	snprintf(num, sizeof(num), "%lld", (long long)total);
	if (buf_puts(b, "<div class=\"box\"><h1>") ||
	    html_escape(b, html_str(unit, "displayName")) ||
	    buf_puts(b, "</h1><p class=\"score\">") ||
	    (total > 0 && (stars(b, lang, score) || buf_puts(b,
	    " <strong>") || html_escape(b, i18n(lang, rating_word(score))) ||
	    buf_puts(b, "</strong> &middot; "))) ||
	    buf_printf(b, "%s %.1f &middot; ", i18n(lang, "trustscore"),
	    score) || html_escape(b, i18n_format(text, sizeof(text), lang,
	    total == 1 ? "reviews_1" : "reviews_n", "n", num, NULL)) ||
	    buf_puts(b, "</p>"))
		return -1;
	if (total > 0 && buf_puts(b, "<ul class=\"dist\">"))
		return -1;
	for (i = 5; total > 0 && i >= 1; i--) {
		n = json_integer_value(json_object_get(counts,
		    star_counts[i]));
		snprintf(num, sizeof(num), "%d", i);
		if (buf_printf(b, "<li><a href=\"?stars=%d\">", i) ||
		    html_escape(b, i18n_format(text, sizeof(text), lang,
		    i == 1 ? "star_1" : "star_n", "n", num, NULL)) ||
		    buf_printf(b, "</a><span class=\"bar\"><span class=\"r%d\" "
		    "style=\"width:%lld%%\"></span></span>%lld%%</li>", i,
		    (long long)(n * 100 / total), (long long)(n * 100 /
		    total)))
			return -1;
	}
	return (total > 0 && buf_puts(b, "</ul>")) || buf_puts(b,
	    "<p><a class=\"button\" href=\"/review/") ||
	    html_escape(b, domain) ||
	    buf_puts(b, "\">") || html_escape(b, i18n(lang, "write_review")) ||
	    buf_puts(b, "</a></p></div>");
}

/* The filter and sort links, each keeping the others. */
static int
filters(struct buf *b, const char *lang, const struct profile_query *q)
{
	struct profile_query	 c;
	char			 num[4], text[64];
	const char		*name;
	int			 i;

	c = *q;
	c.f.stars = 0;
	if (buf_puts(b, "<nav class=\"filters\" aria-label=\"") ||
	    html_escape(b, i18n(lang, "filter_stars")) || buf_puts(b,
	    "\"><p>") || html_escape(b, i18n(lang, "filter_stars")) ||
	    buf_puts(b, ": ") || link_to(b, c, false, i18n(lang,
	    "filter_all"), q->f.stars == 0))
		return -1;
	for (i = 5; i >= 1; i--) {
		c.f.stars = i;
		snprintf(num, sizeof(num), "%d", i);
		if (link_to(b, c, false, i18n_format(text, sizeof(text), lang,
		    i == 1 ? "star_1" : "star_n", "n", num, NULL),
		    q->f.stars == i))
			return -1;
	}
	c = *q;
	if (buf_puts(b, "</p><p>"))
		return -1;
	for (i = -1; i <= 1; i++) {
		c.f.responded = i;
		if (link_to(b, c, false, i18n(lang, i == -1 ? "filter_all" :
		    i == 1 ? "with_reply" : "without_reply"),
		    q->f.responded == i))
			return -1;
	}
	c = *q;
	c.f.language = NULL;
	name = i18n(lang, "language_name");
	if (buf_puts(b, "</p><p>") || link_to(b, c, false, i18n(lang,
	    "all_languages"), q->f.language == NULL))
		return -1;
	c.f.language = lang;
	if (link_to(b, c, false, name, q->f.language != NULL &&
	    strcmp(q->f.language, lang) == 0))
		return -1;
	c = *q;
	if (buf_puts(b, "</p><p>") || html_escape(b, i18n(lang, "sort_by")) ||
	    buf_puts(b, ": "))
		return -1;
	for (i = 0; i < (int)(sizeof(orders) / sizeof(orders[0])); i++) {
		c.f.order = i;
		if (link_to(b, c, false, i18n(lang, order_keys[i]),
		    q->f.order == i))
			return -1;
	}
	return buf_puts(b, "</p></nav>");
}

static int
review_article(struct buf *b, const char *lang, json_t *r,
    const char *business)
{
	json_t		*consumer = json_object_get(r, "consumer");
	json_t		*reply = json_object_get(r, "companyReply");
	const char	*rl = html_str(r, "language");
	char		 date[11], text[400];

	snprintf(date, sizeof(date), "%.10s", html_str(r, "createdAt"));
	if (buf_puts(b, "<article id=\"review-") || html_escape(b,
	    html_str(r, "id")) || buf_puts(b, "\">") ||
	    stars(b, lang, (double)json_integer_value(json_object_get(r,
	    "stars"))) || buf_puts(b, "<div lang=\"") ||
	    html_escape(b, rl[0] != '\0' ? rl : "und") ||
	    buf_puts(b, i18n_rtl(rl) ? "\" dir=\"rtl\"><h2>" : "\"><h2>") ||
	    html_escape(b, html_str(r, "title")) ||
	    buf_puts(b, "</h2></div><p class=\"meta\">") ||
	    html_escape(b, html_str(consumer, "displayName")) ||
	    buf_puts(b, " &middot; ") || html_escape(b, date))
		return -1;
	if (!json_is_null(json_object_get(r, "experiencedAt"))) {
		snprintf(date, sizeof(date), "%.10s",
		    html_str(r, "experiencedAt"));
		if (buf_puts(b, " &middot; <span class=\"experienced\">") ||
		    html_escape(b, i18n_format(text, sizeof(text), lang,
		    "experienced_on", "date", date, NULL)) ||
		    buf_puts(b, "</span>"))
			return -1;
	}
	if (buf_puts(b, "</p><p>"))
		return -1;
	if (json_is_true(json_object_get(r, "isVerified")) &&
	    (buf_puts(b, "<span class=\"label\" tabindex=\"0\" title=\"") ||
	    html_escape(b, i18n(lang, "verified_help")) || buf_puts(b,
	    "\">") || html_escape(b, i18n(lang, "verified")) ||
	    buf_puts(b, "</span>")))
		return -1;
	if (json_is_true(json_object_get(r, "reviewerContacted")) &&
	    (buf_puts(b, "<span class=\"label contacted\" tabindex=\"0\" "
	    "title=\"") || html_escape(b, i18n(lang, "contacted_help")) ||
	    buf_puts(b, "\">") || html_escape(b, i18n(lang, "contacted")) ||
	    buf_puts(b, "</span>")))
		return -1;
	if (buf_puts(b, "</p><p lang=\"") ||
	    html_escape(b, rl[0] != '\0' ? rl : "und") ||
	    buf_puts(b, i18n_rtl(rl) ? "\" dir=\"rtl\">" : "\">") ||
	    html_escape(b, html_str(r, "text")) || buf_puts(b, "</p>"))
		return -1;
	if (!json_is_object(reply))
		return buf_puts(b, "</article>");
	snprintf(date, sizeof(date), "%.10s", html_str(reply, "createdAt"));
	return buf_puts(b, "<div class=\"reply\"><strong>") ||
	    html_escape(b, i18n_format(text, sizeof(text), lang, "reply_from",
	    "business", business, NULL)) || buf_puts(b, "</strong> "
	    "<span class=\"meta\">") || html_escape(b, i18n_format(text,
	    sizeof(text), lang, "replied_on", "date", date, NULL)) ||
	    buf_puts(b, "</span><p>") || html_escape(b, html_str(reply,
	    "text")) || buf_puts(b, "</p></div></article>");
}

/* Numbered pages: all of them when the filter's count is known (pages
 * known), else those up to the next one. A window around the current
 * page, the first and the last. */
static int
page_links(struct buf *b, const char *lang, const struct profile_query *q,
    int64_t pages, bool more)
{
	struct profile_query	 c = *q;
	int64_t			 last = pages > 0 ? pages : q->page + more;
	int64_t			 i;
	char			 num[24];
	bool			 gap = false;

	if (last <= 1)
		return 0;
	if (buf_puts(b, "<nav class=\"pages\" aria-label=\"") ||
	    html_escape(b, i18n(lang, "pages")) || buf_puts(b, "\">"))
		return -1;
	for (i = 1; i <= last; i++) {
		if (i != 1 && i != last && (i < q->page - 2 ||
		    i > q->page + 2)) {
			if (!gap && buf_puts(b, "&hellip; "))
				return -1;
			gap = true;
			continue;
		}
		gap = false;
		c.page = i;
		snprintf(num, sizeof(num), "%lld", (long long)i);
		if (link_to(b, c, true, num, i == q->page))
			return -1;
	}
	return buf_puts(b, "</nav>");
}

/* The reviews of the filter: how many, when the unit's counts say. */
static int64_t
filter_total(json_t *unit, const struct profile_query *q, int64_t total)
{
	if (q->f.responded != -1 || q->f.language != NULL)
		return -1;
	if (q->f.stars == 0)
		return total;
	return json_integer_value(json_object_get(json_object_get(unit,
	    "numberOfReviews"), star_counts[q->f.stars]));
}

int
pages_profile(ROUTE_HANDLER_PARAMS)
{
	const char		*lang = pages_lang_unit(req, NULL,
				    request_param(req, "businessDomain"));
	struct profile_query	 q;
	json_t			*unit = NULL, *data = NULL, *list, *r;
	struct buf		 b;
	int64_t			 total, shown, pages = 0;
	size_t			 i;
	int			 ret, ok;

	if (profile_query(req, &q) == -1)
		return html_message(res, lang, 400, i18n(lang, "bad_address"),
		    i18n(lang, "bad_address_text"), "?", i18n(lang,
		    "first_page"), err);
	if ((ret = pages_unit_or_404(req, res, &unit, err)) != 1)
		return ret;
	ret = -1;
	if (reviews_page_data(req->db, request_param(req, "businessDomain"),
	    q.page, PAGES_PROFILE_PER_PAGE, &q.f, &data, err) == -1)
		goto out;
	total = json_integer_value(json_object_get(json_object_get(unit,
	    "numberOfReviews"), "total"));
	shown = filter_total(unit, &q, total);
	if (shown >= 0)
		pages = (shown + PAGES_PROFILE_PER_PAGE - 1) /
		    PAGES_PROFILE_PER_PAGE;
	list = json_object_get(data, "reviews");
	buf_init(&b, HTML_PAGE_CAP);
	ok = html_start(&b, lang, html_str(unit, "displayName")) == 0 &&
	    summary(&b, lang, unit, request_param(req, "businessDomain"),
	    total) == 0 &&
	    (total == 0 || filters(&b, lang, &q) == 0);
	json_array_foreach(list, i, r) {
		if (ok)
			ok = review_article(&b, lang, r, html_str(unit,
			    "displayName")) == 0;
	}
	if (ok && json_array_size(list) == 0)
		ok = buf_puts(&b, "<p>") == 0 && html_escape(&b, i18n(lang,
		    total == 0 ? "no_reviews" : "page_empty")) == 0 &&
		    buf_puts(&b, "</p>") == 0 && (q.page == 1 ||
		    link_to(&b, q, false, i18n(lang, "first_page"),
		    false) == 0);
	if (ok)
		ok = page_links(&b, lang, &q, pages, json_is_true(
		    json_object_get(data, "hasMore"))) == 0;
	if (ok && total > 0)
		ok = buf_puts(&b, "<p class=\"meta\">") == 0 &&
		    html_escape(&b, i18n(lang, "verified_help")) == 0 &&
		    buf_puts(&b, " ") == 0 && html_escape(&b, i18n(lang,
		    "contacted_help")) == 0 && buf_puts(&b, "</p>") == 0;
	ret = html_answer(res, json_array_size(list) == 0 && q.page > 1 ?
	    404 : 200, &b, !ok, err);
out:
	json_decref(unit);
	json_decref(data);
	return ret;
}

/* GET /b/: no business named; a page that says how to find one. */
int
pages_profile_index(ROUTE_HANDLER_PARAMS)
{
	const char	*lang = pages_lang(req, NULL, NULL);

	return html_message(res, lang, 404, i18n(lang, "which_business"),
	    i18n(lang, "which_business_text"), NULL, NULL, err);
}

/* GET /b/{businessDomain}/: the profile's own address, with the query
 * parameters the profile reads. */
int
pages_profile_slash(ROUTE_HANDLER_PARAMS)
{
	static const char *const keep[] = { "page", "stars", "responded",
	    "language", "orderBy", NULL };
	const char	*lang = pages_lang_unit(req, NULL,
			    request_param(req, "businessDomain"));
	const char	*v;
	struct buf	 to;
	size_t		 i;
	int		 r, n = 0;

	buf_init(&to, ROUTE_MAX_PATH * 4);
	r = buf_puts(&to, "/b/") || request_url_encode(&to,
	    request_param(req, "businessDomain"));
	for (i = 0; r == 0 && keep[i] != NULL; i++) {
		if ((v = request_query(req, keep[i])) == NULL)
			continue;
		r = buf_printf(&to, "%c%s=", n++ == 0 ? '?' : '&',
		    keep[i]) || request_url_encode(&to, v);
	}
	if (r != 0 || response_header(res, "Location", to.data) == -1) {
		buf_release(&to);
		api_error_internal(err);
		return -1;
	}
	r = html_message(res, lang, 301, i18n(lang, "moved"), i18n(lang,
	    "moved_text"), to.data, to.data, err);
	buf_release(&to);
	return r;
}
