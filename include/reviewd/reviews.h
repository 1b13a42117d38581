#ifndef REVIEWD_REVIEWS_H
#define REVIEWD_REVIEWS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "reviewd/db.h"
#include "reviewd/request.h"
#include "reviewd/ids.h"

/*
 * Reviews: service reviews (of a business unit) and product reviews (of a
 * SKU), organic submission with e-mail confirmation, public and private
 * listings with Trustpilot's filters, page and cursor paging, tags,
 * replies, webhook events, and the counts behind a unit's score.
 */

enum review_source {
	REVIEW_SOURCE_ORGANIC,
	REVIEW_SOURCE_INVITATION,
	REVIEW_SOURCE_THIRD_PARTY
};

/* What a reviewer submits. Strings are borrowed. */
struct review_input {
	const char		*domain;	/* the business unit's */
	int64_t			 stars;		/* 1..5 */
	const char		*title;
	const char		*text;
	const char		*name;
	const char		*email;
	const char		*sku;		/* NULL: service review */
	const char		*language;	/* NULL: from locale */
	const char		*locale;	/* page locale, may be NULL */
	const char		*country;	/* may be NULL */
	int64_t			 experienced_at;	/* 0: not given */
	bool			 anonymous;
	enum review_source	 source;
	const char		*client;	/* request_client(); NULL: unknown */
};

/*
 * Validates an organic (or third-party invited) submission, stores it as
 * pending and queues the confirmation e-mail, in one transaction. Writes
 * the review id to id_out. 0, or -1 with err naming the bad fields (409
 * for a duplicate within the window, 404 for an unknown domain).
 */
int	reviews_submit(struct db *db, const struct config *cfg,
	    const struct review_input *in, char id_out[IDS_ID_LEN + 1],
	    struct api_error *err);

/* Reads a submission from a JSON object (stars must be an integer) or a
 * form body (stars a decimal string) into in; strings are borrowed from
 * obj or from storage (which must outlive in). 0, or -1 with err. */
int	reviews_input_json(json_t *obj, struct review_input *in,
	    struct api_error *err);

/* A review written through a personal invitation link. Borrowed. */
struct invited_review {
	const char	*bu;
	const char	*email;		/* the address the business gave */
	const char	*name;
	const char	*sku;		/* NULL: service review */
	int64_t		 stars;
	const char	*title;
	const char	*text;
	const char	*language;
	const char	*reference;	/* may be NULL */
	const char	*link_kind;	/* email_invitation, bgl, unique_link */
	json_t		*tags;		/* array of strings, may be NULL */
};

/*
 * Stores a published, verified review (source "invitation") and queues
 * its created event, inside the caller's open transaction. 0, or -1 on a
 * database error (see db_fail).
 */
int	reviews_create_invited(struct db *db, const struct invited_review *in,
	    char id_out[IDS_ID_LEN + 1]);

enum review_confirm {
	REVIEW_CONFIRM_PENDING,	/* waits for the reviewer's POST */
	REVIEW_CONFIRMED,	/* published now or before */
	REVIEW_CONFIRM_EXPIRED,
	REVIEW_CONFIRM_DUPLICATE,	/* the reviewer has a published one in
					 * the duplicate window: not published */
	REVIEW_CONFIRM_UNKNOWN
};

/* With apply, publishes the pending review of a confirmation token
 * (idempotent); without, only tells its state (REVIEW_CONFIRM_PENDING for
 * one that can still be published), so that a mail scanner following
 * the link publishes nothing. Writes its business unit's domain to
 * domain_out. -1 on a database error. */
int	reviews_confirm(struct db *db, const struct config *cfg,
	    const char *token, bool apply, enum review_confirm *result,
	    char *domain_out, size_t domain_len);

/* Public reviews of a unit for pages: {"reviews": [...], "hasMore"} of
 * page (1-based) with per_page items, plus "businessUnit". Each review
 * has only what a page shows: id, stars, title, text, consumer
 * {displayName}, createdAt, isVerified, reviewerContacted, companyReply
 * {text} or null. -1 or 0. */
int	reviews_page_data(struct db *db, const char *domain, int64_t page,
	    int64_t per_page, json_t **out, struct api_error *err);

/* The scheduler job: expires unconfirmed reviews. */
int64_t	reviews_job(struct db *db, int64_t now);

/* Remembers the configuration the job uses; start-up only. */
void	reviews_configure(const struct config *cfg);

route_handler	reviews_list_public, reviews_get_public,
		reviews_list_product_public, reviews_list_private,
		reviews_get_private, reviews_list_product_private,
		reviews_get_product_private, reviews_tags_get,
		reviews_tags_replace, reviews_tags_append, reviews_tags_delete,
		reviews_reply, reviews_reply_delete, reviews_submit_json;

/*
 * An operator's answer to an erasure request from the reviewer of a proven
 * address: every review of that identity, at every business, becomes
 * anonymous (name and country gone) and the identity loses its address, so
 * no more mail reaches it. Inside the caller's transaction; counts the
 * reviews. 0 or -1 (see db_fail).
 */
int	reviews_erase_reviewer(struct db *db, const char *email,
	    size_t *reviews);

/* for erasure: a business erases the reviews its invitations brought */

/*
 * Inside the caller's transaction: the reviews written through unit bu's
 * invitations to email, and their consumers, become anonymous (also in
 * webhook events still kept), and lose the address. 0 or -1 (see
 * db_fail).
 */
int	reviews_erase_invited(struct db *db, const char *bu,
	    const char *email);

#endif
