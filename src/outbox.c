/*
 * outbox: rows of e-mails and webhook calls, added by handlers inside
 * their own transactions, leased and delivered by the lanes (a thread per
 * kind of row, woken by the scheduler's outbox_job); adding rows is in
 * outbox_add.c, the admin API and the changes other modules ask for are
 * in outbox_admin.c. Row states:
 * pending -> delivering (leased) -> delivered, or back to pending with a
 * later next_attempt_at, or dead once give_up_at has passed or the
 * failure is permanent. Dead rows stay for inspection and
 * can be retried by an operator.
 *
 * The outbox knows no transport: each kind of row has a sender registered
 * at start-up (main.c: the mailer's, the webhooks'), and each owner kind an
 * outcome hook. It is the one writer of the outbox table: the modules
 * that need rows changed (erasure, a deleted subscription) call it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reviewd/clock.h"
#include "reviewd/handler.h"
#include "reviewd/log.h"
#include "reviewd/metrics.h"
#include "reviewd/outbox.h"
#include "reviewd/outbox_internal.h"

#define WHY_LEN		256


const char *const kind_names[] = {
	[OUTBOX_EMAIL] = "email",
	[OUTBOX_WEBHOOK] = "webhook",
};

#define NKINDS		(sizeof(kind_names) / sizeof(kind_names[0]))
#define MAX_HOOKS	4

/* Both tables are written at start-up only, before threads run. */
const struct outbox_sender	*senders[NKINDS];

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

/*
 * Delivery, on the lanes' threads: one a kind of row, so that no kind
 * waits for another (a webhook receiver that never answers delays no
 * e-mail). The e-mail lane sends batches, one after the other; the
 * webhook lane keeps many rows in flight (a concurrent sender). A lane
 * whose transport fails (OUTBOX_TRANSPORT: the SMTP session, not a
 * message) pauses with backoff, said once in the log and in /readyz; its
 * rows wait for it and none is given up for it.
 */

struct lane {
	enum outbox_kind kind;
	pthread_t	 thread;
	atomic_bool	 running;	/* read by HTTP threads (/readyz) */
	/* lock guards what follows; the pause is read by other threads */
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	bool		 woken;
	void		*session;	/* concurrent: for wake */
	int64_t		 paused_since, paused_until;	/* 0: not paused */
	int64_t		 failures;	/* transport failures in a row */
	char		 why[WHY_LEN];
};

static struct lane	 lanes[NKINDS];
static atomic_bool	 lanes_stopping;

struct leased {
	int64_t		 rowid;
	char		 public_id[IDS_ID_LEN + 1];
	enum outbox_kind kind;
	char		*subscription;
	char		*text;		/* owned: the payload as stored */
	json_t		*payload;	/* owned: parsed when sent */
	int64_t		 attempts;
	int64_t		 give_up_at;
	char		*owner;		/* "" when none */
	/* the attempt's outcome, recorded with its batch */
	bool		 attempted;	/* false: given back at a stop */
	bool		 in_flight;	/* concurrent: started, not ended */
	enum outbox_result result;
	int64_t		 retry_after_s;
	int64_t		 next;		/* due again then (retry, defer) */
	char		 why[WHY_LEN];
};

/* A claim (db_tx_begin_claim): daemons on one PostgreSQL lease in
 * parallel, each skipping the rows another has locked. */
static const char sql_lease[] =
    "UPDATE outbox SET status = 'delivering', lease_until = ?1, "
    "  attempts = attempts + 1 "
    "WHERE id IN (SELECT id FROM outbox WHERE (status = 'pending' AND "
    "  kind = ?4 AND next_attempt_at <= ?2) OR (status = 'delivering' AND "
    "  kind = ?4 AND lease_until <= ?2) LIMIT ?3 "
    "  /*FOR UPDATE SKIP LOCKED*/) "
    "RETURNING id, public_id, kind, coalesce(subscription_id, ''), payload, "
    "  attempts, give_up_at, coalesce(owner, '')";

static void
leased_release(struct leased *r)
{
	free(r->subscription);
	free(r->owner);
	free(r->text);
	json_decref(r->payload);
	memset(r, 0, sizeof(*r));
}

