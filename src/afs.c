/*
 * afs: invitations from order e-mails (afs_message.c reads them). HTTP
 * worker threads and the CLI. A message is parsed and the business's
 * pattern matched before any transaction begins: the write that follows
 * is a few short statements.
 *
 * The inbound address is a credential (whoever knows it can queue
 * invitations for the unit): only a hash of its token is stored, and the
 * token sealed with [links] master_key when there is one, so that the
 * settings can show the address again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "reviewd/afs.h"
#include "reviewd/afs_message.h"
#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/ids.h"
#include "reviewd/invitations.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/scheduler.h"
#include "reviewd/upgrade.h"

#define TOKEN_BYTES	20

static const char sql_settings_by_token[] =
    "SELECT business_unit_id, delay_days, reference_pattern "
    "FROM afs_settings WHERE token_hash = ?";
static const char sql_seen[] =
    "INSERT INTO afs_messages (business_unit_id, message_id, received_at) "
    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
static const char sql_seen_invitation[] =
    "UPDATE afs_messages SET invitation_id = ? WHERE business_unit_id = ? "
    "AND message_id = ?";
static const char sql_count[] =
    "UPDATE afs_settings SET received = received + 1, "
    "  created = created + ?2, duplicates = duplicates + ?3, "
    "  rejected = rejected + ?4 WHERE business_unit_id = ?1";

/* "afs-TOKEN@domain" -> TOKEN; -1 when the address is not one. */
static int
recipient_token(const char *recipient, char *token, size_t len)
{
	const char	*at;
	size_t		 n;

	while (*recipient == '<' || *recipient == ' ')
		recipient++;
	at = strchr(recipient, '@');
	if (strncasecmp(recipient, "afs-", 4) != 0 || at == NULL)
		return -1;
	n = (size_t)(at - recipient - 4);
	if (n != TOKEN_BYTES * 2 || n >= len)
		return -1;
	memcpy(token, recipient + 4, n);
	token[n] = '\0';
	return strspn(token, "0123456789abcdef") == n ? 0 : -1;
}

static void
count(struct db *db, const char *bu, int created, int dup, int rejected)
{
	if (db_run(db, sql_count, "siii", bu, (int64_t)created, (int64_t)dup,
	    (int64_t)rejected) == -1)
		log_warn("afs: cannot count a message of unit=%s", bu);
}

int
afs_receive(struct db *db, const struct config *cfg, const char *recipient,
    const char *msg, size_t len, enum afs_result *result,
    char id_out[IDS_ID_LEN + 1], char *why, size_t whylen)
{
	struct afs_order	 o;
	struct api_error	 err;
	struct db_stmt		*st = NULL;
	char			 token[64], hash[IDS_HASH_LEN + 1];
	char			 bu[IDS_ID_LEN + 1];
	char			 pattern[AFS_PATTERN_BYTES + 1];
	int64_t			 delay_days;
	int			 rc;
	bool			 skipped, usable;

	*result = AFS_TEMPORARY;
	why[0] = '\0';
	memset(&err, 0, sizeof(err));
	pattern[0] = '\0';
	if (recipient == NULL || recipient_token(recipient, token,
	    sizeof(token)) == -1) {
		*result = AFS_UNKNOWN_RECIPIENT;
		goto out;
	}
	/* the unit's settings: a read, no transaction is held meanwhile */
	ids_token_hash(token, hash);
	if ((rc = db_row(db, sql_settings_by_token, &st, "s", hash)) == -1)
		goto out;
	if (rc == DB_DONE) {
		*result = AFS_UNKNOWN_RECIPIENT;
		goto out;
	}
	snprintf(bu, sizeof(bu), "%s", db_text(st, 0));
	delay_days = db_int(st, 1);
	if (!db_is_null(st, 2))
		snprintf(pattern, sizeof(pattern), "%s", db_text(st, 2));
	db_release(st);
	st = NULL;

	usable = afs_parse_order(msg, len, bu, pattern, cfg, &o, why,
	    whylen) == 0;
	if (db_tx_begin(db) == -1)
		goto out;
	*result = AFS_REJECTED;
	if (!usable)
		goto counted;
	if (db_run(db, sql_seen, "ssi", bu, o.msgid, clock_now_ms()) == -1) {
		*result = AFS_TEMPORARY;
		goto out;
	}
	if (db_changes(db) == 0) {
		*result = AFS_DUPLICATE;
		count(db, bu, 0, 1, 0);
		goto commit;
	}
	if (invitations_from_order(db, bu, o.addr, o.name, o.reference,
	    clock_now_ms() + delay_days * 86400000, id_out, &skipped,
	    &err) == -1) {
		*result = err.status >= 500 ? AFS_TEMPORARY : AFS_REJECTED;
		snprintf(why, whylen, "%s", err.ndetails > 0 ?
		    err.details[0].reason : err.message);
		if (*result == AFS_TEMPORARY)
			goto out;
		db_tx_rollback(db);
		if (db_tx_begin(db) == -1)
			goto out;
		goto counted;
	}
	if (db_run(db, sql_seen_invitation, "sss", id_out, bu,
	    o.msgid) == -1) {
		*result = AFS_TEMPORARY;
		goto out;
	}
	*result = skipped ? AFS_SKIPPED : AFS_CREATED;
	count(db, bu, 1, 0, 0);
	goto commit;
counted:
	count(db, bu, 0, 0, 1);
commit:
	if (db_tx_commit(db) == -1)
		*result = AFS_TEMPORARY;
	else if (*result == AFS_CREATED)
		scheduler_wake();
out:
	db_release(st);
	db_tx_rollback(db);
	return 0;
}

