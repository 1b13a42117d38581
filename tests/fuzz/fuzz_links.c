/*
 * Business Generated Links and Unique Links (src/links.c). The first byte
 * of the input picks what the rest is:
 *   0: a BGL payload as it arrives in ?p=: links_bgl_open must refuse it
 *      (nobody without the keys makes a valid one) with a reason;
 *   1: the plaintext of a payload, encrypted and signed here with the
 *      unit's keys (AES-256-CBC, HMAC-SHA256, as links.h describes): it
 *      opens exactly when it is a JSON object without duplicate keys, to
 *      that object, with the link hash of its base64; one character of the
 *      payload changed (position and value from the input) fails, unless
 *      it is the '+' read as a space, which opens to the same link hash;
 *   2: a JSON object: links_bgl_make then links_bgl_open give it back;
 *   3: secret, e-mail and reference (split at 0x1e): links_unique_hash is
 *      lowercase hex of SHA-1 over their concatenation (one-shot digest).
 */
#include <openssl/evp.h>

#include <jansson.h>

#include "reviewd/ids.h"
#include "reviewd/links.h"

#define FUZZ_INIT
#include "fuzz.h"

#define IV_LEN		16
#define TAG_LEN		32

static unsigned char	 enc_key[LINKS_KEY_LEN], auth_key[LINKS_KEY_LEN];

static void
fuzz_init(void)
{
	size_t	 i;

	for (i = 0; i < LINKS_KEY_LEN; i++) {
		enc_key[i] = (unsigned char)(i * 7 + 1);
		auth_key[i] = (unsigned char)(i * 13 + 5);
	}
}

/* base64(IV || AES-256-CBC(plain) || HMAC-SHA256(IV || ciphertext)),
 * malloc'd; the IV from the plaintext so that a crash reproduces. */
static char *
seal(const uint8_t *plain, size_t len)
{
	EVP_CIPHER_CTX	*ctx = EVP_CIPHER_CTX_new();
	unsigned char	*raw = malloc(IV_LEN + len + 16 + TAG_LEN);
	size_t		 rawlen, b64len, i;
	char		*b64;
	int		 len1, len2;

	FUZZ_ASSERT(ctx != NULL && raw != NULL);
	for (i = 0; i < IV_LEN; i++)
		raw[i] = (unsigned char)(len + i);
	FUZZ_ASSERT(EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, enc_key,
	    raw) == 1);
	FUZZ_ASSERT(EVP_EncryptUpdate(ctx, raw + IV_LEN, &len1, plain,
	    (int)len) == 1);
	FUZZ_ASSERT(EVP_EncryptFinal_ex(ctx, raw + IV_LEN + len1, &len2) == 1);
	rawlen = IV_LEN + (size_t)(len1 + len2);
	crypto_auth_hmacsha256(raw + rawlen, raw, rawlen, auth_key);
	rawlen += TAG_LEN;
	b64len = sodium_base64_encoded_len(rawlen,
	    sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(b64len);
	FUZZ_ASSERT(b64 != NULL);
	sodium_bin2base64(b64, b64len, raw, rawlen,
	    sodium_base64_VARIANT_ORIGINAL);
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	return b64;
}

static void
raw_payload(const uint8_t *data, size_t size)
{
	char	*p = fuzz_string(data, size), why[256] = "";
	json_t	*out = NULL;

	FUZZ_ASSERT(links_bgl_open(enc_key, auth_key, p, &out, NULL, why,
	    sizeof(why)) == -1);
	FUZZ_ASSERT(out == NULL && why[0] != '\0');
	free(p);
}

