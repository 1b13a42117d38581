#ifndef REVIEWD_FINDREVIEWER_H
#define REVIEWD_FINDREVIEWER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/request.h"

/*
 * Find Reviewer: a business asks the author of a review that was not
 * written through our invitations for details, through us. The reviewer
 * answers (or declines) through a personal link within the deadline; the
 * business is told on reply and on expiry; it never sees the address.
 */

/*
 * The details a business may ask a reviewer for (requestedInformation),
 * each with its words in the catalogue (i18n.h): what the reviewer's
 * e-mail asks for, the label of the answer in the business's e-mail, and
 * the label and <input> type on the reply page. Ends with a NULL name.
 */
struct findreviewer_field {
	const char	*name;
	const char	*asked;
	const char	*label;
	const char	*page_label;
	const char	*input_type;
};

extern const struct findreviewer_field	findreviewer_fields[];

/* The scheduler job: expires requests past their deadline. */
int64_t	findreviewer_job(struct db *db, int64_t now);

enum findreviewer_state {
	FINDREVIEWER_OPEN,
	FINDREVIEWER_CLOSED,	/* replied, declined or expired */
	FINDREVIEWER_UNKNOWN
};

/* The request of a reply token for the page: {"business", "message",
 * "requested": [...], "deadline", "status", "title"}. 0 or -1. */
int	findreviewer_page(struct db *db, const char *token,
	    enum findreviewer_state *state, json_t **out);

/* Stores the reviewer's answer (fields message, name, email, phoneNumber,
 * address, referenceId; at least one) or their refusal, and tells the
 * business. 0, or -1 with err (409 when closed, 404 unknown). */
int	findreviewer_answer(struct db *db, const char *token, json_t *answer,
	    bool decline, struct api_error *err);

/* POST and GET /v1/private/reviews/{reviewId}/find-reviewer. */
route_handler	findreviewer_create, findreviewer_get;

#endif
