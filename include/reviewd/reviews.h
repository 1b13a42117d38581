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
 *
 * The module owns the tables reviews, review_tags and consumers: no other
 * module writes them; they call the functions below (reports: hiding,
 * Find Reviewer: the contact mark, erasure). Its code is split by seams:
 * reviews_submit.c (submission, confirmation, reviewers and their
 * erasure), reviews_list.c (listings, one review, the profile page),
 * reviews.c (tags, replies, what other modules record, the job) and
 * reviews_json.c (the row and its JSON, see reviews_json.h).
 */

enum review_source {
	REVIEW_SOURCE_ORGANIC,
	REVIEW_SOURCE_INVITATION,
	REVIEW_SOURCE_THIRD_PARTY
};

/* How far back a date of experience may go: 5 years (of 365.25 days). */
#define REVIEWS_EXPERIENCE_MAX_AGE_MS	(1826LL * 86400 * 1000)

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
	const char		*client;	/* request_client(), or NULL */
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

/* A review's tags, in characters and in number; an invitation's tags
 * become its review's (struct invited_review), so it has the same. */
#define REVIEWS_TAG_MAX		100
#define REVIEWS_TAGS_MAX	50

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
	REVIEW_CONFIRM_DUPLICATE,	/* the reviewer has a published one
					 * in the duplicate window: not
					 * published */
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

/* What a profile page shows of a unit's reviews. */
struct reviews_page_filter {
	int		 stars;		/* 1 to 5; 0: any */
	int		 responded;	/* 1 with a reply, 0 without; -1 any */
	const char	*language;	/* ISO 639-1; NULL: any */
	int		 order;		/* an enum reviews_order */
};

/* Public reviews of a unit for pages: {"reviews": [...], "hasMore"} of
 * page (1-based) with per_page items matching f, plus "businessUnit".
 * Each review has only what a page shows: id, stars, title, text,
 * language, consumer {displayName}, createdAt, isVerified,
 * reviewerContacted, companyReply {text, createdAt} or null. -1 or 0. */
int	reviews_page_data(struct db *db, const char *domain, int64_t page,
	    int64_t per_page, const struct reviews_page_filter *f,
	    json_t **out, struct api_error *err);

/* The scheduler job: expires unconfirmed reviews. */
int64_t	reviews_job(struct db *db, int64_t now);

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

/*
 * A business erases an address it gave (email, any case): the reviews
 * written through unit bu's invitations to it become anonymous and lose
 * the address, and so do their consumers, also in the webhook events
 * still waiting or kept. Organic reviews are left alone. Inside the
 * caller's transaction. 0 or -1 (see db_fail).
 */
int	reviews_erase_referral(struct db *db, const char *bu,
	    const char *email);

/*
 * What a report does to its review (reports.c decides, this module
 * stores). The review's hiddenReason reads as it always has: "reported:
 * <reason>" while a hiding report is pending, "removed after report:
 * <reason>" once one is upheld.
 */
enum review_hide {
	REVIEW_HIDE_NO,		/* reported, and stays visible */
	REVIEW_HIDE_PENDING,	/* reported, hidden until it is decided */
	REVIEW_HIDE_REMOVED,	/* the report was upheld: gone for good */
	REVIEW_HIDE_LIFTED	/* the report was rejected: not reported,
				 * and a pending hiding ends */
};

/* Records hide on review_id with the report's reason (used by
 * REVIEW_HIDE_PENDING and REVIEW_HIDE_REMOVED), inside the caller's
 * transaction. 0 or -1 (see db_fail). */
int	reviews_set_hidden(struct db *db, const char *review_id,
	    enum review_hide hide, const char *reason);

/* What a module acting for a business may know of one of its reviews. */
struct review_facts {
	bool	 invited;	/* written through one of our invitations */
	bool	 removed;	/* removed for good after an upheld report */
};

/* Finds review_id among unit bu's published reviews (one never published
 * is not the business's to see) and fills *facts. 0, or -1 with err set
 * (404, or see db_fail). */
int	reviews_of_unit(struct db *db, const char *review_id, const char *bu,
	    struct review_facts *facts, struct api_error *err);

/* Marks review_id "reviewer contacted" (a Find Reviewer request was
 * made), inside the caller's transaction. 0 or -1 (see db_fail). */
int	reviews_set_contacted(struct db *db, const char *review_id);

/* for reviews_products: records message by author as review id's reply
 * and mails it to the reviewer (at most once a day, a later one when the
 * day is over), inside the caller's transaction, as a service review's
 * reply. 0, or -1 with err set. */
int	reviews_reply_record(struct db *db, const char *id,
	    const char *message, const char *author, struct api_error *err);

#endif
