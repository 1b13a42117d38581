/*
 * scheduler: one thread running the registered jobs whenever they are due.
 * Shared state is the job table (written before the thread starts, read-only
 * afterwards) and the wake/stop flags under one mutex + condition variable.
 * The condition variable uses CLOCK_MONOTONIC so wall-clock (and test-clock)
 * jumps do not stretch a sleep; the test clock wakes the thread instead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "reviewd/clock.h"
#include "reviewd/log.h"
#include "reviewd/metrics.h"
#include "reviewd/scheduler.h"

#define MAX_SLEEP_MS	1000

static struct {
	const char	*name;
	scheduler_job	*job;
}			 jobs[SCHEDULER_MAX_JOBS];
static size_t		 njobs;

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cond;
static bool		 woken;
static atomic_bool	 stopping;
static bool		 running;
static pthread_t	 thread;

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
	return atomic_load(&stopping);
}

void
scheduler_wake(void)
{
	if (pthread_mutex_lock(&lock) != 0)
		return;
	woken = true;
	(void)pthread_cond_signal(&cond);
	(void)pthread_mutex_unlock(&lock);
}

/* Sleeps up to ms or until woken or stopped. */
static void
sleep_ms(int64_t ms)
{
	struct timespec	 until;

	(void)clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	if (pthread_mutex_lock(&lock) != 0)
		return;
	while (!woken && !atomic_load(&stopping)) {
		if (pthread_cond_timedwait(&cond, &lock, &until) == ETIMEDOUT)
			break;
	}
	woken = false;
	(void)pthread_mutex_unlock(&lock);
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
	while (!atomic_load(&stopping)) {
		now = clock_now_ms();
		next = now + MAX_SLEEP_MS;
		for (i = 0; i < njobs && !atomic_load(&stopping); i++) {
			due = jobs[i].job(db, now);
			if (due < next)
				next = due;
		}
		now = clock_now_ms();
		if (next > now)
			sleep_ms(next - now);
		metrics_scheduler_beat(next);	/* alive; the lag since due */
	}
	db_thread_close();
	return NULL;
}

int
scheduler_start(void)
{
	pthread_condattr_t	 attr;

	if (pthread_condattr_init(&attr) != 0 ||
	    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&cond, &attr) != 0) {
		log_error("scheduler: cannot create the condition variable");
		return -1;
	}
	(void)pthread_condattr_destroy(&attr);
	if (pthread_create(&thread, NULL, run, NULL) != 0) {
		log_error("scheduler: cannot start the thread");
		return -1;
	}
	running = true;
	return 0;
}

void
scheduler_stop(void)
{
	if (!running)
		return;
	atomic_store(&stopping, true);
	scheduler_wake();
	if (pthread_join(thread, NULL) != 0)
		log_error("scheduler: join failed");
	running = false;
}
