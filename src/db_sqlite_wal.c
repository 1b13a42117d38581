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
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
static atomic_int	 folded_frames;	/* by the last checkpoint */
static atomic_int	 log_frames;	/* after the last commit */
static atomic_llong	 by_checkpointer, by_commit;

/*
 * lite_wal_version reads the header of the log's index, the -shm file
 * (SQLite's "WAL-index format" document): every commit rewrites it (its
 * count of commits and of frames, its checksums), a rewind of the log
 * changes its salts, a checkpoint leaves it. A writer writes the second
 * of its two copies, then the first; two equal copies are one header,
 * and a header being written reads as two different ones: not taken,
 * the caller reads the tables. Keyed SipHash of the header: nobody can
 * aim a change at an earlier version.
 */
#define SHM_HEADER		48
#define SHM_FORMAT		3007000		/* its iVersion */
#define SHM_IS_INIT		12		/* offset of isInit */

static int		 shm_fd = -1;
static unsigned char	 shm_key[crypto_shorthash_KEYBYTES];

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
			lite_wal_folded(folded);
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
	char	 shm[PATH_MAX];

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
	if (sleeper_start(&checkpointer, "db checkpointer", checkpointer_main,
	    NULL) == -1)
		goto fail;
	atomic_store(&running, true);
	/* after the read above, which made the index; without it
	 * lite_wal_version says it cannot tell */
	if (snprintf(shm, sizeof(shm), "%s-shm", path) < (int)sizeof(shm)) {
		crypto_shorthash_keygen(shm_key);
		shm_fd = open(shm, O_RDONLY | O_CLOEXEC);
	}
	return 0;
fail:
	(void)sqlite3_close(conn);
	conn = NULL;
	return -1;
}

void
lite_wal_stop(void)
{
	atomic_store(&running, false);
	sleeper_stop(&checkpointer, "db checkpointer");
	if (shm_fd != -1)
		(void)close(shm_fd);
	shm_fd = -1;
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
 * (bench/RESULTS.md, stop 29). Past LITE_WAL_LIMIT the commit folds the
 * log itself, so that the next write can rewind it. A log shorter than
 * after the commit before has been rewound: nothing of it is folded (two
 * connections' hooks out of order only bring a checkpoint forward).
 */
bool
lite_wal_committed(int pages, int threshold)
{
	int	 folded, unfolded;

	if (pages < atomic_exchange(&log_frames, pages))
		atomic_store(&folded_frames, 0);
	folded = atomic_load(&folded_frames);
	unfolded = pages >= folded ? pages - folded : pages;

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
lite_wal_folded(int folded)
{
	atomic_store(&folded_frames, folded);
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
	unsigned char	 hdr[2 * SHM_HEADER];
	unsigned char	 hash[crypto_shorthash_BYTES];
	uint32_t	 format;

	if (shm_fd == -1 || pread(shm_fd, hdr, sizeof(hdr), 0) !=
	    (ssize_t)sizeof(hdr) || memcmp(hdr, hdr + SHM_HEADER,
	    SHM_HEADER) != 0)
		return -1;
	memcpy(&format, hdr, sizeof(format));	/* in the machine's order */
	if (format != SHM_FORMAT || hdr[SHM_IS_INIT] != 1)
		return -1;
	crypto_shorthash(hash, hdr, SHM_HEADER, shm_key);
	memcpy(version, hash, sizeof(*version));
	return 0;
}
