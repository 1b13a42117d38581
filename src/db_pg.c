/*
 * db on PostgreSQL (issue 17): the primitives of db.h over libpq, as
 * db_pg_ops; with the db_pg_*.c files named below, the only files that
 * speak to PostgreSQL. Each thread owns one connection (db.c's
 * db_thread). A statement is prepared on the server once per connection,
 * its "?" and "?N" parameters rewritten to $N, and cached by the address
 * of its SQL constant as on SQLite. A step runs the bound statement once
 * and walks its whole result (lists are pages, so results are small).
 * Parameters go as text and the server infers their types from the
 * statement; columns come back as text, db_int reads them (and "t"/"f"
 * for a boolean). Migrations come from migrations_pg/, built in.
 *
 * Transactions and the writer's group are in db_pg_tx.c, wake-ups
 * between daemons (LISTEN/NOTIFY) in db_pg_listen.c, COPY for copy_data
 * in db_pg_copy.c; what the files share is in db_pg_internal.h.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "reviewd/buf.h"
#include "reviewd/clock.h"
#include "reviewd/db.h"
#include "reviewd/db_pg_internal.h"
#include "reviewd/log.h"

struct pgstmt {
	struct pgdb	*db;
	const char	*sql;		/* the SQLite text, for the log */
	char		 name[16];
	int		 nparams;
	char		*values[DB_PG_MAX_PARAMS];
	unsigned	 session;	/* the d->session it was prepared in */
	PGresult	*res;		/* NULL: not run since the release */
	int		 row;		/* current row of res */
};

/* The storage fault writes fail with now ("53100" disk full, "58030" I/O
 * error), or 0: as on SQLite, set by a failing write, cleared by the next
 * commit. */
static atomic_int	 write_fault;

static struct pgstmt *
pst(struct db_stmt *st)
{
	return (struct pgstmt *)(void *)st;
}

static void	 pg_close(struct db *);

/* Storage faults, as db_sqlite.c's: said once on the change. */
static bool
storage_fault(const char *state)
{
	return strcmp(state, "53100") == 0 || strcmp(state, "58030") == 0;
}

void
note_written(void)
{
	if (atomic_load(&write_fault) != 0 &&
	    atomic_exchange(&write_fault, 0) != 0)
		log_info("db: writes succeed again");
}

/* Remembers why res (NULL: the connection) failed; logs it unless it is
 * a storage fault, which is noted once. */
void
note_error(struct pgdb *d, const PGresult *res, const char *what)
{
	const char	*state = res != NULL ?
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char	*msg = res != NULL ? PQresultErrorMessage(res) : "";
	int		 was = 0, code;
	size_t		 len;

	if (msg == NULL || msg[0] == '\0')
		msg = PQerrorMessage(d->conn);
	snprintf(d->error, sizeof(d->error), "%s", msg);
	len = strlen(d->error);
	while (len > 0 && d->error[len - 1] == '\n')
		d->error[--len] = '\0';
	/* no state: the connection failed ("08006") */
	snprintf(d->sqlstate, sizeof(d->sqlstate), "%s", state != NULL ?
	    state : "08006");
	d->failed = true;
	if (!storage_fault(d->sqlstate)) {
		log_error("db: %s: %s", what, d->error);
		return;
	}
	d->fault = true;
	code = (int)strtol(d->sqlstate, NULL, 10);
	if (atomic_compare_exchange_strong(&write_fault, &was, code))
		log_error("db: %s: writes answer 503 until they succeed "
		    "again; reads are served", d->error);
}

void
note_ok(struct pgdb *d)
{
	d->failed = false;
	d->sqlstate[0] = '\0';
	d->error[0] = '\0';
}

/* The session's settings, on a new or re-established connection. 0 or
 * -1. */
static int
session_setup(struct pgdb *d)
{
	PGresult	*res;
	int		 ret = 0;

	/* Times are UTC milliseconds in bigint columns; text is UTF-8. */
	res = PQexec(d->conn, "SET client_encoding = 'UTF8'; "
	    "SET TIME ZONE 'UTC'; SET client_min_messages = warning");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		note_error(d, res, "connect");
		ret = -1;
	}
	PQclear(res);
	return ret;
}

