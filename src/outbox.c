/*
 * outbox: rows of e-mails and webhook calls, leased and delivered by the
 * scheduler thread (outbox_job), added by handlers inside their own
 * transactions. Row states: pending -> delivering (leased) -> delivered,
 * or back to pending with a later next_attempt_at, or dead once give_up_at
 * has passed or the failure is permanent. Dead rows stay for inspection and
 * can be retried by an operator.
 *
 * The outbox knows no transport: each kind of row has a sender registered
 * at start-up (main.c: the mailer's, the webhooks'), and each owner kind an
 * outcome hook. It is the one writer of the outbox table: the modules
 * that need rows changed (erasure, a deleted subscription) call it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/log.h"
#include "reviewd/metrics.h"
#include "reviewd/outbox.h"
#include "reviewd/scheduler.h"

#define WHY_LEN		256
#define PAGE_MAX	100

static const struct config	*outbox_cfg;

static const char *const kind_names[] = {
	[OUTBOX_EMAIL] = "email",
	[OUTBOX_WEBHOOK] = "webhook",
};

void
outbox_configure(const struct config *cfg)
{
	outbox_cfg = cfg;
}

#define NKINDS		(sizeof(kind_names) / sizeof(kind_names[0]))
#define MAX_HOOKS	4

/* Both tables are written at start-up only, before threads run. */
static const struct outbox_sender	*senders[NKINDS];

struct hook {
	const char		*kind;
	outbox_outcome_hook	*hook;
};
static struct hook	 hooks[MAX_HOOKS];
static size_t		 nhooks;

int
outbox_register_sender(enum outbox_kind kind,
    const struct outbox_sender *sender)
{
	if ((size_t)kind >= NKINDS || senders[kind] != NULL)
		return -1;
	senders[kind] = sender;
	return 0;
}

int
outbox_on_outcome(const char *kind, outbox_outcome_hook *hook)
{
	if (nhooks == MAX_HOOKS)
		return -1;
	hooks[nhooks++] = (struct hook){ kind, hook };
	return 0;
}

static const char sql_insert[] =
    "INSERT INTO outbox (public_id, kind, business_unit_id, "
    "  subscription_id, payload, next_attempt_at, created_at, give_up_at, "
    "  owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

int
outbox_add(struct db *db, enum outbox_kind kind, const char *bu,
    const char *subscription, json_t *payload, int64_t due,
    char id_out[IDS_ID_LEN + 1])
{
	return outbox_add_owned(db, kind, bu, subscription, payload, due, NULL,
	    id_out);
}

int
outbox_add_owned(struct db *db, enum outbox_kind kind, const char *bu,
    const char *subscription, json_t *payload, int64_t due,
    const char *owner, char id_out[IDS_ID_LEN + 1])
{
	struct db_stmt	*st = NULL;
	char		 id[IDS_ID_LEN + 1];
	char		*text = json_dumps(payload, JSON_COMPACT);
	int64_t		 now = clock_now_ms();
	int		 ret = -1;

	if (text == NULL)
		return -1;
	ids_new(id);
	st = db_prepare(db, sql_insert);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, kind_names[kind]) == -1 ||
	    db_bind_text(st, 3, bu) == -1 ||
	    db_bind_text(st, 4, subscription) == -1 ||
	    db_bind_text(st, 5, text) == -1 ||
	    db_bind_int(st, 6, due) == -1 ||
	    db_bind_int(st, 7, now) == -1 ||
	    db_bind_int(st, 8, (due > now ? due : now) +
	    outbox_cfg->outbox_give_up_s * 1000) == -1 ||
	    db_bind_text(st, 9, owner) == -1 || db_step(db, st) != DB_DONE)
		goto out;
	if (id_out != NULL)
		memcpy(id_out, id, sizeof(id));
	ret = 0;
out:
	db_release(st);
	free(text);
	return ret;
}

int
outbox_add_email(struct db *db, const char *bu, json_t *msg,
    char id_out[IDS_ID_LEN + 1], struct api_error *err)
{
	const struct outbox_sender	*s = senders[OUTBOX_EMAIL];

	if (s == NULL) {
		log_error("outbox: no e-mail sender is registered");
		api_error_set(err, 500, NULL, "Internal error");
		return -1;
	}
	if (s->check != NULL && s->check(msg, err) == -1)
		return -1;
	if (outbox_add(db, OUTBOX_EMAIL, bu, NULL, msg, clock_now_ms(),
	    id_out) == -1) {
		db_fail(db, err);
		return -1;
	}
	return 0;
}

