#ifndef REVIEWD_AFS_MESSAGE_H
#define REVIEWD_AFS_MESSAGE_H

#include <stddef.h>

#include "reviewd/buf.h"
#include "reviewd/config.h"
#include "reviewd/mailer.h"

/*
 * Reading an order e-mail for the Automatic Feedback Service (afs.h): the
 * customer, the Message-ID and a reference, with the business's
 * referencePattern (PCRE2, bounded) when it has one.
 */

#define AFS_PATTERN_MAX		200		/* characters */
#define AFS_PATTERN_BYTES	(AFS_PATTERN_MAX * 4)
#define AFS_REF_MAX		200

/* What a usable order message gives. */
struct afs_order {
	char	 name[256];	/* the customer's, or the local part */
	char	 addr[MAILER_ADDRESS_MAX + 1];
	char	 msgid[512];	/* its Message-ID, or one made of its bytes */
	char	 reference[AFS_REF_MAX + 1];
};

/*
 * Reads the customer, the Message-ID and the reference of the raw message
 * [msg, msg + len) for unit bu with its pattern ("" for none; one that
 * cannot be used is logged and ignored). Outside any transaction: this is
 * the slow part. 0, or -1 with the reason the message is refused in why.
 */
int	afs_parse_order(const char *msg, size_t len, const char *bu,
	    const char *pattern, const struct config *cfg,
	    struct afs_order *o, char *why, size_t whylen);

/* Decodes RFC 2047 encoded-words (B and Q; UTF-8, US-ASCII, ISO-8859-1)
 * in a header value into UTF-8 in out. 0, or -1 when out is full. */
int	afs_decode_words(const char *in, struct buf *out);

/* Checks a referencePattern: PCRE2 syntax, at most 200 characters, no
 * backreferences. 0, or -1 with the reason (to follow the field name) in
 * why. */
int	afs_pattern_check(const char *pattern, char *why, size_t whylen);

#endif
