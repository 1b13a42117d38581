#ifndef REVIEWD_SCHEDULER_H
#define REVIEWD_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#include "reviewd/db.h"

/*
 * The scheduler thread: the single place that runs due work (outbox
 * delivery, invitation dispatch, deadlines). Jobs are registered before
 * scheduler_start; each run returns when it next wants to run. The thread
 * sleeps until the earliest of those (at most 1 s) and is woken early by
 * scheduler_wake, which handlers call after scheduling something sooner.
 */

/* A job: does the work due at now (clock_now_ms) on the scheduler's own
 * connection and returns the time it is next due (INT64_MAX: nothing
 * known; it is still called at least once a second). */
typedef int64_t scheduler_job(struct db *db, int64_t now);

#define SCHEDULER_MAX_JOBS	8

/* Registers a job; call before scheduler_start. 0, or -1 when full. */
int	scheduler_register(const char *name, scheduler_job *job);

/* Starts the thread; db_configure must have been called. 0 or -1. */
int	scheduler_start(void);

/* Asks the thread to run its jobs now. Any thread; cheap. */
void	scheduler_wake(void);

/* How many times the thread has run every job since this process started.
 * A pass in progress when this is read may have seen an older clock; the
 * one that ends two passes later began after the read (tests wait for that
 * after moving the test clock, instead of sleeping). A pass only wakes the
 * outbox's lanes: their deliveries are on their own threads. */
uint64_t	scheduler_passes(void);

/* True once scheduler_stop has begun: long jobs check it between items so
 * the work in hand finishes and the rest stays queued. */
bool	scheduler_stopping(void);

/* Stops the thread and waits for it; safe when never started. */
void	scheduler_stop(void);

#endif