/* Delivery, on the scheduler thread. */

struct leased {
	int64_t		 rowid;
	char		 public_id[IDS_ID_LEN + 1];
	enum outbox_kind kind;
	char		*subscription;
	json_t		*payload;	/* owned */
	int64_t		 attempts;
	int64_t		 give_up_at;
	char		*owner;		/* "" when none */
	/* the attempt's outcome, recorded with its batch */
	bool		 attempted;	/* false: given back at a stop */
	enum outbox_result result;
	int64_t		 retry_after_s;
	int64_t		 next;		/* OUTBOX_RETRY: due again then */
	char		 why[WHY_LEN];
};

static const char sql_lease[] =
    "UPDATE outbox SET status = 'delivering', lease_until = ?1, "
    "  attempts = attempts + 1 "
    "WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND "
    "  next_attempt_at <= ?2 UNION ALL SELECT id FROM outbox "
    "  WHERE status = 'delivering' AND lease_until <= ?2 LIMIT ?3) "
    "RETURNING id, public_id, kind, coalesce(subscription_id, ''), payload, "
    "  attempts, give_up_at, coalesce(owner, '')";

/* Leases up to n due rows into rows; returns how many, or -1. */
static int
lease(struct db *db, int64_t now, struct leased *rows, int n)
{
	struct db_stmt	*st = NULL;
	int		 got = 0, rc;
	json_error_t	 jerr;

	if (db_tx_begin(db) == -1 || (st = db_prepare(db, sql_lease)) == NULL ||
	    db_bind_int(st, 1, now + outbox_cfg->outbox_lease_s *
	    1000) == -1 || db_bind_int(st, 2, now) == -1 ||
	    db_bind_int(st, 3, n) == -1)
		goto fail;
	while ((rc = db_step(db, st)) == DB_ROW) {
		struct leased	*r = &rows[got];

		r->rowid = db_int(st, 0);
		snprintf(r->public_id, sizeof(r->public_id), "%s",
		    db_text(st, 1));
		r->kind = strcmp(db_text(st, 2), "email") == 0 ? OUTBOX_EMAIL :
		    OUTBOX_WEBHOOK;
		r->subscription = strdup(db_text(st, 3));
		r->payload = json_loads(db_text(st, 4), 0, &jerr);
		r->attempts = db_int(st, 5);
		r->give_up_at = db_int(st, 6);
		r->owner = strdup(db_text(st, 7));
		got++;
		if (r->subscription == NULL || r->owner == NULL)
			goto fail;
	}
	if (rc == -1)
		goto fail;
	db_release(st);
	if (db_tx_commit(db) == -1)
		goto fail;
	return got;
fail:
	db_release(st);
	db_tx_rollback(db);
	while (got > 0) {
		got--;
		free(rows[got].subscription);
		free(rows[got].owner);
		json_decref(rows[got].payload);
	}
	return -1;
}

/* A delivered e-mail keeps its envelope (to, subject) for inspection but
 * not its body and headers: they carry personal links (review, reply,
 * unsubscribe tokens) that must not stay in the database in clear. */
static const char sql_delivered[] =
    "UPDATE outbox SET status = 'delivered', delivered_at = ?, "
    "  lease_until = NULL, last_error = NULL, payload = CASE kind "
    "  WHEN 'email' THEN json_remove(payload, '$.text', '$.html', "
    "  '$.headers') ELSE payload END WHERE id = ? AND status = 'delivering'";
static const char sql_retry[] =
    "UPDATE outbox SET status = 'pending', next_attempt_at = ?, "
    "  lease_until = NULL, last_error = ? "
    "WHERE id = ? AND status = 'delivering'";
static const char sql_dead[] =
    "UPDATE outbox SET status = 'dead', lease_until = NULL, "
    "  last_error = ? WHERE id = ? AND status = 'delivering'";
static const char sql_unlease[] =
    "UPDATE outbox SET status = 'pending', lease_until = NULL, "
    "  attempts = attempts - 1 WHERE id = ?";

