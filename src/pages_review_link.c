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

/* Where review id stands on its profile page, into to: 1, 0 when it is
 * not shown there, -1. */
static int
place(struct db *db, const char *id, char *to, size_t len)
{
	struct db_stmt	*st;
	int64_t		 page;
	int		 rc;

	if ((rc = db_row(db, sql_review_place, &st, "s", id)) != DB_ROW)
		return rc == -1 ? -1 : 0;
	page = db_int(st, 2) / PAGES_PROFILE_PER_PAGE + 1;
	if ((int)db_int(st, 1))
		snprintf(to, len, "/b/%s", db_text(st, 0));
	else if (page == 1)
		snprintf(to, len, "/b/%s#review-%s", db_text(st, 0), id);
	else
		snprintf(to, len, "/b/%s?page=%lld#review-%s", db_text(st, 0),
		    (long long)page, id);
	db_release(st);
	return 1;
}

int
pages_review_link(ROUTE_HANDLER_PARAMS)
{
	const char	*lang = pages_lang(req, NULL, NULL);
	char		 to[512];
	int		 r;

	r = place(req->db, request_param(req, "reviewId"), to, sizeof(to));
	if ((r = html_found_or_404(req, res, r, lang, i18n(lang,
	    "review_link_gone_title"), i18n(lang, "review_link_gone"),
	    err)) != 1)
		return r;
	if (response_header(res, "Location", to) == -1) {
		api_error_internal(err);
		return -1;
	}
	return html_message(res, lang, 303, i18n(lang, "see_your_review"),
	    i18n(lang, "see_your_review"), to, i18n(lang, "see_on_page"),
	    err);
}
