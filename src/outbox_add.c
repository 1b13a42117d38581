/*
 * outbox, adding rows: e-mails and webhook calls that handlers, dispatch
 * and webhooks add inside their own transactions (outbox_add and its
 * variants), on their own threads; the lanes of outbox.c deliver them.
 */
#include <stdlib.h>
#include <string.h>

#include "reviewd/clock.h"
#include "reviewd/log.h"
#include "reviewd/metrics.h"
#include "reviewd/outbox.h"
#include "reviewd/outbox_internal.h"

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
	char	*text = json_dumps(payload, JSON_COMPACT);
	int	 ret;

	if (text == NULL)
		return -1;
	ret = outbox_add_text(db, kind, bu, subscription, text, due, owner,
	    id_out);
	free(text);
	return ret;
}

int
outbox_add_text(struct db *db, enum outbox_kind kind, const char *bu,
    const char *subscription, const char *payload, int64_t due,
    const char *owner, char id_out[IDS_ID_LEN + 1])
{
	struct db_stmt	*st = NULL;
	char		 id[IDS_ID_LEN + 1];
	int64_t		 now = clock_now_ms();
	int		 ret = -1;

	ids_new_timed(id);	/* its time is the event's, or internal */
	st = db_prepare(db, sql_insert);
	if (st == NULL || db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, kind_names[kind]) == -1 ||
	    db_bind_text(st, 3, bu) == -1 ||
	    db_bind_text(st, 4, subscription) == -1 ||
	    db_bind_text(st, 5, payload) == -1 ||
	    db_bind_int(st, 6, due) == -1 ||
	    db_bind_int(st, 7, now) == -1 ||
	    db_bind_int(st, 8, (due > now ? due : now) +
	    config_shared()->outbox_give_up_s * 1000) == -1 ||
	    db_bind_text(st, 9, owner) == -1 || db_step(db, st) != DB_DONE)
		goto out;
	if (id_out != NULL)
		memcpy(id_out, id, sizeof(id));
	ret = 0;
out:
	db_release(st);
	return ret;
}

int
outbox_add_email(struct db *db, const char *bu, json_t *msg,
    char id_out[IDS_ID_LEN + 1], struct api_error *err)
{
	const struct outbox_sender	*s = senders[OUTBOX_EMAIL];

	if (s == NULL) {
		log_error("outbox: no e-mail sender is registered");
		api_error_internal(err);
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

/* for invitations_dispatch: e-mails it delivers itself, into the maildir. */

static const char sql_insert_as[] =
    "INSERT INTO outbox (public_id, kind, business_unit_id, payload, "
    "  status, attempts, next_attempt_at, created_at, give_up_at, "
    "  delivered_at, owner) VALUES (?1, 'email', ?2, ?3, ?4, ?5, ?6, ?6, "
    "  ?7, CASE WHEN ?5 = 1 THEN ?6 END, ?8)";

int
outbox_add_email_as(struct db *db, const char *id, const char *bu,
    const char *payload, int64_t now, const char *owner, bool delivered)
{
	if (db_run(db, sql_insert_as, "ssssiiis", id, bu, payload,
	    delivered ? "delivered" : "pending", (int64_t)(delivered ? 1 : 0),
	    now, delivered ? now : now + config_shared()->outbox_give_up_s *
	    1000, owner) == -1)
		return -1;
	if (delivered)
		metrics_outbox_attempt(kind_names[OUTBOX_EMAIL], true);
	return 0;
}