/* How long a lease of kind lasts: [outbox] lease_s, or longer than one
 * attempt of a concurrent sender may take (a row in flight must not be
 * leased again). */
static int64_t
lease_ms(enum outbox_kind kind)
{
	const struct outbox_sender	*s = senders[kind];
	int64_t				 ms;
	int64_t				 longest;

	ms = config_shared()->outbox_lease_s * 1000;
	if (s != NULL && s->longest_ms != NULL) {
		longest = s->longest_ms(config_shared()) + 30000;
		if (longest > ms)
			ms = longest;
	}
	return ms;
}

/* Whether a row of kind is due (a read: the write lock is taken only
 * when there is something to lease; the lanes are woken often). */
static const char sql_any_due[] =
    "SELECT 1 FROM outbox WHERE status = 'pending' AND kind = ?1 AND "
    "  next_attempt_at <= ?2 UNION ALL SELECT 1 FROM outbox WHERE "
    "  status = 'delivering' AND kind = ?1 AND lease_until <= ?2 LIMIT 1";

/* Leases up to n due rows of kind into rows; returns how many, or -1. */
static int
lease(struct db *db, enum outbox_kind kind, int64_t now, struct leased *rows,
    int n)
{
	struct db_stmt	*st = NULL;
	int		 got = 0, rc;

	rc = db_exists(db, sql_any_due, "si", kind_names[kind], now);
	if (rc != DB_ROW)
		return rc == -1 ? -1 : 0;
	if (db_tx_begin_claim(db) == -1 ||
	    (st = db_prepare(db, sql_lease)) == NULL ||
	    db_bind_int(st, 1, now + lease_ms(kind)) == -1 ||
	    db_bind_int(st, 2, now) == -1 || db_bind_int(st, 3, n) == -1 ||
	    db_bind_text(st, 4, kind_names[kind]) == -1)
		goto fail;
	while ((rc = db_step(db, st)) == DB_ROW) {
		struct leased	*r = &rows[got];

		r->rowid = db_int(st, 0);
		snprintf(r->public_id, sizeof(r->public_id), "%s",
		    db_text(st, 1));
		r->kind = kind;
		r->subscription = strdup(db_text(st, 3));
		r->text = strdup(db_text(st, 4));
		r->attempts = db_int(st, 5);
		r->give_up_at = db_int(st, 6);
		r->owner = strdup(db_text(st, 7));
		got++;
		if (r->subscription == NULL || r->owner == NULL ||
		    r->text == NULL)
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
	while (got > 0)
		leased_release(&rows[--got]);
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
/* A row deferred (?4 = 1: not attempted, so not counted) or whose
 * transport failed; it keeps its last error unless given one. */
static const char sql_defer[] =
    "UPDATE outbox SET status = 'pending', next_attempt_at = ?1, "
    "  lease_until = NULL, attempts = max(attempts - ?4, 0), "
    "  last_error = coalesce(?2, last_error) "
    "WHERE id = ?3 AND status = 'delivering'";
static const char sql_unlease[] =
    "UPDATE outbox SET status = 'pending', lease_until = NULL, "
    "  attempts = attempts - 1 WHERE id = ?";

/* Exponential backoff, capped, with jitter (75-100%) so failing rows that
 * were queued together do not retry together. */
static int64_t
backoff_ms(int64_t attempts)
{
	int64_t	 base = config_shared()->outbox_retry_base_s * 1000;
	int64_t	 cap = config_shared()->outbox_retry_cap_s * 1000;
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
 * gives up now; a deferred row (or one the transport failed) never does.
 * resume is when a paused lane tries again. */
static void
settle(struct leased *r, int64_t now, int64_t resume)
{
	/* a transport failure is a failed attempt too, though the row
	 * does not count it (it waits for the transport) */
	if (r->result == OUTBOX_DELIVERED || r->result == OUTBOX_RETRY ||
	    r->result == OUTBOX_DEAD || r->result == OUTBOX_TRANSPORT)
		metrics_outbox_attempt(kind_names[r->kind],
		    r->result == OUTBOX_DELIVERED);
	if (r->result == OUTBOX_RETRY || r->result == OUTBOX_DEAD)
		log_info("outbox: attempt failed id=%s kind=%s "
		    "attempt=%lld: %s", r->public_id, kind_names[r->kind],
		    (long long)r->attempts, r->why);
	switch (r->result) {
	case OUTBOX_RETRY:
		r->next = now + (r->retry_after_s > 0 ? r->retry_after_s *
		    1000 : backoff_ms(r->attempts));
		if (r->next > r->give_up_at)
			r->result = OUTBOX_DEAD;
		break;
	case OUTBOX_DEFER:
		if (r->next == 0)
			r->next = now + (r->retry_after_s > 0 ?
			    r->retry_after_s : 1) * 1000;
		break;
	case OUTBOX_TRANSPORT:
		r->next = resume;
		break;
	default:
		break;
	}
	if (r->result == OUTBOX_DEAD)
		log_warn("outbox: gave up id=%s kind=%s attempts=%lld",
		    r->public_id, kind_names[r->kind], (long long)r->attempts);
}

/* Records r's settled outcome inside the caller's transaction. 0 or -1. */
static int
record(struct db *db, const struct leased *r, int64_t now)
{
	int	 rc = -1;

	switch (r->result) {
	case OUTBOX_DELIVERED:
		rc = db_run(db, sql_delivered, "ii", now, r->rowid);
		break;
	case OUTBOX_RETRY:
		rc = db_run(db, sql_retry, "isi", r->next, r->why, r->rowid);
		break;
	case OUTBOX_DEAD:
		rc = db_run(db, sql_dead, "si", r->why, r->rowid);
		break;
	case OUTBOX_DEFER:
	case OUTBOX_TRANSPORT:
	case OUTBOX_STARTED:
		rc = db_run(db, sql_defer, "isii", r->next, r->why[0] != '\0' ?
		    r->why : NULL, r->rowid,
		    (int64_t)(r->result == OUTBOX_TRANSPORT ? 0 : 1));
		break;
	}
	if (rc == -1)
		return -1;
	/* Only a row still ours is recorded and its owner told: erasure may
	 * have killed it while it was on its way. */
	if (db_changes(db) == 1 && (r->result == OUTBOX_DELIVERED ||
	    r->result == OUTBOX_DEAD) &&
	    tell_owner(db, r, r->result == OUTBOX_DEAD ? r->why : NULL,
	    now) == -1)
		return -1;
	return 0;
}

/*
 * Records the outcomes of the rows marked in batch (attempted and not in
 * flight) in one transaction (one commit, one fsync of the WAL, for the
 * whole batch). Should that fail, each row in its own, so that one row
 * that cannot be recorded costs no other its record; a row not recorded
 * keeps its lease and is sent again when it runs out, under the same id.
 */
static void
record_batch(struct db *db, struct leased **rows, int n, int64_t now)
{
	int	 i;

	if (n <= 0)
		return;		/* an idle round takes no write lock */
	if (db_tx_begin(db) == 0) {
		for (i = 0; i < n; i++) {
			if (record(db, rows[i], now) == -1)
				break;
		}
		if (i == n && db_tx_commit(db) == 0)
			return;
		db_tx_rollback(db);
	}
	for (i = 0; i < n; i++) {
		if (db_tx_begin(db) == -1 || record(db, rows[i], now) == -1 ||
		    db_tx_commit(db) == -1) {
			db_tx_rollback(db);
			log_error("outbox: cannot record the outcome of id=%s; "
			    "its lease will expire", rows[i]->public_id);
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

static const char sql_next_due[] =
    "SELECT min(t) FROM (SELECT min(next_attempt_at) AS t FROM outbox "
    "  WHERE status = 'pending' AND kind = ?1 UNION ALL "
    "  SELECT min(lease_until) FROM outbox WHERE status = 'delivering' "
    "  AND kind = ?1) AS due";

static int64_t
next_due(struct db *db, enum outbox_kind kind)
{
	int64_t	 due = db_one_time(db, sql_next_due, "s", kind_names[kind]);

	/* a failure: the lane's loop wakes within its second anyway */
	return due == -1 ? INT64_MAX : due;
}

/* The lane's pause. */

/* When the paused lane l tries again (0: it is not paused). */
static int64_t
paused_until(struct lane *l)
{
	int64_t	 until;

	(void)pthread_mutex_lock(&l->lock);
	until = l->paused_until;
	(void)pthread_mutex_unlock(&l->lock);
	return until;
}

/* The transport of l failed with why: pauses l with backoff, said in the
 * log when the pause begins or its reason changes; returns when it ends. */
static int64_t
pause_lane(struct lane *l, const char *why, int64_t now)
{
	int64_t	 until;
	bool	 tell;

	(void)pthread_mutex_lock(&l->lock);
	l->failures++;
	until = now + backoff_ms(l->failures);
	tell = l->paused_since == 0 || strcmp(l->why, why) != 0;
	if (l->paused_since == 0)
		l->paused_since = now;
	l->paused_until = until;
	snprintf(l->why, sizeof(l->why), "%s", why);
	(void)pthread_mutex_unlock(&l->lock);
	if (tell)
		log_warn("outbox: %s paused: %s; nothing is given up, "
		    "retrying with backoff", kind_names[l->kind], why);
	else
		log_debug("outbox: %s still paused failures=%lld: %s",
		    kind_names[l->kind], (long long)l->failures, why);
	return until;
}

/* A delivery went through: ends l's pause, if any. */
static void
resume_lane(struct lane *l, int64_t now)
{
	int64_t	 since;

	(void)pthread_mutex_lock(&l->lock);
	since = l->paused_since;
	l->paused_since = l->paused_until = l->failures = 0;
	(void)pthread_mutex_unlock(&l->lock);
	if (since != 0)
		log_info("outbox: %s resumed after %lld s", kind_names[l->kind],
		    (long long)((now - since) / 1000));
}

bool
outbox_paused(enum outbox_kind kind, char *why, size_t whylen,
    int64_t *since, int64_t *until)
{
	struct lane	*l = &lanes[kind];
	bool		 paused;

	if (!atomic_load(&l->running))
		return false;
	(void)pthread_mutex_lock(&l->lock);
	paused = l->paused_since != 0;
	if (paused) {
		snprintf(why, whylen, "%s", l->why);
		*since = l->paused_since;
		*until = l->paused_until;
	}
	(void)pthread_mutex_unlock(&l->lock);
	return paused;
}

/* The e-mail lane: batches, one at a time. */

/* Parses r's stored payload, as it is about to be sent: not under the
 * lease's lock, and one row's at a time in a batch (a batch of parsed
 * messages would weigh several times its text). NULL when it is not
 * JSON: the row is then dead. */
static json_t *
leased_payload(struct leased *r)
{
	json_error_t	 jerr;

	if (r->payload == NULL && r->text != NULL) {
		r->payload = json_loads(r->text, 0, &jerr);
		free(r->text);
		r->text = NULL;
	}
	return r->payload;
}

/* The open session of a batch (NULL until needed). */
static enum outbox_result
deliver_parsed(struct db *db, void **session, const struct leased *r,
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
	if (s->open != NULL && *session == NULL &&
	    (*session = s->open(config_shared())) == NULL) {
		snprintf(why, whylen, "out of memory");
		return OUTBOX_RETRY;
	}
	return s->send(db, config_shared(), *session, &item, retry_after_s, why,
	    whylen);
}

/* Sends r, then forgets its message (its outcome stays in r). */
static enum outbox_result
deliver(struct db *db, void **session, struct leased *r,
    int64_t *retry_after_s, char *why, size_t whylen)
{
	enum outbox_result	 res;

	(void)leased_payload(r);
	res = deliver_parsed(db, session, r, retry_after_s, why, whylen);
	json_decref(r->payload);
	r->payload = NULL;
	return res;
}

/*
 * Makes the batch's sends final (the maildir's one fsync pass). When
 * that fails, none of them counts: they are retried, under the same ids.
 */
static void
flush(const struct outbox_sender *s, void *session, struct leased *rows,
    int n)
{
	char	 why[WHY_LEN];
	int	 i;

	if (session == NULL || s->flush == NULL ||
	    s->flush(session, why, sizeof(why)) == 0)
		return;
	for (i = 0; i < n; i++) {
		if (rows[i].attempted && rows[i].result == OUTBOX_DELIVERED) {
			rows[i].result = OUTBOX_RETRY;
			snprintf(rows[i].why, sizeof(rows[i].why), "%s", why);
		}
	}
}

/*
 * One batch of l: lease (one transaction), send each row, flush the
 * sender (the maildir's fsync pass), record every outcome (one
 * transaction). A crash after the flush and before the record sends that
 * batch again when its leases run out: at most one batch twice, each
 * message under its first Message-ID (and the same maildir name, which it
 * replaces), so receivers can tell. Nothing is recorded delivered before
 * its flush. A transport failure ends the batch: the rows not tried yet
 * are given back. Returns when the lane is next due.
 */
static int64_t
batch(struct db *db, struct lane *l, int64_t now)
{
	const struct outbox_sender	*s = senders[l->kind];
	struct leased			*rows;
	struct leased			**done;
	void				*session = NULL;
	int64_t				 resume = 0, next;
	int				 n, i, ndone = 0;
	int				 size;

	size = (int)config_shared()->outbox_batch;
	rows = calloc((size_t)size, sizeof(*rows));
	done = calloc((size_t)size, sizeof(*done));
	if (rows == NULL || done == NULL) {
		free(rows);
		free(done);
		return now + 1000;
	}
	n = lease(db, l->kind, now, rows, size);
	for (i = 0; i < n; i++) {
		if (atomic_load(&lanes_stopping)) {
			unlease(db, &rows[i]);
			continue;
		}
		rows[i].attempted = true;
		if (resume != 0) {
			/* not tried: waits for the resume, with its reason */
			rows[i].result = OUTBOX_DEFER;
			rows[i].next = resume;
			snprintf(rows[i].why, sizeof(rows[i].why), "%s",
			    l->why);
			continue;
		}
		rows[i].result = deliver(db, &session, &rows[i],
		    &rows[i].retry_after_s, rows[i].why, sizeof(rows[i].why));
		if (rows[i].result == OUTBOX_TRANSPORT)
			resume = pause_lane(l, rows[i].why, clock_now_ms());
		else if (rows[i].result != OUTBOX_DEFER)
			resume_lane(l, clock_now_ms());
	}
	if (s != NULL)
		flush(s, session, rows, n);
	if (session != NULL && s->close != NULL)
		s->close(session);
	for (i = 0; i < n; i++) {
		if (!rows[i].attempted)
			continue;
		settle(&rows[i], clock_now_ms(), resume);
		done[ndone++] = &rows[i];
	}
	record_batch(db, done, ndone, clock_now_ms());
	for (i = 0; i < n; i++)
		leased_release(&rows[i]);
	free(rows);
	free(done);
	if (resume != 0)
		return resume;
	if (n == size)
		return now;		/* more may be due */
	next = n == -1 ? now + 1000 : next_due(db, l->kind);
	return next;
}

/* Sleeps up to until (clock ms), at most a second, or until woken. */
static void
lane_sleep(struct lane *l, int64_t until)
{
	struct timespec	 ts;
	int64_t		 ms = until - clock_now_ms();

	if (ms <= 0)
		return;
	if (ms > 1000)
		ms = 1000;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	(void)pthread_mutex_lock(&l->lock);
	while (!l->woken && !atomic_load(&lanes_stopping)) {
		if (pthread_cond_timedwait(&l->cond, &l->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	l->woken = false;
	(void)pthread_mutex_unlock(&l->lock);
}

static void *
run_batches(void *arg)
{
	struct lane	*l = arg;
	struct db	*db = db_thread();
	int64_t		 now, next, until;

	if (db == NULL) {
		log_error("outbox: no database connection; %s lane stopped",
		    kind_names[l->kind]);
		return NULL;
	}
	while (!atomic_load(&lanes_stopping)) {
		now = clock_now_ms();
		until = paused_until(l);
		next = until > now ? until : batch(db, l, now);
		lane_sleep(l, next);
	}
	db_thread_close();
	return NULL;
}

/* The webhook lane: many rows in flight. */

struct flights {
	struct lane	*lane;
	struct leased	*slots;		/* [size]; rowid 0: a free one */
	struct leased	**done;		/* [size]: ended, to record */
	int		 size, busy, ndone;
};

static void
ended(void *arg, void *tag, enum outbox_result result, int64_t retry_after_s,
    const char *why)
{
	struct flights	*f = arg;
	struct leased	*r = tag;

	r->in_flight = false;
	r->result = result;
	r->retry_after_s = retry_after_s;
	snprintf(r->why, sizeof(r->why), "%s", why != NULL ? why : "");
	f->done[f->ndone++] = r;
	f->busy--;
}

/* Starts r, in a slot of f; when it ends at once, it is in f's done. */
static void
start_one(struct db *db, const struct outbox_sender *s, void *session,
    struct flights *f, struct leased *r)
{
	struct outbox_item	 item = { r->public_id, r->subscription,
				    r->attempts, r->payload };
	enum outbox_result	 res;
	int64_t			 after = 0;
	char			 why[WHY_LEN] = "";

	r->attempted = true;
	r->in_flight = true;
	f->busy++;
	item.payload = leased_payload(r);
	if (r->payload == NULL) {
		ended(f, r, OUTBOX_DEAD, 0, "the stored payload is not JSON");
		return;
	}
	res = s->start(db, config_shared(), session, &item, r, &after, why,
	    sizeof(why));
	if (res != OUTBOX_STARTED)
		ended(f, r, res, after, why);
}

/* Moves the n leased rows into f's free slots and starts them. */
static void
start_rows(struct db *db, const struct outbox_sender *s, void *session,
    struct flights *f, struct leased *rows, int n)
{
	int	 i, slot = 0;

	for (i = 0; i < n; i++) {
		/* a slot is taken from lease to record (rowid 0: free) */
		while (f->slots[slot].rowid != 0)
			slot++;
		f->slots[slot] = rows[i];	/* takes its allocations */
		memset(&rows[i], 0, sizeof(rows[i]));
		start_one(db, s, session, f, &f->slots[slot]);
	}
}

/* Records what ended and frees its slots. */
static void
record_ended(struct db *db, struct flights *f)
{
	int64_t	 now = clock_now_ms();
	int	 i;

	for (i = 0; i < f->ndone; i++)
		settle(f->done[i], now, now + 1000);
	record_batch(db, f->done, f->ndone, now);
	for (i = 0; i < f->ndone; i++)
		leased_release(f->done[i]);
	f->ndone = 0;
}

/*
 * The loop of a concurrent lane: lease as many due rows as there are
 * free slots, start them, wait for any to end (or a wake, or the next
 * due time, at most a second), record what ended. At a stop the session
 * is closed, which ends what is in flight, and those rows are given
 * back: a receiver may get one again, under the same webhook-id.
 */
static void
run_flights(struct db *db, struct lane *l, struct flights *f, void *session)
{
	const struct outbox_sender	*s = senders[l->kind];
	struct leased			*got;
	int64_t				 now, due = 0, wait;
	int				 n, i, free_slots;

	got = calloc((size_t)f->size, sizeof(*got));
	if (got == NULL)
		return;
	while (!atomic_load(&lanes_stopping)) {
		now = clock_now_ms();
		free_slots = f->size - f->busy;
		if (free_slots > 0 && due <= now) {
			n = lease(db, l->kind, now, got, free_slots);
			if (n > 0)
				start_rows(db, s, session, f, got, n);
			if (n == -1)
				due = now + 1000;
			else if (n == free_slots)
				due = now;	/* more may be due */
			else
				due = next_due(db, l->kind);
		}
		record_ended(db, f);
		wait = f->busy < f->size ? due - clock_now_ms() : 1000;
		if (wait > 1000)
			wait = 1000;
		if (wait < 0)
			wait = 0;
		(void)pthread_mutex_lock(&l->lock);
		if (l->woken) {
			wait = 0;
			due = 0;
			l->woken = false;
		}
		(void)pthread_mutex_unlock(&l->lock);
		if (s->poll(db, session, (int)wait, ended, f) == -1)
			lane_sleep(l, clock_now_ms() + 1000);
		record_ended(db, f);
	}
	free(got);
	for (i = 0; i < f->size; i++) {
		if (f->slots[i].in_flight)
			unlease(db, &f->slots[i]);
	}
}

static void *
run_concurrent(void *arg)
{
	struct lane			*l = arg;
	const struct outbox_sender	*s = senders[l->kind];
	struct db			*db = db_thread();
	struct flights			 f = { l, NULL, NULL, 0, 0, 0 };
	void				*session = NULL;
	int				 i;

	f.size = (int)config_shared()->webhooks_concurrency;
	f.slots = calloc((size_t)f.size, sizeof(*f.slots));
	f.done = calloc((size_t)f.size, sizeof(*f.done));
	if (db == NULL || f.slots == NULL || f.done == NULL ||
	    (session = s->open(config_shared())) == NULL) {
		log_error("outbox: cannot start the %s lane",
		    kind_names[l->kind]);
		goto out;
	}
	(void)pthread_mutex_lock(&l->lock);
	l->session = session;
	(void)pthread_mutex_unlock(&l->lock);
	run_flights(db, l, &f, session);
	(void)pthread_mutex_lock(&l->lock);
	l->session = NULL;
	(void)pthread_mutex_unlock(&l->lock);
out:
	if (session != NULL)
		s->close(session);
	for (i = 0; f.slots != NULL && i < f.size; i++)
		leased_release(&f.slots[i]);
	free(f.slots);
	free(f.done);
	if (db != NULL)
		db_thread_close();
	return NULL;
}

static void
lane_wake(struct lane *l)
{
	const struct outbox_sender	*s = senders[l->kind];

	(void)pthread_mutex_lock(&l->lock);
	l->woken = true;
	(void)pthread_cond_signal(&l->cond);
	if (l->session != NULL && s->wake != NULL)
		s->wake(l->session);
	(void)pthread_mutex_unlock(&l->lock);
}

int
outbox_start(void)
{
	pthread_condattr_t	 attr;
	struct lane		*l;
	size_t			 k;
	char			 shown[16];

	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0)
		return -1;
	for (k = 0; k < NKINDS; k++) {
		l = &lanes[k];
		if (senders[k] == NULL)
			continue;
		l->kind = (enum outbox_kind)k;
		if (pthread_mutex_init(&l->lock, NULL) != 0 ||
		    pthread_cond_init(&l->cond, &attr) != 0 ||
		    pthread_create(&l->thread, NULL, senders[k]->start != NULL ?
		    run_concurrent : run_batches, l) != 0) {
			log_error("outbox: cannot start the %s lane",
			    kind_names[k]);
			(void)pthread_condattr_destroy(&attr);
			outbox_stop();
			return -1;
		}
		/* "outbox email", "outbox webhook" in top -H */
		snprintf(shown, sizeof(shown), "outbox %s", kind_names[k]);
		(void)pthread_setname_np(l->thread, shown);
		atomic_store(&l->running, true);
	}
	(void)pthread_condattr_destroy(&attr);
	return 0;
}

void
outbox_stop(void)
{
	size_t	 k;

	atomic_store(&lanes_stopping, true);
	for (k = 0; k < NKINDS; k++) {
		if (!atomic_load(&lanes[k].running))
			continue;
		lane_wake(&lanes[k]);
		if (pthread_join(lanes[k].thread, NULL) != 0)
			log_error("outbox: join failed");
		atomic_store(&lanes[k].running, false);
	}
}

int64_t
outbox_job(struct db *db, int64_t now)
{
	size_t	 k;

	(void)db;
	(void)now;
	for (k = 0; k < NKINDS; k++) {
		if (atomic_load(&lanes[k].running))
			lane_wake(&lanes[k]);
	}
	return INT64_MAX;
}