void
pg_connect_params(const char *conninfo, const char *keys[3],
    const char *values[3])
{
#define DECIMAL(n)	#n
#define DECIMAL_OF(n)	DECIMAL(n)
	keys[0] = "connect_timeout";
	values[0] = DECIMAL_OF(PG_CONNECT_TIMEOUT_S);
	keys[1] = "dbname";
	values[1] = conninfo;
	keys[2] = values[2] = NULL;
}

static struct db *
pg_open(const char *conninfo)
{
	struct pgdb	*d;
	const char	*keys[3], *values[3];

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	pg_connect_params(conninfo, keys, values);
	/* PQreset, in revive, connects again with these */
	d->conn = PQconnectdbParams(keys, values, 1);
	if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK) {
		log_error("db: cannot connect to PostgreSQL: %s",
		    d->conn != NULL ? PQerrorMessage(d->conn) : "no memory");
		goto fail;
	}
	if (session_setup(d) == -1)
		goto fail;
	return (struct db *)(void *)d;
fail:
	pg_close((struct db *)(void *)d);
	return NULL;
}

/*
 * A connection the server or the network dropped (a restart, a failover,
 * an idle timeout) is made again, once per call that finds it dropped:
 * but never inside a transaction of ours, whose work went with the
 * session (its caller fails and rolls back; the next call outside it
 * reconnects). Statements are prepared again as they are next run. true
 * when the connection is usable.
 */
bool
revive(struct pgdb *d)
{
	if (PQstatus(d->conn) == CONNECTION_OK)
		return true;
	if (d->tx)
		return false;
	PQreset(d->conn);
	if (PQstatus(d->conn) != CONNECTION_OK || session_setup(d) == -1) {
		log_error("db: cannot reconnect to PostgreSQL: %s",
		    PQerrorMessage(d->conn));
		return false;
	}
	d->session++;
	log_info("db: reconnected to PostgreSQL");
	return true;
}

static void
stmt_free(struct pgstmt *s)
{
	int	 i;

	if (s == NULL)
		return;
	PQclear(s->res);
	for (i = 0; i < s->nparams; i++)
		free(s->values[i]);
	free(s);
}

static void
pg_close(struct db *db)
{
	struct pgdb	*d = pg(db);
	size_t		 i;

	if (d == NULL)
		return;
	for (i = 0; i < PG_CACHE_SLOTS; i++)
		stmt_free(d->cache[i].st);
	PQfinish(d->conn);
	free(d);
}

/* Also while a transaction of ours lost its connection: until its caller
 * rolls back (which revive waits for). */
bool
pg_in_tx(struct db *db)
{
	PGTransactionStatusType	 t = PQtransactionStatus(pg(db)->conn);

	return pg(db)->tx || t == PQTRANS_INTRANS || t == PQTRANS_INERROR ||
	    t == PQTRANS_ACTIVE;
}

static int64_t
pg_changes(struct db *db)
{
	return pg(db)->changes;
}

static const char *
pg_error_text(struct db *db)
{
	return pg(db)->failed ? pg(db)->error : NULL;
}

/* PostgreSQL overwrites nothing in place: a deleted row's space is
 * reused by VACUUM; there is no setting for this. */
static int
pg_scrub_freed(struct db *db)
{
	(void)db;
	return 0;
}

/* No write-ahead log to fold in from a client: the server checkpoints. */
static int
pg_checkpoint(struct db *db)
{
	(void)db;
	return 0;
}

/* Nothing to tune per connection: the server's WAL and checkpoints are
 * its own, and a bulk of rows commits as durably as any write. */
static int
pg_bulk(struct db *db, bool on)
{
	(void)db;
	(void)on;
	return 0;
}

static bool
pg_fault(struct db *db)
{
	return db != NULL && pg(db)->fault;
}

static void
pg_fault_clear(struct db *db)
{
	if (db != NULL)
		pg(db)->fault = false;
}

