/*
 * scheduler: one thread running the registered jobs whenever they are due.
 * Shared state is the job table (written before the thread starts, read-only
 * afterwards) and the sleeper (sleeper.h: monotonic sleeps, so wall-clock
 * and test-clock jumps do not stretch one; the test clock wakes the thread
 * instead). Several daemons on one database (PostgreSQL) wake each other:
 * a wake here is sent to the others (db_notify_wake) and theirs wake this
 * thread (db_listen_start); the 1 s sleep stays as the fallback.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "reviewd/clock.h"
#include "reviewd/log.h"
#include "reviewd/metrics.h"
#include "reviewd/scheduler.h"
#include "reviewd/sleeper.h"

#define MAX_SLEEP_MS	1000

static struct {
	const char	*name;
	scheduler_job	*job;
}			 jobs[SCHEDULER_MAX_JOBS];
static size_t		 njobs;

static struct sleeper	 sleeper = SLEEPER_INIT;
static atomic_uint_fast64_t passes;

int
scheduler_register(const char *name, scheduler_job *job)
{
	if (njobs == SCHEDULER_MAX_JOBS)
		return -1;
	jobs[njobs].name = name;
	jobs[njobs].job = job;
	njobs++;
	return 0;
}

bool
scheduler_stopping(void)
{
	return sleeper_stopping(&sleeper);
}

uint64_t
scheduler_passes(void)
{
	return atomic_load(&passes);
}

/* Another daemon's wake-up: this thread only (not sent on again). */
static void
woken_by_other(void)
{
	sleeper_wake(&sleeper);
}

/* Callers wake after their commit, so the others see the work. */
void
scheduler_wake(void)
{
	sleeper_wake(&sleeper);
	db_notify_wake();
}

static void *
run(void *arg)
{
	struct db	*db;
	int64_t		 now, next, due;
	size_t		 i;

	(void)arg;
	db = db_thread();
	if (db == NULL) {
		log_error("scheduler: no database connection; stopped");
		return NULL;
	}
	while (!sleeper_stopping(&sleeper)) {
		now = clock_now_ms();
		next = now + MAX_SLEEP_MS;
		for (i = 0; i < njobs && !sleeper_stopping(&sleeper); i++) {
			due = jobs[i].job(db, now);
			if (due < next)
				next = due;
		}
		/* seq_cst, as the test clock's offset is: a reader that
		 * moved the clock and then read n knows pass n + 2 saw it */
		atomic_fetch_add(&passes, 1);
		now = clock_now_ms();
		if (next > now)
			(void)sleeper_wait(&sleeper, next - now);
		metrics_scheduler_beat(next);	/* alive; the lag since due */
	}
	db_thread_close();
	return NULL;
}

int
scheduler_start(void)
{
	if (sleeper_start(&sleeper, "scheduler", run, NULL) == -1)
		return -1;
	return db_listen_start(woken_by_other);
}

void
scheduler_stop(void)
{
	db_listen_stop();
	sleeper_stop(&sleeper, "scheduler");
}