/* The settings API. */

/* What is stored of a token: its hash, and (with a master key) the token
 * sealed with it; *sealed is malloc'd or NULL. 0, or -1 (sealing failed). */
static int
store_form(const struct config *cfg, const char *token,
    char hash[IDS_HASH_LEN + 1], char **sealed)
{
	unsigned char	 mk[IDS_MASTER_LEN];

	*sealed = NULL;
	ids_token_hash(token, hash);
	if (ids_master_key(cfg->links_master_key, mk) == -1)
		return 0;
	*sealed = ids_seal(mk, token, strlen(token));
	sodium_memzero(mk, sizeof(mk));
	return *sealed != NULL ? 0 : -1;
}

static const char sql_settings_make[] =
    "INSERT INTO afs_settings (business_unit_id, token_hash, token_sealed, "
    "  updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";

/* Makes the settings (and address) of bu on first use: 1 and the new
 * token in token, 0 when they exist, -1 on failure. */
static int
ensure(struct db *db, const struct config *cfg, const char *bu,
    char token[TOKEN_BYTES * 2 + 1])
{
	char	 hash[IDS_HASH_LEN + 1], *sealed = NULL;
	int	 rc = -1;

	ids_random_hex(token, TOKEN_BYTES);
	if (store_form(cfg, token, hash, &sealed) == 0 &&
	    db_run(db, sql_settings_make, "sssi", bu, hash, sealed,
	    clock_now_ms()) == 0)
		rc = db_changes(db) > 0 ? 1 : 0;
	free(sealed);
	if (rc != 1)
		sodium_memzero(token, TOKEN_BYTES * 2 + 1);
	return rc;
}

/* The address of a unit: from token when it was just made, else opened
 * from its sealed form; NULL when neither is at hand (no master key). */
static json_t *
address_json(const struct config *cfg, const char *token,
    const char *sealed)
{
	unsigned char	 mk[IDS_MASTER_LEN];
	char		 clear[TOKEN_BYTES * 2 + 1], address[CONFIG_STR + 64];
	size_t		 len;

	clear[0] = '\0';
	if (token != NULL && token[0] != '\0')
		snprintf(clear, sizeof(clear), "%s", token);
	else if (sealed != NULL && ids_master_key(cfg->links_master_key,
	    mk) == 0) {
		if (ids_unseal(mk, sealed, (unsigned char *)clear,
		    sizeof(clear) - 1, &len) == 0)
			clear[len] = '\0';
		else
			log_error("afs: cannot unseal an inbound address "
			    "(another master key?)");
		sodium_memzero(mk, sizeof(mk));
	}
	if (clear[0] == '\0')
		return json_null();
	snprintf(address, sizeof(address), "afs-%s@%s", clear,
	    cfg->afs_domain);
	sodium_memzero(clear, sizeof(clear));
	return json_string(address);
}

static const char sql_settings_get[] =
    "SELECT token_sealed, delay_days, reference_pattern, received, created, "
    "  duplicates, rejected FROM afs_settings WHERE business_unit_id = ?";

/* The settings of bu as the API shows them, token the address's when it
 * was just made or rotated. NULL with err set. */
static json_t *
settings_json(struct db *db, const struct config *cfg, const char *bu,
    const char *token, struct api_error *err)
{
	struct db_stmt	*st;
	json_t		*o = NULL;

	if (db_row(db, sql_settings_get, &st, "s", bu) != DB_ROW)
		db_fail(db, err);
	else if ((o = json_pack("{s:o, s:I, s:o, s:{s:I, s:I, s:I, s:I}}",
	    "address", address_json(cfg, token, db_is_null(st, 0) ? NULL :
	    db_text(st, 0)), "delayDays", (json_int_t)db_int(st, 1),
	    "referencePattern", db_json_text(st, 2), "messages",
	    "received", (json_int_t)db_int(st, 3), "created",
	    (json_int_t)db_int(st, 4), "duplicates",
	    (json_int_t)db_int(st, 5), "rejected",
	    (json_int_t)db_int(st, 6))) == NULL)
		api_error_internal(err);
	db_release(st);
	return o;
}

