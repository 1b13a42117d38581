/*
 * links: Business Generated Links and Unique Links in Trustpilot's public
 * formats, the per-unit keys behind them (sealed at rest with the master
 * key of the configuration, never shown again after they are made or
 * imported), a test tool for businesses, and personal invitation links.
 * HTTP worker threads. A link that fails any check stores nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "reviewd/auth.h"
#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/handler.h"
#include "reviewd/html.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_links.h"
#include "reviewd/json.h"
#include "reviewd/links.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/utf8.h"

#define B64_ALPHABET \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
#define IV_LEN		16
#define TAG_LEN		32
#define PAYLOAD_MAX	8192
#define SECRET_MAX	128
#define URL_LEN		(CONFIG_STR + 256)

/* BGL and Unique Link primitives. */

int
links_bgl_open(const unsigned char enc[LINKS_KEY_LEN],
    const unsigned char auth[LINKS_KEY_LEN], const char *payload,
    json_t **out, char link_hash[IDS_HASH_LEN + 1], char *why, size_t whylen)
{
	unsigned char	 raw[PAYLOAD_MAX], tag[TAG_LEN], *plain = NULL;
	char		 b64[PAYLOAD_MAX * 2];
	size_t		 rawlen, i, n = strlen(payload);
	int		 len1, len2, ret = -1;
	EVP_CIPHER_CTX	*ctx = NULL;
	json_error_t	 jerr;
	crypto_auth_hmacsha256_state st;

	*out = NULL;
	if (n >= sizeof(b64)) {
		snprintf(why, whylen, "the link is too long");
		return -1;
	}
	/* a '+' that was not URL-encoded arrives as a space */
	for (i = 0; i < n; i++)
		b64[i] = payload[i] == ' ' ? '+' : payload[i];
	b64[n] = '\0';
	/* libsodium reads a byte with the high bit set as the character
	 * of its low bits (0xab as '+'): only the alphabet itself is one
	 * spelling of a link (a fuzz finding) */
	if (strspn(b64, B64_ALPHABET) != n ||
	    sodium_base642bin(raw, sizeof(raw), b64, n, NULL, &rawlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		snprintf(why, whylen, "the payload is not base64");
		return -1;
	}
	if (rawlen < IV_LEN + 16 + TAG_LEN ||
	    (rawlen - IV_LEN - TAG_LEN) % 16 != 0) {
		snprintf(why, whylen, "the payload is truncated");
		return -1;
	}
	/* Authenticate before touching the ciphertext. */
	crypto_auth_hmacsha256_init(&st, auth, LINKS_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, raw, rawlen - TAG_LEN);
	crypto_auth_hmacsha256_final(&st, tag);
	if (sodium_memcmp(tag, raw + rawlen - TAG_LEN, TAG_LEN) != 0) {
		snprintf(why, whylen, "the signature does not match: the link "
		    "was changed or made with other keys");
		return -1;
	}
	plain = malloc(rawlen);
	ctx = EVP_CIPHER_CTX_new();
	if (plain == NULL || ctx == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, enc, raw) != 1 ||
	    EVP_DecryptUpdate(ctx, plain, &len1, raw + IV_LEN,
	    (int)(rawlen - IV_LEN - TAG_LEN)) != 1 ||
	    EVP_DecryptFinal_ex(ctx, plain + len1, &len2) != 1) {
		snprintf(why, whylen, "the payload cannot be decrypted");
		goto out;
	}
	*out = json_loadb((const char *)plain, (size_t)(len1 + len2),
	    JSON_REJECT_DUPLICATES, &jerr);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(why, whylen, "the payload is not a JSON object");
		goto out;
	}
	/* libsodium's decoder takes canonical base64 only: b64 is the one
	 * spelling of these bytes */
	if (link_hash != NULL)
		ids_token_hash(b64, link_hash);
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (plain != NULL)
		sodium_memzero(plain, rawlen);
	free(plain);
	return ret;
}

