#ifndef REVIEWD_INVITATIONS_LINKS_H
#define REVIEWD_INVITATIONS_LINKS_H

#include <jansson.h>

#include "reviewd/api_error.h"
#include "reviewd/db.h"
#include "reviewd/ids.h"

/*
 * The reviewer's side of invitations: the personal link an invitation
 * e-mail carries (or a link the business made itself leads to) shows the
 * review form and takes the answers as verified reviews.
 */

enum invitation_link {
	INVITATION_LINK_OPEN,		/* the form can be shown */
	INVITATION_LINK_REVIEWED,	/* already used: show the review */
	INVITATION_LINK_EXPIRED,
	INVITATION_LINK_UNKNOWN
};

/*
 * Looks up a personal link token. On INVITATION_LINK_OPEN and _REVIEWED,
 * *out describes it: {"id", "name", "businessUnit": {...}, "service",
 * "products": [...], "reviews": [...]}. Records the first opening.
 * 0, or -1 on a database error.
 */
int	invitations_link(struct db *db, const char *token,
	    enum invitation_link *state, json_t **out);

/*
 * Redeems a link with the reviewer's answers: {"stars", "title", "text"}
 * for the service part and {"products": [{"sku", "stars", "title",
 * "text"}]} for products (at least one review). Creates verified reviews
 * in one transaction. 0, or -1 with err naming the bad fields (409 when the
 * link was used meanwhile, 410 when it expired).
 */
int	invitations_redeem(struct db *db, const char *token, json_t *answers,
	    struct api_error *err);

/* A customer arriving through a link the business made itself. */
struct link_claim {
	const char	*bu;
	const char	*kind;		/* bgl, unique_link, invitation_link */
	const char	*link_hash;	/* identifies the link; NULL: none */
	const char	*email, *name, *reference, *locale, *redirect_uri;
	json_t		*tags;		/* array of strings or NULL */
	json_t		*skus;		/* array of catalogue SKUs or NULL */
};

/*
 * Finds the invitation a link made before (by link_hash) or makes one
 * (already "sent": the business delivered the link), and gives it a fresh
 * personal token for /evaluate-link/. *state says whether the form may
 * be shown (OPEN), the review exists (REVIEWED, token given to show it) or
 * the link is too old (EXPIRED, no token). 0, or -1 with err (400 for an
 * unknown SKU).
 */
int	invitations_open_link(struct db *db, const struct link_claim *c,
	    char token[IDS_TOKEN_LEN + 1], char id_out[IDS_ID_LEN + 1],
	    enum invitation_link *state, struct api_error *err);

/* for pages: for an expired personal link token, *out is {"locale",
 * "businessUnit": {"displayName", "domain"}} (the expired page speaks the
 * invitation's language and leads on); NULL otherwise. 0, or -1 on a
 * database error. */
int	invitations_link_expired(struct db *db, const char *token,
	    json_t **out);

#endif