/* Ends a write of bu's settings (its transaction open on req->db): 200
 * with them. 0, or -1 with err set. */
static int
reply_settings(struct request *req, struct response *res, const char *bu,
    const char *token, struct api_error *err)
{
	json_t	*o = settings_json(req->db, req->cfg, bu, token, err);

	if (o == NULL)
		return -1;
	return handler_commit(req, res, 200, o, false, err);
}

int
afs_get(ROUTE_HANDLER_PARAMS)
{
	const char	*bu;
	char		 token[TOKEN_BYTES * 2 + 1];
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	if (db_tx_begin(req->db) == -1 ||
	    ensure(req->db, req->cfg, bu, token) == -1)
		db_fail(req->db, err);
	else
		ret = reply_settings(req, res, bu, token, err);
	db_tx_rollback(req->db);
	sodium_memzero(token, sizeof(token));
	return ret;
}

/* ?1 a delay below 0 keeps the stored one */
static const char sql_settings_patch[] =
    "UPDATE afs_settings SET delay_days = CASE WHEN ?1 < 0 "
    "  THEN delay_days ELSE ?1 END, "
    "  reference_pattern = CASE WHEN ?2 THEN ?3 ELSE reference_pattern END, "
    "  updated_at = ?4 WHERE business_unit_id = ?5";

int
afs_patch(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "delayDays",
	    "referencePattern", NULL };
	struct db	*db = req->db;
	json_t		*body;	/* borrowed */
	const char	*bu, *pattern = NULL;
	char		 token[TOKEN_BYTES * 2 + 1], why[240];
	int64_t		 delay = -1;
	bool		 set_pattern;
	int		 ret = -1;

	token[0] = '\0';
	if (auth_business_unit(req, &bu, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	json_read_int(body, "delayDays", false, 0, 90, &delay, err);
	set_pattern = json_object_get(body, "referencePattern") != NULL;
	if (json_read_string(body, "referencePattern", false, 1,
	    AFS_PATTERN_MAX, &pattern, err) == 0 && pattern != NULL &&
	    afs_pattern_check(pattern, why, sizeof(why)) == -1)
		api_error_set(err, 400, "referencePattern", "%s", why);
	if (err->status != 0)
		goto out;
	if (db_tx_begin(db) == -1 ||
	    ensure(db, req->cfg, bu, token) == -1 ||
	    db_run(db, sql_settings_patch, "iisis", delay,
	    (int64_t)set_pattern, pattern, clock_now_ms(), bu) == -1)
		db_fail(db, err);
	else
		ret = reply_settings(req, res, bu, token, err);
out:
	db_tx_rollback(db);
	sodium_memzero(token, sizeof(token));
	return ret;
}

static const char sql_settings_rotate[] =
    "UPDATE afs_settings SET token_hash = ?1, token_sealed = ?2, "
    "  updated_at = ?3 WHERE business_unit_id = ?4";

int
afs_rotate(ROUTE_HANDLER_PARAMS)
{
	struct db	*db = req->db;
	const char	*bu;
	char		 token[TOKEN_BYTES * 2 + 1], first[TOKEN_BYTES * 2 + 1];
	char		 hash[IDS_HASH_LEN + 1], *sealed = NULL;
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1)
		return -1;
	ids_random_hex(token, TOKEN_BYTES);
	if (store_form(req->cfg, token, hash, &sealed) == -1 ||
	    db_tx_begin(db) == -1 || ensure(db, req->cfg, bu, first) == -1 ||
	    db_run(db, sql_settings_rotate, "ssis", hash, sealed,
	    clock_now_ms(), bu) == -1)
		db_fail(db, err);
	else
		ret = reply_settings(req, res, bu, token, err);
	db_tx_rollback(db);
	free(sealed);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(first, sizeof(first));
	return ret;
}

/* A clear token is TOKEN_BYTES * 2 = 40 hex digits, a hash 64. */
static const char sql_unconverted[] =
    "SELECT business_unit_id, token_hash FROM afs_settings "
    "WHERE length(token_hash) = 40 LIMIT 1";
static const char sql_convert[] =
    "UPDATE afs_settings SET token_hash = ?1, token_sealed = ?2 "
    "WHERE business_unit_id = ?3";
static const char sql_patterns[] =
    "SELECT business_unit_id, reference_pattern FROM afs_settings "
    "WHERE reference_pattern IS NOT NULL";

/* upgrade_rows' step: the clear token of unit bu becomes its hash (and
 * sealed form). */
