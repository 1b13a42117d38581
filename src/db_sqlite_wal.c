/*
 * db_sqlite_wal: the write-ahead log folded back into the database file
 * (a checkpoint) by a thread of its own, the checkpointer, on its own
 * connection. SQLite's default runs the checkpoint inside whichever commit
 * crossed 1,000 pages of log: an API request or a dispatch batch then
 * waited for thousands of page copies and an fsync of the database file
 * that were not its own work. Here a commit past its connection's
 * threshold only wakes the checkpointer. A commit still checkpoints
 * itself when no checkpointer runs (commands other than serve) or when
 * the log has outgrown LITE_WAL_LIMIT pages (the checkpointer cannot keep
 * up, or steady writes never let the log be rewound): the log stays
 * bounded either way.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "reviewd/db_sqlite_wal.h"
#include "reviewd/log.h"
#include "reviewd/sleeper.h"

#define LITE_WAL_LIMIT		16000	/* pages: 64 MiB of log at 4 KiB */
#define LITE_WAL_IDLE_MS	60000

static struct sleeper	 checkpointer = SLEEPER_INIT;
static sqlite3		*conn;		/* the checkpointer's */
static atomic_bool	 running;	/* it takes the wake-ups */
static atomic_bool	 due;		/* a commit crossed its threshold */
static atomic_llong	 by_checkpointer, by_commit;

/*
 * The log's index (the -shm file; SQLite's "WAL-index format"), as SQLite
 * maps it for the checkpointer's connection (its VFS's xShmMap): no
 * descriptor of ours on a file whose POSIX locks any close would drop,
 * and the file SQLite chose. Its header: every commit rewrites it (its
 * count of commits and of frames, its checksums), a rewind of the log
 * changes its salts, a checkpoint leaves it; a writer writes the second
 * of its two copies, then the first. After them, how many frames the
 * checkpoints have folded back (0 again once the log is rewound).
 */
#define SHM_REGION		32768	/* what SQLite maps */
#define SHM_HEADER		48
#define SHM_FORMAT		3007000	/* the header's iVersion */
#define SHM_IS_INIT		12	/* offsets in the header ... */
#define SHM_BACKFILL		96	/* ... and in the region */

static const volatile unsigned char *_Atomic	 shm;	/* NULL: unmapped */
static unsigned char	 shm_key[crypto_shorthash_KEYBYTES];

/* Region 0 of c's log index, or NULL. */
static const volatile unsigned char *
shm_map(sqlite3 *c)
{
	sqlite3_file	*f = NULL;
	volatile void	*p = NULL;

	if (sqlite3_file_control(c, "main", SQLITE_FCNTL_FILE_POINTER,
	    &f) != SQLITE_OK || f == NULL || f->pMethods == NULL ||
	    f->pMethods->iVersion < 2 || f->pMethods->xShmMap == NULL ||
	    f->pMethods->xShmMap(f, 0, SHM_REGION, 0, &p) != SQLITE_OK)
		return NULL;
	return p;
}

static void *
checkpointer_main(void *arg)
{
	int	 rc, log_pages, folded;

	(void)arg;
	while (!sleeper_wait(&checkpointer, LITE_WAL_IDLE_MS)) {
		if (!atomic_exchange(&due, false))
			continue;
		/* PASSIVE: never waits for a reader or a writer; what a
		 * reader still needs is folded by the next one */
		rc = sqlite3_wal_checkpoint_v2(conn, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &log_pages, &folded);
		if (rc == SQLITE_OK && log_pages >= 0) {
			atomic_fetch_add(&by_checkpointer, 1);
			log_debug("db: checkpoint log=%d folded=%d",
			    log_pages, folded);
		}
		else if (rc != SQLITE_BUSY)
			log_warn("db: checkpoint: %s", sqlite3_errmsg(conn));
	}
	return NULL;
}