int
links_bgl_make(const unsigned char enc[LINKS_KEY_LEN],
    const unsigned char auth[LINKS_KEY_LEN], json_t *obj, char **out)
{
	char			*text = json_dumps(obj, JSON_COMPACT);
	unsigned char		*raw = NULL;
	size_t			 len, rawlen = 0, b64len;
	int			 len1, len2, ret = -1;
	EVP_CIPHER_CTX		*ctx = NULL;
	crypto_auth_hmacsha256_state st;

	*out = NULL;
	if (text == NULL)
		return -1;
	len = strlen(text);
	raw = malloc(IV_LEN + len + 16 + TAG_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (raw == NULL || ctx == NULL)
		goto out;
	randombytes_buf(raw, IV_LEN);
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, enc, raw) != 1 ||
	    EVP_EncryptUpdate(ctx, raw + IV_LEN, &len1,
	    (const unsigned char *)text, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, raw + IV_LEN + len1, &len2) != 1)
		goto out;
	rawlen = IV_LEN + (size_t)(len1 + len2);
	crypto_auth_hmacsha256_init(&st, auth, LINKS_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, raw, rawlen);
	crypto_auth_hmacsha256_final(&st, raw + rawlen);
	rawlen += TAG_LEN;
	b64len = sodium_base64_encoded_len(rawlen,
	    sodium_base64_VARIANT_ORIGINAL);
	*out = malloc(b64len);
	if (*out == NULL)
		goto out;
	sodium_bin2base64(*out, b64len, raw, rawlen,
	    sodium_base64_VARIANT_ORIGINAL);
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	free(text);
	return ret;
}

void
links_unique_hash(const char *secret, const char *email, const char *ref,
    char out[LINKS_SHA1_HEX + 1])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();

	out[0] = '\0';
	if (ctx == NULL)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestUpdate(ctx, email, strlen(email)) == 1 &&
	    EVP_DigestUpdate(ctx, ref, strlen(ref)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 20)
		sodium_bin2hex(out, LINKS_SHA1_HEX + 1, md, mdlen);
	EVP_MD_CTX_free(ctx);
}

/* Keys at rest. */

struct keys {
	unsigned char	 enc[LINKS_KEY_LEN];
	unsigned char	 auth[LINKS_KEY_LEN];
	char		 secret[SECRET_MAX + 1];
};

static int
master(const struct config *cfg, unsigned char key[IDS_MASTER_LEN])
{
	return ids_master_key(cfg->links_master_key, key);
}

static const char sql_keys_get[] =
    "SELECT encrypt_key, auth_key, unique_secret FROM link_keys "
    "WHERE business_unit_id = ?";
static const char sql_keys_put[] =
    "INSERT INTO link_keys (business_unit_id, encrypt_key, auth_key, "
    "  unique_secret, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
    "  ?5) ON CONFLICT (business_unit_id) DO UPDATE SET encrypt_key = ?2, "
    "  auth_key = ?3, unique_secret = ?4, updated_at = ?5";

/* 1 with keys, 0 when the unit has none, -1 on failure (logged). */
static int
load_keys(struct db *db, const struct config *cfg, const char *bu,
    struct keys *k)
{
	unsigned char	 mk[IDS_MASTER_LEN];
	struct db_stmt	*st = NULL;
	size_t		 len;
	int		 rc, ret = -1;

	memset(k, 0, sizeof(*k));
	if ((rc = db_row(db, sql_keys_get, &st, "s", bu)) == -1)
		goto out;
	if (rc == DB_DONE) {
		ret = 0;
		goto out;
	}
	if (master(cfg, mk) == -1) {
		log_error("links: keys are stored but [links] master_key is "
		    "not set");
		goto out;
	}
	if (ids_unseal(mk, db_text(st, 0), k->enc, LINKS_KEY_LEN,
	    &len) == -1 || len != LINKS_KEY_LEN ||
	    ids_unseal(mk, db_text(st, 1), k->auth, LINKS_KEY_LEN,
	    &len) == -1 || len != LINKS_KEY_LEN ||
	    ids_unseal(mk, db_text(st, 2), (unsigned char *)k->secret,
	    SECRET_MAX, &len) == -1) {
		log_error("links: cannot unseal the keys of unit=%s (another "
		    "master key?)", bu);
		goto out;
	}
	k->secret[len] = '\0';
	ret = 1;
out:
	db_release(st);
	sodium_memzero(mk, sizeof(mk));
	return ret;
}

static int
store_keys(struct db *db, const struct config *cfg, const char *bu,
    const struct keys *k, struct api_error *err)
{
	unsigned char	 mk[IDS_MASTER_LEN];
	char		*e = NULL, *a = NULL, *s = NULL;
	int		 ret = -1;

	if (master(cfg, mk) == -1) {
		api_error_set(err, 409, NULL, "Link keys need [links] "
		    "master_key in the server configuration");
		return -1;
	}
	e = ids_seal(mk, k->enc, LINKS_KEY_LEN);
	a = ids_seal(mk, k->auth, LINKS_KEY_LEN);
	s = ids_seal(mk, k->secret, strlen(k->secret));
	if (e == NULL || a == NULL || s == NULL || db_run(db, sql_keys_put,
	    "ssssi", bu, e, a, s, clock_now_ms()) == -1)
		db_fail(db, err);
	else
		ret = 0;
	free(e);
	free(a);
	free(s);
	sodium_memzero(mk, sizeof(mk));
	return ret;
}

