#ifndef REVIEWD_DB_PG_INTERNAL_H
#define REVIEWD_DB_PG_INTERNAL_H

/*
 * What the files of db on PostgreSQL share, and nobody else: db_pg.c
 * (connections, statements, db_pg_ops) and db_pg_listen.c (wake-ups
 * between daemons). The functions are db_pg_ops's (db.h says what they
 * do).
 */

/* db_pg_listen.c: LISTEN/NOTIFY between daemons. */
int	pg_listen_start(const char *conninfo, void (*on_wake)(void));
void	pg_notify_wake(void);
void	pg_listen_stop(void);

#endif
