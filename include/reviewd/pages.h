#ifndef REVIEWD_PAGES_H
#define REVIEWD_PAGES_H

#include "reviewd/request.h"

/*
 * Server-rendered HTML for reviewers and visitors, made with the kit of
 * html.h: the organic review pages (pages.c), the pages behind invitation
 * links (pages_invitation.c) and behind Find Reviewer links
 * (pages_findreviewer.c). Pages need no JavaScript and work on a phone.
 */

/* GET /b/{businessDomain}: the public profile with reviews and paging. */
route_handler	pages_profile;

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
