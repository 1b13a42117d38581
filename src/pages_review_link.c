/*
 * pages_review_link: /r/{reviewId}, the link to a review that stays
 * right while newer reviews push it to later pages of the profile. The
 * page is found as the profile lists (pages_profile.c: public service
 * reviews, newest first, PAGES_PROFILE_PER_PAGE a page). Read only; HTTP
 * worker threads.
 */
#include <stdio.h>

#include "reviewd/db.h"
#include "reviewd/html.h"
#include "reviewd/i18n.h"
#include "reviewd/pages.h"
#include "reviewd/pages_review_link.h"


/* The review, if public: its unit's domain, whether it is a product
 * review, and how many of the profile's reviews come before it (the
 * order of reviews_shape.c's REVIEWS_ORDER_CREATED_DESC). */
static const char sql_review_place[] =
    "SELECT b.domain, r.sku IS NOT NULL, (SELECT count(*) FROM reviews o "
    "  WHERE o.business_unit_id = r.business_unit_id AND o.sku IS NULL "
    "  AND o.status = 'published' AND o.hidden_reason IS NULL "
    "  AND (o.created_at > r.created_at OR (o.created_at = r.created_at "
    "  AND o.seq > r.seq))) "
    "FROM reviews r JOIN business_units b ON b.id = r.business_unit_id "
    "WHERE r.id = ? AND r.status = 'published' "
    "AND r.hidden_reason IS NULL";

struct place {
	char	 to[512];
};

static int
find_place(struct request *req, void *arg, struct api_error *err)
{
	struct place	*p = arg;
	struct db_stmt	*st;
	const char	*id = request_param(req, "reviewId");
	int64_t		 page;
	int		 rc;

	rc = db_row(req->db, sql_review_place, &st, "s", id);
	if (rc != DB_ROW) {
		if (rc == -1)
			db_fail(req->db, err);
		return rc == -1 ? -1 : 0;
	}
	page = db_int(st, 2) / PAGES_PROFILE_PER_PAGE + 1;
	if ((int)db_int(st, 1))
		snprintf(p->to, sizeof(p->to), "/b/%s", db_text(st, 0));
	else if (page == 1)
		snprintf(p->to, sizeof(p->to), "/b/%s#review-%s",
		    db_text(st, 0), id);
	else
		snprintf(p->to, sizeof(p->to), "/b/%s?page=%lld#review-%s",
		    db_text(st, 0), (long long)page, id);
	db_release(st);
	return 1;
}

int
pages_review_link(ROUTE_HANDLER_PARAMS)
{
	const char	*lang = pages_lang(req, NULL, NULL);
	struct place	 p;
	int		 r;

	if ((r = html_found_or_404(req, res, lang, find_place, &p,
	    i18n(lang, "review_link_gone_title"), i18n(lang,
	    "review_link_gone"), err)) != 1)
		return r;
	if (response_header(res, "Location", p.to) == -1) {
		api_error_internal(err);
		return -1;
	}
	return html_message(res, lang, 303, i18n(lang, "see_your_review"),
	    i18n(lang, "see_your_review"), p.to, i18n(lang, "see_on_page"),
	    err);
}