static void
sealed_payload(const uint8_t *data, size_t size)
{
	char		*b64, hash[IDS_HASH_LEN + 1], hash2[IDS_HASH_LEN + 1];
	char		 want[IDS_HASH_LEN + 1], why[256], old, *plus;
	json_t		*expect, *out = NULL, *out2 = NULL;
	json_error_t	 jerr;
	size_t		 at, n;
	uint8_t		 c;
	int		 rc;

	if (size > 4000 || size < 2)
		return;
	/* the last two bytes say where and what to change */
	at = data[size - 2];
	c = data[size - 1];
	size -= 2;
	b64 = seal(data, size);
	expect = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &jerr);
	rc = links_bgl_open(enc_key, auth_key, b64, &out, hash, why,
	    sizeof(why));
	if (expect != NULL && json_is_object(expect)) {
		FUZZ_ASSERT(rc == 0 && json_equal(out, expect));
		ids_token_hash(b64, want);
		FUZZ_ASSERT(strcmp(hash, want) == 0);
	} else
		FUZZ_ASSERT(rc == -1 && out == NULL);
	/* a '+' read as a space is the same link */
	if (rc == 0 && (plus = strchr(b64, '+')) != NULL) {
		*plus = ' ';
		FUZZ_ASSERT(links_bgl_open(enc_key, auth_key, b64, &out2,
		    hash2, why, sizeof(why)) == 0);
		FUZZ_ASSERT(strcmp(hash, hash2) == 0);
		json_decref(out2);
		out2 = NULL;
		*plus = '+';
	}
	/* any other change of one character is refused */
	n = strlen(b64);
	at %= n;
	old = b64[at];
	if (rc == 0 && c != 0 && c != (uint8_t)old &&
	    !((old == '+' && c == ' ') || (old == ' ' && c == '+'))) {
		b64[at] = (char)c;
		FUZZ_ASSERT(links_bgl_open(enc_key, auth_key, b64, &out2,
		    hash2, why, sizeof(why)) == -1);
		FUZZ_ASSERT(out2 == NULL);
	}
	json_decref(expect);
	json_decref(out);
	free(b64);
}

static void
made_payload(const uint8_t *data, size_t size)
{
	json_t		*obj, *out = NULL;
	json_error_t	 jerr;
	char		*b64 = NULL, why[256];

	obj = json_loadb((const char *)data, size, 0, &jerr);
	if (obj == NULL || !json_is_object(obj)) {
		json_decref(obj);
		return;
	}
	FUZZ_ASSERT(links_bgl_make(enc_key, auth_key, obj, &b64) == 0);
	FUZZ_ASSERT(links_bgl_open(enc_key, auth_key, b64, &out, NULL, why,
	    sizeof(why)) == 0);
	FUZZ_ASSERT(json_equal(out, obj));
	json_decref(out);
	json_decref(obj);
	free(b64);
}

static void
unique(const uint8_t *data, size_t size)
{
	char		*secret, *email, *ref, *all, hex[LINKS_SHA1_HEX + 1];
	char		 want[LINKS_SHA1_HEX + 1];
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	size_t		 n;

	secret = fuzz_take(&data, &size, 0x1e);
	email = fuzz_take(&data, &size, 0x1e);
	ref = fuzz_string(data, size);
	n = strlen(secret) + strlen(email) + strlen(ref);
	all = malloc(n + 1);
	FUZZ_ASSERT(all != NULL);
	snprintf(all, n + 1, "%s%s%s", secret, email, ref);
	links_unique_hash(secret, email, ref, hex);
	FUZZ_ASSERT(EVP_Digest(all, n, md, &mdlen, EVP_sha1(), NULL) == 1 &&
	    mdlen == 20);
	for (i = 0; i < mdlen; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	FUZZ_ASSERT(strcmp(hex, want) == 0);
	free(secret);
	free(email);
	free(ref);
	free(all);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		raw_payload(data + 1, size - 1);
		break;
	case 1:
		sealed_payload(data + 1, size - 1);
		break;
	case 2:
		made_payload(data + 1, size - 1);
		break;
	default:
		unique(data + 1, size - 1);
		break;
	}
	return 0;
}