/* Exponential backoff, capped, with jitter (75-100%) so failing rows that
 * were queued together do not retry together. */
static int64_t
backoff_ms(int64_t attempts)
{
	int64_t	 base = outbox_cfg->outbox_retry_base_s * 1000;
	int64_t	 cap = outbox_cfg->outbox_retry_cap_s * 1000;
	int64_t	 d = base;

	while (attempts-- > 1 && d < cap)
		d *= 2;
	if (d > cap)
		d = cap;
	return d - (int64_t)ids_uniform((uint32_t)(d / 4 + 1));
}

/* Runs the outcome hook of the row's owner, if it has one: why is NULL
 * for a delivery, else why the row was given up. */
static int
tell_owner(struct db *db, const struct leased *r, const char *why,
    int64_t now)
{
	const char	*colon = strchr(r->owner, ':');
	size_t		 i;

	if (colon == NULL)
		return 0;
	for (i = 0; i < nhooks; i++) {
		if (strlen(hooks[i].kind) == (size_t)(colon - r->owner) &&
		    strncmp(hooks[i].kind, r->owner, (size_t)(colon -
		    r->owner)) == 0)
			return hooks[i].hook(db, colon + 1, why, now);
	}
	return 0;
}

/* Settles r's outcome: a retry that would fall after its give-up time
 * gives up now. */
static void
settle(struct leased *r, int64_t now)
{
	metrics_outbox_attempt(kind_names[r->kind],
	    r->result == OUTBOX_DELIVERED);
	if (r->result != OUTBOX_DELIVERED)
		log_info("outbox: attempt failed id=%s kind=%s "
		    "attempt=%lld: %s", r->public_id, kind_names[r->kind],
		    (long long)r->attempts, r->why);
	if (r->result == OUTBOX_RETRY) {
		r->next = now + (r->retry_after_s > 0 ? r->retry_after_s *
		    1000 : backoff_ms(r->attempts));
		if (r->next > r->give_up_at)
			r->result = OUTBOX_DEAD;
	}
	if (r->result == OUTBOX_DEAD)
		log_warn("outbox: gave up id=%s kind=%s attempts=%lld",
		    r->public_id, kind_names[r->kind], (long long)r->attempts);
}

/* Records r's settled outcome inside the caller's transaction. 0 or -1. */
static int
record(struct db *db, const struct leased *r, int64_t now)
{
	struct db_stmt	*st = NULL;
	int		 ret = -1;

	switch (r->result) {
	case OUTBOX_DELIVERED:
		st = db_prepare(db, sql_delivered);
		if (st == NULL || db_bind_int(st, 1, now) == -1 ||
		    db_bind_int(st, 2, r->rowid) == -1)
			goto out;
		break;
	case OUTBOX_RETRY:
		st = db_prepare(db, sql_retry);
		if (st == NULL || db_bind_int(st, 1, r->next) == -1 ||
		    db_bind_text(st, 2, r->why) == -1 ||
		    db_bind_int(st, 3, r->rowid) == -1)
			goto out;
		break;
	case OUTBOX_DEAD:
		st = db_prepare(db, sql_dead);
		if (st == NULL || db_bind_text(st, 1, r->why) == -1 ||
		    db_bind_int(st, 2, r->rowid) == -1)
			goto out;
		break;
	}
	if (db_step(db, st) != DB_DONE)
		goto out;
	/* Only a row still ours is recorded and its owner told: erasure may
	 * have killed it while it was on its way. */
	if (db_changes(db) == 1 && r->result != OUTBOX_RETRY &&
	    tell_owner(db, r, r->result == OUTBOX_DEAD ? r->why : NULL,
	    now) == -1)
		goto out;
	ret = 0;
out:
	db_release(st);
	return ret;
}

/*
 * Records the outcomes of a batch in one transaction (one commit, one
 * fsync of the WAL, for the whole batch). Should that fail, each row in
 * its own, so that one row that cannot be recorded costs no other its
 * record; a row not recorded keeps its lease and is sent again when it
 * runs out, under the same id.
 */
