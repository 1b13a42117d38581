/*
 * db on PostgreSQL (issue 17), transactions: BEGIN, then one
 * transaction-scoped advisory lock, so writers take turns across every
 * daemon on the database as SQLite's one writer does (the write gate).
 * Group commit as on SQLite: the writer thread's group (db_group_begin)
 * is one transaction holding the gate, each handler's transaction a
 * savepoint of it, so one COMMIT (and its WAL flush) carries many
 * requests. A claim's transaction (db_tx_begin_claim) skips that lock: it
 * locks only the rows it claims (FOR UPDATE SKIP LOCKED), so daemons
 * claim in parallel. On the connection's own thread, as db_pg.c; these
 * are db_pg_ops's tx_ and group_ entries.
 */
#include <stdbool.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "reviewd/db_pg_internal.h"
#include "reviewd/log.h"

/* pg_advisory_xact_lock's key for the write gate: "rvwd" */
#define PG_WRITE_LOCK		"1920366436"

static const char sql_begin[] = "BEGIN";
static const char sql_gate[] = "SELECT pg_advisory_xact_lock("
    PG_WRITE_LOCK ")";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_savepoint[] = "SAVEPOINT job";
static const char sql_release[] = "RELEASE SAVEPOINT job";
static const char sql_rollback_to[] = "ROLLBACK TO SAVEPOINT job; "
    "RELEASE SAVEPOINT job";
/* a group's savepoint before each job: a job's failed statement outside
 * its transaction takes only that job's changes */
static const char sql_group_gate[] = "SELECT pg_advisory_xact_lock("
    PG_WRITE_LOCK "); SAVEPOINT grp";
static const char sql_group_next[] = "RELEASE SAVEPOINT grp; "
    "SAVEPOINT grp";
static const char sql_group_undo[] = "ROLLBACK TO SAVEPOINT grp";

/* BEGIN, then the write gate unless gate is false (a claim). A
 * transaction inside one stays an error, as on SQLite. In a group, the
 * handler's transaction is a savepoint of the group's (which holds the
 * gate), ended as before for the handler and made durable by the
 * group's commit. */
static int
begin(struct db *db, bool gate)
{
	struct pgdb	*d = pg(db);

	if (d->group) {
		if (d->job_tx || pg_exec(db, sql_savepoint) == -1) {
			d->failed = true;
			return -1;
		}
		d->job_tx = true;
		return 0;
	}
	if (pg_in_tx(db)) {
		snprintf(pg(db)->error, sizeof(pg(db)->error),
		    "cannot start a transaction within a transaction");
		pg(db)->failed = true;
		log_error("db: %s", pg(db)->error);
		return -1;
	}
	if (pg_exec(db, sql_begin) == -1)
		return -1;
	pg(db)->tx = true;
	if (!gate || pg_exec(db, sql_gate) == 0)
		return 0;
	pg_tx_rollback(db);
	return -1;
}

int
pg_tx_begin(struct db *db)
{
	return begin(db, true);
}

/* A claim: the transaction without the write gate (db.h). */
int
pg_tx_begin_claim(struct db *db)
{
	return begin(db, false);
}

int
pg_tx_commit(struct db *db)
{
	struct pgdb	*d = pg(db);

	/* in the writer's group a handler's transaction is its savepoint */
	if (d->group && !d->job_tx)
		return -1;
	if (PQtransactionStatus(d->conn) == PQTRANS_INERROR) {
		/* COMMIT would answer ROLLBACK and succeed */
		log_error("db: commit of a failed transaction");
		pg_tx_rollback(db);
		return -1;
	}
	if (pg_exec(db, d->group ? sql_release : sql_commit) == -1) {
		pg_tx_rollback(db);
		return -1;
	}
	if (d->group)
		d->job_tx = false;
	else {
		d->tx = false;
		note_written();
	}
	return 0;
}

void
pg_tx_rollback(struct db *db)
{
	struct pgdb	*d;
	PGresult	*res;

	if (db == NULL)
		return;
	d = pg(db);
	if (d->group) {
		if (!d->job_tx)
			return;
		d->job_tx = false;
		/* keeps the handler's error for db_fail */
		res = PQexec(d->conn, sql_rollback_to);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			log_error("db: rollback to a savepoint failed: %s",
			    PQresultErrorMessage(res));
		PQclear(res);
		return;
	}
	d->tx = false;
	if (!pg_in_tx(db))
		return;
	/* keeps the error that made the caller roll back for db_fail */
	res = PQexec(d->conn, sql_rollback);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_error("db: rollback failed: %s", PQresultErrorMessage(res));
	PQclear(res);
}

/* The writer thread's group: one transaction holding the gate (see the
 * top). */
int
pg_group_begin(struct db *db)
{
	struct pgdb	*d = pg(db);

	if (pg_in_tx(db)) {
		log_error("db: a group within a transaction");
		return -1;
	}
	/* BEGIN alone: it reconnects a dropped connection */
	if (pg_exec(db, sql_begin) == -1)
		return -1;
	d->tx = true;
	if (pg_exec(db, sql_group_gate) == -1) {
		pg_tx_rollback(db);
		return -1;
	}
	d->group = true;
	d->job_tx = false;
	return 0;
}

/* false: the group's transaction is gone (its connection). */
bool
pg_group_job_end(struct db *db)
{
	struct pgdb	*d = pg(db);
	PGTransactionStatusType	 t;

	if (d->job_tx) {
		log_error("db: a handler left its transaction open; rolled "
		    "back");
		pg_tx_rollback(db);
	}
	t = PQtransactionStatus(d->conn);
	/* a failed read outside the handler's transaction: its changes go */
	if (t == PQTRANS_INERROR && quiet(d, sql_group_undo) == -1)
		t = PQTRANS_UNKNOWN;
	if (t != PQTRANS_UNKNOWN && t != PQTRANS_IDLE &&
	    quiet(d, sql_group_next) == 0)
		return true;
	log_error("db: the group's transaction was lost: %s", d->error);
	d->group = false;
	d->tx = false;
	if (pg_in_tx(db))
		pg_tx_rollback(db);
	return false;
}

int
pg_group_commit(struct db *db, struct api_error *err)
{
	struct pgdb	*d = pg(db);

	if (!d->group)
		return 0;	/* a job's error took it: nothing to commit */
	d->group = false;
	d->job_tx = false;
	if (PQtransactionStatus(d->conn) == PQTRANS_INTRANS &&
	    pg_exec(db, sql_commit) == 0) {
		d->tx = false;
		note_written();
		return 0;
	}
	pg_fail(db, err);
	pg_tx_rollback(db);
	return -1;
}
