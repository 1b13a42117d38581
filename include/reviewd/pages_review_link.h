#ifndef REVIEWD_PAGES_REVIEW_LINK_H
#define REVIEWD_PAGES_REVIEW_LINK_H

#include "reviewd/request.h"

/*
 * GET /r/{reviewId} (src/pages_review_link.c, part of the pages module):
 * the stable link to one review that e-mails carry. It answers 303 to the
 * page of the business's profile that holds the review now (/b/{domain},
 * ?page=N in its default order) with #review-{id}; a product review goes
 * to the profile; one not shown publicly (unknown, pending, hidden,
 * removed) is a 404 page.
 */
route_handler	pages_review_link;

#endif