static int
convert_token(struct db *db, const char *bu, const char *token,
    const void *arg)
{
	const struct config	*cfg = arg;
	char			 hash[IDS_HASH_LEN + 1], *sealed = NULL;
	int			 rc = -1;

	if (store_form(cfg, token, hash, &sealed) == 0)
		rc = db_run(db, sql_convert, "sss", hash, sealed, bu);
	free(sealed);
	return rc;
}

/* Warns of the stored patterns PCRE2 refuses (stored before it was used):
 * they are not used. 0 or -1. */
static int
check_patterns(struct db *db)
{
	struct db_stmt	*st = db_prepare(db, sql_patterns);
	char		 why[240];
	int		 rc = -1;

	while (st != NULL && (rc = db_step(db, st)) == DB_ROW) {
		if (afs_pattern_check(db_text(st, 1), why, sizeof(why)) == -1)
			log_warn("afs: referencePattern of unit=%s %s; it is "
			    "not used until the business sets another",
			    db_text(st, 0), why);
	}
	db_release(st);
	return rc == DB_DONE ? 0 : -1;
}

int
afs_upgrade(struct db *db, const struct config *cfg)
{
	bool	 applied;
	int	 n;

	/* a migrations directory that stops before 0011: nothing to do */
	if (upgrade_migrated(db, 11, &applied) == -1)
		goto fail;
	if (!applied)
		return 0;
	if (upgrade_rows(db, sql_unconverted, convert_token, cfg, &n) == -1)
		goto fail;
	if (n > 0)
		log_info("afs: stored %d inbound address tokens as hashes%s",
		    n, cfg->links_master_key[0] != '\0' ? " (and sealed)" :
		    "; without [links] master_key the settings no longer "
		    "show these addresses");
	if (check_patterns(db) == 0)
		return 0;
fail:
	log_error("afs: cannot convert the stored inbound addresses");
	return -1;
}

/* The head of an inbound post (ROUTE_HEAD_CHECK): its address is the
 * route's credential, so a post to none of ours is refused before any of
 * its message is read. */
static int
inbound_head(struct db *db, const char *recipient, struct api_error *err)
{
	char	 token[64], hash[IDS_HASH_LEN + 1];
	int	 rc = DB_DONE;

	if (recipient_token(recipient, token, sizeof(token)) == 0) {
		ids_token_hash(token, hash);
		rc = db_exists(db, sql_settings_by_token, "s", hash);
	}
	return handler_found(db, rc, "recipient", "is not an inbound address "
	    "of this server", err);
}

/* POST /v1/inbound/afs?recipient=ADDRESS with the raw message: 202 when
 * taken (also a duplicate), 404 unknown address, 400 unusable message,
 * 503 try again: what a mail-to-HTTP relay maps to accept, bounce, defer. */
int
afs_inbound(ROUTE_HANDLER_PARAMS)
{
	const char		*ctype = request_header(req, "Content-Type");
	const char		*recipient = request_query(req, "recipient");
	enum afs_result		 result;
	char			 id[IDS_ID_LEN + 1] = "", why[200];
	static const char *const names[] = { "created", "skipped",
	    "duplicate" };

	if (ctype == NULL || (strncasecmp(ctype, "message/rfc822", 14) != 0 &&
	    strncasecmp(ctype, "text/plain", 10) != 0)) {
		api_error_set(err, 415, "Content-Type", "must be "
		    "message/rfc822");
		return -1;
	}
	if (recipient == NULL)
		recipient = request_header(req, "X-Original-To");
	if (recipient == NULL) {
		api_error_set(err, 400, "recipient", "is required (the inbound "
		    "address the message was sent to)");
		return -1;
	}
	if (req->body == NULL)
		return inbound_head(req->db, recipient, err);
	if ((int64_t)req->body_len > req->cfg->afs_max_message_bytes) {
		api_error_set(err, 413, NULL, "The message is larger than "
		    "[afs] max_message_bytes");
		return -1;
	}
	afs_receive(req->db, req->cfg, recipient, req->body, req->body_len,
	    &result, id, why, sizeof(why));
	switch (result) {
	case AFS_CREATED:
	case AFS_SKIPPED:
	case AFS_DUPLICATE:
		return response_json(res, 202, json_pack("{s:s, s:o}",
		    "result", names[result], "invitationId", id[0] != '\0' ?
		    json_string(id) : json_null()), err);
	case AFS_UNKNOWN_RECIPIENT:
		api_error_set(err, 404, "recipient", "is not an inbound "
		    "address of this server");
		return -1;
	case AFS_REJECTED:
		api_error_set(err, 400, "message", "%s", why);
		return -1;
	case AFS_TEMPORARY:
		break;
	}
	api_error_set(err, 503, NULL, "Busy; deliver the message again later");
	api_error_header(err, "Retry-After", "60");
	return -1;
}