static const char *
pg_writable(void)
{
	int	 code = atomic_load(&write_fault);

	if (code == 0)
		return NULL;
	return code == 53100 ? "disk full" : "I/O error";
}

int
pg_exec(struct db *db, const char *sql)
{
	struct pgdb	*d = pg(db);
	PGresult	*res;
	ExecStatusType	 t;
	int		 ret = -1;

	if (!revive(d)) {
		note_error(d, NULL, "exec");
		return -1;
	}
	res = PQexec(d->conn, sql);
	/* a BEGIN that found the connection dropped does no harm again */
	if (PQstatus(d->conn) != CONNECTION_OK && !d->tx &&
	    strcmp(sql, "BEGIN") == 0 && revive(d)) {
		PQclear(res);
		res = PQexec(d->conn, sql);
	}
	t = PQresultStatus(res);
	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
		note_ok(d);
		ret = 0;
	} else
		note_error(d, res, "exec");
	PQclear(res);
	return ret;
}

/* Drops the prepared statement name. 0 or -1 (noted). */
static int
deallocate(struct pgdb *d, const char *name)
{
	char		 sql[64];
	PGresult	*res;
	int		 ret = 0;

	snprintf(sql, sizeof(sql), "DEALLOCATE %s", name);
	res = PQexec(d->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		note_error(d, res, "deallocate");
		ret = -1;
	}
	PQclear(res);
	return ret;
}

#define INT2OID		21
#define INT4OID		23
#define INT8OID		20

#define TEXTOID		25
#define BOOLOID		16

/* Runs sql (a savepoint's), its error noted. 0 or -1. */
int
quiet(struct pgdb *d, const char *sql)
{
	PGresult	*res = PQexec(d->conn, sql);
	int		 ret = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		note_error(d, res, "prepare");
		ret = -1;
	}
	PQclear(res);
	return ret;
}

/* The parameter (from 0) a failed prepare could not type, or -1. */
static int
untyped_param(const PGresult *res)
{
	const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char	*msg = PQresultErrorField(res,
			    PG_DIAG_MESSAGE_PRIMARY);
	const char	*dollar;
	long		 n;

	if (state == NULL || (strcmp(state, "42P18") != 0 &&
	    strcmp(state, "42P08") != 0) || msg == NULL ||
	    (dollar = strchr(msg, '$')) == NULL)
		return -1;
	n = strtol(dollar + 1, NULL, 10);
	return n >= 1 && n <= DB_PG_MAX_PARAMS ? (int)n - 1 : -1;
}

/* Whether a failed prepare says an operator or function does not take
 * the types given (a parameter typed text that is a number). */
static bool
type_mismatch(const PGresult *res)
{
	const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL && (strcmp(state, "42883") == 0 ||
	    strcmp(state, "42804") == 0);
}

/*
 * Prepares text as s->name, with the parameter types the server infers
 * from the statement. Where it cannot (SQLite's "?1 IS NULL OR col = ?1"
 * types nothing at its first use), the parameter is tried as text, then,
 * when text does not fit where it is used, as bigint, then as a boolean
 * ("(x IS NULL) = ?"): reviewd binds only text and 64-bit integers. A
 * parameter inferred as a 32- or 16-bit integer (next to a literal, as
 * in "? + 1000") is made a bigint (times in milliseconds do not fit 32
 * bits). Round trips at the first prepare of a statement on a connection
 * only. 0 or -1 (noted).
 */
