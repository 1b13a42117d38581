#ifndef REVIEWD_DB_PG_INTERNAL_H
#define REVIEWD_DB_PG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

/*
 * What the files of db on PostgreSQL share, and nobody else: db_pg.c
 * (connections, statements, db_pg_ops), db_pg_tx.c (transactions and the
 * writer's group), db_pg_listen.c (wake-ups between daemons) and
 * db_pg_copy.c (COPY for copy_data). The functions of db_pg_ops are
 * db.h's primitives (db.h says what they do). Not reviewd/db.h: db_pg.c
 * is of the db module, and this header must not lead back to it
 * (scripts/module-cycles).
 */

struct api_error;
struct db;

#define PG_CACHE_SLOTS		512	/* power of two */
#define PG_ERR_LEN		512

struct pgstmt;

struct pgdb {
	PGconn		*conn;
	bool		 fault;		/* storage fault since db_fault_clear */
	bool		 failed;	/* the last call failed */
	int64_t		 changes;	/* of the last INSERT/UPDATE/DELETE */
	unsigned	 next_name;	/* server-side statement names */
	unsigned	 session;	/* bumped by each reconnection */
	bool		 tx;		/* a transaction of ours is open */
	bool		 group;		/* db_group_begin: one transaction */
	bool		 job_tx;	/* group: a handler's savepoint */
	char		 sqlstate[6];	/* of the last failure */
	char		 error[PG_ERR_LEN];
	struct {
		const char	*sql;
		struct pgstmt	*st;
	}		 cache[PG_CACHE_SLOTS];
};

/* The connection behind db (db.h's struct db is a struct pgdb here). */
static inline struct pgdb *
pg(struct db *db)
{
	return (struct pgdb *)(void *)db;
}

/*
 * The parameters every connection is made with: conninfo (a URL or
 * key=value string, expanded last so that what it names wins) and, when
 * it names none, PG_CONNECT_TIMEOUT_S: a server that accepts and never
 * answers (hung, or half failed over) must not hold a thread, or the
 * daemon's stop, for ever.
 */
#define PG_CONNECT_TIMEOUT_S	10
void	pg_connect_params(const char *conninfo, const char *keys[3],
	    const char *values[3]);

/* Remembers why res (NULL: the connection) failed; logs it unless it is
 * a storage fault, which is noted once. */
void	note_error(struct pgdb *d, const PGresult *res, const char *what);

/* The last call succeeded: forgets the last failure. */
void	note_ok(struct pgdb *d);

/* Makes a dropped connection again, outside a transaction of ours (see
 * db_pg.c); true when the connection is usable. */
bool	revive(struct pgdb *d);

/* A write went through: ends the storage fault, said once. */
void	note_written(void);

/* Runs sql (a savepoint's), its error noted. 0 or -1. */
int	quiet(struct pgdb *d, const char *sql);

/* db_pg.c: db_pg_ops's in_tx, exec and fail. */
bool	pg_in_tx(struct db *db);
int	pg_exec(struct db *db, const char *sql);
void	pg_fail(struct db *db, struct api_error *err);

/* db_pg_tx.c: db_pg_ops's transactions and the writer's group. */
int	pg_tx_begin(struct db *db);
int	pg_tx_begin_claim(struct db *db);
int	pg_tx_commit(struct db *db);
void	pg_tx_rollback(struct db *db);
int	pg_group_begin(struct db *db);
bool	pg_group_job_end(struct db *db);
int	pg_group_commit(struct db *db, struct api_error *err);

/* db_pg_listen.c: LISTEN/NOTIFY between daemons. */
int	pg_listen_start(const char *conninfo, void (*on_wake)(void));
void	pg_notify_wake(void);
void	pg_listen_stop(void);

#endif
