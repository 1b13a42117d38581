#ifndef REVIEWD_IDS_H
#define REVIEWD_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Identifiers and secrets: 24-hex object ids (like Trustpilot's), random
 * bearer/link tokens, their at-rest hashes, and UUIDs for correlation ids.
 * All randomness is libsodium's; sodium_init() must have succeeded first.
 */

#define IDS_ID_LEN	24	/* hex chars of an object id */
#define IDS_TOKEN_LEN	43	/* base64url, no padding, of 32 random bytes */
#define IDS_HASH_LEN	64	/* hex of a 32-byte BLAKE2b digest */
#define IDS_UUID_LEN	36

/* Writes a new random id (12 bytes as lowercase hex) and a NUL. */
void	ids_new(char out[IDS_ID_LEN + 1]);

/*
 * Writes a new id whose first 12 hex digits are its creation time (the
 * second, then its 65536ths: the shape of a MongoDB ObjectId, as
 * Trustpilot's ids are) and whose other 12 are random, and a NUL. Ids
 * made one after another sort in creation order, so they land at the end
 * of the indexes that hold them instead of on a random page each (a
 * dispatch batch's commit wrote a page per index per row). The time is
 * the system's, not the admin test clock's. Only for rows
 * whose creation time everyone who sees the id knows already: the time
 * in an id links it to whatever else was made at that instant, so never
 * for a consumer (whose first review may be anonymous).
 */
void	ids_new_timed(char out[IDS_ID_LEN + 1]);

/* True when s is exactly 24 lowercase hex characters. */
bool	ids_valid(const char *s);

/* Writes a new 256-bit random token and a NUL. */
void	ids_token(char out[IDS_TOKEN_LEN + 1]);

/*
 * Writes a token of ids_token's shape that carries id (a 24-hex object id)
 * in its first 12 bytes and 20 random ones after, and a NUL. The row it
 * opens is found by id and the token's hash compared in it: no index on
 * random hashes, whose every insert writes a page of its own. 160 random
 * bits are what an attacker must guess; the id is the business's, not a
 * secret.
 */
void	ids_token_keyed(const char *id, char out[IDS_TOKEN_LEN + 1]);

/* Writes the id that a token of ids_token_keyed carries, or "" when
 * token is not of ids_token's shape. (Any such token decodes to some id:
 * the hash compared in its row decides.) */
void	ids_token_key(const char *token, char id[IDS_ID_LEN + 1]);

/* Writes len random bytes as lowercase hex (2 * len chars + NUL). */
void	ids_random_hex(char *out, size_t len);

/* The value stored instead of a token: hex BLAKE2b-256 of the token. Tokens
 * carry 256 bits of entropy, so a fast unsalted hash is enough. */
void	ids_token_hash(const char *token, char out[IDS_HASH_LEN + 1]);

/* Constant-time equality of two NUL-terminated strings of equal length;
 * different lengths compare unequal (length is not secret here). */
bool	ids_equal(const char *a, const char *b);

/* A uniformly random number in [0, upper). */
uint32_t	ids_uniform(uint32_t upper);

/* Standard Webhooks signing: base64 (standard alphabet, padded) of
 * HMAC-SHA256(key, msg) into out, which must hold 45 bytes. */
#define IDS_HMAC_B64_LEN	44
void	ids_hmac_sha256_base64(const unsigned char *key, size_t keylen,
	    const char *msg, size_t msglen, char out[IDS_HMAC_B64_LEN + 1]);

/*
 * Sealing secrets at rest with the master key of the configuration ([links]
 * master_key: base64 of 32 bytes). A sealed value is base64 (standard,
 * padded) of nonce || crypto_secretbox(plain): it reveals nothing without
 * the key and any change to it fails to open.
 */
#define IDS_MASTER_LEN	32	/* crypto_secretbox_KEYBYTES */
#define IDS_SEAL_MAX	128	/* longest plaintext that can be sealed */

/* Decodes the configured master key (b64) into key. 0, or -1 when b64 is
 * empty or not base64 of exactly IDS_MASTER_LEN bytes. */
int	ids_master_key(const char *b64, unsigned char key[IDS_MASTER_LEN]);

/* Seals len bytes of plain (at most IDS_SEAL_MAX) with key. Returns a
 * malloc'd NUL-terminated string the caller frees, NULL on failure. */
char	*ids_seal(const unsigned char key[IDS_MASTER_LEN], const void *plain,
	    size_t len);

/* Opens sealed into out (cap bytes) and writes its length to *len. 0, or
 * -1 when sealed is malformed, too long or was sealed with another key. */
int	ids_unseal(const unsigned char key[IDS_MASTER_LEN], const char *sealed,
	    unsigned char *out, size_t cap, size_t *len);

/* Writes a random (version 4) UUID and a NUL. */
void	ids_uuid(char out[IDS_UUID_LEN + 1]);

#endif