static int
server_prepare(struct pgdb *d, struct pgstmt *s, const char *text)
{
	PGresult	*res = NULL, *desc = NULL;
	Oid		 types[DB_PG_MAX_PARAMS];
	bool		 again = false, tx = pg_in_tx((struct db *)(void *)d);
	int		 i, n, tries, last = -1, ret = -1;

	memset(types, 0, sizeof(types));
	/* in a transaction, a failed try must not abort it */
	if (tx && quiet(d, "SAVEPOINT db_prepare") == -1)
		return -1;
	for (tries = 0; tries < 3 * s->nparams + 1; tries++) {
		PQclear(res);
		res = PQprepare(d->conn, s->name, text, s->nparams, types);
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			break;
		if (tx && quiet(d, "ROLLBACK TO SAVEPOINT db_prepare") == -1)
			goto out;
		if ((i = untyped_param(res)) >= 0 && types[i] == 0) {
			types[i] = TEXTOID;
			last = i;
		} else if (last >= 0 && types[last] == TEXTOID &&
		    type_mismatch(res))
			types[last] = INT8OID;
		else if (last >= 0 && types[last] == INT8OID &&
		    type_mismatch(res)) {
			types[last] = BOOLOID;	/* binds "0" and "1" */
			last = -1;
		} else
			break;
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		note_error(d, res, "prepare");
		goto out;
	}
	desc = PQdescribePrepared(d->conn, s->name);
	if (PQresultStatus(desc) != PGRES_COMMAND_OK) {
		note_error(d, desc, "prepare");
		goto out;
	}
	n = PQnparams(desc);
	for (i = 0; i < n && i < DB_PG_MAX_PARAMS; i++) {
		types[i] = PQparamtype(desc, i);
		if (types[i] == INT4OID || types[i] == INT2OID) {
			types[i] = INT8OID;
			again = true;
		}
	}
	if (again) {
		PQclear(res);
		res = NULL;
		if (deallocate(d, s->name) == -1)
			goto out;
		res = PQprepare(d->conn, s->name, text, n, types);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			note_error(d, res, "prepare");
			goto out;
		}
	}
	ret = 0;
out:
	if (tx && quiet(d, "RELEASE SAVEPOINT db_prepare") == -1)
		ret = -1;
	PQclear(res);
	PQclear(desc);
	return ret;
}

static struct db_stmt *
pg_prepare(struct db *db, const char *sql)
{
	struct pgdb	*d = pg(db);
	size_t		 i, h = ((uintptr_t)sql >> 3) & (PG_CACHE_SLOTS - 1);
	struct pgstmt	*s = NULL;
	char		*text;
	bool		 ok;

	for (i = 0; i < PG_CACHE_SLOTS; i++) {
		size_t	 slot = (h + i) & (PG_CACHE_SLOTS - 1);

		if (d->cache[slot].sql == sql)
			return (struct db_stmt *)(void *)d->cache[slot].st;
		if (d->cache[slot].sql != NULL)
			continue;
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return NULL;
		text = db_pg_translate(sql, &s->nparams);
		if (text == NULL) {
			log_error("db: prepare: parameters beyond ?%d",
			    DB_PG_MAX_PARAMS);
			free(s);
			return NULL;
		}
		s->db = d;
		s->row = -1;
		snprintf(s->name, sizeof(s->name), "s%u", d->next_name++);
		ok = revive(d) && server_prepare(d, s, text) == 0;
		/* once more on a connection this found dropped */
		if (!ok && PQstatus(d->conn) != CONNECTION_OK)
			ok = revive(d) && server_prepare(d, s, text) == 0;
		if (!ok) {
			log_error("db: the statement: %s", text);
			free(text);
			free(s);
			return NULL;
		}
		free(text);
		s->sql = sql;
		s->session = d->session;
		note_ok(d);
		d->cache[slot].sql = sql;
		d->cache[slot].st = s;
		return (struct db_stmt *)(void *)s;
	}
	log_error("db: statement cache full");
	return NULL;
}

static void
pg_release(struct db_stmt *st)
{
	struct pgstmt	*s = pst(st);
	int		 i;

	if (s == NULL)
		return;
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	for (i = 0; i < s->nparams; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
	}
}

/* The rows an INSERT, UPDATE, DELETE or MERGE changed; -1 for others. */
static int64_t
changed(const PGresult *res)
{
	const char	*status = PQcmdStatus((PGresult *)res);
	const char	*n = PQcmdTuples((PGresult *)res);

	if (strncmp(status, "INSERT", 6) != 0 &&
	    strncmp(status, "UPDATE", 6) != 0 &&
	    strncmp(status, "DELETE", 6) != 0 &&
	    strncmp(status, "MERGE", 5) != 0)
		return -1;
	return strtoll(n, NULL, 10);
}

