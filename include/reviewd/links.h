#ifndef REVIEWD_LINKS_H
#define REVIEWD_LINKS_H

#include <stddef.h>

#include <jansson.h>

#include "reviewd/request.h"
#include "reviewd/ids.h"

/*
 * The public invitation link formats (reference sections 10 and 11):
 * Business Generated Links, base64(IV || AES-256-CBC(JSON) ||
 * HMAC-SHA256(IV || ciphertext)), and Unique Links, e = hex SHA-1(secret ||
 * email || ref). Per-unit keys are kept sealed with [links] master_key.
 */

#define LINKS_KEY_LEN	32
#define LINKS_SHA1_HEX	40

/*
 * Verifies (HMAC first, in constant time) and decrypts a BGL payload (the
 * base64 text, already URL-decoded). On success *out is the JSON object
 * and, when link_hash is not NULL, it is the link's identity: the hash of
 * its one canonical spelling, so the same link written two ways (a '+' as
 * a space) is the same link. 0, or -1 with the reason in why (nothing else
 * is revealed to callers).
 */
int	links_bgl_open(const unsigned char enc[LINKS_KEY_LEN],
	    const unsigned char auth[LINKS_KEY_LEN], const char *payload,
	    json_t **out, char link_hash[IDS_HASH_LEN + 1], char *why,
	    size_t whylen);

/* Makes a BGL payload (base64) of obj; *out is malloc'd. 0 or -1. */
int	links_bgl_make(const unsigned char enc[LINKS_KEY_LEN],
	    const unsigned char auth[LINKS_KEY_LEN], json_t *obj, char **out);

/* Lowercase hex SHA-1 of secret || email || ref. */
void	links_unique_hash(const char *secret, const char *email,
	    const char *ref, char out[LINKS_SHA1_HEX + 1]);

/* GET /evaluate-bgl/{businessDomain}?p= and GET /evaluate/{businessDomain}
 * ?a=&b=&c=&e=: a valid link leads (303) to its personal review form. */
route_handler	links_evaluate_bgl, links_evaluate_unique;

/* POST/PUT/GET .../link-keys, POST .../links/test,
 * POST .../invitation-links. */
route_handler	links_keys_create, links_keys_import, links_keys_status,
		links_test, links_invitation_link;

#endif