static json_t *
keys_json(const struct keys *k)
{
	char	 e[64], a[64];

	sodium_bin2base64(e, sizeof(e), k->enc, LINKS_KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(a, sizeof(a), k->auth, LINKS_KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	return json_pack("{s:s, s:s, s:s}", "encryptKey", e, "authKey", a,
	    "uniqueLinkSecret", k->secret);
}

int
links_keys_create(ROUTE_HANDLER_PARAMS)
{
	struct keys	 k;
	const char	*bu;
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	randombytes_buf(k.enc, sizeof(k.enc));
	randombytes_buf(k.auth, sizeof(k.auth));
	ids_random_hex(k.secret, 12);
	if (db_tx_begin(req->db) == -1)
		db_fail(req->db, err);
	else if (store_keys(req->db, req->cfg, bu, &k, err) == 0)
		ret = handler_commit(req, res, 201, keys_json(&k), false, err);
	db_tx_rollback(req->db);
	sodium_memzero(&k, sizeof(k));
	return ret;
}

static int
read_key(json_t *body, const char *name, unsigned char out[LINKS_KEY_LEN],
    bool *given, struct api_error *err)
{
	const char	*s = NULL;
	size_t		 len;

	*given = false;
	if (json_read_string(body, name, false, 1, 64, &s, err) == -1 ||
	    s == NULL)
		return 0;
	if (strspn(s, B64_ALPHABET) != strlen(s) ||
	    sodium_base642bin(out, LINKS_KEY_LEN, s, strlen(s), NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != LINKS_KEY_LEN) {
		api_error_set(err, 400, name, "must be the base64 of 32 bytes");
		return -1;
	}
	*given = true;
	return 0;
}

/* PUT: a business moving from another platform brings the keys it used,
 * so every link it already sent keeps working. */
int
links_keys_import(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "encryptKey", "authKey",
	    "uniqueLinkSecret", NULL };
	struct db	*db = req->db;
	json_t		*body;	/* borrowed */
	struct keys	 k, now;
	const char	*bu, *secret = NULL;
	bool		 has_enc, has_auth;
	int		 have, ret = -1;

	memset(&k, 0, sizeof(k));
	if (auth_business_unit(req, &bu, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	read_key(body, "encryptKey", k.enc, &has_enc, err);
	read_key(body, "authKey", k.auth, &has_auth, err);
	json_read_string(body, "uniqueLinkSecret", false, 1, SECRET_MAX,
	    &secret, err);
	if (err->status == 0 && has_enc != has_auth)
		api_error_set(err, 400, has_enc ? "authKey" : "encryptKey",
		    "is required with the other BGL key");
	if (err->status == 0 && !has_enc && secret == NULL)
		api_error_set(err, 400, "body", "give encryptKey and authKey, "
		    "uniqueLinkSecret, or all three");
	if (err->status != 0)
		goto out;
	if (db_tx_begin(db) == -1) {
		db_fail(db, err);
		goto out;
	}
	/* keep what is not replaced; new units start with random keys */
	have = load_keys(db, req->cfg, bu, &now);
	if (have == -1) {
		api_error_internal(err);
		goto out;
	}
	if (have == 0) {
		randombytes_buf(now.enc, sizeof(now.enc));
		randombytes_buf(now.auth, sizeof(now.auth));
		ids_random_hex(now.secret, 12);
	}
	if (has_enc) {
		memcpy(now.enc, k.enc, LINKS_KEY_LEN);
		memcpy(now.auth, k.auth, LINKS_KEY_LEN);
	}
	if (secret != NULL)
		snprintf(now.secret, sizeof(now.secret), "%s", secret);
	if (store_keys(db, req->cfg, bu, &now, err) == -1)
		goto out;
	ret = handler_commit(req, res, 200, json_pack("{s:b, s:b}", "bglKeys",
	    has_enc, "uniqueLinkSecret", secret != NULL), false, err);
out:
	db_tx_rollback(db);
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(&now, sizeof(now));
	return ret;
}

/* GET says whether keys exist, never what they are. */
int
links_keys_status(ROUTE_HANDLER_PARAMS)
{
	struct keys	 k;
	const char	*bu;
	int		 have;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	if ((have = load_keys(req->db, req->cfg, bu, &k)) == -1) {
		api_error_internal(err);
		return -1;
	}
	sodium_memzero(&k, sizeof(k));
	return response_json(res, 200, json_pack("{s:b, s:b}", "configured",
	    have == 1, "masterKeyConfigured",
	    req->cfg->links_master_key[0] != '\0'), err);
}

/* Opening links. */

static const char sql_unit_by_domain[] =
    "SELECT id FROM business_units WHERE domain = ?";

static int
unit_by_domain(struct db *db, const char *domain, char bu[IDS_ID_LEN + 1])
{
	int	 rc;

	rc = db_one_text(db, sql_unit_by_domain, bu, IDS_ID_LEN + 1, "s",
	    domain);
	return rc == -1 ? -1 : rc == DB_ROW;
}

/* 1: the unit of domain and its keys; 0: no such unit or no keys; -1. */
static int
link_unit(struct db *db, const struct config *cfg, const char *domain,
    char bu[IDS_ID_LEN + 1], struct keys *k)
{
	int	 r = unit_by_domain(db, domain, bu);

	return r != 1 ? r : load_keys(db, cfg, bu, k);
}

static bool
tag_ok(const char *s)
{
	return *s != '\0' && strlen(s) <= 100 && strchr(s, ' ') == NULL &&
	    mailer_header_safe(s);
}

/* Checks what a link carries; a reason in why when it is not usable. */
static int
check_claim(struct link_claim *c, char *why, size_t whylen)
{
	json_t	*t;	/* borrowed */
	size_t	 i;

	if (c->email == NULL || !mailer_address_valid(c->email)) {
		snprintf(why, whylen, "the link has no valid e-mail address");
		return -1;
	}
	if (c->name == NULL || c->name[0] == '\0' ||
	    utf8_length(c->name) > 200 || !mailer_header_safe(c->name)) {
		snprintf(why, whylen, "the link has no valid name");
		return -1;
	}
	if (c->reference != NULL && (utf8_length(c->reference) > 200 ||
	    !mailer_header_safe(c->reference))) {
		snprintf(why, whylen, "the link's reference is not valid");
		return -1;
	}
	json_array_foreach(c->tags, i, t) {
		if (!json_is_string(t) || !tag_ok(json_string_value(t))) {
			snprintf(why, whylen, "the link's tags are not valid");
			return -1;
		}
	}
	json_array_foreach(c->skus, i, t) {
		if (!json_is_string(t) || json_string_length(t) == 0) {
			snprintf(why, whylen, "the link's skus are not valid");
			return -1;
		}
	}
	if (c->locale != NULL && !(islower((unsigned char)c->locale[0]) &&
	    islower((unsigned char)c->locale[1]) && (c->locale[2] == '\0' ||
	    (c->locale[2] == '-' && strlen(c->locale) == 5))))
		c->locale = NULL;	/* not worth a refusal */
	return 0;
}

/* Leads a valid claim to its personal form, or explains why not. */
static int
open_claim(struct request *req, struct response *res, struct link_claim *c,
    struct api_error *err)
{
	enum invitation_link	 state;
	struct api_error	 problems = { 0 };
	char			 token[IDS_TOKEN_LEN + 1], id[IDS_ID_LEN + 1];
	char			 location[IDS_TOKEN_LEN + 32];

	if (invitations_open_link(req->db, c, token, id, &state,
	    &problems) == -1) {
		if (problems.status >= 500) {
			*err = problems;
			return -1;
		}
		return html_message(res, "en", problems.status, "This link is "
		    "not valid", problems.ndetails > 0 ?
		    problems.details[0].reason : problems.message, NULL, NULL,
		    err);
	}
	if (state == INVITATION_LINK_EXPIRED)
		return html_message(res, "en", 410, "This link has expired",
		    "This review link is older than the business allows.",
		    NULL, NULL, err);
	/* relative, so a country host prefix is kept */
	snprintf(location, sizeof(location), "/evaluate-link/%s", token);
	sodium_memzero(token, sizeof(token));
	if (response_header(res, "Location", location) == -1 ||
	    response_header(res, "Cache-Control", "no-store") == -1) {
		api_error_internal(err);
		return -1;
	}
	return html_message(res, "en", 303, "Write your review", "Continue to "
	    "the review form.", NULL, NULL, err);
}

/* The 400 page of a link that cannot be used, saying why. */
static int
invalid_link(struct response *res, const char *why, struct api_error *err)
{
	return html_message(res, "en", 400, "This link is not valid", why,
	    NULL, NULL, err);
}

/* The business unit a link names (by the domain in its path) and the
 * unit's link keys. */
struct link_unit {
	char		 bu[IDS_ID_LEN + 1];
	struct keys	 k;
};

/* Fills u: 1, or 0 when the 404 page was answered (no such unit or no
 * keys), or -1 with err set. */
static int
link_unit_or_404(struct request *req, struct response *res,
    struct link_unit *u, struct api_error *err)
{
	int	 found = link_unit(req->db, req->cfg, request_param(req,
	    "businessDomain"), u->bu, &u->k);

	if (found == -1)
		api_error_internal(err);
	return html_found_or_404(req, res, found, "en", "Unknown link",
	    "This business does not take review links here.", err);
}

int
links_evaluate_bgl(ROUTE_HANDLER_PARAMS)
{
	const char		*payload = request_query(req, "p");
	struct link_claim	 c;
	struct link_unit	 u;
	json_t			*obj = NULL;	/* owned */
	char			 why[160], hash[IDS_HASH_LEN + 1];
	int			 ret;

	memset(&c, 0, sizeof(c));
	memset(&u, 0, sizeof(u));
	if ((ret = link_unit_or_404(req, res, &u, err)) != 1)
		goto out;
	if (payload == NULL || links_bgl_open(u.k.enc, u.k.auth, payload,
	    &obj, hash, why, sizeof(why)) == -1) {
		ret = invalid_link(res, payload == NULL ? "the link has no "
		    "payload" : why, err);
		goto out;
	}
	c.bu = u.bu;
	c.kind = "bgl";
	c.email = json_string_value(json_object_get(obj, "email"));
	c.name = json_string_value(json_object_get(obj, "name"));
	c.reference = json_string_value(json_object_get(obj, "ref"));
	c.locale = json_string_value(json_object_get(obj, "locale"));
	c.tags = json_object_get(obj, "tags");
	c.skus = json_object_get(obj, "skus");
	if ((c.tags != NULL && !json_is_array(c.tags)) ||
	    (c.skus != NULL && !json_is_array(c.skus)) ||
	    check_claim(&c, why, sizeof(why)) == -1) {
		ret = invalid_link(res, c.tags != NULL &&
		    !json_is_array(c.tags) ? "tags must be a list" :
		    c.skus != NULL && !json_is_array(c.skus) ? "skus must be "
		    "a list" : why, err);
		goto out;
	}
	c.link_hash = hash;
	ret = open_claim(req, res, &c, err);
out:
	sodium_memzero(&u, sizeof(u));
	json_decref(obj);
	return ret;
}

int
links_evaluate_unique(ROUTE_HANDLER_PARAMS)
{
	const char		*a = request_query(req, "a");
	const char		*b = request_query(req, "b");
	const char		*name = request_query(req, "c");
	const char		*e = request_query(req, "e");
	struct link_claim	 c;
	struct link_unit	 u;
	char			 why[160], expected[LINKS_SHA1_HEX + 1];
	char			 given[64], email[MAILER_ADDRESS_MAX + 1];
	char			 b64[512], hash[IDS_HASH_LEN + 1];
	size_t			 len, i;
	int			 ret;

	memset(&c, 0, sizeof(c));
	memset(&u, 0, sizeof(u));
	if ((ret = link_unit_or_404(req, res, &u, err)) != 1)
		goto out;
	if (a == NULL || b == NULL || e == NULL || strlen(b) >= sizeof(b64) ||
	    strlen(e) != LINKS_SHA1_HEX) {
		ret = invalid_link(res, "the link lacks a, b or e", err);
		goto out;
	}
	for (i = 0; b[i] != '\0'; i++)
		b64[i] = b[i] == ' ' ? '+' : b[i];
	b64[i] = '\0';
	if (sodium_base642bin((unsigned char *)email, sizeof(email) - 1, b64,
	    strlen(b64), NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		ret = invalid_link(res, "b is not base64", err);
		goto out;
	}
	email[len] = '\0';
	links_unique_hash(u.k.secret, email, a, expected);
	for (i = 0; i < LINKS_SHA1_HEX; i++)
		given[i] = (char)tolower((unsigned char)e[i]);
	given[i] = '\0';
	if (strlen(email) != len ||
	    sodium_memcmp(expected, given, LINKS_SHA1_HEX) != 0) {
		ret = invalid_link(res, "the hash does not match: the link was "
		    "changed or made with another secret", err);
		goto out;
	}
	c.bu = u.bu;
	c.kind = "unique_link";
	c.email = email;
	c.name = name;
	c.reference = a;
	c.locale = request_query(req, "locale");
	if (check_claim(&c, why, sizeof(why)) == -1) {
		ret = invalid_link(res, why, err);
		goto out;
	}
	ids_token_hash(given, hash);
	c.link_hash = hash;
	ret = open_claim(req, res, &c, err);
out:
	sodium_memzero(&u, sizeof(u));
	return ret;
}

/* The test tool: make a link from inputs, or say what is wrong with a
 * link pasted in. */

static const char sql_domain_of[] =
    "SELECT domain FROM business_units WHERE id = ?";

static int
test_make(struct db *db, const struct request *req, const char *bu,
    json_t *body, json_t **out, struct api_error *err)
{
	const char	*type = NULL, *email = NULL, *name = NULL, *ref = NULL;
	const char	*domain = NULL;
	struct db_stmt	*st = NULL;
	char		 hash[LINKS_SHA1_HEX + 1], url[URL_LEN * 4];
	struct keys	 k;
	struct buf	 u;
	json_t		*payload = NULL;
	char		*p = NULL;
	int		 have, ret = -1;

	json_read_string(body, "type", true, 1, 16, &type, err);
	json_read_string(body, "email", true, 3, MAILER_ADDRESS_MAX, &email,
	    err);
	json_read_string(body, "name", true, 1, 200, &name, err);
	json_read_string(body, "ref", false, 1, 200, &ref, err);
	if (email != NULL && !mailer_address_valid(email))
		api_error_set(err, 400, "email", "must be an e-mail address");
	if (type != NULL && strcmp(type, "bgl") != 0 &&
	    strcmp(type, "unique") != 0)
		api_error_set(err, 400, "type", "must be bgl or unique");
	if (err->status != 0)
		return -1;
	if ((have = load_keys(db, req->cfg, bu, &k)) != 1) {
		api_error_set(err, have == 0 ? 409 : 500, NULL, have == 0 ?
		    "This business unit has no link keys yet (POST "
		    "link-keys)" : "Internal error");
		return -1;
	}
	if (db_row(db, sql_domain_of, &st, "s", bu) == DB_ROW)
		domain = db_text(st, 0);
	buf_init(&u, sizeof(url));
	if (strcmp(type, "unique") == 0) {
		char		 b64[512];

		links_unique_hash(k.secret, email, ref != NULL ? ref : "",
		    hash);
		sodium_bin2base64(b64, sizeof(b64),
		    (const unsigned char *)email, strlen(email),
		    sodium_base64_VARIANT_ORIGINAL);
		if (buf_printf(&u, "%s/evaluate/%s?a=", req->cfg->public_url,
		    domain != NULL ? domain : "DOMAIN") == -1 ||
		    request_url_encode(&u, ref != NULL ? ref : "") == -1 ||
		    buf_puts(&u, "&b=") == -1 ||
		    request_url_encode(&u, b64) == -1 ||
		    buf_puts(&u, "&c=") == -1 ||
		    request_url_encode(&u, name) == -1 ||
		    buf_printf(&u, "&e=%s", hash) == -1)
			goto out;
		*out = json_pack("{s:s, s:s}", "hash", hash, "url", u.data);
	} else {
		payload = json_pack("{s:s, s:s}", "email", email, "name", name);
		if (payload == NULL || (ref != NULL && json_object_set_new(
		    payload, "ref", json_string(ref)) == -1) ||
		    links_bgl_make(k.enc, k.auth, payload, &p) == -1 ||
		    buf_printf(&u, "%s/evaluate-bgl/%s?p=",
		    req->cfg->public_url, domain != NULL ? domain :
		    "DOMAIN") == -1 ||
		    request_url_encode(&u, p) == -1)
			goto out;
		*out = json_pack("{s:s, s:s}", "payload", p, "url", u.data);
	}
	ret = *out != NULL ? 0 : -1;
out:
	if (ret == -1 && err->status == 0)
		api_error_internal(err);
	sodium_memzero(&k, sizeof(k));
	buf_release(&u);
	db_release(st);
	json_decref(payload);
	free(p);
	return ret;
}

/* What is wrong with a link a business pasted (or that it is fine). */
static json_t *
links_diagnose(struct db *db, const struct config *cfg, const char *bu,
    const char *url)
{
	const char	*q = strchr(url, '?');
	char		 p[PAYLOAD_MAX], a[256], b[512], e[64], why[160];
	char		 email[MAILER_ADDRESS_MAX + 1];
	char		 expected[LINKS_SHA1_HEX + 1];
	size_t		 len;
	struct keys	 k;
	json_t		*obj = NULL, *out;
	int		 r, have = load_keys(db, cfg, bu, &k);

	if (have != 1) {
		out = json_pack("{s:b, s:s}", "valid", 0, "problem", have == 0 ?
		    "this business unit has no link keys yet" :
		    "the keys cannot be read");
		goto out;
	}
	if (q == NULL) {
		out = json_pack("{s:b, s:s}", "valid", 0, "problem", "the link "
		    "has no query string");
		goto out;
	}
	q++;
	if (strstr(url, "/evaluate-bgl/") != NULL) {
		r = request_form_value(q, strlen(q), "p", p, sizeof(p));
		if (r != 0)
			out = json_pack("{s:b, s:s, s:s}", "valid", 0, "type",
			    "bgl", "problem", r == -1 ? "the link has no p "
			    "parameter" : "the p parameter is malformed or too "
			    "long");
		else if (links_bgl_open(k.enc, k.auth, p, &obj, NULL, why,
		    sizeof(why)) == -1)
			out = json_pack("{s:b, s:s, s:s}", "valid", 0, "type",
			    "bgl", "problem", why);
		else
			out = json_pack("{s:b, s:s, s:O}", "valid", 1, "type",
			    "bgl", "payload", obj);
		goto out;
	}
	if (strstr(url, "/evaluate/") == NULL) {
		out = json_pack("{s:b, s:s}", "valid", 0, "problem", "the path "
		    "is neither /evaluate-bgl/DOMAIN nor /evaluate/DOMAIN");
		goto out;
	}
	if (request_form_value(q, strlen(q), "a", a, sizeof(a)) != 0 ||
	    request_form_value(q, strlen(q), "b", b, sizeof(b)) != 0 ||
	    request_form_value(q, strlen(q), "e", e, sizeof(e)) != 0) {
		out = json_pack("{s:b, s:s, s:s}", "valid", 0, "type", "unique",
		    "problem", "the link lacks a, b or e");
		goto out;
	}
	for (len = 0; b[len] != '\0'; len++)
		if (b[len] == ' ')
			b[len] = '+';
	if (sodium_base642bin((unsigned char *)email, sizeof(email) - 1, b,
	    strlen(b), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		out = json_pack("{s:b, s:s, s:s}", "valid", 0, "type", "unique",
		    "problem", "b is not the base64 of an e-mail address");
		goto out;
	}
	email[len] = '\0';
	if (strlen(email) != len || !utf8_valid(email)) {
		out = json_pack("{s:b, s:s, s:s}", "valid", 0, "type", "unique",
		    "problem", "b is not the base64 of an e-mail address");
		goto out;
	}
	links_unique_hash(k.secret, email, a, expected);
	for (len = 0; e[len] != '\0'; len++)
		e[len] = (char)tolower((unsigned char)e[len]);
	out = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s}", "valid",
	    strcmp(expected, e) == 0, "type", "unique", "email", email, "ref",
	    a, "expectedHash", expected, "problem", strcmp(expected, e) == 0 ?
	    "" : "e is not SHA1(secret + email + ref) in hex");
out:
	sodium_memzero(&k, sizeof(k));
	json_decref(obj);
	return out;
}

int
links_test(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "type", "email", "name", "ref",
	    "url", NULL };
	struct db	*db = req->db;
	json_t		*body, *out = NULL;	/* borrowed; owned */
	const char	*bu, *url = NULL;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	json_read_string(body, "url", false, 10, 8192, &url, err);
	if (err->status != 0)
		return -1;
	if (url != NULL)
		return response_json(res, 200, links_diagnose(db, req->cfg, bu,
		    url), err);
	if (test_make(db, req, bu, body, &out, err) == -1)
		return -1;
	return response_json(res, 200, out, err);
}

/*
 * The application/x-www-form-urlencoded body of req as the JSON object
 * invitation-links reads: each field a string, "tags" (or "tags[]")
 * repeatable into an array, a tags value holding commas split there.
 * NULL with a 400 naming the field when a pair is malformed, not UTF-8,
 * too long or given twice.
 */
static json_t *
form_object(const struct request *req, struct api_error *err)
{
	const char	*p = req->body, *end = req->body + req->body_len;
	const char	*amp, *eq, *v;
	char		 key[64], value[JSON_URL_MAX + 1];
	json_t		*o = json_object(), *tags = NULL;	/* owned */
	size_t		 n;

	if (o == NULL)
		goto oom;
	for (; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL || request_form_decode(p, eq, key,
		    sizeof(key)) == -1 || !utf8_valid(key)) {
			api_error_set(err, 400, "body", "is not a valid form");
			goto fail;
		}
		if (request_form_decode(eq + 1, amp, value, sizeof(value)) ==
		    -1 || !utf8_valid(value)) {
			api_error_set(err, 400, key, "is malformed or too "
			    "long");
			goto fail;
		}
		if (strcmp(key, "tags") == 0 || strcmp(key, "tags[]") == 0) {
			if (tags == NULL && ((tags = json_array()) == NULL ||
			    json_object_set(o, "tags", tags) == -1))
				goto oom;
			for (v = value; *v != '\0'; v += n + (v[n] == ',')) {
				n = strcspn(v, ",");
				if (n > 0 && json_array_append_new(tags,
				    json_stringn(v, n)) == -1)
					goto oom;
			}
		} else if (json_object_get(o, key) != NULL) {
			api_error_set(err, 400, key, "is given twice");
			goto fail;
		} else if (json_object_set_new(o, key,
		    json_string(value)) == -1)
			goto oom;
	}
	json_decref(tags);
	return o;
oom:
	api_error_internal(err);
fail:
	json_decref(tags);
	json_decref(o);
	return NULL;
}

/* The body of invitation-links, owned: JSON, or a form as plugins post
 * it. */
static json_t *
link_body(struct request *req, struct api_error *err)
{
	const char	*ctype = request_header(req, "Content-Type");

	if (ctype != NULL && strncasecmp(ctype,
	    "application/x-www-form-urlencoded", 33) == 0 &&
	    strchr("; \t", ctype[33]) != NULL)
		return form_object(req, err);
	if (ctype == NULL || strncasecmp(ctype, "application/json", 16) != 0) {
		api_error_set(err, 415, "Content-Type", "must be "
		    "application/json or application/x-www-form-urlencoded");
		return NULL;
	}
	return json_incref(json_body(req, err));
}

/* POST .../invitation-links (reference 7.2): a personal link, no e-mail;
 * the body JSON or form-encoded. */
int
links_invitation_link(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "locationId", "referenceId",
	    "email", "name", "locale", "tags", "redirectUri", NULL };
	json_t			*body = NULL;	/* owned */
	struct link_claim	 c;
	enum invitation_link	 state;
	char			 token[IDS_TOKEN_LEN + 1], id[IDS_ID_LEN + 1];
	char			 url[URL_LEN], why[160];
	const char		*location = NULL;
	int			 ret = -1;

	memset(&c, 0, sizeof(c));
	if (auth_business_unit(req, &c.bu, err) == -1 ||
	    (body = link_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	json_read_string(body, "email", true, 3, MAILER_ADDRESS_MAX, &c.email,
	    err);
	json_read_string(body, "name", true, 1, 200, &c.name, err);
	json_read_string(body, "referenceId", false, 1, 200, &c.reference,
	    err);
	json_read_string(body, "locale", false, 2, 5, &c.locale, err);
	json_read_url(body, "redirectUri", false, &c.redirect_uri, err);
	json_read_string(body, "locationId", false, 1, 200, &location, err);
	c.tags = json_object_get(body, "tags");
	if (c.tags != NULL && !json_is_array(c.tags))
		api_error_set(err, 400, "tags", "must be an array of strings");
	if (err->status != 0)
		goto out;
	if (check_claim(&c, why, sizeof(why)) == -1) {
		api_error_set(err, 400, strstr(why, "e-mail") ? "email" :
		    strstr(why, "name") ? "name" : strstr(why, "tags") ?
		    "tags" : "referenceId", "%s", why);
		goto out;
	}
	c.kind = "invitation_link";
	if (invitations_open_link(req->db, &c, token, id, &state, err) == -1)
		goto out;
	snprintf(url, sizeof(url), "%s/evaluate-link/%s", req->cfg->public_url,
	    token);
	sodium_memzero(token, sizeof(token));
	ret = response_json(res, 201, json_pack("{s:s, s:s}", "id", id, "url",
	    url), err);
out:
	json_decref(body);
	return ret;
}
