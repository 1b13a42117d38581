#ifndef REVIEWD_REVIEWS_EDIT_H
#define REVIEWD_REVIEWS_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/api_error.h"
#include "reviewd/config.h"
#include "reviewd/db.h"
#include "reviewd/ids.h"

/*
 * A reviewer changes or deletes their own review from a link mailed to
 * them (part of the reviews module, src/reviews_edit.c). The link's token
 * is stored only as a hash and works for REVIEWS_EDIT_TTL_MS after it was
 * made; a new one replaces it. Links go only to an address the reviewer
 * proved: the one that confirmed an organic review, or the one our
 * invitation e-mail reached. A business never sees a token.
 *
 * A change emits service-review-updated (product-review-updated), a
 * deletion service-review-deleted (product-review-deleted), each with
 * "previous": {stars, title, text}. A deleted review leaves every count
 * and list (status 'expired', deleted_at set, title and text emptied).
 */

#define REVIEWS_EDIT_TTL_MS	(30LL * 86400000)

/* Makes a new edit token for review id, replacing any earlier one, inside
 * the caller's transaction. 0 or -1 (see db_fail). */
int	reviews_edit_issue(struct db *db, const char *id,
	    char token[IDS_TOKEN_LEN + 1]);
/* A new edit token and its hash, for a review stored with them (a
 * submission's INSERT); answers when the token expires. */
int64_t	reviews_edit_token(char token[IDS_TOKEN_LEN + 1],
	    char hash[IDS_HASH_LEN + 1]);

enum review_edit_state {
	REVIEW_EDIT_UNKNOWN,		/* no such link */
	REVIEW_EDIT_EXPIRED,		/* too old, or never confirmed */
	REVIEW_EDIT_UNCONFIRMED,	/* not published yet */
	REVIEW_EDIT_DELETED,		/* its reviewer deleted it */
	REVIEW_EDIT_REMOVED,		/* removed after an upheld report */
	REVIEW_EDIT_OPEN		/* can be changed or deleted */
};

/* What the edit page shows. title and text are the caller's (malloc'd),
 * freed by reviews_edit_release. */
struct review_edit {
	enum review_edit_state	 state;
	char			 id[IDS_ID_LEN + 1];
	char			 domain[256];
	char			 business[256];
	bool			 product;
	int64_t			 stars;
	char			*title;
	char			*text;
};

/* Fills *e for the review of an edit token. 0, or -1 on a database error
 * or out of memory (e then holds nothing to free). */
int	reviews_edit_find(struct db *db, const char *token,
	    struct review_edit *e);

/* Frees what e holds; accepts a zeroed e. */
void	reviews_edit_release(struct review_edit *e);

/* A reviewer's new text. Borrowed. */
struct review_change {
	int64_t		 stars;		/* 1..5 */
	const char	*title;
	const char	*text;
};

/* Reads a change from obj (stars an integer, title and text strings, as
 * a submission's): each bad field adds a 400 naming it to err. Strings
 * are borrowed from obj. 0 or -1. */
int	reviews_edit_input(json_t *obj, struct review_change *ch,
	    struct api_error *err);

/* Changes the review of token (which must be REVIEW_EDIT_OPEN) to ch and
 * emits its updated event; an unchanged review emits nothing. 0, or -1
 * with err set (400 bad field, 404 unknown, 410 expired, 409 otherwise). */
int	reviews_edit_apply(struct db *db, const char *token,
	    const struct review_change *ch, struct api_error *err);

/* Deletes the review of token and emits its deleted event. 0, or -1 with
 * err set as reviews_edit_apply. */
int	reviews_edit_delete(struct db *db, const char *token,
	    struct api_error *err);

/*
 * Mails a new edit link for each review of the unit of domain that email
 * proved it wrote (at most one an hour a review). Says nothing of whether
 * there was any: the caller answers the same either way. 0, or -1 with
 * err set (404 unknown domain, or see db_fail).
 */
int	reviews_edit_request(struct db *db, const struct config *cfg,
	    const char *domain, const char *email, struct api_error *err);

#endif