/* Prepares s again in a new session (revive); 0, or -1 noted. */
static int
prepare_again(struct pgdb *d, struct pgstmt *s)
{
	char	*text;
	int	 n, ret;

	if (s->session == d->session)
		return 0;
	if ((text = db_pg_translate(s->sql, &n)) == NULL)
		return -1;
	ret = server_prepare(d, s, text);
	free(text);
	if (ret == 0)
		s->session = d->session;
	return ret;
}

/*
 * A write outside a handler's transaction in a group: in a savepoint of
 * its own, so that its error fails only it (as on SQLite, or on its own
 * connection), not the group's transaction.
 */
static PGresult *
run_alone(struct pgdb *d, struct pgstmt *s)
{
	PGresult	*res;
	bool		 ok;

	if (quiet(d, "SAVEPOINT stmt") == -1)
		return NULL;
	res = PQexecPrepared(d->conn, s->name, s->nparams,
	    (const char *const *)s->values, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok && quiet(d, "ROLLBACK TO SAVEPOINT stmt") == -1)
		log_error("db: rollback to a savepoint failed");
	if (quiet(d, "RELEASE SAVEPOINT stmt") == -1)
		log_error("db: release of a savepoint failed");
	return res;
}

/*
 * Runs s. A read found the connection dropped runs once more on the new
 * one (outside a transaction only: see revive); a write does not, since
 * the server may have done it before the answer was lost: it fails, and
 * the next statement reconnects.
 */
static PGresult *
run(struct pgdb *d, struct pgstmt *s)
{
	PGresult	*res = NULL;
	bool		 read = strncmp(s->sql, "SELECT", 6) == 0;
	int		 tries;

	for (tries = 0; tries < 2; tries++) {
		PQclear(res);
		res = NULL;
		if (!revive(d) || prepare_again(d, s) == -1)
			return NULL;
		if (d->group && !d->job_tx && !read)
			return run_alone(d, s);
		res = PQexecPrepared(d->conn, s->name, s->nparams,
		    (const char *const *)s->values, NULL, NULL, 0);
		if (PQstatus(d->conn) == CONNECTION_OK || d->tx || !read)
			break;
	}
	return res;
}

static int
pg_step(struct db *db, struct db_stmt *st)
{
	struct pgdb	*d = pg(db);
	struct pgstmt	*s = pst(st);
	ExecStatusType	 t;
	int64_t		 n;

	if (s->res == NULL) {
		s->res = run(d, s);
		t = PQresultStatus(s->res);
		if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
			note_error(d, s->res, "step");
			if (!storage_fault(d->sqlstate))
				log_error("db: the statement: %s", s->sql);
			return -1;
		}
		note_ok(d);
		if ((n = changed(s->res)) >= 0) {
			d->changes = n;
			if (!pg_in_tx(db))
				note_written();
		}
		s->row = -1;
	} else if (PQresultStatus(s->res) != PGRES_TUPLES_OK &&
	    PQresultStatus(s->res) != PGRES_COMMAND_OK)
		return -1;	/* stepped again after its error */
	if (++s->row < PQntuples(s->res))
		return DB_ROW;
	s->row = PQntuples(s->res);
	return DB_DONE;
}

void
pg_fail(struct db *db, struct api_error *err)
{
	const char	*state = db == NULL ? "08006" : pg(db)->sqlstate;

	if (db_fault(db) || storage_fault(state)) {
		api_error_set(err, 503, NULL, "The server cannot store "
		    "changes now (%s); reads are served. Retry later",
		    pg_writable() != NULL ? pg_writable() : "storage error");
		api_error_header(err, "Retry-After", "60");
	} else if (strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
	    strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0) {
		/* serialization, deadlock, lock not available, connection */
		api_error_set(err, 503, NULL, "The database is busy; retry "
		    "shortly");
		api_error_header(err, "Retry-After", "1");
	} else if (strncmp(state, "23", 2) == 0)
		api_error_set(err, 409, NULL, "The change conflicts with "
		    "existing data");
	else
		api_error_internal(err);
}