int
lite_wal_start(const char *path)
{
	if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("db: checkpointer: cannot open path=%s: %s", path,
		    conn != NULL ? sqlite3_errmsg(conn) : "no memory");
		goto fail;
	}
	/* a connection knows its log only once it has read the database:
	 * until then a checkpoint does nothing (and says so with -1) */
	if (sqlite3_exec(conn, "SELECT count(*) FROM sqlite_schema", NULL,
	    NULL, NULL) != SQLITE_OK) {
		log_error("db: checkpointer: cannot read path=%s: %s", path,
		    sqlite3_errmsg(conn));
		goto fail;
	}
	/* after the read above, which opened the index; before the thread
	 * that uses the connection. Unmapped, the versions are unknown. */
	crypto_shorthash_keygen(shm_key);
	atomic_store(&shm, shm_map(conn));
	if (sleeper_start(&checkpointer, "db checkpointer", checkpointer_main,
	    NULL) == -1)
		goto fail;
	atomic_store(&running, true);
	return 0;
fail:
	atomic_store(&shm, NULL);
	(void)sqlite3_close(conn);
	conn = NULL;
	return -1;
}

void
lite_wal_stop(void)
{
	atomic_store(&running, false);
	sleeper_stop(&checkpointer, "db checkpointer");
	atomic_store(&shm, NULL);	/* the connection's mapping */
	if (conn != NULL && sqlite3_close(conn) != SQLITE_OK)
		log_error("db: checkpointer: close: %s", sqlite3_errmsg(conn));
	conn = NULL;
}

/*
 * What is due is counted in frames not folded yet, not in the log's
 * length: under steady writes the log does not start again (SQLite
 * rewinds it only when a write begins after a checkpoint folded all of
 * it, and the next commit comes first), so the length stayed past the
 * threshold and every commit woke a checkpoint, with its fsync of the
 * database file: a fifth of the daemon's CPU under organic submits
 * (bench/RESULTS.md, stop 29). The folded count is the index's; without
 * the index (no checkpointer) it is taken as 0, SQLite's own rule. Past
 * LITE_WAL_LIMIT the commit folds the log itself, so that the next write
 * can rewind it.
 */
bool
lite_wal_committed(int pages, int threshold)
{
	const volatile unsigned char	*index = atomic_load(&shm);
	uint32_t			 folded = 0;
	int				 unfolded = pages;

	if (index != NULL)
		folded = __atomic_load_n((const volatile uint32_t *)(const
		    volatile void *)(index + SHM_BACKFILL), __ATOMIC_RELAXED);
	if (pages >= 0 && folded <= (uint32_t)pages)
		unfolded = pages - (int)folded;
	if (pages >= LITE_WAL_LIMIT ||
	    (unfolded >= threshold && !atomic_load(&running))) {
		atomic_fetch_add(&by_commit, 1);
		return true;
	}
	if (unfolded >= threshold) {
		atomic_store(&due, true);
		sleeper_wake(&checkpointer);
	}
	return false;
}

void
lite_wal_counts(int64_t *background, int64_t *inline_)
{
	*background = atomic_load(&by_checkpointer);
	*inline_ = atomic_load(&by_commit);
}

int
lite_wal_version(uint64_t *version)
{
	const volatile unsigned char	*index = atomic_load(&shm);
	unsigned char			 first[SHM_HEADER], second[SHM_HEADER];
	unsigned char			 hash[crypto_shorthash_BYTES];
	uint32_t			 format;

	if (index == NULL)
		return -1;
	/* as SQLite reads it: the first copy, a barrier, the second */
	memcpy(first, (const void *)index, SHM_HEADER);
	atomic_thread_fence(memory_order_seq_cst);
	memcpy(second, (const void *)(index + SHM_HEADER), SHM_HEADER);
	if (memcmp(first, second, SHM_HEADER) != 0)
		return -1;
	memcpy(&format, first, sizeof(format));	/* in the machine's order */
	if (format != SHM_FORMAT || first[SHM_IS_INIT] != 1)
		return -1;
	crypto_shorthash(hash, first, SHM_HEADER, shm_key);
	memcpy(version, hash, sizeof(*version));
	return 0;
}