static void
record_batch(struct db *db, const struct leased *rows, int n, int64_t now)
{
	int	 i;

	if (n <= 0)
		return;		/* an idle round takes no write lock */
	if (db_tx_begin(db) == 0) {
		for (i = 0; i < n; i++) {
			if (rows[i].attempted &&
			    record(db, &rows[i], now) == -1)
				break;
		}
		if (i == n && db_tx_commit(db) == 0)
			return;
		db_tx_rollback(db);
	}
	for (i = 0; i < n; i++) {
		if (!rows[i].attempted)
			continue;
		if (db_tx_begin(db) == -1 || record(db, &rows[i], now) == -1 ||
		    db_tx_commit(db) == -1) {
			db_tx_rollback(db);
			log_error("outbox: cannot record the outcome of id=%s; "
			    "its lease will expire", rows[i].public_id);
		}
	}
}

/* Gives a leased row back untouched (stopping before sending it). */
static void
unlease(struct db *db, const struct leased *r)
{
	struct db_stmt	*st = db_prepare(db, sql_unlease);

	if (st == NULL || db_bind_int(st, 1, r->rowid) == -1 ||
	    db_step(db, st) != DB_DONE)
		log_error("outbox: cannot release id=%s; its lease will "
		    "expire", r->public_id);
	db_release(st);
}

/* The open sessions of a batch, one a kind (NULL until needed). */
struct sessions {
	void	*of[NKINDS];
};