static bool
pg_is_null(struct db_stmt *st, int col)
{
	struct pgstmt	*s = pst(st);

	if (s->res == NULL || s->row < 0 || s->row >= PQntuples(s->res) ||
	    col >= PQnfields(s->res))
		return true;
	return PQgetisnull(s->res, s->row, col) != 0;
}

static const char *
pg_text(struct db_stmt *st, int col)
{
	struct pgstmt	*s = pst(st);

	if (pg_is_null(st, col))
		return "";
	return PQgetvalue(s->res, s->row, col);
}

static int64_t
pg_int(struct db_stmt *st, int col)
{
	const char	*v = pg_text(st, col);

	if (strcmp(v, "t") == 0)
		return 1;
	return strtoll(v, NULL, 10);
}

static size_t
pg_bytes(struct db_stmt *st, int col)
{
	struct pgstmt	*s = pst(st);

	if (pg_is_null(st, col))
		return 0;
	return (size_t)PQgetlength(s->res, s->row, col);
}

static int
set_param(struct pgstmt *s, int idx, char *v)
{
	if (idx < 1 || idx > s->nparams) {
		free(v);
		return -1;
	}
	free(s->values[idx - 1]);
	s->values[idx - 1] = v;
	return 0;
}

static int
pg_bind_text(struct db_stmt *st, int idx, const char *v)
{
	char	*copy = NULL;

	if (v != NULL && (copy = strdup(v)) == NULL)
		return -1;
	return set_param(pst(st), idx, copy);
}

static int
pg_bind_int(struct db_stmt *st, int idx, int64_t v)
{
	char	*text;

	if (asprintf(&text, "%" PRId64, v) == -1)
		return -1;
	return set_param(pst(st), idx, text);
}

static int
pg_bind_null(struct db_stmt *st, int idx)
{
	return set_param(pst(st), idx, NULL);
}

/* Migrations: migrations_pg/ built in. */

static const char sql_migrations_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";
static const char sql_migration_applied[] =
    "SELECT 1 FROM schema_migrations WHERE version = ?";
static const char sql_migration_record[] =
    "INSERT INTO schema_migrations (version, name, applied_at) "
    "VALUES (?, ?, ?)";
static const char sql_schema_version[] =
    "SELECT coalesce(max(version), 0) FROM schema_migrations";
static const char sql_migrations_exist[] =
    "SELECT 1 FROM information_schema.tables WHERE "
    "table_schema = current_schema() AND table_name = 'schema_migrations'";

/*
 * Applies one migration in its own transaction, after the write gate:
 * daemons starting together apply each once (the later one finds it
 * applied once the first commits).
 */
static int
apply_one(struct db *db, const struct db_migration *m, FILE *report,
    char *err, size_t errlen)
{
	long	 version = db_migration_version(m->name);
	int	 rc, ret = -1;

	if (db_tx_begin(db) == -1)
		goto dberr;
	rc = db_exists(db, sql_migration_applied, "i", (int64_t)version);
	if (rc == -1)
		goto dberr;
	if (rc == DB_ROW) {
		ret = 0;
		goto out;
	}
	if (pg_exec(db, m->sql) == -1) {
		snprintf(err, errlen, "%s: %s", m->name, pg(db)->error);
		goto out;
	}
	if (db_run(db, sql_migration_record, "isi", (int64_t)version,
	    m->name, clock_now_ms()) == -1 || db_tx_commit(db) == -1)
		goto dberr;
	if (report != NULL)
		fprintf(report, "applied %s\n", m->name);
	ret = 0;
	goto out;
dberr:
	snprintf(err, errlen, "%s: %s", m->name, pg(db)->error);
out:
	db_tx_rollback(db);
	return ret;
}

/* The newest built-in migration's version. */
static long
builtin_version(void)
{
	size_t	 n = db_builtin_migrations_pg_count;

	return n == 0 ? 0 :
	    db_migration_version(db_builtin_migrations_pg[n - 1].name);
}

