#ifndef REVIEWD_PAGES_H
#define REVIEWD_PAGES_H

#include <jansson.h>

#include "reviewd/request.h"

/* Reviews a page of the public profile (/b/{domain}) shows; /r/{id}
 * counts with it to find the page that holds a review. */
#define PAGES_PROFILE_PER_PAGE	20

/*
 * Server-rendered HTML for reviewers and visitors, made with the kit of
 * html.h: the organic review pages (pages.c), the pages behind invitation
 * links (pages_invitation.c) and behind Find Reviewer links
 * (pages_findreviewer.c). Pages need no JavaScript and work on a phone.
 */

/*
 * The language of a page for req (an i18n.h code): the country of a
 * country host ("de." before the public URL's host: de, at, ch give
 * German, and so on), else i18n_lang of want (the invitation's or
 * review's locale, may be NULL), the request's Accept-Language and
 * fallback (the unit's default locale, may be NULL).
 */
const char	*pages_lang(const struct request *req, const char *want,
		    const char *fallback);

/* pages_lang with the default locale of the unit of domain (may be
 * NULL) as fallback: the invitation's locale, else Accept-Language, else
 * the unit's default locale, else English. */
const char	*pages_lang_unit(const struct request *req, const char *want,
		    const char *domain);

/* The unit of the address's businessDomain (public JSON, a new reference
 * in *unit): 1; or its 404 page: 0; or -1 with err set. */
int	pages_unit_or_404(struct request *req, struct response *res,
	    json_t **unit, struct api_error *err);

/* GET /b/{businessDomain}: the public profile (pages_profile.c): the
 * summary, filters and sort as links, numbered pages. */
route_handler	pages_profile;

/* GET /b/: no business named (an HTML 404 saying how to find one); GET
 * /b/{businessDomain}/: a 301 to the profile, keeping its query. */
route_handler	pages_profile_index, pages_profile_slash;

/* GET and POST /review/{businessDomain}: the organic review form (POST
 * also takes JSON and then answers JSON). */
route_handler	pages_review_form, pages_review_post;

/* GET and POST /review/confirm/{token}: GET asks, POST publishes the
 * review, idempotently. */
route_handler	pages_review_confirm;

/* GET and POST /evaluate-link/{token}: a personal invitation link's form
 * (fields stars, title, text; stars_N, title_N, text_N for product N). */
route_handler	pages_invitation, pages_invitation_post;

/* GET and POST /find-reviewer/{token}: the reviewer's reply page. */
route_handler	pages_find_reviewer, pages_find_reviewer_post;

/* GET (a confirmation button) and POST (RFC 8058 one-click)
 * /unsubscribe/{token}. */
route_handler	pages_unsubscribe;

#endif