static enum outbox_result
deliver(struct db *db, struct sessions *ss, const struct leased *r,
    int64_t *retry_after_s, char *why, size_t whylen)
{
	const struct outbox_sender	*s = senders[r->kind];
	struct outbox_item		 item = { r->public_id,
					    r->subscription, r->attempts,
					    r->payload };

	*retry_after_s = 0;
	if (r->payload == NULL) {
		snprintf(why, whylen, "the stored payload is not JSON");
		return OUTBOX_DEAD;
	}
	if (s == NULL) {
		snprintf(why, whylen, "no sender is registered for %s rows",
		    kind_names[r->kind]);
		return OUTBOX_RETRY;
	}
	if (s->open != NULL && ss->of[r->kind] == NULL &&
	    (ss->of[r->kind] = s->open(outbox_cfg)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return OUTBOX_RETRY;
	}
	return s->send(db, outbox_cfg, ss->of[r->kind], &item, retry_after_s,
	    why, whylen);
}

static const char sql_next_due[] =
    "SELECT min(t) FROM (SELECT min(next_attempt_at) AS t FROM outbox "
    "  WHERE status = 'pending' UNION ALL SELECT min(lease_until) FROM "
    "  outbox WHERE status = 'delivering')";

static int64_t
next_due(struct db *db)
{
	struct db_stmt	*st = db_prepare(db, sql_next_due);
	int64_t		 due = INT64_MAX;

	if (st != NULL && db_step(db, st) == DB_ROW &&
	    !db_is_null(st, 0))
		due = db_int(st, 0);
	db_release(st);
	return due;
}

/*
 * Makes the batch's sends of each kind final (the maildir's one fsync
 * pass). When that fails, none of that kind's sends counts: they are
 * retried, under the same ids.
 */
static void
flush(struct sessions *ss, struct leased *rows, int n)
{
	char	 why[WHY_LEN];
	size_t	 k;
	int	 i;

	for (k = 0; k < NKINDS; k++) {
		if (ss->of[k] == NULL || senders[k]->flush == NULL ||
		    senders[k]->flush(ss->of[k], why, sizeof(why)) == 0)
			continue;
		for (i = 0; i < n; i++) {
			if (rows[i].attempted && rows[i].kind == k &&
			    rows[i].result == OUTBOX_DELIVERED) {
				rows[i].result = OUTBOX_RETRY;
				snprintf(rows[i].why, sizeof(rows[i].why),
				    "%s", why);
			}
		}
	}
}

/*
 * One batch: lease (one transaction), send each row, flush the senders
 * (the maildir's fsync pass), record every outcome (one transaction).
 * A crash after the flush and before the record sends that batch again
 * when its leases run out: at most one batch twice, each message under
 * its first Message-ID (and the same maildir name, which it replaces), so
 * receivers can tell. Nothing is recorded delivered before its flush.
 */
int64_t
outbox_job(struct db *db, int64_t now)
{
	struct leased	*rows;
	struct sessions	 ss = { { NULL } };
	int		 n, i, batch = (int)outbox_cfg->outbox_batch;
	size_t		 k;

	rows = calloc((size_t)batch, sizeof(*rows));
	if (rows == NULL)
		return now + 1000;
	n = lease(db, now, rows, batch);
	for (i = 0; i < n; i++) {
		if (scheduler_stopping()) {
			unlease(db, &rows[i]);
			continue;
		}
		rows[i].attempted = true;
		rows[i].result = deliver(db, &ss, &rows[i],
		    &rows[i].retry_after_s, rows[i].why, sizeof(rows[i].why));
	}
	flush(&ss, rows, n);
	for (k = 0; k < NKINDS; k++) {
		if (ss.of[k] != NULL && senders[k]->close != NULL)
			senders[k]->close(ss.of[k]);
	}
	for (i = 0; i < n; i++) {
		if (rows[i].attempted)
			settle(&rows[i], clock_now_ms());
	}
	record_batch(db, rows, n, clock_now_ms());
	for (i = 0; i < n; i++) {
		free(rows[i].subscription);
		free(rows[i].owner);
		json_decref(rows[i].payload);
	}
	free(rows);
	if (n == batch)
		return now;		/* more may be due */
	return n == -1 ? now + 1000 : next_due(db);
}

/* Admin API. */

#define ROW_COLUMNS							\
	"public_id, kind, status, attempts, next_attempt_at, lease_until, " \
	"last_error, created_at, give_up_at, delivered_at, "		\
	"business_unit_id, subscription_id, payload"

static json_t *
row_json(struct db_stmt *st)
{
	json_t		*o, *payload;	/* owned */
	json_error_t	 jerr;
	static const struct {
		const char	*key;
		int		 col;
	} times[] = {
		{ "nextAttemptAt", 4 }, { "leaseUntil", 5 }, { "createdAt", 7 },
		{ "giveUpAt", 8 }, { "deliveredAt", 9 },
	};
	size_t		 i;

	o = json_pack("{s:s, s:s, s:s, s:I}", "id", db_text(st, 0), "kind",
	    db_text(st, 1), "status", db_text(st, 2), "attempts",
	    (json_int_t)db_int(st, 3));
	if (o == NULL)
		return NULL;
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		if (json_object_set_new(o, times[i].key, db_json_time(st,
		    times[i].col)) == -1)
			goto fail;
	}
	payload = json_loads(db_text(st, 12), 0, &jerr);
	if (json_object_set_new(o, "lastError",
	    db_json_text(st, 6)) == -1 ||
	    json_object_set_new(o, "businessUnitId",
	    db_json_text(st, 10)) == -1 ||
	    json_object_set_new(o, "subscriptionId",
	    db_json_text(st, 11)) == -1 ||
	    json_object_set_new(o, "payload",
	    payload != NULL ? payload : json_null()) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static const char sql_list[] =
    "SELECT " ROW_COLUMNS " FROM outbox "
    "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR kind = ?2) "
    "ORDER BY id DESC LIMIT ?3 OFFSET ?4";

int
outbox_admin_list(struct request *req, struct response *res,
    struct api_error *err)
{
	static const char *const statuses[] = { "pending", "delivering",
	    "delivered", "dead", NULL };
	static const char *const kinds[] = { "email", "webhook", NULL };
	const char		*status, *kind;
	struct db_stmt		*st;
	struct handler_page	 p = { 1, 20 };
	int			 ret = -1;

	status = request_query_enum(req, "status", statuses, "must be "
	    "pending, delivering, delivered or dead", err);
	kind = request_query_enum(req, "kind", kinds, "must be email or "
	    "webhook", err);
	if (handler_page_args(req, PAGE_MAX, &p, err) == -1 ||
	    err->status != 0)
		return -1;
	st = db_prepare(req->db, sql_list);
	if (st == NULL || db_bind_text(st, 1, status) == -1 ||
	    db_bind_text(st, 2, kind) == -1)
		db_fail(req->db, err);
	else
		ret = handler_page_answer(req, res, st, 3, &p, row_json,
		    "outbox", err);
	db_release(st);
	return ret;
}

static const char sql_retry_dead[] =
    "UPDATE outbox SET status = 'pending', next_attempt_at = ?1, "
    "  give_up_at = ?2, attempts = 0, lease_until = NULL "
    "WHERE public_id = ?3 AND status = 'dead'";
static const char sql_by_public_id[] =
    "SELECT " ROW_COLUMNS " FROM outbox WHERE public_id = ?";

int
outbox_admin_retry(struct request *req, struct response *res,
    struct api_error *err)
{
	struct db	*db = req->db;
	const char	*id = request_param(req, "outboxId");
	struct db_stmt	*st = NULL;
	int64_t		 now = clock_now_ms();
	int64_t		 changed;
	int		 rc, ret = -1;
	json_t		*row;	/* owned, taken by handler_commit */

	if (db_tx_begin(db) == -1 ||
	    (st = db_prepare(db, sql_retry_dead)) == NULL ||
	    db_bind_int(st, 1, now) == -1 ||
	    db_bind_int(st, 2, now + outbox_cfg->outbox_give_up_s *
	    1000) == -1 || db_bind_text(st, 3, id) == -1 ||
	    db_step(db, st) != DB_DONE)
		goto dberr;
	changed = db_changes(db);
	db_release(st);
	st = db_prepare(db, sql_by_public_id);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    (rc = db_step(db, st)) == -1)
		goto dberr;
	if (rc == DB_DONE)
		api_error_set(err, 404, NULL, "Outbox row not found");
	else if (changed == 0)
		api_error_set(err, 409, NULL, "Only dead rows can be retried; "
		    "this one is %s", db_text(st, 2));
	else {
		row = row_json(st);
		db_release(st);
		ret = handler_commit(req, res, 200, row, true, err);
	}
	goto out;
dberr:
	db_fail(db, err);
out:
	db_release(st);
	db_tx_rollback(db);
	return ret;
}

/* Changing rows for other modules. */

/* Runs sql (no rows) with its n text parameters (NULL binds NULL). */
static int
run(struct db *db, const char *sql, const char *const *params, int n)
{
	struct db_stmt	*st = db_prepare(db, sql);
	int		 i, rc = -1;

	for (i = 0; st != NULL && i < n; i++) {
		if (db_bind_text(st, i + 1, params[i]) == -1)
			break;
	}
	if (st != NULL && i == n)
		rc = db_step(db, st);
	db_release(st);
	return rc == DB_DONE ? 0 : -1;
}

static const char sql_kill_subscription[] =
    "UPDATE outbox SET status = 'dead', lease_until = NULL, "
    "last_error = 'the subscription was deleted' "
    "WHERE subscription_id = ? AND status IN ('pending', 'delivering')";

int
outbox_kill_subscription(struct db *db, const char *subscription)
{
	return run(db, sql_kill_subscription, &subscription, 1);
}

static const char sql_anonymise[] =
    "UPDATE outbox SET payload = json_replace(payload, "
    "  '$.body.events[0].eventData.consumer.name', 'Anonymous') "
    "WHERE kind = 'webhook' AND json_extract(payload, "
    "  '$.body.events[0].eventData.consumer.id') IN "
    "  (SELECT value FROM json_each(?))";

int
outbox_anonymise_consumers(struct db *db, const char *ids)
{
	return run(db, sql_anonymise, &ids, 1);
}

/* instr() is SQLite's (strpos() in PostgreSQL); see db.h. */
static const char sql_erase[] =
    "UPDATE outbox SET payload = '{\"erased\":true}', "
    "  status = CASE WHEN status IN ('pending', 'delivering') THEN 'dead' "
    "  ELSE status END, last_error = CASE WHEN status IN ('pending', "
    "  'delivering') THEN 'erased on request' ELSE last_error END "
    "WHERE business_unit_id = ?1 AND (owner = ?2 OR "
    "  (?3 IS NOT NULL AND instr(lower(payload), '\"' || lower(?3) || "
    "  '\"') > 0 AND (owner LIKE 'invitation:%' OR kind = 'webhook' OR "
    "  status NOT IN ('pending', 'delivering'))))";

int
outbox_erase(struct db *db, const char *unit, const char *owner,
    const char *email)
{
	const char	*params[] = { unit, owner, email };

	return run(db, sql_erase, params, 3);
}