static int
pg_migrate(struct db *db, const char *dir, FILE *report, char *err,
    size_t errlen)
{
	int64_t	 version = 0;
	size_t	 i;

	if (dir != NULL && dir[0] != '\0') {
		snprintf(err, errlen, "%s: [database] migrations is for "
		    "SQLite; PostgreSQL's are built in", dir);
		return -1;
	}
	if (pg_exec(db, sql_migrations_table) == -1) {
		snprintf(err, errlen, "schema_migrations: %s", pg(db)->error);
		return -1;
	}
	/* a database migrated by a newer reviewd: this one would misread
	 * it */
	if (db_one_int(db, sql_schema_version, &version, "") != DB_ROW) {
		snprintf(err, errlen, "schema_migrations: %s", pg(db)->error);
		return -1;
	}
	if (version > builtin_version()) {
		snprintf(err, errlen, "the database is at schema version "
		    "%" PRId64 ", newer than this reviewd's %ld: run the "
		    "newer reviewd", version, builtin_version());
		return -1;
	}
	for (i = 0; i < db_builtin_migrations_pg_count; i++) {
		if (apply_one(db, &db_builtin_migrations_pg[i], report, err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

/* The same connection, its transactions read-only. */
static struct db *
pg_open_readonly(const char *conninfo)
{
	struct db	*db = pg_open(conninfo);

	if (db != NULL && pg_exec(db,
	    "SET default_transaction_read_only = on") == -1) {
		pg_close(db);
		return NULL;
	}
	return db;
}

/* Backups of PostgreSQL are the server's (pg_dump, pg_basebackup). */
static int
pg_backup_into(struct db *db, const char *path)
{
	(void)db;
	log_error("db: backup path=%s: on PostgreSQL use pg_dump or "
	    "pg_basebackup", path);
	return -1;
}

static int
pg_integrity(struct db *db, char *out, size_t outlen)
{
	(void)db;
	snprintf(out, outlen, "no integrity check on PostgreSQL from "
	    "reviewd (the server checksums its pages)");
	return -1;
}

static int
pg_migrations_due(struct db *db, const char *dir, FILE *report,
    size_t *due)
{
	size_t	 k;
	int	 rc, table;

	*due = 0;
	if (dir != NULL && dir[0] != '\0')
		return -1;
	table = db_exists(db, sql_migrations_exist, "");
	if (table == -1)
		return -1;
	for (k = 0; k < db_builtin_migrations_pg_count; k++) {
		rc = DB_DONE;
		if (table == DB_ROW)
			rc = db_exists(db, sql_migration_applied, "i",
			    (int64_t)db_migration_version(
			    db_builtin_migrations_pg[k].name));
		if (rc == -1)
			return -1;
		if (rc == DB_DONE) {
			(*due)++;
			if (report != NULL)
				fprintf(report, "  due %s\n",
				    db_builtin_migrations_pg[k].name);
		}
	}
	return 0;
}

const struct db_ops db_pg_ops = {
	.open = pg_open,
	.close = pg_close,
	.in_tx = pg_in_tx,
	.changes = pg_changes,
	.error_text = pg_error_text,
	.scrub_freed = pg_scrub_freed,
	.checkpoint = pg_checkpoint,
	.bulk = pg_bulk,
	.fault = pg_fault,
	.fault_clear = pg_fault_clear,
	.writable = pg_writable,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.release = pg_release,
	.step = pg_step,
	.tx_begin = pg_tx_begin,
	.tx_commit = pg_tx_commit,
	.tx_rollback = pg_tx_rollback,
	.group_begin = pg_group_begin,
	.group_job_end = pg_group_job_end,
	.group_commit = pg_group_commit,
	.fail = pg_fail,
	.text = pg_text,
	.integer = pg_int,
	.is_null = pg_is_null,
	.bytes = pg_bytes,
	.bind_text = pg_bind_text,
	.bind_int = pg_bind_int,
	.bind_null = pg_bind_null,
	.migrate = pg_migrate,
	.open_readonly = pg_open_readonly,
	.backup_into = pg_backup_into,
	.integrity = pg_integrity,
	.migrations_due = pg_migrations_due,
	.tx_begin_claim = pg_tx_begin_claim,
	.listen_start = pg_listen_start,
	.listen_stop = pg_listen_stop,
	.notify_wake = pg_notify_wake,
};
