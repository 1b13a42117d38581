#ifndef REVIEWD_PAGES_REVIEW_EDIT_H
#define REVIEWD_PAGES_REVIEW_EDIT_H

#include "reviewd/request.h"

/*
 * The reviewer's pages for their own review (src/pages_review_edit.c,
 * part of the pages module): the edit page behind the link mailed to them
 * and the form that mails a new link. Plain HTML, no JavaScript.
 */

/* GET /review/edit/{token}: the review's stars, title and text in a form,
 * and a delete button. POST changes (stars, title, text) or, with
 * action=delete, deletes; both need the page's CSRF value (a field and a
 * SameSite=Strict cookie that must match). */
route_handler	pages_review_edit, pages_review_edit_post;

/* GET and POST /review/edit-link/{businessDomain}: an e-mail field; a new
 * edit link goes to that address for each review of the unit it proved it
 * wrote. The answer is the same whether there was any. */
route_handler	pages_review_edit_link, pages_review_edit_link_post;

#endif
