/*
 * erasure: Trustpilot's invitation-data/delete for a business, and the
 * operator's erasure of an address everywhere. It owns no table: within
 * the caller's one transaction it asks each owner to erase what it keeps
 * (invitations_history.c the invitations and their history, outbox.c the
 * stored e-mails and events, reviews.c the invited reviews and their
 * consumers, idempotency.c the stored answers), then folds the WAL back
 * so that no copy stays there. HTTP worker threads and the CLI.
 */
#include <stdint.h>
#include <stdio.h>

#include "reviewd/auth.h"
#include "reviewd/clock.h"
#include "reviewd/erasure.h"
#include "reviewd/handler.h"
#include "reviewd/idempotency.h"
#include "reviewd/invitations.h"
#include "reviewd/invitations_history.h"
#include "reviewd/json.h"
#include "reviewd/log.h"
#include "reviewd/mailer.h"
#include "reviewd/outbox.h"
#include "reviewd/reviews.h"

#define EMAILS_MAX	10000

/* Everything that names one address inside this unit's data. */
static int
erase_address(struct db *db, const char *bu, const char *email)
{
	if (outbox_erase(db, bu, NULL, email) == -1 ||
	    reviews_erase_referral(db, bu, email) == -1 ||
	    idempotency_erase_address(db, bu, email) == -1)
		return -1;
	return 0;
}

/*
 * Erases, inside the caller's transaction, the unit's invitations of the
 * addresses in emails (a JSON array) or created before older (0: none),
 * with their e-mails, and everything of the unit that names those
 * addresses (erase_address). Adds the number of invitations erased to
 * *count. 0 or -1.
 */
static int
erase_unit(struct db *db, const char *bu, json_t *emails, int64_t older,
    int64_t now, size_t *count)
{
	json_t	*ids = NULL, *v;	/* owned; borrowed */
	char	 owner[IDS_ID_LEN + 16];
	size_t	 i;
	int	 ret = -1;

	if (invitations_erase(db, bu, emails, older, now, &ids) == -1)
		return -1;
	json_array_foreach(ids, i, v) {
		snprintf(owner, sizeof(owner), "invitation:%s",
		    json_string_value(v));
		if (outbox_erase(db, bu, owner, NULL) == -1)
			goto out;
	}
	json_array_foreach(emails, i, v) {
		if (erase_address(db, bu, json_string_value(v)) == -1)
			goto out;
	}
	*count += json_array_size(ids);
	ret = 0;
out:
	json_decref(ids);
	return ret;
}

void
erasure_checkpoint(struct db *db)
{
	/* readers may hold the WAL back; the next automatic checkpoint
	 * finishes the job then */
	if (db_checkpoint(db) == -1)
		log_warn("invitations: checkpoint after erasure deferred");
}

int
erasure_data_delete(ROUTE_HANDLER_PARAMS)
{
	static const char *const allowed[] = { "customerEmails",
	    "deleteOlderThan", NULL };
	json_t		*body, *emails = NULL;	/* borrowed; owned */
	const char	*bu;
	int64_t		 older = 0;
	size_t		 count = 0;
	int		 ret = -1;

	if (auth_business_unit(req, &bu, err) == -1 ||
	    (body = json_body(req, err)) == NULL)
		return -1;
	json_only_keys(body, allowed, err);
	emails = invitations_read_strings(body, "customerEmails", EMAILS_MAX,
	    MAILER_ADDRESS_MAX, err);
	invitations_read_time(body, "deleteOlderThan", &older, err);
	if (err->status == 0 && (emails == NULL) == (older == 0))
		api_error_set(err, 400, "customerEmails", "or deleteOlderThan "
		    "is required, not both");
	if (err->status != 0)
		goto out;
	if (db_tx_begin(req->db) == -1 || erase_unit(req->db, bu, emails,
	    older, clock_now_ms(), &count) == -1) {
		db_fail(req->db, err);
		goto out;
	}
	ret = handler_commit(req, res, 200, json_pack("{s:I}",
	    "erasedInvitations", (json_int_t)count), false, err);
	if (ret == 0)
		erasure_checkpoint(req->db);
out:
	db_tx_rollback(req->db);
	json_decref(emails);
	return ret;
}

/* The units whose data names the address: invitations, invited reviews,
 * stored e-mails and events. A read across the owners' tables. */
static const char sql_units_naming[] =
    "SELECT business_unit_id FROM invitations WHERE consumer_email = ?1 "
    "  COLLATE NOCASE "
    "UNION SELECT business_unit_id FROM reviews WHERE referral_email = ?1 "
    "  COLLATE NOCASE "
    "UNION SELECT business_unit_id FROM outbox WHERE business_unit_id IS "
    "  NOT NULL AND instr(lower(payload), '\"' || lower(?1) || '\"') > 0";

/* A row of sql_units_naming: the unit's id. */
static json_t *
unit_id(struct db_stmt *st)
{
	return json_string(db_text(st, 0));
}

int
erasure_everywhere(struct db *db, const char *email, size_t *invitations,
    size_t *units)
{
	json_t		*bus = json_array(), *emails = json_pack("[s]", email);
	json_t		*v;	/* borrowed */
	int64_t		 now = clock_now_ms();
	size_t		 i;
	int		 ret = -1;

	*invitations = *units = 0;
	if (bus == NULL || emails == NULL ||
	    db_list(db, sql_units_naming, unit_id, bus, "s", email) == -1)
		goto out;
	json_array_foreach(bus, i, v) {
		if (erase_unit(db, json_string_value(v), emails, 0, now,
		    invitations) == -1)
			goto out;
	}
	*units = json_array_size(bus);
	ret = 0;
out:
	json_decref(bus);
	json_decref(emails);
	return ret;
}
