/*
 * outbox_mail: what joins the outbox to the mailer, so that neither knows
 * the other. The sender runs on the e-mail lane's thread; the test message
 * handler on HTTP worker threads.
 */
#include <stdbool.h>
#include <stddef.h>

#include "reviewd/handler.h"
#include "reviewd/json.h"
#include "reviewd/mailer.h"
#include "reviewd/outbox_mail.h"

static void *
open_session(const struct config *cfg)
{
	return mailer_open(cfg);
}

static void
close_session(void *session)
{
	mailer_close(session);
}

static int
flush_session(void *session, char *why, size_t whylen)
{
	return mailer_flush(session, why, whylen);
}

static enum outbox_result
send_mail(struct db *db, const struct config *cfg, void *session,
    const struct outbox_item *item, int64_t *retry_after_s, char *why,
    size_t whylen)
{
	(void)db;
	(void)cfg;
	(void)retry_after_s;	/* SMTP asks for no delay */
	switch (mailer_send(session, item->id, item->payload, why, whylen)) {
	case MAILER_SENT:
		return OUTBOX_DELIVERED;
	case MAILER_REJECTED:
		return OUTBOX_DEAD;
	case MAILER_TRANSPORT:
		return OUTBOX_TRANSPORT;
	case MAILER_RETRY:
		break;
	}
	return OUTBOX_RETRY;
}

const struct outbox_sender	outbox_mail_sender = {
	.check = mailer_check,
	.open = open_session,
	.close = close_session,
	.send = send_mail,
	.flush = flush_session,
};

/* Operators check their mail set-up with a real message that takes the
 * same path as every other one. */
int
outbox_admin_mail_test(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "to", "toName", "subject",
	    "locale", NULL };
	json_t		*msg = NULL, *vars = NULL;	/* owned */
	json_t		*body;				/* borrowed */
	const char	*to = NULL, *name = NULL, *subject = NULL;
	const char	*locale = NULL;
	char		 id[IDS_ID_LEN + 1];
	int		 ret = -1;

	if ((body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	json_read_string(body, "to", true, 3, MAILER_ADDRESS_MAX, &to, err);
	json_read_string(body, "toName", false, 0, 200, &name, err);
	json_read_string(body, "subject", false, 1, 200, &subject, err);
	json_read_string(body, "locale", false, 2, 5, &locale, err);
	if (err->status != 0)
		goto out;
	vars = json_pack("{s:s, s:s}", "name", name != NULL && *name != '\0' ?
	    name : to, "instance", req->cfg->public_url);
	msg = json_pack("{s:s}", "to", to);
	if (vars == NULL || msg == NULL ||
	    mailer_render("mail-test", locale, vars, msg) == -1 ||
	    (name != NULL && json_object_set_new(msg, "toName",
	    json_string(name)) == -1) ||
	    (subject != NULL && json_object_set_new(msg, "subject",
	    json_string(subject)) == -1)) {
		api_error_internal(err);
		goto out;
	}
	if (db_tx_begin(req->db) == -1) {
		db_fail(req->db, err);
		goto out;
	}
	if (outbox_add_email(req->db, NULL, msg, id, err) == -1)
		goto out;
	ret = handler_commit(req, res, 202, json_pack("{s:s, s:s}", "id", id,
	    "status", "pending"), true, err);
out:
	db_tx_rollback(req->db);
	json_decref(msg);
	json_decref(vars);
	return ret;
}
