#ifndef REVIEWD_DB_SQLITE_WAL_H
#define REVIEWD_DB_SQLITE_WAL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * for db_sqlite.c: the checkpoints of the write-ahead log, run by a
 * thread of their own (db_sqlite_wal.c says why).
 */

/* Starts the checkpointer on a connection of its own to the database at
 * path. 0, or -1 (logged). */
int	lite_wal_start(const char *path);

/* Stops and joins it; safe when never started. */
void	lite_wal_stop(void);

/* A commit left pages pages in the log, and its connection folds the log
 * once threshold pages are not folded yet: true when the caller must run
 * the checkpoint itself (no checkpointer, or the log too long for it),
 * false when the checkpointer was woken or nothing is due. Any thread. */
bool	lite_wal_committed(int pages, int threshold);

/* The checkpoints run so far by the checkpointer and by commits. */
void	lite_wal_counts(int64_t *background, int64_t *inline_);

/* db_data_version: from the log's index while the checkpointer runs. */
int	lite_wal_version(uint64_t *version);

#endif
