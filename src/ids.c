/*
 * ids: random identifiers and token hashing over libsodium. Any thread
 * (libsodium's randombytes is thread-safe after sodium_init); the only
 * state is a per-thread pool of random bytes for names (pool_bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "reviewd/ids.h"

void
ids_random_hex(char *out, size_t len)
{
	unsigned char	 raw[64];

	while (len > 0) {
		size_t	 n = len < sizeof(raw) ? len : sizeof(raw);

		randombytes_buf(raw, n);
		sodium_bin2hex(out, n * 2 + 1, raw, n);
		out += n * 2;
		len -= n;
	}
	sodium_memzero(raw, sizeof(raw));
}

void
ids_new(char out[IDS_ID_LEN + 1])
{
	ids_random_hex(out, IDS_ID_LEN / 2);
}

/*
 * n (at most 64) random bytes for a name, not a secret: fetched 1,536 at
 * a time, since a system call each was 6 % of a CSV import's time and
 * 3 % of a cached list's (a request id each; perf). Never for a token or
 * a key: those take randombytes_buf's own bytes.
 */
static const unsigned char *
pool_bytes(size_t n)
{
	static _Thread_local unsigned char	 pool[1536];
	static _Thread_local size_t		 used = sizeof(pool);
	const unsigned char			*p;

	if (sizeof(pool) - used < n) {
		randombytes_buf(pool, sizeof(pool));
		used = 0;
	}
	p = pool + used;
	used += n;
	return p;
}

void
ids_new_timed(char out[IDS_ID_LEN + 1])
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, 13, "%08x%04x", (unsigned int)((uint64_t)ts.tv_sec &
	    0xffffffffu), (unsigned int)(((uint64_t)ts.tv_nsec << 16) /
	    1000000000u));
	sodium_bin2hex(out + 12, IDS_ID_LEN - 12 + 1, pool_bytes(6), 6);
}

bool
ids_valid(const char *s)
{
	size_t	 i;

	for (i = 0; i < IDS_ID_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[IDS_ID_LEN] == '\0';
}

/* Fills raw after its first kept bytes at random and writes it as a
 * token; wipes raw. */
static void
token_of(unsigned char raw[32], size_t kept, char out[IDS_TOKEN_LEN + 1])
{
	randombytes_buf(raw + kept, 32 - kept);
	sodium_bin2base64(out, IDS_TOKEN_LEN + 1, raw, 32,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, 32);
}

void
ids_token(char out[IDS_TOKEN_LEN + 1])
{
	unsigned char	 raw[32];

	token_of(raw, 0, out);
}

void
ids_token_keyed(const char *id, char out[IDS_TOKEN_LEN + 1])
{
	unsigned char	 raw[32];

	/* not an id (the caller's bug): a key that finds no row */
	if (sodium_hex2bin(raw, IDS_ID_LEN / 2, id, IDS_ID_LEN, NULL, NULL,
	    NULL) != 0)
		memset(raw, 0, IDS_ID_LEN / 2);
	token_of(raw, IDS_ID_LEN / 2, out);
}

void
ids_token_key(const char *token, char id[IDS_ID_LEN + 1])
{
	unsigned char	 raw[32];
	size_t		 len = 0;

	id[0] = '\0';
	if (strlen(token) != IDS_TOKEN_LEN || sodium_base642bin(raw,
	    sizeof(raw), token, IDS_TOKEN_LEN, NULL, &len, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != sizeof(raw))
		return;
	sodium_bin2hex(id, IDS_ID_LEN + 1, raw, IDS_ID_LEN / 2);
	sodium_memzero(raw, sizeof(raw));
}

void
ids_token_hash(const char *token, char out[IDS_HASH_LEN + 1])
{
	unsigned char	 digest[32];

	crypto_generichash(digest, sizeof(digest), (const unsigned char *)token,
	    strlen(token), NULL, 0);
	sodium_bin2hex(out, IDS_HASH_LEN + 1, digest, sizeof(digest));
}

bool
ids_equal(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	return la == lb && sodium_memcmp(a, b, la) == 0;
}

void
ids_uuid(char out[IDS_UUID_LEN + 1])
{
	unsigned char	 u[16];
	char		 hex[33];

	memcpy(u, pool_bytes(sizeof(u)), sizeof(u));
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	sodium_bin2hex(hex, sizeof(hex), u, sizeof(u));
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

uint32_t
ids_uniform(uint32_t upper)
{
	return randombytes_uniform(upper);
}

void
ids_hmac_sha256_base64(const unsigned char *key, size_t keylen,
    const char *msg, size_t msglen, char out[IDS_HMAC_B64_LEN + 1])
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, msglen);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(out, IDS_HMAC_B64_LEN + 1, mac, sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL);
}

int
ids_master_key(const char *b64, unsigned char key[IDS_MASTER_LEN])
{
	size_t	 len;

	return b64[0] != '\0' && sodium_base642bin(key, IDS_MASTER_LEN, b64,
	    strlen(b64), NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    len == IDS_MASTER_LEN ? 0 : -1;
}

char *
ids_seal(const unsigned char key[IDS_MASTER_LEN], const void *plain,
    size_t len)
{
	unsigned char	 box[crypto_secretbox_NONCEBYTES + IDS_SEAL_MAX +
			    crypto_secretbox_MACBYTES];
	size_t		 boxlen = crypto_secretbox_NONCEBYTES + len +
			    crypto_secretbox_MACBYTES, b64len;
	char		*out;

	if (len > IDS_SEAL_MAX)
		return NULL;
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len,
	    box, key);
	b64len = sodium_base64_encoded_len(boxlen,
	    sodium_base64_VARIANT_ORIGINAL);
	out = malloc(b64len);
	if (out != NULL)
		sodium_bin2base64(out, b64len, box, boxlen,
		    sodium_base64_VARIANT_ORIGINAL);
	return out;
}

int
ids_unseal(const unsigned char key[IDS_MASTER_LEN], const char *sealed,
    unsigned char *out, size_t cap, size_t *len)
{
	unsigned char	 box[crypto_secretbox_NONCEBYTES + IDS_SEAL_MAX +
			    crypto_secretbox_MACBYTES];
	size_t		 boxlen;

	if (sodium_base642bin(box, sizeof(box), sealed, strlen(sealed), NULL,
	    &boxlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    boxlen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
	    boxlen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES >
	    cap)
		return -1;
	if (crypto_secretbox_open_easy(out, box + crypto_secretbox_NONCEBYTES,
	    boxlen - crypto_secretbox_NONCEBYTES, box, key) != 0)
		return -1;
	*len = boxlen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	return 0;
}
